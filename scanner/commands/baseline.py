"""``leakwarden baseline create|update|audit|prune|import``: known secrets that no longer fail a run."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from typing import TYPE_CHECKING

from scanner.commands._common import EXIT_CLEAN, add_baseline_option, add_config_options, load_config, summarize

if TYPE_CHECKING:
    from scanner.report import Report

_EPILOG = "The baseline holds fingerprints (keyed hashes), never secrets. See docs/baseline.md."


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("baseline", help="record known secrets so they no longer fail a run", epilog=_EPILOG,
                       description="Create, update, audit, prune or import a baseline (.leakwarden-baseline.json).")
    bs = p.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    for name, helptext in (("create", "write a new baseline from the secrets found now"),
                           ("update", "add newly found secrets; keep existing statuses and notes")):
        c = bs.add_parser(name, help=helptext, description=helptext, epilog=_EPILOG)
        _scan_options(c)
        if name == "create":
            c.add_argument("--force", action="store_true", help="overwrite an existing baseline")
        c.set_defaults(func=run_create if name == "create" else run_update)
    a = bs.add_parser("audit", help="mark entries as true positive, false positive or used in tests",
                      description="Interactive on a terminal; otherwise use --mark, --all-unaudited or --list.")
    a.add_argument("--mark", action="append", default=[], metavar="PREFIX=STATUS",
                   help="set the status of the entry whose fingerprint starts with PREFIX "
                        "(true-positive, false-positive, used-in-tests, unaudited); repeatable")
    a.add_argument("--all-unaudited", metavar="STATUS", help="set the status of every unaudited entry")
    a.add_argument("--note", help="note to store with the entries marked by this command")
    a.add_argument("--list", action="store_true", help="list the entries and their status")
    a.add_argument("--all", action="store_true", help="interactive: revisit entries already audited too")
    add_config_options(a)
    add_baseline_option(a)
    a.set_defaults(func=run_audit)
    pr = bs.add_parser("prune", help="remove entries whose secret is no longer found",
                       description="Re-scan PATHs (default: the baseline's folder), or the history with "
                                   "--from-history, and drop entries whose secret is gone.")
    _scan_options(pr, default_paths=[])
    pr.add_argument("--dry-run", action="store_true", help="say what would be removed, change nothing")
    pr.set_defaults(func=run_prune)
    im = bs.add_parser("import", help="import a detect-secrets baseline, a gitleaks report or .gitleaksignore",
                       description="Each entry is resolved to a secret by scanning the recorded place; "
                                   "entries that cannot be resolved are listed.")
    im.add_argument("file", metavar="FILE")
    im.add_argument("--format", dest="import_format", choices=("detect-secrets", "gitleaks-json", "gitleaksignore"),
                    help="format of FILE (default: detected)")
    im.add_argument("--repo", default=".", metavar="DIR",
                    help="repository the entries refer to (default: the current directory)")
    add_config_options(im)
    add_baseline_option(im)
    im.set_defaults(func=run_import)


def _scan_options(p: argparse.ArgumentParser, default_paths: list[str] | None = None) -> None:
    p.add_argument("paths", nargs="*", default=["."] if default_paths is None else default_paths, metavar="PATH",
                   help="files or directories to scan; with --from-history, the repository")
    p.add_argument("--from-history", action="store_true", help="scan the whole git history instead of files")
    p.add_argument("--no-ignore", action="store_true", help="scan files that .gitignore excludes too")
    add_config_options(p)
    add_baseline_option(p)


def _say(text: str) -> None:
    from scanner.engine.text import printable

    sys.stdout.write(printable(text) + "\n")


def _where(entry: dict) -> str:
    loc = entry.get("location", {})
    where = f"{loc.get('path', '?')}:{loc.get('line', '?')}"
    return f"{loc['commit'][:12]}:{where}" if loc.get("commit") else where


def _describe(entry: dict) -> str:
    return (f"{entry['fingerprint'][:12]}  {entry.get('status', 'unaudited'):14} {entry.get('redacted', '')}  "
            f"{entry.get('rule_id', '?')}  {_where(entry)}")


def _setup(args: argparse.Namespace, start: Path, min_confidence: str | None = None):
    from scanner.engine.factory import build_engine
    from scanner.policy import baseline

    cfg = load_config(args, start)
    path, _ = baseline.default_path(args.baseline, cfg, start)
    return cfg, path, (lambda: build_engine(cfg, min_confidence=min_confidence))


def _start(paths: list[str]) -> Path:
    first = next((p for p in paths if p != "-"), ".")
    return Path(first).resolve() if Path(first).exists() else Path.cwd()


def _findings(args: argparse.Namespace, cfg, engine, paths: list[str]) -> tuple[Report, set[str]]:
    """The scan now (its findings, and the stats for the run's summary), and the paths that could
    not be scanned (their entries must not be pruned)."""
    from scanner.commands._common import warn
    from scanner.sources import history
    from scanner.sources import paths as path_source

    if args.from_history:
        report = history.scan(Path(paths[0] if paths else "."), engine, cfg)
    else:
        report = path_source.scan(engine, cfg, paths, use_gitignore=not args.no_ignore)
    for p, why in report.errors:
        warn(f"{p}: {why}")
    # A tracked file deleted from the work tree is reported as unreadable; its secrets are gone.
    return report, {p for p, _ in report.skipped + report.errors if os.path.lexists(p)}


def _summarize(report: Report, bl) -> None:
    """The run's summary line: what the scan read and found, the secrets now in the baseline
    counted as 'in baseline' (as a scan with this baseline would)."""
    kept = [f for f in report.findings if f not in bl]
    report.stats["baselined"] = len(report.findings) - len(kept)
    report.findings = kept
    summarize(report)


def run_create(args: argparse.Namespace) -> int:
    from scanner.policy import baseline

    cfg, path, engine = _setup(args, _start(args.paths))
    if path.exists() and not args.force:
        from scanner.errors import UsageError
        raise UsageError(f"{path} exists; use 'leakwarden baseline update' to add to it, or --force")
    report, _ = _findings(args, cfg, engine(), args.paths)
    bl = baseline.Baseline(path)
    bl.add(report.findings, source="history" if args.from_history else "scan")
    bl.save()
    _say(f"wrote {path}: {len(bl.entries)} secret{'s' if len(bl.entries) != 1 else ''} (fingerprints only)")
    _summarize(report, bl)
    return EXIT_CLEAN


def run_update(args: argparse.Namespace) -> int:
    from scanner.policy import baseline

    cfg, path, engine = _setup(args, _start(args.paths))
    bl = baseline.load(path) if path.exists() else baseline.Baseline(path)
    report, _ = _findings(args, cfg, engine(), args.paths)
    added = bl.add(report.findings, source="history" if args.from_history else "scan")
    bl.save()
    for entry in added:
        _say(f"added   {_describe(entry)}")
    _say(f"updated {path}: {len(added)} new, {len(bl.entries) - len(added)} kept")
    _summarize(report, bl)
    return EXIT_CLEAN


def run_audit(args: argparse.Namespace) -> int:
    from scanner.errors import UsageError
    from scanner.policy import baseline

    _, path, _ = _setup(args, Path.cwd())
    bl = baseline.load(path)
    if args.list:
        for entry in bl.entries.values():
            _say(_describe(entry) + (f"  note: {entry['note']}" if entry.get("note") else ""))
        return EXIT_CLEAN
    if not args.mark and not args.all_unaudited:
        if not sys.stdin.isatty():
            raise UsageError("not a terminal: use --mark PREFIX=STATUS, --all-unaudited STATUS or --list")
        return _interactive(bl, args.all)
    changes = []
    for item in args.mark:
        prefix, sep, status = item.partition("=")
        if not sep:
            raise UsageError(f"--mark {item!r}: expected FINGERPRINT_PREFIX=STATUS")
        changes.append((bl.lookup(prefix), baseline.parse_status(status)))
    if args.all_unaudited:
        status = baseline.parse_status(args.all_unaudited)
        changes.extend((e, status) for e in bl.entries.values() if e.get("status") == "unaudited")
    for entry, status in changes:
        entry["status"] = status
        if args.note is not None:
            entry["note"] = args.note
        _say(f"marked  {_describe(entry)}")
    bl.save()
    _say(f"{len(changes)} entr{'y' if len(changes) == 1 else 'ies'} marked in {path}")
    return EXIT_CLEAN


_CHOICES = {"t": "true-positive", "f": "false-positive", "u": "used-in-tests"}


def _interactive(bl, revisit: bool) -> int:
    todo = [e for e in bl.entries.values() if revisit or e.get("status") == "unaudited"]
    if not todo:
        _say("nothing to audit: every entry has a status (use --all to revisit them)")
        return EXIT_CLEAN
    for n, entry in enumerate(todo, 1):
        sys.stdout.write("\n")   # a blank line between entries (printable would escape it)
        _say(f"[{n}/{len(todo)}] {entry.get('type', entry.get('rule_id', '?'))}")
        _say(f"    secret:   {entry.get('redacted', '')}")
        _say(f"    rule:     {entry.get('rule_id', '?')}")
        _say(f"    location: {_where(entry)}")
        _say(f"    status:   {entry.get('status')}" + (f" ({entry['note']})" if entry.get("note") else ""))
        while True:
            sys.stdout.write("[t]rue positive, [f]alse positive, [u]sed in tests, [s]kip, [q]uit? ")
            sys.stdout.flush()
            answer = sys.stdin.readline()
            if not answer:          # end of input: stop, keeping what was decided
                answer = "q"
            answer = answer.strip().lower()[:1]
            if answer in ("t", "f", "u", "s", "q"):
                break
        if answer == "q":
            break
        if answer == "s":
            continue
        entry["status"] = _CHOICES[answer]
        sys.stdout.write("note (Enter for none): ")
        sys.stdout.flush()
        note = sys.stdin.readline().strip()
        if note:
            entry["note"] = note
        bl.save()   # after every answer, so quitting or an interrupt loses nothing
    _say(f"saved {bl.path}")
    return EXIT_CLEAN


def run_prune(args: argparse.Namespace) -> int:
    from scanner.policy import baseline

    cfg, path, engine = _setup(args, _start(args.paths), min_confidence="low")
    bl = baseline.load(path)
    paths = args.paths or [str(path.parent)]
    # Any confidence: a secret still present must keep its entry even if it is reported only at 'low'.
    report, unscanned = _findings(args, cfg, engine(), paths)
    present = {f.fingerprint for f in report.findings}
    unscanned_rel = {baseline.relative_path(p, path.parent) for p in unscanned}
    gone, kept_history = [], 0
    for fp, entry in list(bl.entries.items()):
        if fp in present:
            continue
        if entry.get("source") == "history" and not args.from_history:
            kept_history += 1
            continue
        if entry.get("location", {}).get("path") in unscanned_rel:
            continue
        gone.append(entry)
    verb = "would remove" if args.dry_run else "removed"
    for entry in gone:
        _say(f"{verb} {_describe(entry)}")
        if not args.dry_run:
            del bl.entries[entry["fingerprint"]]
    if kept_history:
        _say(f"kept {kept_history} entr{'y' if kept_history == 1 else 'ies'} found in history; "
             "prune them with --from-history")
    if not args.dry_run and gone:
        bl.save()
    left = len(bl.entries) - (len(gone) if args.dry_run else 0)
    _say(f"{len(gone)} entr{'y' if len(gone) == 1 else 'ies'} {verb}, {left} left")
    _summarize(report, bl)
    return EXIT_CLEAN


def run_import(args: argparse.Namespace) -> int:
    from scanner.errors import UsageError
    from scanner.policy import baseline, baseline_import

    repo = Path(args.repo).resolve()
    if not repo.is_dir():
        raise UsageError(f"--repo {args.repo}: not a directory")
    cfg, path, engine = _setup(args, repo, min_confidence="low")
    bl = baseline.load(path) if path.exists() else baseline.Baseline(path)
    result = baseline_import.import_file(Path(args.file), args.import_format, repo, engine())
    added = 0
    for m in result.mapped:
        for entry in bl.add([m.finding], source="import"):
            entry["status"], entry["note"] = m.status, m.note
            added += 1
            _say(f"imported {_describe(entry)}")
    bl.save()
    for why in result.unmapped:
        _say(f"not mapped: {why}")
    _say(f"{path}: {added} new entr{'y' if added == 1 else 'ies'} from {len(result.mapped)} mapped, "
         f"{len(result.unmapped)} not mapped")
    return EXIT_CLEAN
