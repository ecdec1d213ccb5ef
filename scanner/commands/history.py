"""``leakwarden history``: audit every blob, commit message and tag message in the history."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scanner.commands._common import add_report_options, apply_baseline, emit, exit_code, fail_policy, load_config


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
    p.add_argument("--state", metavar="FILE", type=Path,
                   help="incremental audits: the first run scans everything and writes FILE; later runs scan "
                        "only what is new since, and mark each finding new or known (FILE holds object ids "
                        "and fingerprints, never a secret; an interrupted run resumes from it)")
    p.add_argument("--jobs", "-j", type=_jobs, metavar="N",
                   help="worker processes that read and scan objects (default: one per core for large "
                        "histories, 1 for small ones)")
    add_report_options(p)
    p.set_defaults(func=run)


def _jobs(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return int(value)


def rev_args(args: argparse.Namespace) -> list[str]:
    out = list(args.revs)
    if args.branches:
        out.append("--branches")
    if args.since:
        out.append(f"--since={args.since}")
    return out


def run(args: argparse.Namespace) -> int:
    from scanner.engine.factory import build_engine
    from scanner.sources import history

    repo = Path(args.repo)
    cfg = load_config(args, repo.resolve())
    engine = build_engine(cfg)
    progress = args.progress or sys.stderr.isatty()
    if args.state is not None:
        report = _incremental(repo, engine, cfg, history.checked_rev_args(rev_args(args)), args.state, progress,
                              args.jobs)
    else:
        report = history.scan(repo, engine, cfg, rev_args(args), progress=progress, jobs=args.jobs)
    report.stats["rules"] = len(engine.rules)
    apply_baseline(args, cfg, report, repo.resolve())
    report.judge(fail_policy(cfg))
    emit(args, report)
    return exit_code(report)


def _incremental(repo: Path, engine, cfg, revs: list[str], path: Path, progress: bool, jobs: int | None):
    """``--state``: each finding marked new or known; findings gone since the last audit said."""
    from scanner import git, state
    from scanner.engine.text import printable
    from scanner.errors import UsageError

    try:
        outcome = state.audit(repo, engine, cfg, revs, path, progress=progress, jobs=jobs)
    except git.GitError as exc:
        raise UsageError(str(exc)) from None
    report = outcome.report
    report.findings = [f.annotated(history=outcome.status.get(f.fingerprint, "new")) for f in report.findings]
    counts = {kind: sum(1 for f in report.findings if outcome.status.get(f.fingerprint) == kind)
              for kind in ("new", "known")}
    report.stats.update(counts, gone=len(outcome.gone))
    sys.stderr.write(f"leakwarden: {outcome.note}; {counts['new']} new, {counts['known']} known, "
                     f"{len(outcome.gone)} gone\n")
    for entry in outcome.gone:
        place = entry["places"][0] if entry["places"] else {}
        sys.stderr.write(f"leakwarden: gone (no longer reachable from any ref): {entry['rule_id']} at "
                         f"{printable(str(place.get('path', '?')))}, introduced in "
                         f"{str(place.get('commit', ''))[:12]}\n")
    return report
