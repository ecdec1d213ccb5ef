"""The expressions file for ``git filter-repo --replace-text``: the one file that holds secrets.

Format (git-filter-repo(1)): one expression per line, ``literal==>replacement`` or
``regex:pattern==>replacement``. A multi-line secret (a private key) cannot be a one-line
literal, so it becomes a regex with ``\\r?\\n`` between its escaped lines.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

REPLACEMENT = "***REMOVED***"
_PREFIXES = ("literal:", "regex:", "glob:")


def expressions(secret: str, encodings: set[str]) -> list[str]:
    forms = []
    lines = secret.replace("\r\n", "\n").split("\n")
    if len(lines) > 1:
        forms.append("regex:" + r"\r?\n".join(re.escape(ln) for ln in lines))
        if "escaped" in encodings:   # written with literal \n sequences, as in JSON or .env values
            forms.append(_literal("\\n".join(lines)))
    else:
        forms.append(_literal(secret))
        if "percent" in encodings and quote(secret, safe="") != secret:
            forms.append(_literal(quote(secret, safe="")))
    return [f"{form}==>{REPLACEMENT}" for form in forms]


def _literal(text: str) -> str:
    if "==>" in text:
        return "regex:" + re.escape(text)
    return "literal:" + text if text.startswith(_PREFIXES) else text


def write(path: Path, leaks) -> int:
    """Write the expressions for every leak whose secret is known; 0600 from the first byte."""
    lines: list[str] = []
    for leak in leaks:
        # A whole credential file's "secret" is its key=value list, text that is in no blob:
        # the plan removes such files by path (--invert-paths) instead.
        if leak.secret and not leak.file_level:
            lines.extend(e for e in expressions(leak.secret, leak.encodings) if e not in lines)
    from scanner.writefile import write_file

    write_file(path, "".join(line + "\n" for line in lines).encode("utf-8"), private=True)
    return len(lines)
