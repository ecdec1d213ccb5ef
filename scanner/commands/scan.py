"""``leakwarden scan [PATH ...|-]``: files, directories and stdin."""
from __future__ import annotations

import argparse
from pathlib import Path

from scanner.commands._common import add_report_options, apply_baseline, emit, exit_code, fail_policy, load_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="scan files, directories or stdin (-)",
                       description="Scan files, directories or stdin ('-'). Inside a git work tree, "
                                   ".gitignore is respected unless --no-ignore is given.")
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories, or - for stdin")
    p.add_argument("--no-ignore", action="store_true", help="scan files that .gitignore excludes too")
    p.add_argument("--max-file-size", metavar="SIZE", help="skip (listed as skipped) files larger than this, e.g. 50MB; "
                   "by default every file is scanned, large ones in chunks")
    p.add_argument("--scan-binary", action="store_true", help="scan binary files too")
    add_report_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scanner.cli import resume_gc
    from scanner.config import parse_size
    from scanner.engine.factory import build_engine
    from scanner.sources import paths

    first = next((p for p in args.paths if p != "-"), ".")
    cfg = load_config(args, Path(first).resolve() if Path(first).exists() else Path.cwd())
    if args.max_file_size:
        cfg.max_file_size = parse_size(args.max_file_size, "--max-file-size")
        cfg.max_file_size_set = True
    if args.scan_binary:
        cfg.scan_binary = True
    engine = build_engine(cfg)
    resume_gc()
    report = paths.scan(engine, cfg, args.paths, use_gitignore=not args.no_ignore)
    report.stats["rules"] = len(engine.rules)
    apply_baseline(args, cfg, report, Path(first).resolve() if Path(first).exists() else None)
    report.judge(fail_policy(cfg))
    emit(args, report)
    return exit_code(report)
