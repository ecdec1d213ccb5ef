"""``rules check``: every example must produce its secret, every negative example nothing."""
from __future__ import annotations

from typing import Any

from scanner.engine.core import Engine
from scanner.records import field, record
from scanner.rules.backtrack import catastrophic
from scanner.rules.model import Rule
from scanner.rules.templates import expand


@record
class CheckReport:
    rules: int = 0
    examples: int = 0
    negatives: int = 0
    failures: list[str] = field(default_factory=list)


def check_rules(rules: list[Rule], engine_rules: list[Rule] | None = None) -> CheckReport:
    """Check ``rules`` with an engine over ``engine_rules`` (default: the same rules), so an
    example is judged with placeholders, entropy and validators exactly as in a real scan; and
    that no rule's regex backtracks catastrophically on the probe strings."""
    engine = Engine(engine_rules or rules, min_confidence="medium")
    # A low-confidence rule's examples are judged at its own confidence: at the default
    # (medium) its findings are not reported, and its negative examples would prove nothing.
    low = Engine(engine_rules or rules, min_confidence="low") if any(r.confidence == "low" for r in rules) else engine
    report = CheckReport(rules=len(rules))
    known = {r.id for r in engine_rules or rules}
    for rule in rules:
        slow = catastrophic(rule.compiled, rule.keywords)
        if slow:
            report.failures.append(f"{rule.id}: regex {slow}")
        report.failures.extend(_check_pair(rule, known))
        for n, ex in enumerate(rule.examples, 1):
            report.examples += 1
            try:
                secret = expand(ex["secret"], f"{rule.id}/example/{n}") if "secret" in ex else None
                text = expand(ex["text"], f"{rule.id}/example/{n}/text", secret)
            except ValueError as exc:
                report.failures.append(f"{rule.id}: example {n}: {exc}")
                continue
            found = _found(low if rule.confidence == "low" else engine, rule.id, text, ex.get("path", "<example>"))
            # A file rule's example may leave out the secret: a file-level finding describes the file.
            if not any(secret is None or f.secret == secret for f in found):
                got = ", ".join(f.redacted for f in found) or "no finding"
                report.failures.append(f"{rule.id}: example {n} did not yield its secret ({got})")
        for n, neg in enumerate(rule.negative_examples, 1):
            report.negatives += 1
            path, raw = (neg["path"], neg["text"]) if isinstance(neg, dict) else ("<example>", neg)
            try:
                text = expand(raw, f"{rule.id}/negative/{n}")
            except ValueError as exc:
                report.failures.append(f"{rule.id}: negative example {n}: {exc}")
                continue
            found = _found(low if rule.confidence == "low" else engine, rule.id, text, path)
            if found:
                report.failures.append(f"{rule.id}: negative example {n} matched ({found[0].redacted})")
    return report


def _check_pair(rule: Rule, known: set[str]) -> list[str]:
    """A pair names a rule that exists, and its regexes (run on the lines around a secret by
    ``remediate``) do not backtrack."""
    import regex

    out = []
    if rule.pair.get("rule") and rule.pair["rule"] not in known:
        out.append(f"{rule.id}: pair names rule {rule.pair['rule']!r}, which does not exist")
    for key in ("regex", "line"):
        if rule.pair.get(key):
            slow = catastrophic(regex.compile(rule.pair[key]), [])
            if slow:
                out.append(f"{rule.id}: pair.{key} {slow}")
    return out


def _found(engine: Engine, rule_id: str, text: str, path: str) -> list[Any]:
    # File rules go by the example's path; {{raw:..}} bytes come back through surrogateescape.
    # A file rule's field finding gives way to a specific content finding of the same value
    # (the key in id_rsa), which then names the file rule as its file_kind.
    data = text.encode("utf-8", "surrogateescape")
    return [f for f in engine.scan(data, path).findings if rule_id in (f.rule_id, f.details.get("file_kind"))]
