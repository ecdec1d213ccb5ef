"""Turn raw bytes into the UTF-8 bytes the engine scans, and map offsets back to lines and columns."""
from __future__ import annotations

import codecs

from scanner.records import record

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BOM_STARTS = frozenset(bom[:1] for bom, _ in _BOMS)
BINARY_SNIFF = 8192


@record
class Prepared:
    data: bytes        # UTF-8 (or raw, if it was not valid UTF-8) bytes to scan
    binary: bool


def prepare(raw: bytes) -> Prepared:
    """Decode by BOM; anything else is scanned as UTF-8 bytes, invalid sequences included.

    Scanning bytes rather than ``str`` keeps hyperscan and the regexes on one buffer, and
    every token format is ASCII, so an invalid byte elsewhere cannot hide a match.
    """
    if raw[:1] not in _BOM_STARTS:   # nearly every input: skip the five comparisons
        return Prepared(raw, is_binary(raw))
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            if enc == "utf-8":
                return Prepared(raw[len(bom):], False)
            text = raw[len(bom):].decode(enc, "replace")
            return Prepared(text.encode("utf-8", "surrogatepass"), False)
    return Prepared(raw, is_binary(raw))


def is_binary(raw: bytes) -> bool:
    return raw.find(b"\0", 0, BINARY_SNIFF) != -1


_CONTINUATION = bytes(range(0x80, 0xC0))


def utf8_chars(data: bytes) -> int:
    """Characters in UTF-8 bytes: every byte but the continuation bytes (one C pass, and
    additive, so a count can resume where the last one stopped)."""
    return len(data.translate(None, _CONTINUATION))


class LineIndex:
    """Offset -> (line, column), 1-based; columns count characters, not bytes.

    Most buffers have no finding, and those that do have a few: counting newlines up to each
    asked offset (in C, resuming from the previous answer) is cheaper than indexing every line.
    Offsets are asked in order, so the line around the last one and its column are kept: many
    findings on one long (minified) line cost one pass over it, not one each."""

    def __init__(self, data: bytes, first_line: int = 1, first_column: int = 1) -> None:
        self._data = data
        self._first = first_line
        self._first_column = first_column   # the column of data[0]: a chunk may begin mid-line
        self._at, self._line = 0, first_line   # the last offset asked, and its line
        self._bounds = (0, -1)                 # the last line's (start, end)
        self._col_at, self._col = 0, first_column   # an offset on that line, and its column

    def position(self, offset: int) -> tuple[int, int]:
        if offset < self._at:
            self._at, self._line = 0, self._first
        self._line += self._data.count(b"\n", self._at, offset)
        self._at = offset
        start, _ = self.line_bounds(offset)
        if not start <= self._col_at <= offset:
            self._col_at, self._col = start, self._first_column if start == 0 else 1
        self._col += utf8_chars(self._data[self._col_at:offset])
        self._col_at = offset
        return self._line, self._col

    def line_bounds(self, offset: int) -> tuple[int, int]:
        start, end = self._bounds
        if start <= offset <= end:
            return start, end
        start = self._data.rfind(b"\n", 0, offset) + 1
        end = self._data.find(b"\n", offset)
        self._bounds = (start, end if end != -1 else len(self._data))
        return self._bounds


def printable(text: str) -> str:
    """Never let scanned content drive the terminal: escape control characters."""
    out = []
    for ch in text:
        code = ord(ch)
        if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
            out.append("\\t" if ch == "\t" else f"\\x{code:02x}")
        elif ch in "\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
