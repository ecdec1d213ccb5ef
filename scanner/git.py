"""All git plumbing lives here: subprocesses only, NUL-separated output, no shell.

The environment is inherited unchanged, so GIT_DIR, GIT_OBJECT_DIRECTORY, alternates
and the pre-receive quarantine all keep working.
"""
from __future__ import annotations

import subprocess
from pathlib import Path


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
