"""``leakwarden rules list|show ID|check [FILE]``: rules as data, checked by their own examples."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scanner.commands._common import EXIT_CLEAN, EXIT_FINDINGS, add_config_options, load_config
from scanner.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="list, show and check rules")
    rs = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    ls = rs.add_parser("list", help="one line per active rule")
    add_config_options(ls)
    ls.set_defaults(func=run_list)
    show = rs.add_parser("show", help="everything about one rule")
    show.add_argument("rule_id", metavar="ID")
    add_config_options(show)
    show.set_defaults(func=run_show)
    check = rs.add_parser("check", help="run every example and negative example")
    check.add_argument("files", nargs="*", metavar="FILE",
                       help="rule packs to check (default: the built-in rules and the configured ones)")
    add_config_options(check)
    check.set_defaults(func=run_check)


def _rules(args: argparse.Namespace):
    from scanner.engine.factory import active_rules

    return active_rules(load_config(args, Path.cwd()))


def run_list(args: argparse.Namespace) -> int:
    for r in _rules(args):
        sys.stdout.write(f"{r.id:45} {r.severity:8} {r.confidence:6} {r.type}\n")
    return EXIT_CLEAN


def run_show(args: argparse.Namespace) -> int:
    rule = next((r for r in _rules(args) if r.id == args.rule_id), None)
    if rule is None:
        raise UsageError(f"no rule with id {args.rule_id!r} (see 'leakwarden rules list')")
    for key in ("id", "name", "type", "description", "severity", "confidence", "validator", "entropy",
                "keywords", "regex", "paths", "parser", "fields", "context", "remediation", "advice", "url",
                "aliases", "source"):
        value = getattr(rule, key)
        if value not in (None, "", []):
            sys.stdout.write(f"{key:12} {', '.join(value) if isinstance(value, list) else value}\n")
    sys.stdout.write(f"{'examples':12} {len(rule.examples)} positive, {len(rule.negative_examples)} negative\n")
    return EXIT_CLEAN


def run_check(args: argparse.Namespace) -> int:
    from scanner.engine.factory import active_rules
    from scanner.rules.check import check_rules
    from scanner.rules.model import check_unique, load_pack

    cfg = load_config(args, Path.cwd())
    base = active_rules(cfg)
    if args.files:
        targets = [r for f in args.files for r in load_pack(Path(f))]
        ids = {r.id for r in targets}
        # Check the user's rules alongside the built-in ones, as a real scan would run them.
        engine_rules = [r for r in base if r.id not in ids] + targets
        check_unique(engine_rules)
    else:
        targets, engine_rules = base, base
    report = check_rules(targets, engine_rules)
    for failure in report.failures:
        sys.stdout.write(f"FAIL {failure}\n")
    sys.stdout.write(f"{report.rules} rules, {report.examples} examples, {report.negatives} negative examples: "
                     f"{len(report.failures)} failure{'s' if len(report.failures) != 1 else ''}\n")
    return EXIT_FINDINGS if report.failures else EXIT_CLEAN
