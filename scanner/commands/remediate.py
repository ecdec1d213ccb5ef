"""``leakwarden remediate [REPORT.json | --history]``: an ordered plan per leaked secret."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from scanner.commands._common import STARTED, EXIT_CLEAN, add_config_options, load_config, output, summarize, warn


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("remediate", help="plan what to do about leaked secrets: rotate, replace, revoke, rewrite",
                       description="Build a remediation plan from a JSON report (scan or history, --format json) "
                                   "or from a scan of the whole history (--history). See docs/remediation.md.")
    p.add_argument("report", nargs="?", metavar="REPORT.json", help="a leakwarden JSON report, or - for stdin")
    p.add_argument("--history", action="store_true", help="scan the whole history of --repo instead of a report")
    p.add_argument("--repo", default=".", metavar="DIR", help="repository for --history (default: .)")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown", help="default: markdown")
    p.add_argument("--output", "-o", metavar="FILE", help="write the plan to FILE instead of stdout")
    p.add_argument("--filter-repo-file", metavar="PATH",
                   help="also write a 'git filter-repo --replace-text' expressions file; it HOLDS THE SECRETS "
                        "(mode 0600). Needs --history or a report made with --show-secrets")
    add_config_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scanner.engine.factory import active_rules, build_engine
    from scanner.errors import UsageError
    from scanner.remediation import filter_repo, pairs, plan, render

    if bool(args.report) == bool(args.history):
        raise UsageError("give either a JSON report or --history")
    start = Path(args.repo).resolve() if args.history else Path.cwd()
    cfg = load_config(args, start)
    if args.history:
        from scanner.sources import history

        report = history.scan(start, build_engine(cfg), cfg)
        for where, why in report.errors:
            warn(f"{where}: {why}")
        _fill_refs(report.findings, start)
        leaks = plan.from_findings(report.findings)
    else:
        text = _read_report(args.report)
        leaks = plan.from_report(_parse_report(args.report, text))
    expressions_file = None
    if args.filter_repo_file:
        if not any(lk.secret for lk in leaks):
            raise UsageError("--filter-repo-file needs the secrets: use --history, or a report made with "
                             "--show-secrets" if leaks else "--filter-repo-file: no secrets to remove")
        missing = sum(1 for lk in leaks if not lk.secret)
        count = filter_repo.write(Path(args.filter_repo_file), leaks)
        expressions_file = args.filter_repo_file
        warn(f"{args.filter_repo_file} holds {count} secret expression(s) in clear text (mode 0600): "
             "use it, then delete it; never commit it")
        if missing:
            warn(f"{missing} secret(s) in the report have no value and are not in the expressions file")
    # The id next to a secret (pairs.py) is read from the history's blobs, or from the files a
    # report names, relative to here.
    with pairs.reader(start, start) as lines_at:
        doc = plan.build(leaks, {r.id: r for r in active_rules(cfg)}, expressions_file, lines_at)
    with output(args) as out:
        if args.format == "json":
            json.dump(doc, out, indent=2, ensure_ascii=True)
            out.write("\n")
        else:
            render.markdown(doc, out)
    if args.history:
        summarize(report)
    else:   # nothing scanned: what was read, and what the plan holds
        n = doc["summary"]["secrets"]
        warn(f"read {args.report} ({len(text.encode('utf-8', 'surrogateescape')) / 1e6:.1f} MB) in "
             f"{time.monotonic() - STARTED:.2f} s: {n} secret{'' if n == 1 else 's'} in the plan")
    return EXIT_CLEAN


def _fill_refs(findings, repo: Path) -> None:
    """The ref column: which refs still reach each place, i.e. what the rewrite must cover."""
    from scanner import git

    commits = sorted({str(o["commit"]) for f in findings for o in f.occurrences if o.get("commit")})
    refs = git.refs_containing(commits, repo)
    for f in findings:
        for occ in f.occurrences:
            if occ.get("commit") and not occ.get("ref"):
                occ["ref"] = " ".join(refs.get(str(occ["commit"]), []))


def _read_report(name: str) -> str:
    from scanner.errors import UsageError

    try:
        return sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{name}: cannot read the report: {exc}") from None


def _parse_report(name: str, text: str):
    from scanner.errors import UsageError

    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{name}: not JSON ({exc}); make the report with --format json") from None
