"""The client side: a cluster (a LocalCluster, or an existing scheduler), one future per
repository to clone or fetch it, then one per commit range, gathered with ``as_completed``.
Dask does the scheduling and the retries: a task whose worker dies is run again by the
scheduler (``distributed.scheduler.allowed-failures``), a clone that fails is retried by
``retries=``; nothing here re-submits work by itself."""
from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from scanner.org import merge, results, tasks
from scanner.records import field, record

if TYPE_CHECKING:
    from distributed import Client

    from scanner.config import Config
    from scanner.engine.core import Engine
    from scanner.finding import Finding
    from scanner.org.repos import RepoSpec

CLONE_RETRIES = 2   # a clone or fetch is retried for a network blip; a scan is deterministic


@record
class Settings:
    cache: Path
    digest: str              # the rules and everything else that changes results, hashed
    split_commits: int
    config: Config           # exclude_paths and max_file_size, as history honours them
    show_secrets: bool = False


@record
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


@contextmanager
def connect(scheduler: str | None, workers: int) -> Iterator[Client]:
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    # Failed tasks are errors in the report, not log lines. One thread a process: scanning is CPU-bound Python, so processes, not threads, use the cores.
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        yield client


def audit(client: Client, specs: list[RepoSpec], engine: Engine, settings: Settings, progress: bool) -> Outcome:
    from distributed import as_completed

    bar = _bar(len(specs)) if progress else None
    if bar is not None:
        client.subscribe_topic("leakwarden-clone", lambda event: bar.set_postfix_str(
            f"cloning {event[1]['repo']}: {event[1]['done']:,}/{event[1]['total']:,} objects"))
    out = Outcome(stats={"repositories": len(specs), "scanned": 0, "unchanged": 0, "failed": 0,
                         "parts": 0, "objects": 0, "bytes": 0})
    found: dict[str, list[Finding]] = {}
    pending: dict[object, tuple[RepoSpec, Any]] = {}  # future key -> (repository, what it is)
    parts: dict[str, list[tasks.Part | None]] = {}    # repository -> its parts so far
    failed: set[str] = set()
    ready = as_completed()
    for spec in specs:
        cached = None if settings.show_secrets else results.load(settings.cache, spec)
        future = client.submit(tasks.prepare, spec, str(settings.cache), settings.digest, settings.split_commits,
                               cached.key if cached else None, pure=False, retries=CLONE_RETRIES)
        pending[future.key] = (spec, cached)
        ready.add(future)
    try:
        for future in ready:
            spec, what = pending.pop(future.key)
            if spec.location in failed:
                continue   # another part of it failed: it is already an error
            try:
                value = future.result()
            except Exception as exc:  # noqa: BLE001 - the repository failed; the others go on
                failed.add(spec.location)
                out.errors.append((spec.name, tasks.describe(exc)))
                out.stats["failed"] += 1
                _done(bar, out)
                continue
            if isinstance(value, tasks.Prepared):
                if not value.parts:
                    found[spec.location] = what.findings
                    out.skipped.extend((f"{spec.name}: {p}", r) for p, r in what.skipped)
                    out.stats["unchanged"] += 1
                    _done(bar, out)
                    continue
                parts[spec.location] = [None] * len(value.parts)
                out.stats["parts"] += len(value.parts)
                for number, rev_args in enumerate(value.parts):
                    part = client.submit(tasks.scan_part, engine, value.git_dir, rev_args, settings.config,
                                         settings.show_secrets, pure=False)
                    pending[part.key] = (spec, (number, value.key))
                    ready.add(part)
                continue
            number, key = what
            got = parts[spec.location]
            got[number] = value
            out.stats["objects"] += value.stats.get("objects", 0)
            out.stats["bytes"] += value.stats.get("bytes", 0)
            if any(p is None for p in got):
                _done(bar, out, repos=0)
                continue
            findings, skipped, _ = merge.parts([p for p in got if p is not None])
            results.store(settings.cache, spec, key, findings, skipped)
            found[spec.location] = findings
            out.skipped.extend((f"{spec.name}: {p}", r) for p, r in skipped)
            out.stats["scanned"] += 1
            _done(bar, out)
    finally:
        if bar is not None:
            bar.close()
    out.findings = merge.repositories([(s.name, found[s.location]) for s in specs if s.location in found])
    out.stats["findings"] = len(out.findings)
    return out


def _bar(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="repo", desc="org-audit", file=sys.stderr, dynamic_ncols=True)


def _done(bar: Any, out: Outcome, repos: int = 1) -> None:
    """Repositories done (tqdm adds the rate and ETA), objects and bytes scanned so far."""
    if bar is not None:
        bar.set_postfix_str(f"{out.stats['objects']:,} objects, {out.stats['bytes'] / 1e6:,.1f} MB", refresh=False)
        bar.update(repos)
