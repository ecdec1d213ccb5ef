"""Catch a regex that backtracks catastrophically before it meets real input.

The ``regex`` module's timeout is checked between match attempts, not inside one: a pattern
like ``(a|aa)*c`` runs for minutes on forty ``a``s whatever the timeout says. So user rules and
allow regexes are tried on probe strings of growing length (the rule's keywords followed by
runs of one character, with no way to match); any probe that takes more than ``LIMIT``
seconds, where a sound pattern takes microseconds, rejects the pattern before a scan can stall.
"""
from __future__ import annotations

import time
from typing import Any

LIMIT = 0.05   # CPU seconds (of this thread: a loaded machine does not make a pattern slow)
_FILLERS = ("a", "0", " ", "=", "_", "-", ".", "/", "\\", '"', "'", "\n", "a ", "a=", "0a")
# Short lengths step by two (an exponential pattern is caught at a few times LIMIT); 512 finds
# a cubic or worse blow-up. A quadratic one on a few KB is bounded by the engine's windows.
_LENGTHS = (*range(8, 34, 2), 64, 512)


def probes(keywords: list[str], pattern: str = "") -> list[str]:
    """Keyword, then a run of one filler, then a byte no pattern expects. The fillers include
    the letters and digits the pattern itself names (``(x|xx)+`` needs a run of ``x``)."""
    own = sorted({c for c in pattern if c.isascii() and c.isalnum()} - set("".join(_FILLERS)))[:12]
    out = []
    for kw in keywords[:2] or [""]:
        for filler in (*_FILLERS, *own):
            for n in _LENGTHS:
                out.append(kw + filler * n + "\x01")
    return out


def _cost(compiled: Any, text: str | bytes) -> float:
    t0 = time.thread_time()
    try:
        compiled.search(text, timeout=4 * LIMIT)
    except TimeoutError:
        pass
    return time.thread_time() - t0


def catastrophic(compiled: Any, keywords: list[str]) -> str | None:
    """A description of the probe that took too long, or None when every probe was quick.
    ``compiled`` is a ``regex`` pattern over str or over bytes."""
    as_bytes = isinstance(compiled.pattern, bytes)
    source = compiled.pattern.decode("utf-8", "replace") if as_bytes else compiled.pattern
    for probe in probes(keywords, source):
        text = probe.encode("utf-8") if as_bytes else probe
        # Twice over the limit, so one unlucky measurement does not reject a sound pattern.
        if _cost(compiled, text) > LIMIT and (spent := _cost(compiled, text)) > LIMIT:
            shown = probe[:24].encode("unicode_escape").decode("ascii")
            return (f"backtracks catastrophically: {spent:.2f} s on a {len(probe)}-character probe "
                    f"starting {shown!r}")
    return None
