"""The on-disk cache: compiled prefilter databases and validated rule packs. Never secrets.

Every cache file is optional: a missing, unreadable, truncated or corrupt one is rebuilt, and
one that cannot be written only costs the next run the same work again."""
from __future__ import annotations

import os
import zlib
from pathlib import Path

_LENGTH = 8   # bytes of a sealed part's length


def cache_dir() -> Path:
    base = os.environ.get("LEAKWARDEN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "leakwarden")
    return Path(base)


def write_atomic(path: Path, blob: bytes) -> None:
    from scanner.writefile import write_file

    try:
        write_file(path, blob)
    except OSError:
        pass  # an unwritable cache (or one that is not a regular file) only costs the next run the work again


def write_sealed(path: Path, *parts: bytes) -> None:
    """``parts`` behind their CRC-32, each with its length, for ``read_sealed``."""
    framed = [b for part in parts for b in (len(part).to_bytes(_LENGTH, "big"), part)]
    crc = 0
    for b in framed:
        crc = zlib.crc32(b, crc)
    write_atomic(path, b"".join([crc.to_bytes(4, "big"), *framed]))


def read_sealed(path: Path, count: int) -> list[bytes] | None:
    """The ``count`` parts ``write_sealed`` wrote, or None when the file is missing, unreadable
    or damaged (truncated, a flipped bit, another program's file): a cached rule set is used
    only when it is the one that was built. Each part is read into its own buffer (no copy of
    a large file through slices: a megabyte copied costs a commit hook a fraction of a
    millisecond). A CRC, not a cryptographic hash: it guards against accidents, not against
    someone who can write the user's files (and could as well edit the hook), and importing
    hashlib (OpenSSL) would cost a commit hook more than its cache reads."""
    try:
        with open(path, "rb") as fh:
            left = os.fstat(fh.fileno()).st_size - 4
            expected = fh.read(4)
            crc, parts = 0, []
            for _ in range(count):
                head = fh.read(_LENGTH)
                size = int.from_bytes(head, "big")
                left -= _LENGTH + size
                if len(head) != _LENGTH or left < 0:   # a damaged length must not make us read gigabytes
                    return None
                part = fh.read(size)
                crc = zlib.crc32(part, zlib.crc32(head, crc))
                parts.append(part)
    except OSError:
        return None
    return parts if left == 0 and crc == int.from_bytes(expected, "big") else None
