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


# A name and its value given as two fields, which a rule written for ``NAME = value`` does not
# read: Kubernetes and compose env lists (``- name: DD_APP_KEY`` then ``value: ...`` on the next
# line), ECS task definitions and CloudFormation parameters (``{"name": "DD_APP_KEY", "value":
# ...}``). Read as the one assignment they mean; the value's line is read to its end.
_PAIR_NAME = re.compile(rb"""(?:^|[\s{,\[-])["']?(?:name|Name|key|Key|ParameterKey)["']?[ \t]{0,3}[:=][ \t]{0,3}"""
                        rb"""(?P<q>["']?)(?P<name>[A-Za-z_][\w.-]{0,100})(?P=q)[ \t]{0,3}""")
_PAIR_VALUE = re.compile(rb"""[ \t]{0,40}(?:-[ \t]{1,3})?["']?(?:value|Value|ParameterValue)["']?[ \t]{0,3}[:=][ \t]{0,3}""")
_PAIR_LINE = 4096   # how much of the value's line is read


def name_value(data: bytes, ws: int, we: int) -> tuple[bytes, list[int]] | None:
    """The window ``data[ws:we]`` (a keyword's line) read as ``NAME: value`` when it names a
    field whose value follows on the same line or the next, or when it is that value's line
    and the name ends the line before; offsets are into ``data``. Only the window's first line
    is read as the keyword's: a window that ends in an opening also holds the line after it."""
    nl = data.find(b"\n", ws, we)
    if nl != -1:
        we = nl
    window = data[ws:we]
    value = _PAIR_VALUE.match(data, ws, we)
    if value is not None and ws > 0 and data[ws - 1:ws] == b"\n":
        before = data.rfind(b"\n", max(0, ws - 1 - _PAIR_LINE), ws - 1) + 1
        name = _last_name(data, before, ws - 1)
        return None if name is None else _joined(data, name, value.end(), we)
    if b"ame" not in window and b"ey" not in window:   # name, Name, key, Key, ParameterKey
        return None
    for m in _PAIR_NAME.finditer(window):
        rest = m.end()
        if window[rest:rest + 1] == b",":
            rest += 1
        value = _PAIR_VALUE.match(window, rest)
        if value is not None:                   # {"name": "X", "value": "..."}
            return _joined(data, (ws + m.start("name"), ws + m.end("name")), ws + value.end(), we)
        if data[we:we + 1] == b"\n" and not window[rest:].strip(b" \t\r,"):
            # The name ends its line; the value may be on the next.
            nl = data.find(b"\n", we + 1, we + 1 + _PAIR_LINE)
            end = nl if nl != -1 else min(len(data), we + 1 + _PAIR_LINE)
            value = _PAIR_VALUE.match(data, we + 1, end)
            if value is not None:
                return _joined(data, (ws + m.start("name"), ws + m.end("name")), value.end(), end)
    return None


def _last_name(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """Where the name is, on the line ``data[start:end]``, when a name field ends that line."""
    for m in _PAIR_NAME.finditer(data, start, end):
        if not data[m.end():end].strip(b" \t\r,"):
            return m.start("name"), m.end("name")
    return None


def _joined(data: bytes, name: tuple[int, int], start: int, end: int) -> tuple[bytes, list[int]]:
    """``NAME: value`` from the name's bytes and the value's, each byte mapped to its offset."""
    text = data[name[0]:name[1]] + b": " + data[start:end]
    return text, [*range(*name), start, start, *range(start, end)]
