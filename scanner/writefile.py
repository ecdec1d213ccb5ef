"""The one routine that writes files for leakwarden: reports, baselines, filter-repo
expressions, audit logs, state and cache files.

A regular file (or a new one) is replaced atomically (a temporary file renamed over it) or,
for logs, appended to. Anything else is never replaced: a character device or a FIFO is
written through (``--output /dev/null`` stays a device: renaming a file over /dev/null as
root breaks every program on the machine), and a directory, a symbolic link, a block device
or a socket is refused with an error naming what it is (exit 2).
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from scanner.errors import UsageError

_FLAGS = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
_REFUSED = ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link (not followed)"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class UnsafeTarget(UsageError, OSError):
    """The path exists and is not something leakwarden may write to. An OSError too, so code
    that treats an unwritable file as a failure (the audit log) treats this one the same."""


def _kind(mode: int) -> str | None:
    """What a non-writable kind of file is called, or None when it may be written."""
    return next((name for test, name in _REFUSED if test(mode)), None)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _through(path: Path, data: bytes) -> None:
    """Write into an existing device or FIFO without replacing it. A FIFO is opened without
    blocking first, so one with no reader is an error, not a hang."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | _FLAGS)
    except OSError as exc:
        raise UnsafeTarget(f"{path}: cannot write to this device or FIFO: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            raise UnsafeTarget(f"{path}: changed while being opened; not written")
        os.set_blocking(fd, True)
        _write_all(fd, data)
    finally:
        os.close(fd)


def check_target(path: str | Path) -> os.stat_result | None:
    """The target's status when it exists (None when not); raises UnsafeTarget when it is a
    kind of file that must not be written. Commands call this before long work, so a bad
    ``--output`` fails at once rather than after a scan."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    kind = _kind(st.st_mode)
    if kind:
        raise UnsafeTarget(f"{path}: refusing to write: it is {kind}")
    return st


def write_file(path: str | Path, data: bytes, *, private: bool = False, append: bool = False) -> None:
    """Write ``data`` to ``path`` (see the module's docstring). ``private``: mode 0600 from the
    first byte (files that may hold secrets or who pushed what); ``append``: add to the end."""
    path = Path(path)
    st = check_target(path)
    if st is not None and not stat.S_ISREG(st.st_mode):
        _through(path, data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o600 if private else (stat.S_IMODE(st.st_mode) if st is not None else 0o644 & ~_umask())
    if append:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _FLAGS, mode)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise UnsafeTarget(f"{path}: changed while being opened; not written")
            _write_all(fd, data)
        finally:
            os.close(fd)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        _write_all(fd, data)
        os.fsync(fd)   # the rename must not land before the bytes do (a crash would leave it empty)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd != -1:
            os.close(fd)
        os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
