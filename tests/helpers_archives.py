"""Archives built at test time for tests/test_archives.py: ordinary ones with the standard
library, and hostile ones by hand (zip bombs, a zip quine, encrypted and corrupt members)."""
from __future__ import annotations

import io
import struct
import tarfile
import zipfile
import zlib


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def tar_of(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:   # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def nested_zips(depth: int, name: str, data: bytes) -> bytes:
    """level1.zip holding level2.zip ... holding ``name``; ``depth`` archives in all."""
    inner = zip_of({name: data})
    for level in range(depth, 1, -1):
        inner = zip_of({f"level{level}.zip": inner})
    return inner


# -- zips written by hand: what zipfile will not write --------------------------------------

def _local(name: bytes, method: int, flags: int, crc: int, csize: int, usize: int) -> bytes:
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0, crc, csize, usize, len(name), 0) + name


def _central(name: bytes, method: int, flags: int, crc: int, csize: int, usize: int, offset: int) -> bytes:
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0, crc, csize, usize,
                       len(name), 0, 0, 0, 0, 0, offset) + name


def _end(count: int, cd_size: int, cd_offset: int) -> bytes:
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, cd_offset, 0)


def raw_zip(entries: list[dict]) -> bytes:
    """Entries with ``name``, ``data`` (as stored), and optionally ``plain`` (what it
    decompresses to), ``method``, ``flags``, ``crc``, ``usize`` (what the headers claim)."""
    body, central = b"", b""
    for e in entries:
        name = e["name"].encode()
        method, flags = e.get("method", 0), e.get("flags", 0)
        plain = e.get("plain", e["data"])
        crc = e.get("crc", zlib.crc32(plain))
        usize = e.get("usize", len(plain))
        central += _central(name, method, flags, crc, len(e["data"]), usize, len(body))
        body += _local(name, method, flags, crc, len(e["data"]), usize) + e["data"]
    return body + central + _end(len(entries), len(central), len(body))


