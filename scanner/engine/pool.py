"""The engine on every core: files are read and scanned in worker processes, in batches.

Worth it only for many files: a pool costs a process start and an engine per worker (the
prefilter loads from the cache in milliseconds), so small inputs stay in one process.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

MIN_FILES = 512   # below this, one process finishes before a pool has started
BATCH = 64        # files per task: large enough to amortise the pickling, small enough to balance

_worker: dict = {}


def workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _init(build: Callable[[], object], handle: Callable) -> None:
    _worker["engine"], _worker["handle"] = build(), handle


def _run_batch(batch: list[tuple[Path, str]]) -> list:
    engine, handle = _worker["engine"], _worker["handle"]
    return [handle(engine, target) for target in batch]


def map_files(build: Callable[[], object], handle: Callable, targets: Sequence[object]) -> Iterator:
    """``handle(engine, target)`` for every target, in order, on every core.

    ``build`` makes the engine inside each worker (an engine holds a hyperscan scratch space,
    which must not be shared between processes)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    n = workers()
    batches = [targets[i:i + BATCH] for i in range(0, len(targets), BATCH)]
    # fork where the platform has it: the workers inherit the configuration instead of re-reading it.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context(method),
                             initializer=_init, initargs=(build, handle)) as pool:
        for results in pool.map(_run_batch, batches):
            yield from results


def _adopt(engine: object, handle: Callable) -> None:
    _worker["engine"], _worker["handle"] = engine, handle


def _run_one(task: object) -> object:
    return _worker["handle"](_worker["engine"], task)


def imap_unordered(engine: object, handle: Callable, tasks: Iterable, jobs: int) -> Iterator:
    """``handle(engine, task)`` for every task on ``jobs`` worker processes, yielded as each
    finishes. Tasks are taken from the iterable only a few per worker ahead, so a long
    stream is never held in memory. With fork the workers share the caller's engine as it
    is; elsewhere it is pickled, and rebuilt from its rules and the prefilter cache."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method),
                               initializer=_adopt, initargs=(engine, handle))
    try:
        pending: set = set()
        for task in tasks:
            pending.add(pool.submit(_run_one, task))
            if len(pending) >= 3 * jobs:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def worth_it(targets: Iterable) -> bool:
    return workers() > 1 and sum(1 for _ in targets) >= MIN_FILES
