"""Files and directories on disk, and stdin. Inside a git work tree, .gitignore is respected."""
from __future__ import annotations

import fnmatch
import os
import stat
import sys
from pathlib import Path
from typing import Callable, Iterator, Protocol

from scanner import git
from scanner.records import record
from scanner.report import Skip


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...

STREAM_CHUNK = 8 * 1024 * 1024   # larger files and blobs are scanned in chunks of this size
# Each chunk repeats the end of the one before, so a secret across a cut is whole in one of
# them: 64 KB covers the longest multi-line secret we find (a 16 KB RSA PEM block) four times.
OVERLAP = 1 << 16


@record
class Item:
    """One thing to scan, or a note on why it was not scanned."""
    path: str
    data: bytes | None = None
    stream: Path | None = None     # too large to read at once: scan it in chunks
    skipped: str = ""
    error: str = ""


def excluded(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(os.path.basename(path), p) for p in patterns)


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # a different drive on Windows
        return str(path)


def _one(path: str | Path, shown: str, max_size: int | None) -> Item:
    try:
        st = os.lstat(path)
    except OSError as exc:
        return Item(shown, error=f"cannot read: {exc.strerror}")
    if stat.S_ISLNK(st.st_mode):
        return Item(shown, skipped=Skip.SYMLINK)
    if not stat.S_ISREG(st.st_mode):
        return Item(shown, skipped=Skip.NOT_REGULAR)
    if max_size is not None and st.st_size > max_size:
        return Item(shown, skipped=Skip.too_large(st.st_size))
    if st.st_size > STREAM_CHUNK:
        return Item(shown, stream=Path(path))
    try:
        with open(path, "rb") as fh:
            return Item(shown, data=fh.read())
    except OSError as exc:
        return Item(shown, error=f"cannot read: {exc.strerror}")


def targets(paths: list[str], *, use_gitignore: bool, excludes: list[str]) -> Iterator[Item | tuple[str | Path, str]]:
    """What to scan, without reading it: (path, shown name) per file, or an Item already
    settled (stdin, a missing path). Reading is left to ``load``, so it can happen elsewhere."""
    for arg in paths:
        if arg == "-":
            yield Item("<stdin>", data=sys.stdin.buffer.read())
            continue
        root = Path(arg)
        if not root.exists():
            yield Item(arg, error="symlink to nothing" if root.is_symlink() else "no such file or directory")
            continue
        if root.is_dir():
            yield from _walk_dir(root, use_gitignore, excludes)
        elif not excluded(_display(root), excludes):
            # A symlink named on the command line names its target; one met while walking a
            # directory is still not followed.
            yield root.resolve() if root.is_symlink() else root, _display(root)


def load(target: tuple[str | Path, str], max_size: int | None) -> Item:
    return _one(target[0], target[1], max_size)


def _under(base: str, rel: str) -> str:
    return rel if base == "." else os.path.join(base, rel)


def _walk_dir(root: Path, use_gitignore: bool, excludes: list[str]) -> Iterator[Item | tuple[str, str]]:
    # Strings, and one relpath per root rather than per file: on a large tree, path objects
    # and relpath cost more than the scanning.
    top = git.toplevel(root) if use_gitignore else None
    if top is not None:
        rel = os.path.relpath(root.resolve(), top.resolve())
        base, top_s = _display(top), str(top)
        for name in git.ls_files(top, [] if rel == "." else [rel]):
            path = os.path.join(top_s, name)
            # A tracked file deleted from the work tree has no content on disk to scan.
            if os.path.lexists(path):
                shown = _under(base, name)
                if not excluded(shown, excludes):
                    yield path, shown
        return
    root_s, base = str(root), _display(root)
    # A directory that cannot be listed is an error in the report (exit 3), never a silent gap.
    unlisted: list[OSError] = []
    for folder, dirs, names in _walk(root_s, unlisted.append):
        while unlisted:
            yield _unlisted(unlisted.pop(), root_s, base)
        dirs[:] = sorted(d for d in dirs if d != ".git")
        rel_folder = os.path.relpath(folder, root_s)
        shown_folder = base if rel_folder == "." else _under(base, rel_folder)
        # os.walk lists a symlink to a directory as a dir; report it rather than lose it
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        for d in links:
            dirs.remove(d)
        for name in sorted(links) + sorted(names):
            shown = _under(shown_folder, name)
            if not excluded(shown, excludes):
                yield os.path.join(folder, name), shown
    for exc in unlisted:
        yield _unlisted(exc, root_s, base)


def _walk(top: str, onerror: Callable[[OSError], None]) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(top, followlinks=False)``, top-down, on an explicit stack: os.walk recurses
    (before Python 3.12), so a tree deeper than the recursion limit ended the scan."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            onerror(exc)
            continue
        dirs: list[str] = []
        names: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()   # as os.walk: a symlink to a directory is listed as one
            except OSError:
                is_dir = False
            (dirs if is_dir else names).append(entry.name)
        yield folder, dirs, names    # the caller may prune dirs, as with os.walk
        for name in reversed(dirs):
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                stack.append(path)


def _unlisted(exc: OSError, root_s: str, base: str) -> Item:
    rel = os.path.relpath(exc.filename or root_s, root_s)
    return Item(base if rel == "." else _under(base, rel), error=f"cannot list directory: {exc.strerror}")


def stream_chunks(fh: Readable) -> Iterator[tuple[bytes, int, int]]:
    """Content too large to hold whole (a file, a blob from git's pipe) as overlapping chunks
    of (bytes, offset, first line) that start at a line boundary, for ``Engine.scan_chunks``."""
    offset, line, carry = 0, 1, b""
    while True:
        block = fh.read(STREAM_CHUNK)
        data = carry + block
        if not data:
            return
        if block:
            # End the chunk at a newline so the next one starts at a line boundary.
            cut = data.rfind(b"\n", 0, len(data)) + 1 or len(data)
        else:
            cut = len(data)
        chunk = data[:cut]
        yield chunk, offset, line
        if not block:
            return
        # Keep the tail (at most OVERLAP, from a line start) so a secret across the cut is whole.
        tail_start = max(0, cut - OVERLAP)
        nl = chunk.find(b"\n", tail_start)
        tail_start = nl + 1 if nl != -1 and tail_start > 0 else tail_start
        line += chunk.count(b"\n", 0, tail_start)
        offset += tail_start
        carry = data[tail_start:]
