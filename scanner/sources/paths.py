"""Files, directories and stdin named on the command line, scanned into a Report (``scan``,
``baseline``, ``remediate``, ``verify`` and ``revoke`` all read paths this way)."""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.report import Report
from scanner.sources import files

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.engine.core import Engine
    from scanner.finding import Finding


def scan(engine: Engine, cfg: Config, paths: list[str], use_gitignore: bool = True) -> Report:
    from scanner.engine import pool
    from scanner.engine.factory import build_engine

    report = Report()
    settled: list[files.Item] = []
    to_read: list[tuple[str | Path, str]] = []
    for target in files.targets(paths, use_gitignore=use_gitignore, excludes=cfg.exclude_paths):
        if isinstance(target, files.Item):
            settled.append(target)
        else:
            to_read.append(target)
    handle = partial(_scan_target, max_size=(cfg.max_file_size if cfg.max_file_size_set else None))
    if pool.worth_it(to_read):
        results = pool.map_files(partial(build_engine, cfg), handle, to_read)
    else:
        results = (handle(engine, target) for target in to_read)
    outcomes = [_scan_item(engine, item) for item in settled]
    outcomes.extend(results)
    for item, findings, skipped, size in outcomes:
        if item.error:
            report.errors.append((item.path, item.error))
        elif skipped:
            report.skipped.append((item.path, skipped))
        if not item.error and not item.skipped:
            report.count(size)
        report.findings.extend(findings)
    report.stats.setdefault("files_scanned", 0)
    report.stats.setdefault("bytes", 0)
    report.stats.update(skipped=len(report.skipped), errors=len(report.errors))
    return report


def _scan_target(engine: Engine, target: tuple[str | Path, str], *, max_size: int | None) -> tuple[files.Item, list[Finding], str, int]:
    return _scan_item(engine, files.load(target, max_size))


def _scan_item(engine: Engine, item: files.Item) -> tuple[files.Item, list[Finding], str, int]:
    """(item, findings, why it was skipped, its size); the item comes back without its content."""
    if item.error or item.skipped:
        return _bare(item), [], item.skipped, 0
    if item.stream is not None:
        with open(item.stream, "rb") as fh:
            result = engine.scan_chunks(files.stream_chunks(fh), item.path)
            size = fh.tell()
        return _bare(item), result.findings, result.skipped, size
    data = item.data or b""
    result = engine.scan(data, item.path)
    return _bare(item), result.findings, result.skipped, len(data)


def _bare(item: files.Item) -> files.Item:
    # Only the verdict travels back from a worker, never the file's content.
    item.data = None
    return item
