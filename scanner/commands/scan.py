"""``leakwarden scan [PATH ...|-]``: files, directories and stdin."""
from __future__ import annotations

import argparse
from pathlib import Path

from scanner.commands._common import (EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERNAL, add_baseline_option,
                                      add_config_options, add_fail_options, add_output_options, apply_baseline,
                                      emit, fail_policy, load_config, mark_warnings)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="scan files, directories or stdin (-)",
                       description="Scan files, directories or stdin ('-'). Inside a git work tree, "
                                   ".gitignore is respected unless --no-ignore is given.")
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories, or - for stdin")
    p.add_argument("--no-ignore", action="store_true", help="scan files that .gitignore excludes too")
    p.add_argument("--max-file-size", metavar="SIZE", help="skip (listed as skipped) files larger than this, e.g. 50MB; "
                   "by default every file is scanned, large ones in chunks")
    p.add_argument("--scan-binary", action="store_true", help="scan binary files too")
    add_config_options(p)
    add_fail_options(p)
    add_baseline_option(p)
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scanner.config import parse_size
    from scanner.engine.factory import build_engine

    first = next((p for p in args.paths if p != "-"), ".")
    cfg = load_config(args, Path(first).resolve() if Path(first).exists() else Path.cwd())
    if args.max_file_size:
        cfg.max_file_size = parse_size(args.max_file_size, "--max-file-size")
        cfg.max_file_size_set = True
    if args.scan_binary:
        cfg.scan_binary = True
    engine = build_engine(cfg)
    report = scan_paths(engine, cfg, args.paths, use_gitignore=not args.no_ignore)
    apply_baseline(args, cfg, report, Path(first).resolve() if Path(first).exists() else None)
    mark_warnings(report, fail_policy(cfg))
    emit(args, report)
    if any(f.fingerprint not in report.warned for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_INTERNAL if report.errors else EXIT_CLEAN


def scan_paths(engine, cfg, paths: list[str], use_gitignore: bool = True):
    """Scan files, directories and stdin into a Report (also used by ``baseline`` and ``remediate``)."""
    from functools import partial

    from scanner.engine import pool
    from scanner.engine.factory import build_engine
    from scanner.report import Report
    from scanner.sources import files

    report = Report(findings=[])
    settled, to_read = [], []
    for target in files.targets(paths, use_gitignore=use_gitignore, excludes=cfg.exclude_paths):
        (settled if isinstance(target, files.Item) else to_read).append(target)
    # Larger files are streamed in chunks; max_file_size only skips them when the user set it.
    handle = partial(_scan_target, max_size=cfg.max_file_size if cfg.max_file_size_set else None)
    if pool.worth_it(to_read):
        results = pool.map_files(partial(build_engine, cfg), handle, to_read)
    else:
        results = (handle(engine, target) for target in to_read)
    outcomes = [_scan_item(engine, item) for item in settled]
    outcomes.extend(results)
    scanned = 0
    for item, findings, skipped in outcomes:
        if item.error:
            report.errors.append((item.path, item.error))
        elif skipped:
            report.skipped.append((item.path, skipped))
        if not item.error and not item.skipped:
            scanned += 1
        report.findings.extend(findings)
    report.stats = {"files_scanned": scanned, "skipped": len(report.skipped), "errors": len(report.errors)}
    return report


def _scan_target(engine, target, *, max_size: int | None):
    from scanner.sources import files

    return _scan_item(engine, files.load(target, max_size))


def _scan_item(engine, item):
    """(item, findings, why it was skipped); the item comes back without its content."""
    if item.error or item.skipped:
        return _bare(item), [], item.skipped
    if item.stream is not None:
        from scanner.sources.files import chunks

        result = engine.scan_chunks(chunks(item.stream), item.path)
    else:
        result = engine.scan(item.data or b"", item.path)
    return _bare(item), result.findings, result.skipped


def _bare(item):
    # Only the verdict travels back from a worker, never the file's content.
    item.data = None
    return item
