"""The on-disk cache: compiled prefilter databases and validated rule packs. Never secrets."""
from __future__ import annotations

import os
from pathlib import Path


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
