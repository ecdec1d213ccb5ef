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
        if len(data) != size:  # cat-file died mid-object: a corrupt object, not a short file
            raise GitError(f"git cat-file stopped while reading {oid}")
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


# --- Server side (pre-receive): what a push brings that the repository does not have yet ---------
#
# Inside pre-receive the refs still hold their old values and the pushed objects sit in the
# quarantine directory (GIT_OBJECT_DIRECTORY / GIT_QUARANTINE_PATH), which every child process
# sees because the environment is inherited unchanged. ``--not --all`` therefore leaves exactly
# what is new to the server.

def config_section(section: str, cwd: str | Path | None = None) -> list[tuple[str, str | None]]:
    """Every ``section.*`` setting as (lower-case key, value); a key written without ``=`` has None."""
    proc = subprocess.run(["git", "config", "-z", "--get-regexp", rf"^{section}\."], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode == 1:  # nothing set
        return []
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git config failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}")
    out: list[tuple[str, str | None]] = []
    for item in proc.stdout.split(b"\0"):
        if not item:
            continue
        key, sep, value = item.decode("utf-8", "surrogateescape").partition("\n")
        out.append((key[len(section) + 1:].lower(), value if sep else None))
    return out


def new_object_ids(tips: list[str], cwd: str | Path | None = None) -> set[str]:
    """Ids of every object reachable from ``tips`` but from no existing ref (commits, trees, blobs, tags)."""
    if not tips:
        return set()
    return set(rev_list(["--objects", "--no-object-names", *tips, "--not", "--all"], cwd))


def _nul_tokens(stream, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    pending = b""
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            break
        parts = (pending + chunk).split(b"\0")
        pending = parts.pop()
        yield from parts
    if pending:
        yield pending


def new_commit_changes(tips: list[str], cwd: str | Path | None = None
                       ) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """New commits, oldest first, each with the (blob id, path) pairs it adds or modifies.

    ``rev-list`` feeds ``diff-tree --stdin`` directly (one pipe, nothing held in memory); root
    commits are diffed against the empty tree and merges against each parent, so content a
    merge introduces (a conflict resolution) is seen too. A merge comes out once per parent;
    consecutive headers for the same commit are merged here.
    """
    if not tips:
        return
    import tempfile

    with tempfile.TemporaryFile() as rl_err, tempfile.TemporaryFile() as dt_err:
        rl = subprocess.Popen(["git", "rev-list", "--topo-order", "--reverse", *tips, "--not", "--all"],
                              cwd=cwd, stdout=subprocess.PIPE, stderr=rl_err)
        dt = subprocess.Popen(["git", "diff-tree", "--stdin", "-r", "-z", "-m", "--root", "--always",
                               "--no-renames"], cwd=cwd, stdin=rl.stdout, stdout=subprocess.PIPE, stderr=dt_err)
        assert rl.stdout is not None and dt.stdout is not None
        rl.stdout.close()  # diff-tree owns it now; rev-list gets SIGPIPE if diff-tree dies
        commit, blobs = "", []
        tokens = _nul_tokens(dt.stdout)
        try:
            for token in tokens:
                if token.startswith(b":"):
                    path = next(tokens, b"")
                    fields = token[1:].split(b" ")
                    new_mode, new_oid, status = fields[1], fields[3].decode(), fields[4][:1]
                    # Deleted paths have nothing to scan; gitlinks are commits of another repository.
                    if status != b"D" and new_mode != b"160000" and not is_zero(new_oid):
                        blobs.append((new_oid, path.decode("utf-8", "surrogateescape")))
                    continue
                header = token.decode().strip()
                if header != commit:
                    if commit:
                        yield commit, blobs
                    commit, blobs = header, []
            if commit:
                yield commit, blobs
        finally:
            dt.stdout.close()
            dt_rc, rl_rc = dt.wait(), rl.wait()
        for name, rc, err in (("rev-list", rl_rc, rl_err), ("diff-tree", dt_rc, dt_err)):
            if rc != 0:
                err.seek(0)
                msg = err.read().decode("utf-8", "replace").strip().splitlines()
                raise GitError(f"git {name} failed: {msg[-1] if msg else 'exit ' + str(rc)}")


def tree_blobs(tree: str, cwd: str | Path | None = None) -> list[tuple[str, str]]:
    """(blob id, path) for every file in a tree, recursively (for a ref or tag that names a tree)."""
    out = []
    tokens = iter(run(["ls-tree", "-r", "-z", "--full-tree", tree], cwd).split(b"\0"))
    for entry in tokens:
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        _mode, kind, oid = meta.split(b" ")
        if kind == b"blob":
            out.append((oid.decode(), path.decode("utf-8", "surrogateescape")))
    return out

