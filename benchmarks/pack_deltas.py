"""How much of a repository's blob content is new against its pack delta base, and what finding
that out costs in Python: the measurement behind "scan only what differs from a delta base".

    python benchmarks/pack_deltas.py [REPO]      # default: the benchmark's git/git clone

Reads the pack index and walks every entry of each pack in pack order (``.idx`` version 2;
offsets over 2 GB and REF_DELTA entries are counted, not followed), inflating each blob
delta and parsing its copy/insert instructions. Prints blob counts, the bytes a delta inserts
against the bytes of the blobs it builds, the number of instructions, and the CPU seconds of
the parsing. Reads the pack only; never prints content.
"""
from __future__ import annotations

import mmap
import struct
import sys
import time
import zlib
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import corpus  # noqa: E402

_OFS_DELTA, _REF_DELTA, _BLOB = 6, 7, 3


def _offsets(idx: Path) -> list[int]:
    data = idx.read_bytes()
    if data[:4] != b"\xfftOc" or struct.unpack(">I", data[4:8])[0] != 2:
        raise SystemExit(f"{idx}: not a version 2 pack index")
    count = struct.unpack(">I", data[8 + 255 * 4:8 + 256 * 4])[0]
    start = 8 + 256 * 4 + 20 * count + 4 * count
    offsets = array("I", data[start:start + 4 * count])
    if sys.byteorder == "little":
        offsets.byteswap()
    return sorted(offsets)


def _varint_size(d: bytes, q: int) -> int:
    while d[q] & 0x80:
        q += 1
    return q + 1


def _parse_delta(d: bytes) -> tuple[int, int, int]:
    """(target size, inserted bytes, instructions) of one delta."""
    q = _varint_size(d, 0)          # base size
    target = shift = 0
    while True:
        c = d[q]
        q += 1
        target |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            break
    inserted = instructions = 0
    n = len(d)
    while q < n:
        c = d[q]
        q += 1
        instructions += 1
        if c & 0x80:   # copy: offset and size bytes as flagged
            q += bin(c & 0x7F).count("1")
        else:          # insert c literal bytes
            inserted += c
            q += c
    return target, inserted, instructions


def measure(repo: Path) -> dict[str, float]:
    out = {"full_blobs": 0, "delta_blobs": 0, "ref_deltas": 0, "blob_bytes": 0, "inserted_bytes": 0,
           "instructions": 0, "cpu_s": 0.0}
    started = time.process_time()
    for idx in sorted((repo / "objects" / "pack").glob("*.idx")):
        offsets = _offsets(idx)
        with open(idx.with_suffix(".pack"), "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
            ends = offsets[1:] + [len(m) - 20]
            kinds: dict[int, int] = {}
            for at, end in zip(offsets, ends, strict=True):
                c = m[at]
                kind, size, p, shift = (c >> 4) & 7, c & 15, at + 1, 4
                while c & 0x80:
                    c = m[p]
                    p += 1
                    size |= (c & 0x7F) << shift
                    shift += 7
                if kind == _REF_DELTA:
                    out["ref_deltas"] += 1
                    continue
                if kind != _OFS_DELTA:
                    kinds[at] = kind
                    if kind == _BLOB:
                        out["full_blobs"] += 1
                        out["blob_bytes"] += size
                        out["inserted_bytes"] += size
                    continue
                c = m[p]
                p += 1
                back = c & 0x7F
                while c & 0x80:
                    c = m[p]
                    p += 1
                    back = ((back + 1) << 7) | (c & 0x7F)
                kinds[at] = kinds.get(at - back, 0)
                if kinds[at] != _BLOB:
                    continue
                target, inserted, instructions = _parse_delta(zlib.decompress(m[p:end]))
                out["delta_blobs"] += 1
                out["blob_bytes"] += target
                out["inserted_bytes"] += inserted
                out["instructions"] += instructions
    out["cpu_s"] = time.process_time() - started
    return out


def main() -> int:
    if len(sys.argv) > 1:
        repo = Path(sys.argv[1])
    else:
        got = corpus.real_repo()
        if got is None:
            print(f"skipped: no git/git snapshot at {corpus.GIT_MIRROR}")
            return 0
        repo = got[0]
    r = measure(repo)
    print(f"blobs: {r['full_blobs']:,} stored whole, {r['delta_blobs']:,} as deltas ({r['ref_deltas']:,} REF_DELTA skipped)")
    print(f"blob content: {r['blob_bytes'] / 1e6:,.0f} MB; new against the delta base: "
          f"{r['inserted_bytes'] / 1e6:,.0f} MB ({r['inserted_bytes'] / max(r['blob_bytes'], 1):.1%})")
    print(f"delta instructions: {r['instructions']:,}; CPU to inflate and parse them in Python: {r['cpu_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
