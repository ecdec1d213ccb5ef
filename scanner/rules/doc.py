"""Write docs/rules.md from the rule packs, so the list of rules can't drift from them.

    python -m scanner.rules.doc            # rewrite docs/rules.md
    python -m scanner.rules.doc --check    # exit 1 if docs/rules.md is out of date

The provider of a rule is the section heading it sits under in its pack (``# ------ GitLab``)
when the rule's name starts with that heading's first word; otherwise (a heading that groups
several providers, or no heading at all) it is the rule's name.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from scanner.rules.model import Rule, builtin_files, load_pack
from scanner.rules.templates import expand

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "rules.md"
_HEADING = re.compile(r"^# -{8,} (?P<name>.+?)\s*$|^id = \"(?P<id>[^\"]+)\"", re.MULTILINE)
_VALIDATED = {
    "github-classic": "CRC-32 checksum", "github-fine-grained": "SHA-256 checksum",
    "github-stateless": "JWT structure", "jwt": "JWT structure", "private-key": "key body structure",
    "basic-auth": "decodes to user:password",
}


def providers(text: str) -> dict[str, str]:
    """Rule id -> the section heading above it in the pack's text."""
    out, current = {}, ""
    for m in _HEADING.finditer(text):
        if m.group("name"):
            current = m.group("name")
        elif current:
            out[m.group("id")] = current
    return out


def provider(rule: Rule, heading: str) -> str:
    first = heading.split()[0].lower() if heading else ""
    return heading if first and rule.name.lower().startswith(first) else rule.name


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _listed(items: list[str]) -> str:
    return ", ".join(f"`{_cell(i)}`" for i in items[:4]) + (", ..." if len(items) > 4 else "")


def checks(rule: Rule) -> str:
    """What a match rests on: a checksum or structure, a fixed prefix, a name near the value, or
    (for credential-file rules) the file's name and the parser that reads it."""
    if rule.by_path:
        return f"file name {_listed(rule.paths)}; parser `{rule.parser}`"
    parts = []
    if rule.validator:
        parts.append(_VALIDATED.get(rule.validator, f"validator {rule.validator}"))
    secret = expand(rule.examples[0].get("secret", ""), f"{rule.id}/doc") if rule.examples else ""
    prefix = max((k for k in rule.keywords if secret.startswith(k)), key=len, default="")
    if prefix:
        parts.append(f"prefix `{prefix}`")
    else:
        parts.append(f"keyword {_listed(rule.keywords)}")
    if rule.sections:
        parts.append(f"or under section {_listed(rule.sections)}")
    if rule.entropy is not None:
        parts.append(f"entropy >= {rule.entropy:g}")
    return "; ".join(parts)


def render(files: list[Path] | None = None) -> str:
    files = builtin_files() if files is None else files
    packs = [(path, load_pack(path), providers(path.read_text(encoding="utf-8"))) for path in files]
    every = [rule for _path, rules, _prov in packs for rule in rules]
    conf = Counter(rule.confidence for rule in every)
    lines = [
        "# Rules",
        "",
        "Generated from `patterns/*.toml` by `python -m scanner.rules.doc`; do not edit by hand",
        "(`tests/test_rules_doc.py` fails when this file is out of date).",
        "",
        f"{len(every)} rules: {conf['high']} high, {conf['medium']} medium and {conf['low']} low confidence.",
        "*Checks* says what a match rests on: a checksum or structure that a validator verifies, a",
        "fixed prefix, a keyword (usually the provider's variable name) next to the value, or, for",
        "credential files, the file's name and the parser that reads it; *or under section* names the",
        "sections (`[twilio]`, `twilio:`, `\"twilio\": {`) under which a value found by a generic rule is",
        "judged by this rule (`sections` in patterns/README.md).",
        "A rule that random high-entropy text could satisfy (no prefix, checksum or fixed structure)",
        "is never high confidence.",
    ]
    for path, rules, prov in packs:
        lines += ["", f"## {path.name} ({len(rules)})", "",
                  "| id | provider | confidence | severity | checks |", "|---|---|---|---|---|"]
        for rule in rules:
            lines.append(f"| `{rule.id}` | {_cell(provider(rule, prov.get(rule.id, '')))} | {rule.confidence} | "
                         f"{rule.severity} | {checks(rule)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scanner.rules.doc", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/rules.md is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is out of date: run python -m scanner.rules.doc", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
