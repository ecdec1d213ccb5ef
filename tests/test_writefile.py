"""Every file leakwarden writes goes through one routine: a device or a FIFO is written
through (never replaced by a regular file), a symlink or a directory is refused (exit 2)."""
from __future__ import annotations

import json
import os
import stat
import select
import threading
import time
from pathlib import Path

import pytest

from conftest import leakwarden, make_token
from scanner.cache import write_atomic
from scanner.policy import audit_log
from scanner.writefile import UnsafeTarget, write_file

NULL = os.makedev(1, 3)   # the numbers of /dev/null: writes to it are discarded


def _chardev(path: Path) -> Path:
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, NULL)
    except PermissionError:
        pytest.skip("mknod needs root (CAP_MKNOD)")
    return path


def _fifo(path: Path) -> tuple[Path, list[bytes], threading.Thread]:
    """A FIFO whose read end is already open (so a writer finds a reader), and a thread that
    collects what was written once the writer has closed its end."""
    os.mkfifo(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    got: list[bytes] = []

    def read() -> None:
        chunks, seen_data = [], False
        while True:
            select.select([fd], [], [], 30)
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk and seen_data:
                break
            if not chunk:   # no writer yet: wait for one
                time.sleep(0.01)
                continue
            seen_data = True
            chunks.append(chunk)
        os.close(fd)
        got.append(b"".join(chunks))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return path, got, reader


def _symlink(tmp_path: Path) -> tuple[Path, Path]:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "link"
    link.symlink_to(victim)
    return link, victim


# -- the routine itself --------------------------------------------------------------------
def test_a_character_device_is_written_through_not_replaced(tmp_path):
    dev = _chardev(tmp_path / "null")
    write_file(dev, b"report\n")
    write_file(dev, b"log line\n", append=True)
    assert stat.S_ISCHR(os.lstat(dev).st_mode) and os.lstat(dev).st_rdev == NULL


def test_a_fifo_is_written_through(tmp_path):
    fifo, got, reader = _fifo(tmp_path / "pipe")
    write_file(fifo, b"through the pipe\n")
    reader.join(10)
    assert got == [b"through the pipe\n"] and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_fifo_nobody_reads_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeTarget, match="FIFO"):
        write_file(fifo, b"x")


@pytest.mark.parametrize("append", [False, True])
def test_symlinks_and_directories_are_refused_naming_what_they_are(tmp_path, append):
    link, victim = _symlink(tmp_path)
    with pytest.raises(UnsafeTarget, match="symbolic link"):
        write_file(link, b"x", append=append)
    assert victim.read_text() == "keep me\n" and link.is_symlink()
    with pytest.raises(UnsafeTarget, match="directory"):
        write_file(tmp_path, b"x", append=append)


def test_a_regular_file_is_replaced_atomically_and_private_files_are_0600(tmp_path):
    target = tmp_path / "out.txt"
    write_file(target, b"one\n")
    write_file(target, b"two\n", private=True)
    assert target.read_bytes() == b"two\n" and stat.S_IMODE(target.stat().st_mode) == 0o600
    write_file(target, b"three\n", append=True)
    assert target.read_bytes() == b"two\nthree\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]   # no temporary file left


# -- each writer ---------------------------------------------------------------------------
def _secret_file(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "config.py").write_text(f'TOKEN = "{make_token()}"\n')
    return src


def _writers(tmp_path: Path):
    """name -> function(target) that runs a real command writing to target; returns the result."""
    src = _secret_file(tmp_path)
    report = tmp_path / "report.json"
    report.write_bytes(leakwarden("scan", "--format", "json", "--show-secrets", str(src)).stdout)
    return {
        "scan --output": lambda t: leakwarden("scan", "--output", str(t), str(src)),
        "baseline create": lambda t: leakwarden("baseline", "create", "--force", "--baseline", str(t), str(src)),
        "remediate --filter-repo-file": lambda t: leakwarden("remediate", str(report), "--filter-repo-file", str(t)),
        "remediate --output": lambda t: leakwarden("remediate", str(report), "--output", str(t)),
    }


WRITERS = ["scan --output", "baseline create", "remediate --filter-repo-file", "remediate --output"]


@pytest.mark.parametrize("writer", WRITERS)
def test_each_writer_writes_through_a_character_device(tmp_path, writer):
    run = _writers(tmp_path)[writer]
    dev = _chardev(tmp_path / "null")
    res = run(dev)
    assert res.returncode in (0, 1), res.stderr
    st = os.lstat(dev)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == NULL, "the device was replaced"


@pytest.mark.parametrize("writer", WRITERS)
def test_each_writer_writes_through_a_fifo(tmp_path, writer):
    run = _writers(tmp_path)[writer]
    fifo, got, reader = _fifo(tmp_path / "pipe")
    res = run(fifo)
    reader.join(30)
    assert res.returncode in (0, 1), res.stderr
    assert got and got[0] and stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("writer", WRITERS)
def test_each_writer_refuses_a_symlink(tmp_path, writer):
    run = _writers(tmp_path)[writer]
    link, victim = _symlink(tmp_path)
    res = run(link)
    assert res.returncode == 2 and b"symbolic link" in res.stderr, res.stderr
    assert victim.read_text() == "keep me\n" and link.is_symlink()


def test_dev_null_as_output_keeps_working(tmp_path):
    res = leakwarden("scan", "--output", "/dev/null", str(_secret_file(tmp_path)))
    assert res.returncode == 1 and stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_the_audit_log_and_the_cache_never_replace_a_device(tmp_path):
    entry = {"decision": "accept"}
    dev = _chardev(tmp_path / "null")
    audit_log.append(dev, entry)
    write_atomic(dev, b"cache")
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    fifo, got, reader = _fifo(tmp_path / "pipe")
    audit_log.append(fifo, entry)
    reader.join(10)
    assert json.loads(got[0]) == entry
    link, victim = _symlink(tmp_path)
    with pytest.raises(OSError, match="symbolic link"):
        audit_log.append(link, entry)
    write_atomic(link, b"cache")   # the cache is best effort: not written, and nothing breaks
    assert victim.read_text() == "keep me\n"
