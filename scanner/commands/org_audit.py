"""``leakwarden org-audit``: audit many repositories at once on a Dask cluster (docs/org-audit.md)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scanner.commands._common import (add_report_options, apply_baseline, emit, exit_code, fail_policy,
                                      load_config, warn)

INSTALL = "pip install 'leakwarden[org]'"
SPLIT_COMMITS = 5000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("org-audit", help="audit many repositories on a Dask cluster",
                       description="Audit the whole history of many repositories (local paths, bare or not, or "
                                   "clone URLs, mirrored into --cache) on a Dask cluster: a local one by default, "
                                   "or an existing scheduler. A secret found in several repositories is one "
                                   f"finding listing them all. Needs the org extra: {INSTALL}")
    p.add_argument("repos", nargs="*", metavar="REPO", help="a repository path or clone URL")
    p.add_argument("--repos-from", metavar="FILE", type=Path,
                   help="read repositories from FILE, one a line; '#' starts a comment")
    p.add_argument("--workers", type=_positive, default=os.cpu_count() or 1, metavar="N",
                   help="worker processes of the local cluster (default: the number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="use the existing Dask cluster at ADDRESS (e.g. tcp://host:8786) instead of a local one")
    p.add_argument("--cache", metavar="DIR", type=Path,
                   help="mirrors of cloned repositories and previous results (default: the leakwarden cache "
                        "directory); with --scheduler, a path every worker can write")
    p.add_argument("--split-commits", type=_positive, default=SPLIT_COMMITS, metavar="N",
                   help=f"split a repository with more than N commits into tasks of about N commits "
                        f"(default: {SPLIT_COMMITS})")
    p.add_argument("--progress", action="store_true", help="show progress on stderr even when it is not a terminal")
    add_report_options(p)
    p.set_defaults(func=run)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return int(value)


def run(args: argparse.Namespace) -> int:
    from scanner.errors import UsageError

    try:
        import distributed  # noqa: F401
        import git  # noqa: F401
    except ImportError:
        raise UsageError(f"org-audit needs Dask and GitPython: {INSTALL}") from None
    from scanner.cache import cache_dir
    from scanner.engine.factory import build_engine
    from scanner.org import client, repos
    from scanner.report import Report

    names = list(args.repos) + (repos.from_file(args.repos_from) if args.repos_from else [])
    if not names:
        raise UsageError("no repositories: name them as arguments or with --repos-from FILE")
    specs = repos.specs(names, Path.cwd())
    cfg = load_config(args, Path.cwd())
    engine = build_engine(cfg)
    settings = client.Settings(cache=(args.cache or cache_dir() / "org").absolute(), digest=_digest(engine, cfg),
                               split_commits=args.split_commits, config=cfg,
                               show_secrets=args.show_secrets)
    with client.connect(args.scheduler, args.workers) as dask:
        outcome = client.audit(dask, specs, engine, settings, args.progress or sys.stderr.isatty())
    report = Report(findings=outcome.findings, tool_command="org-audit", skipped=outcome.skipped,
                    errors=outcome.errors, stats={**outcome.stats, "rules": len(engine.rules)})
    apply_baseline(args, cfg, report)
    report.judge(fail_policy(cfg))
    s = outcome.stats
    # Before the report: the run's summary line (emit) is the last thing it prints.
    warn(f"{s['repositories']} repositories: {s['scanned']} scanned, {s['unchanged']} unchanged since the "
         f"last run (skipped), {s['failed']} failed")
    emit(args, report)
    return exit_code(report)


def _digest(engine, cfg) -> str:
    """Everything besides the history that decides what is found: a change re-scans every repository."""
    import hashlib

    from scanner import __version__
    from scanner.rules.model import rules_hash

    settings = (__version__, rules_hash(engine.rules), cfg.min_confidence, sorted(cfg.exclude_paths),
                cfg.max_file_size, cfg.max_file_size_set, sorted(cfg.allow_regexes), sorted(cfg.allowlist.items()),
                cfg.scan_binary, cfg.archive_limits())
    return hashlib.sha256(repr(settings).encode()).hexdigest()
