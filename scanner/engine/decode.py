"""Secrets wrapped in base64, string escapes or percent-encoding, with maps back to the original offsets."""
from __future__ import annotations

import base64
import binascii
import re

_B64_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([nrt\"'\\/]))")
_PERCENT = re.compile(rb"%([0-9a-fA-F]{2})")
_SIMPLE = {b"n": b"\n", b"r": b"\r", b"t": b"\t"}


def base64_runs(data: bytes, hits: list[int]) -> list[tuple[int, int]]:
    """The maximal base64 runs that contain the offsets ``hits``, each found once.

    A hit inside the run found last is skipped, so every byte is looked at once or twice
    however many hits there are: a line of ``QUFB`` repeated (a hit every 4 bytes) used to
    rescan its run for every hit, quadratic in the line's length."""
    runs: list[tuple[int, int]] = []
    covered = -1    # the end of the last run: the byte there is not base64
    n = len(data)
    for at in sorted(hits):
        if at < covered or not 0 <= at < n or data[at] not in _B64_CHARS:
            continue
        start = at
        while start > covered + 1 and data[start - 1] in _B64_CHARS:
            start -= 1
        end = at + 1
        while end < n and data[end] in _B64_CHARS:
            end += 1
        runs.append((start, end))
        covered = end
    return runs


def decode_base64(run: bytes) -> bytes | None:
    run = run.rstrip(b"=")
    if len(run) < 8:
        return None
    alt = b"-_" if (b"-" in run or b"_" in run) else b"+/"
    padded = run + b"=" * (-len(run) % 4)
    try:
        out = base64.b64decode(padded, altchars=alt, validate=True)
    except (binascii.Error, ValueError):
        return None
    return out


# Escapes that can hide part of a secret. A plain ``\n`` or ``\t`` in a code string can't,
# and checking every window that has one would double the regex work on source code.
_HIDING = re.compile(rb"\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[/\"'])")


def unescape(window: bytes) -> tuple[bytes, list[int]] | None:
    """JSON/YAML/C string escapes undone; ``offsets[i]`` is where output byte i came from."""
    if b"\\" not in window or not _HIDING.search(window):
        return None
    out = bytearray()
    offsets: list[int] = []
    pos = 0
    for m in _ESCAPE.finditer(window):
        out += window[pos:m.start()]
        offsets.extend(range(pos, m.start()))
        if m.group(1):
            ch = chr(int(m.group(1), 16)).encode("utf-8", "surrogatepass")
        elif m.group(2):
            ch = bytes([int(m.group(2), 16)])
        else:
            ch = _SIMPLE.get(m.group(3), m.group(3))
        out += ch
        offsets.extend([m.start()] * len(ch))
        pos = m.end()
    out += window[pos:]
    offsets.extend(range(pos, len(window)))
    return bytes(out), offsets


def unpercent(window: bytes) -> tuple[bytes, list[int]] | None:
    if not _PERCENT.search(window):
        return None
    out = bytearray()
    offsets: list[int] = []
    pos = 0
    for m in _PERCENT.finditer(window):
        out += window[pos:m.start()]
        offsets.extend(range(pos, m.start()))
        out.append(int(m.group(1), 16))
        offsets.append(m.start())
        pos = m.end()
    out += window[pos:]
    offsets.extend(range(pos, len(window)))
    return bytes(out), offsets
