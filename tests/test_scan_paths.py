"""``scan`` on awkward trees and processes: an unreadable directory, a symlink named on the
command line, a very deep tree, a closed stdin, an interrupted run."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, leakwarden, make_token


def _as_unprivileged(args: list[str]) -> list[str]:
    """Root reads any directory; without CAP_DAC_OVERRIDE/READ_SEARCH it obeys the mode bits,
    as any user does. (Dropping to another uid would lose access to this interpreter.)"""
    if os.geteuid() != 0:
        return args
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv (util-linux): cannot drop the capability to read any directory")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *args]


def test_an_unreadable_subdirectory_is_an_error_not_silence(tmp_path):
    top = tmp_path / "tree"
    (top / "locked").mkdir(parents=True)
    (top / "locked" / "secret.txt").write_text(f"token = {make_token()}\n")
    (top / "ok.txt").write_text("nothing\n")
    (top / "locked").chmod(0)
    try:
        res = subprocess.run(_as_unprivileged([sys.executable, "-m", "scanner", "scan", "--no-ignore",
                                               "--format", "json", str(top)]),
                             capture_output=True, stdin=subprocess.DEVNULL, check=False,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        (top / "locked").chmod(0o755)
    assert res.returncode == 3, res.stderr
    doc = json.loads(res.stdout)
    assert [(Path(e["path"]).name, "cannot list directory" in e["error"]) for e in doc["errors"]] == [("locked", True)]


def test_a_symlink_named_on_the_command_line_is_scanned(tmp_path):
    tok = make_token()
    real = tmp_path / "real.env"
    real.write_text(f"TOKEN={tok}\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    res = leakwarden("scan", "--format", "json", "--show-secrets", str(link))
    assert res.returncode == 1, res.stderr
    assert [f["secret"] for f in json.loads(res.stdout)["findings"]] == [tok]
    # Walked symlinks are still not followed: reported, not scanned.
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "inner-link").symlink_to(real)
    doc = json.loads(leakwarden("scan", "--no-ignore", "--format", "json", str(folder)).stdout)
    assert doc["findings"] == [] and "symlink" in doc["skipped"][0]["reason"]
    # A symlink to a directory, named on the command line, is walked.
    dlink = tmp_path / "dlink"
    dlink.symlink_to(tmp_path / "sub", target_is_directory=True)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text(f"token = {tok}\n")
    assert leakwarden("scan", "--no-ignore", str(dlink)).returncode == 1


def test_directory_depth_has_no_limit(tmp_path):
    """Deeper than Python's recursion limit (1000), within PATH_MAX."""
    depth = 1200
    path = tmp_path / "deep"
    path.mkdir()
    fd = os.open(path, os.O_RDONLY)
    try:
        for _ in range(depth):   # relative to a directory fd: no path grows past PATH_MAX here
            os.mkdir("d", dir_fd=fd)
            nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        leaf = os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, f"token = {make_token()}\n".encode())
        os.close(leaf)
    finally:
        os.close(fd)
    try:
        res = leakwarden("scan", "--no-ignore", "--format", "json", str(path))
    finally:
        _remove_deep(path, depth)
    assert res.returncode == 1 and b"Recursion" not in res.stderr, res.stderr
    assert len(json.loads(res.stdout)["findings"]) == 1


def _remove_deep(path: Path, depth: int) -> None:
    """Innermost first: pytest's own clean-up (shutil.rmtree) recurses, and fails this deep."""
    for level in range(depth, -1, -1):
        folder = os.path.join(path, *["d"] * level)
        for name in os.listdir(folder):
            if name != "d":
                os.unlink(os.path.join(folder, name))
        os.rmdir(folder)


def _closed_stdin(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, check=False,
                          stdin=subprocess.DEVNULL, preexec_fn=lambda: os.close(0),
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("args", [["scan", "-"], ["pre-receive"], ["pre-push", "origin", "file:///nowhere"]])
def test_a_closed_stdin_is_a_clear_usage_error(args):
    res = _closed_stdin(args)
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert b"stdin is closed" in res.stderr + res.stdout and b"Traceback" not in res.stderr


def test_an_interrupted_run_says_so_and_exits_130():
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "scan", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        # Wait until it is blocked reading its stdin (syscall 0, read, on fd 0), so the signal
        # reaches the running command and not the interpreter's start-up.
        syscall = Path(f"/proc/{proc.pid}/syscall")
        deadline = time.monotonic() + 60
        while not syscall.read_text().startswith("0 0x0 ") and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err
