"""``leakwarden history``: audit every blob, commit message and tag message in the history."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scanner.commands._common import (EXIT_CLEAN, EXIT_FINDINGS, add_baseline_option, add_config_options,
                                      add_fail_options, add_output_options, apply_baseline, emit, fail_policy,
                                      load_config, mark_warnings)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("history", help="audit all of history (every reachable blob and message)",
                       description="Scan every blob reachable from all refs (or the given rev-list arguments) "
                                   "once, plus commit and tag messages. One finding per secret, with every "
                                   "place it occurs and the commit that introduced it. Put rev-list "
                                   "arguments that start with '-' after '--'.")
    p.add_argument("revs", nargs="*", metavar="REV-LIST-ARG",
                   help="what to walk, as for git rev-list (default: --all)")
    p.add_argument("--branches", action="store_true", help="only local branches (git rev-list --branches)")
    p.add_argument("--since", metavar="DATE", help="only commits newer than DATE (git rev-list --since)")
    p.add_argument("--repo", metavar="PATH", default=".", help="the repository (default: the current directory)")
    p.add_argument("--progress", action="store_true", help="show progress on stderr even when it is not a terminal")
    p.add_argument("--jobs", "-j", type=_jobs, metavar="N",
                   help="worker processes that read and scan objects (default: one per core for large "
                        "histories, 1 for small ones)")
    add_config_options(p)
    add_fail_options(p)
    add_baseline_option(p)
    add_output_options(p)
    p.set_defaults(func=run)


def _jobs(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return int(value)


def rev_args(args: argparse.Namespace) -> list[str]:
    out = list(args.revs)
    if args.branches:
        out.append("--branches")
    if not any(not a.startswith("-") or a in ("--all", "--branches", "--tags", "--remotes") or
               a.startswith(("--branches=", "--tags=", "--remotes=", "--glob=")) for a in out):
        out.append("--all")
    if args.since:
        out.append(f"--since={args.since}")
    return out


def run(args: argparse.Namespace) -> int:
    from scanner import git
    from scanner.engine.factory import build_engine
    from scanner.errors import UsageError
    from scanner.report import Report
    from scanner.sources.history import audit

    repo = Path(args.repo)
    try:
        git.git_dir(repo)
    except git.GitError:
        raise UsageError(f"{repo}: not a git repository") from None
    cfg = load_config(args, repo.resolve())
    engine = build_engine(cfg)
    progress = args.progress or sys.stderr.isatty()
    try:
        result = audit(repo, engine, rev_args(args), progress, excludes=cfg.exclude_paths,
                       max_size=cfg.max_file_size, jobs=args.jobs)
    except git.GitError as exc:
        raise UsageError(str(exc)) from None
    report = Report(findings=result.findings, tool_command="history", skipped=result.skipped, stats=result.stats)
    apply_baseline(args, cfg, report, repo.resolve())
    mark_warnings(report, fail_policy(cfg))
    emit(args, report)
    return EXIT_FINDINGS if any(f.fingerprint not in report.warned for f in report.findings) else EXIT_CLEAN
