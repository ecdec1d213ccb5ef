"""Line iteration and the "is this a live value?" test every credential-file detector shares."""
from __future__ import annotations

import re
from typing import Iterator

from scanner.engine.placeholders import generic_placeholder

# Encrypted-at-rest forms: sops, dotenvx, ansible-vault inline, Rails/ERB and Helm templating.
_ENCRYPTED = re.compile(r"^(?:ENC\[[A-Z0-9_]+,data:|encrypted:|\$ANSIBLE_VAULT;|!vault\b|vault:)")
_TEMPLATE = re.compile(r"\$\{[^}]*\}|\{\{.*?\}\}|<%.*?%>|\$\(\s*[^)]*\)")


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
    """A literal value that could be a real credential: not empty, not a placeholder, not
    templated (``${VAR}``, ``{{ var }}``, ``<%= ENV[...] %>``), not encrypted."""
    value = unquote(value)
    if not value or encrypted(value) or _TEMPLATE.search(value):
        return False
    return not generic_placeholder(value)


def span_of(data: bytes, value: str, start: int) -> tuple[int, int]:
    """Byte span of ``value`` in ``data`` at or after ``start`` (falls back to ``start``)."""
    raw = value.encode("utf-8", "surrogateescape")
    at = data.find(raw, start)
    return (at, at + len(raw)) if at != -1 else (start, start + 1)
