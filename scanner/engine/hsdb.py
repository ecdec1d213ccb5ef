"""A compiled hyperscan database cached on disk, for the prefilter and the sections gate:
compiling one takes from tens of milliseconds to seconds, loading it back about one.

The file holds the key the database was built for, what its builder derived with it, and the
database, sealed (``scanner.cache``). The key is compared whole when the file is read back, so
a file is used for exactly what it was built from, or rebuilt; its name only spreads keys over
files."""
from __future__ import annotations

import zlib
from typing import Callable

import hyperscan

from scanner.cache import cache_dir, read_sealed, write_sealed


def cached(kind: str, key: bytes, build: Callable[[], tuple[bytes, hyperscan.Database]],
           ) -> tuple[bytes, hyperscan.Database]:
    """(what the builder derived, the block-mode database) for ``key``: from the cache file
    ``KIND-CRC.hsdb`` when it holds exactly this key and loads, else from ``build()``, which is
    then written there. The key carries hyperscan's version: a database is only loaded by the
    version that serialized it."""
    key = b"%s\0%s" % (getattr(hyperscan, "__version__", "").encode(), key)
    path = cache_dir() / f"{kind}-{zlib.crc32(key):08x}.hsdb"
    parts = read_sealed(path, 3)
    if parts is not None and parts[0] == key:
        try:
            return parts[1], hyperscan.loadb(parts[2], hyperscan.HS_MODE_BLOCK)
        except hyperscan.error:
            pass   # sealed, yet not a database this hyperscan loads: build it again
    meta, db = build()
    write_sealed(path, key, meta, hyperscan.dumpb(db))
    return meta, db


def compile_block(exprs: list[bytes], flags: list[int]) -> hyperscan.Database:
    """A block-mode database of ``exprs``, each its index as id."""
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=exprs, ids=list(range(len(exprs))), elements=len(exprs), flags=flags)
    return db
