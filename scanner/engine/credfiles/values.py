"""Line iteration, field selection and the "is this a real value?" test the parsers share."""
from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterator

from scanner.engine.entropy import shannon
from scanner.engine.placeholders import structural_placeholder

if TYPE_CHECKING:
    from scanner.engine.credfiles import Hit
    from scanner.rules.model import Rule

# Encrypted-at-rest forms: sops, dotenvx, ansible-vault inline, Rails/ERB and Helm templating.
_ENCRYPTED = re.compile(r"^(?:ENC\[[A-Z0-9_]+,data:|encrypted:|\$ANSIBLE_VAULT;|!vault\b|vault:)")
_TEMPLATE = re.compile(r"\$\{[^}]*\}|\{\{.*?\}\}|<%.*?%>|\$\(\s*[^)]*\)|%\([a-z_]+\)s|@[A-Za-z_]+@|^<[^<>]*>$"
                       r"|^\[[^\[\]]*\]$|^\$[A-Za-z_][A-Za-z0-9_]*$|^%[A-Za-z_][A-Za-z0-9_]*%$")
# In a credential file a value is the credential, weak or not; only what a template puts in
# the slot is not one.
_TEMPLATE_WORD = re.compile(
    r"^(?:pass(?:word|wd)?|pwd|changeme|change[_-]?me|change[_-]?it|changethis|placeholder|redacted|"
    r"replace[_-]?me|none|null|nil|todo|fixme|tbd|undefined|secret[_-]?here|password[_-]?here)$|"
    r"^(?:your|my|enter|insert|put)[_ -]?[a-z_ -]*(?:pass|password|secret|token|key)[a-z_ -]*$|example",
    re.IGNORECASE)
_WORDISH = re.compile(r"^[A-Za-z]+[0-9]{0,4}[!.?]?$|^[0-9]+$")


def lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset of the line, the line without its newline or CR)."""
    pos = 0
    for raw in data.split(b"\n"):
        yield pos, raw.rstrip(b"\r")
        pos += len(raw) + 1


def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
        return value[1:-1]
    return value


def encrypted(value: str) -> bool:
    return bool(_ENCRYPTED.match(value.strip()))


def live(value: str) -> bool:
    """A literal value that could be a real credential, weak ones included: not empty, not a
    template's slot (``password``, ``changeme``, ``<...>``, ``${VAR}``, ``{{ var }}``,
    ``<%= ENV[...] %>``), not masked (``****``), not encrypted."""
    value = unquote(value)
    if not value or encrypted(value) or _TEMPLATE.search(value) or _TEMPLATE_WORD.search(value):
        return False
    return not structural_placeholder(value)


def weak(value: str) -> bool:
    """A password someone chose rather than generated (``hunter22``, ``swordfish``, ``pass123``)."""
    return len(value) < 10 or (len(value) < 16 and bool(_WORDISH.match(value))) or shannon(value) < 3.0


def hit(start: int, end: int, field: str, value: str, plain: str | None = None, **details: object) -> Hit:
    """A value's hit; a weak one is reported, at medium confidence at most, and says so.
    ``plain`` is the password when the file holds it encoded (FileZilla's base64)."""
    from scanner.engine.credfiles import Hit

    if weak(value if plain is None else plain):
        return Hit(start, end, field, value, details={**details, "weak": True}, confidence="medium")
    return Hit(start, end, field, value, details=dict(details))


def _globs(fields: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(fnmatch.translate(f) for f in fields)) if fields else None


@lru_cache(maxsize=256)
def _field_test(fields: tuple[str, ...]) -> Callable[[str], bool]:
    lowered = [f.lower() for f in fields]
    exact = {f for f in lowered if not any(c in f for c in "*?[!")}
    take = _globs([f for f in lowered if f not in exact and not f.startswith("!")])
    skip = _globs([f[1:] for f in lowered if f.startswith("!")])

    def test(key: str) -> bool:
        key = key.lower()
        if skip is not None and skip.match(key):
            return False
        return key in exact or (take is not None and take.match(key) is not None)
    return test


def wanted(rule: Rule) -> Callable[[str], bool]:
    """Does a key name one of the rule's ``fields`` (case-insensitive, globs allowed; a field
    that starts with ``!`` excludes the keys it matches, e.g. ``!*_arn``)?"""
    return _field_test(tuple(rule.fields))


def span_of(data: bytes, value: str, start: int) -> tuple[int, int]:
    """Byte span of ``value`` in ``data`` at or after ``start`` (falls back to ``start``)."""
    raw = value.encode("utf-8", "surrogateescape")
    at = data.find(raw, start)
    return (at, at + len(raw)) if at != -1 else (start, start + 1)
