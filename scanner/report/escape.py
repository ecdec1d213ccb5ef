"""Names from git and the file system may not be valid UTF-8: they reach us as str with lone
surrogates (``surrogateescape``), which no JSON or SARIF consumer accepts. Reports write each
such byte as the four characters ``\\xNN`` instead (docs/json-schema.md), and SARIF URIs
percent-encode the original bytes."""
from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

_SURROGATE = re.compile("[\udc80-\udcff]")
# Left unescaped in a URI path: RFC 3986 unreserved characters and the path separator.
_URI_SAFE = "/-._~"


def text(value: str) -> str:
    """``value`` with every byte that was not valid UTF-8 written as ``\\xNN``."""
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", value)


def escaped(value: str) -> bool:
    return _SURROGATE.search(value) is not None


def deep(value: Any) -> Any:
    """Every string in a JSON-shaped value, escaped."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {text(k) if isinstance(k, str) else k: deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [deep(v) for v in value]
    return value


def uri(path: str) -> str:
    """A relative path as an RFC 3986 URI reference: the original bytes, percent-encoded."""
    if os.sep == "\\":
        path = path.replace("\\", "/")
    raw = path.encode("utf-8", "surrogateescape")
    return quote(raw, safe=_URI_SAFE)
