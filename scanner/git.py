"""All git plumbing lives here: subprocesses only, NUL-separated output, no shell.

The environment is inherited unchanged, so GIT_DIR, GIT_OBJECT_DIRECTORY, alternates
and the pre-receive quarantine all keep working.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterator


class GitError(Exception):
    pass


def run(args: list[str], cwd: str | Path | None = None, *, check: bool = True, input: bytes | None = None) -> bytes:
    proc = subprocess.run(["git", *args], cwd=cwd, input=input, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    if check and proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}")
    return proc.stdout


def toplevel(path: str | Path) -> Path | None:
    """The work tree that contains ``path``, or None outside one."""
    folder = Path(path)
    folder = folder if folder.is_dir() else folder.parent
    proc = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=folder or ".",
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.decode("utf-8", "surrogateescape").rstrip("\n"))


def ls_files(top: Path, pathspecs: list[str]) -> list[str]:
    """Tracked and untracked-but-not-ignored files, as paths relative to ``top``."""
    out = run(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *pathspecs], cwd=top)
    return sorted({p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p})


def is_zero(oid: str) -> bool:
    """The all-zero id: 40 zeros in SHA-1 repositories, 64 in SHA-256 ones."""
    return bool(oid) and set(oid) == {"0"}


def git_dir(cwd: str | Path | None = None) -> Path:
    return Path(run(["rev-parse", "--absolute-git-dir"], cwd).decode("utf-8", "surrogateescape").strip())


def empty_tree(cwd: str | Path | None = None) -> str:
    """The empty tree's id in this repository's hash (SHA-1 or SHA-256)."""
    return run(["hash-object", "-t", "tree", "--stdin"], cwd, input=b"").decode().strip()


def resolve(rev: str, cwd: str | Path | None = None) -> str | None:
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                          cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def rev_list(args: list[str], cwd: str | Path | None = None) -> Iterator[str]:
    """Stream ``git rev-list`` output without holding it all in memory."""
    proc = subprocess.Popen(["git", "rev-list", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    for line in proc.stdout:
        yield line.decode().strip()
    err = proc.stderr.read() if proc.stderr else b""
    if proc.wait() != 0:
        msg = err.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git rev-list failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}")


class CatFile:
    """A persistent ``git cat-file --batch`` process: one pipe for any number of objects."""

    def __init__(self, cwd: str | Path | None = None) -> None:
        self.proc = subprocess.Popen(["git", "cat-file", "--batch"], cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def get(self, oid: str) -> tuple[str, bytes] | None:
        """(type, content), or None when the object is missing."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(oid.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline()
        if not header:
            raise GitError("git cat-file exited unexpectedly")
        parts = header.split()
        if len(parts) != 3:  # "<oid> missing" / "<oid> ambiguous"
            return None
        size = int(parts[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)  # the LF after the content
        return parts[1].decode(), data

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait()

    def __enter__(self) -> "CatFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