def deflate_zeros(megabytes: int) -> bytes:
    """Raw DEFLATE of ``megabytes`` MB of zeros, made by repeating one byte-aligned, independent
    segment (full flush): gigabytes cost milliseconds to build."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = c.compress(b"\0" * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    return segment * megabytes + zlib.compressobj(9, zlib.DEFLATED, -15).flush()


def bomb_42() -> bytes:
    """A 42.zip-style bomb: five levels of 16 copies of the level below; at the bottom a member
    claiming 4,000 MB of zeros. It expands to about 4 PB; the file is a few tens of KB."""
    bottom = raw_zip([{"name": "0.bin", "data": deflate_zeros(4000), "method": 8, "usize": 4000 << 20,
                       "crc": 0}])
    level = bottom
    for depth in range(5):
        level = zip_of({f"{depth}-{i}.zip": level for i in range(16)})
    return level


def overlapping_bomb(entries: int = 2000) -> bytes:
    """Many central-directory entries that all point at one local file (the overlapping-entry
    zip bomb in its simplest form): a 10 MB member counted ``entries`` times."""
    plain = b"a" * (10 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = c.compress(plain) + c.flush()
    name, crc = b"a.txt", zlib.crc32(plain)
    local = _local(name, 8, 0, crc, len(data), len(plain)) + data
    central = _central(name, 8, 0, crc, len(data), len(plain), 0) * entries
    return local + central + _end(entries, len(central), len(local))


# -- a zip quine: a zip whose one member is the zip itself ---------------------------------
# After Russ Cox, "Zip Files All The Way Down" (research.swtch.com/zip): the member's DEFLATE
# data is a program of literal (stored) and repeat (fixed-Huffman copy) blocks whose output is
# the whole file, the headers before and after it included. Every block here is padded to one
# size (a "unit") so the program can copy itself unit by unit.

class _Bits:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def lsb(self, value: int, n: int) -> None:   # header fields and extra bits: least significant first
        self.bits.extend((value >> i) & 1 for i in range(n))

    def code(self, value: int, n: int) -> None:  # Huffman codes: most significant first
        self.bits.extend((value >> (n - 1 - i)) & 1 for i in range(n))

    def stored_header(self, length: int) -> None:
        self.lsb(0, 1)
        self.lsb(0, 2)
        self.bits.extend([0] * (-len(self.bits) % 8))
        self.lsb(length, 16)
        self.lsb(length ^ 0xFFFF, 16)

    def empty_fixed(self) -> None:
        self.lsb(0, 1)
        self.lsb(1, 2)
        self.code(0, 7)   # end of block (256)

    def to_bytes(self) -> bytes:
        assert len(self.bits) % 8 == 0
        return bytes(sum(b << i for i, b in enumerate(self.bits[k:k + 8])) for k in range(0, len(self.bits), 8))


_LENGTHS = [(257 + i, base, extra) for i, (base, extra) in enumerate(
    [(3, 0), (4, 0), (5, 0), (6, 0), (7, 0), (8, 0), (9, 0), (10, 0), (11, 1), (13, 1), (15, 1), (17, 1),
     (19, 2), (23, 2), (27, 2), (31, 2), (35, 3), (43, 3), (51, 3), (59, 3), (67, 4), (83, 4), (99, 4),
     (115, 4), (131, 5), (163, 5), (195, 5), (227, 5)])]
_DISTANCES = [(i, base, extra) for i, (base, extra) in enumerate(
    [(1, 0), (2, 0), (3, 0), (4, 0), (5, 1), (7, 1), (9, 2), (13, 2), (17, 3), (25, 3), (33, 4), (49, 4),
     (65, 5), (97, 5), (129, 6), (193, 6), (257, 7), (385, 7), (513, 8), (769, 8)])]


def _copy(bits: _Bits, length: int, distance: int) -> None:
    sym, base, extra = [x for x in _LENGTHS if x[1] <= length][-1]
    if sym <= 279:
        bits.code(sym - 256, 7)
    else:
        bits.code(0xC0 + sym - 280, 8)
    bits.lsb(length - base, extra)
    code, dbase, dextra = [x for x in _DISTANCES if x[1] <= distance][-1]
    bits.code(code, 5)
    bits.lsb(distance - dbase, dextra)


def _literal_op(length: int, unit: int) -> bytes | None:
    for pads in range(8):
        bits = _Bits()
        for _ in range(pads):
            bits.empty_fixed()
        bits.stored_header(length)
        if len(bits.bits) == 8 * unit:
            return bits.to_bytes()
    return None


def _repeat_op(length: int, unit: int) -> bytes | None:
    """A copy of ``length`` bytes from ``length`` back, in exactly ``unit`` bytes (split into
    two copies and padded with empty blocks as needed), or None."""
    for parts in ([length], [length // 2, length - length // 2], [length // 3, length // 3, length - 2 * (length // 3)]):
        if min(parts) < 3 or max(parts) > 258:
            continue
        for pads in range(8):
            bits = _Bits()
            bits.lsb(0, 1)
            bits.lsb(1, 2)
            for part in parts:
                _copy(bits, part, length)
            bits.code(0, 7)
            for _ in range(pads):
                bits.empty_fixed()
            bits.stored_header(0)   # an empty stored block: back on a byte boundary
            if len(bits.bits) == 8 * unit:
                return bits.to_bytes()
    return None


def _program(p: int, s: int) -> list[tuple[str, int]]:
    """The quine as ops over units (``P`` and ``S``: the bytes before and after the data)."""
    L, R = "L", "R"
    return [(L, p + 1), ("P", 0), (L, p + 1), (R, p + 1), (L, 1), (R, p + 1), (L, 1), (L, 1),
            (L, 4), (R, p + 1), (L, 1), (L, 1), (L, 4), (R, 4), (L, 4), (R, 4), (L, 4), (R, 4), (L, 4), (R, 4),
            (L, 4), (R, 4), (L, 0), (L, 0), (L, "s"), (R, 4), (L, 0), (L, 0), (L, "s"), (R, "s"), ("S", 0),
            (R, "s")]


def _assemble(prefix: bytes, suffix: bytes, unit: int) -> bytes | None:
    p, s = len(prefix), len(suffix)
    out = b""
    for op, n in _program(p, s):
        if op == "P":
            out += prefix
            continue
        if op == "S":
            out += suffix
            continue
        # Counts are in units, except that P and S count as their bytes.
        length = (s + unit) if n == "s" else (p + unit if n == p + 1 else n * unit)
        piece = _literal_op(length, unit) if op == "L" else _repeat_op(length, unit)
        if piece is None:
            return None
        out += piece
    return out


def zip_quine(name: str = "r.zip") -> bytes:
    """A zip whose one member, ``name``, decompresses to the zip itself, CRC included."""
    raw_name = name.encode()
    p, s = 30 + len(raw_name), 46 + len(raw_name) + 22
    for unit in range(5, 40):
        if _assemble(b"\0" * p, b"\0" * s, unit) is not None:
            break
    else:
        raise AssertionError("no unit size fits")

    def build(crc: int) -> bytes:
        data_len = len(_assemble(b"\0" * p, b"\0" * s, unit) or b"")
        total = p + data_len + s
        prefix = _local(raw_name, 8, 0, crc, data_len, total)
        suffix = _central(raw_name, 8, 0, crc, data_len, total, 0) + _end(1, 46 + len(raw_name), p + data_len)
        data = _assemble(prefix, suffix, unit)
        assert data is not None
        return prefix + data + suffix

    # crc32(build(c)) is affine in the bits of c over GF(2): solve crc32(build(c)) == c.
    base = zlib.crc32(build(0))
    columns = [zlib.crc32(build(1 << i)) ^ base for i in range(32)]
    # (A + I) c = base, with A's column i = columns[i]; Gaussian elimination on 32 equations.
    rows = []
    for bit in range(32):
        row = sum((((columns[i] >> bit) & 1) ^ (1 if i == bit else 0)) << i for i in range(32))
        rows.append([row, (base >> bit) & 1])
    solution, pivots = 0, []
    for col in range(32):
        pivot = next((r for r in rows if r not in pivots and (r[0] >> col) & 1), None)
        if pivot is None:
            continue
        pivots.append(pivot)
        for r in rows:
            if r is not pivot and (r[0] >> col) & 1:
                r[0] ^= pivot[0]
                r[1] ^= pivot[1]
    for row, value in pivots:
        if value:
            solution |= row & -row   # each pivot row is left with one bit: its column
    quine = build(solution)
    assert zlib.crc32(quine) == solution, "the CRC system had no solution"
    return quine
