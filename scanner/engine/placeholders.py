"""Values that look like a secret's slot rather than a secret.

The sequential-string, templated, dollar-prefixed and indirect-reference checks follow
detect-secrets' heuristic filters (``detect_secrets/filters/heuristic.py``). They are
re-implemented here because importing detect-secrets costs ~130 ms, more than the
whole budget of a commit hook.
"""
from __future__ import annotations

import re
import string

_SEQUENCES = (
    string.ascii_uppercase + string.ascii_uppercase,
    string.digits + string.ascii_uppercase + string.ascii_uppercase,
    string.hexdigits.upper() + string.hexdigits.upper(),
    string.ascii_uppercase + "=/",
    "1234567890" * 2,
    "qwertyuiopasdfghjklzxcvbnm",
)
_TEMPLATED = re.compile(
    r"""^(?:\$\{\{?.*\}\}?$|\{\{.*\}\}$|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$|%[A-Za-z_][A-Za-z0-9_]*%$|<[^<>]{1,80}>$|\[[^\[\]]{1,80}\]$|@[A-Za-z_]+@$|\(\(.*\)\)$|\$\([^)]*\)$|`[^`]*`$)"""
)
_ENV_REF = re.compile(
    r"""(?:os\.environ|os\.getenv|getenv|process\.env|ENV\[|System\.getenv|Environment\.GetEnvironmentVariable|secrets\.|vault:|env\()""",
    re.IGNORECASE,
)
_WORDS = re.compile(
    r"(?:x{4,}|\*{3,}|\.{3}|\u2026|example|sample|placeholder|changeme|change[_-]?me|your[_-]|my[_-]?(?:secret|token|key|pass)|"
    r"dummy|fake|redacted|replace[_-]?me|insert[_-]?|todo|fixme|^test$|^none$|^null$|^true$|^false$|"
    r"^password$|^secret$|^token$|lorem|ipsum|\bfoo\b|\bbar\b|notreal|not[_-]a[_-]real|0{8,}|1234567)",
    re.IGNORECASE,
)
# Names, paths and URLs are what keyword-anchored values most often turn out to be.
_IDENTIFIER = re.compile(r"^(?:[a-z]+(?:[_.-][a-z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]+)+|[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+|[A-Z]+(?:_[A-Z0-9]+)+)$")
_PATHLIKE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|(?:/|\./|~/)(?:[a-z0-9_.-]+/)*[a-z0-9_.-]+|[A-Za-z]:\\.*)$")
_INDIRECT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*(?:\(.*\)|\[.*\])$")


def is_sequential(value: str) -> bool:
    upper = value.upper()
    return len(upper) >= 6 and any(upper in seq for seq in _SEQUENCES)


def is_repeated(value: str) -> bool:
    """``aaaa…``, ``abab…``, or a value made mostly of one character."""
    if not value:
        return True
    for period in (1, 2, 3, 4):
        unit = value[:period]
        if len(value) >= 3 * period and (unit * (len(value) // period + 1))[: len(value)] == value:
            return True
    most = max(value.count(c) for c in set(value))
    return len(value) >= 8 and most / len(value) > 0.6


def structural_placeholder(value: str) -> bool:
    """Placeholders for any rule, prefixed tokens included (``ghp_xxxx…``, ``sk_live_****``)."""
    body = re.sub(r"^[A-Za-z0-9]{2,12}[_-](?:[A-Za-z0-9]{2,8}[_-])?", "", value)
    body = body or value
    if is_repeated(body) or is_sequential(body):
        return True
    return bool(re.search(r"x{6,}|X{6,}|\*{3,}|\.{3}|\u2026|0{10,}|(?:abcdef|123456){2}", body))


def generic_placeholder(value: str, line: str = "") -> bool:
    """Stricter checks for keyword-anchored rules, where the value has no format of its own."""
    stripped = value.strip("\"'` ")
    if structural_placeholder(stripped):
        return True
    if _TEMPLATED.match(stripped) or stripped.startswith(("$", "%", "{{", "<", "@")):
        return True
    if _WORDS.search(stripped):
        return True
    if _INDIRECT.match(stripped) and not stripped.isalnum():
        return True
    if _IDENTIFIER.match(stripped) or _PATHLIKE.match(stripped):
        return True
    if _ENV_REF.search(stripped):
        return True
    if not any(c.isalnum() for c in stripped):
        return True
    return False
