"""All git plumbing lives here: subprocesses only, NUL-separated output, no shell.

The environment is inherited, so GIT_DIR, GIT_OBJECT_DIRECTORY, alternates and the
pre-receive quarantine all keep working, with two changes (``_ENV``): git reads the real
objects, never a replacement (``refs/replace/*``) or a graft, which would let a harmless
object stand in for one that holds a secret. Every child gets an explicit stdin: a hook's
own stdin carries ref updates that no git child may consume.
"""
from __future__ import annotations

import itertools
import os
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator

from scanner.records import record

if TYPE_CHECKING:
    import mmap


class GitError(Exception):
    pass


# A path that never exists: git then reads no graft file (it would otherwise read info/grafts).
_NO_GRAFTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "no-such-file", "grafts")


def _env() -> dict[str, str]:
    """The inherited environment, but git sees the real objects: no replacements, no grafts."""
    return {**os.environ, "GIT_NO_REPLACE_OBJECTS": "1", "GIT_GRAFT_FILE": _NO_GRAFTS}


# Held while a git child process starts, and by os.fork (a multiprocessing worker), which so
# waits: history starts git in threads while its worker pool forks, and a worker forked in
# between would inherit the pipe through which subprocess learns that git has started;
# subprocess would wait for it to close for as long as that worker lives. (subprocess's own
# fork runs no fork handlers.)
_spawning = threading.Lock()


def _fresh_lock() -> None:
    global _spawning
    _spawning = threading.Lock()   # the child's copy is held, by a thread it does not have


if hasattr(os, "register_at_fork"):   # not on Windows, which has no fork
    os.register_at_fork(before=lambda: _spawning.acquire(), after_in_parent=lambda: _spawning.release(),
                        after_in_child=_fresh_lock)


def _popen(args: list[str], cwd: str | Path | None = None, *, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
           stderr=subprocess.PIPE, bufsize: int = -1) -> subprocess.Popen:
    """Every git child process starts here: the environment above, and never the caller's stdin."""
    with _spawning:
        return subprocess.Popen(["git", *args], cwd=cwd, env=_env(), stdin=stdin, stdout=stdout, stderr=stderr,
                                bufsize=bufsize)


def _run(args: list[str], cwd: str | Path | None = None, *, input: bytes | None = None, stdout=subprocess.PIPE,
         stderr=subprocess.PIPE) -> subprocess.CompletedProcess:
    proc = _popen(args, cwd, stdin=subprocess.DEVNULL if input is None else subprocess.PIPE, stdout=stdout,
                  stderr=stderr)
    with proc:
        try:
            out, err = proc.communicate(input)
        except BaseException:   # as subprocess.run: an interrupted caller leaves no git behind
            proc.kill()
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _failure(what: str, stderr: bytes, returncode: int) -> GitError:
    """The error for a failed git command: git's own last line of stderr, or its exit code."""
    msg = stderr.decode("utf-8", "replace").strip().splitlines()
    return GitError(f"git {what} failed: {msg[-1] if msg else 'exit ' + str(returncode)}")


def _failure_in(what: str, err: IO[bytes], returncode: int) -> GitError:
    """``_failure`` for a command whose stderr went to the file ``err``."""
    err.seek(0)
    return _failure(what, err.read(), returncode)


def run(args: list[str], cwd: str | Path | None = None, *, check: bool = True, input: bytes | None = None,
        out: IO[bytes] | None = None) -> bytes:
    """git's output; or, with ``out``, nothing: the output goes straight to that file (no copy
    in memory), which is left at its start."""
    proc = _run(args, cwd, input=input, stdout=out or subprocess.PIPE)
    if check and proc.returncode != 0:
        raise _failure(args[0], proc.stderr, proc.returncode)
    if out is not None:
        out.seek(0)
        return b""
    return proc.stdout


def toplevel(path: str | Path) -> Path | None:
    """The work tree that contains ``path``, or None outside one."""
    folder = Path(path)
    folder = folder if folder.is_dir() else folder.parent
    proc = _run(["rev-parse", "--show-toplevel"], folder or ".", stderr=subprocess.DEVNULL)
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
    proc = _run(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], cwd,
                stderr=subprocess.DEVNULL)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def rev_list(args: list[str], cwd: str | Path | None = None) -> Iterator[str]:
    """Stream ``git rev-list`` output without holding it all in memory."""
    proc = _popen(["rev-list", *args], cwd)
    assert proc.stdout is not None
    for line in proc.stdout:
        yield line.decode().strip()
    _finish(proc, "rev-list")


# --------------------------------------------------------------------------------------
# Client side: the staged diff, commit diffs, history walks and hook locations.
# (Used by scanner.sources.staged / commits / history and scanner.commands.install.)
# --------------------------------------------------------------------------------------

GITLINK_MODE = "160000"
SYMLINK_MODE = "120000"
_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@record
class Change:
    """One entry of ``git diff-index``/``diff-tree --raw -z``."""
    status: str          # A, M, D, R, C, T (score dropped)
    old_mode: str
    new_mode: str
    old_oid: str
    new_oid: str
    path: str            # the new path
    old_path: str = ""   # the source of a rename or copy


def decode_path(raw: bytes) -> str:
    """A path (or name) as git wrote it: undecodable bytes kept as surrogates, never lost."""
    return raw.decode("utf-8", "surrogateescape")


def parse_raw(out: bytes) -> list[Change]:
    """Parse ``--raw -z`` output of a two-tree diff (not the combined merge format)."""
    tokens = out.split(b"\0")
    changes: list[Change] = []
    i = 0
    while i < len(tokens):
        head = tokens[i].lstrip(b"\n")
        i += 1
        if not head.startswith(b":"):
            continue
        try:
            old_mode, new_mode, old_oid, new_oid, status = head[1:].decode("ascii").split(" ")
            kind = status[0]
            if kind in "RC":
                old_path, new_path = decode_path(tokens[i]), decode_path(tokens[i + 1])
                i += 2
            else:
                old_path, new_path = "", decode_path(tokens[i])
                i += 1
        except (ValueError, IndexError):
            # Output git would never write: an error, not a change passed over (found by fuzzing).
            raise GitError(f"unexpected diff output: {head[:80]!r}") from None
        changes.append(Change(kind, old_mode, new_mode, old_oid, new_oid, new_path, old_path))
    return changes


def staged_changes(base: str, cwd: str | Path | None = None) -> list[Change]:
    """The index against ``base`` (HEAD, or the empty tree before the first commit)."""
    return parse_raw(run(["diff-index", "--cached", "-z", "--find-renames", "--no-ext-diff",
                          "--ignore-submodules=none", base, "--"], cwd))


def tree_changes(old: str, new: str, cwd: str | Path | None = None) -> list[Change]:
    """``new`` against ``old`` (commits or trees), recursively."""
    return parse_raw(run(["diff-tree", "-r", "-z", "--find-renames", "--no-ext-diff", old, new, "--"], cwd))


def added_lines(old_oid: str, new_oid: str, cwd: str | Path | None = None) -> set[int]:
    """Line numbers (1-based, in the new blob) that ``git diff`` shows as added.

    ``-a`` makes binary-looking text (UTF-16) diff by lines too: a UTF-16 newline still
    contains the byte 0x0A, so line numbers agree with the engine's.
    """
    out = run(["diff", "-a", "-U0", "--no-ext-diff", "--no-textconv", "--no-color", "--no-renames",
               old_oid, new_oid], cwd)
    lines: set[int] = set()
    for row in out.split(b"\n"):
        m = _HUNK.match(row)
        if m:
            start, count = int(m.group(1)), int(m.group(2) or b"1")
            lines.update(range(start, start + count))
    return lines


def is_bare(cwd: str | Path | None = None) -> bool:
    return run(["rev-parse", "--is-bare-repository"], cwd).strip() == b"true"


@record(frozen=True)
class WorkTree:
    """What a commit hook asks about its repository before reading the index."""
    bare: bool
    top: Path | None    # the top of the work tree; None in a bare repository or inside .git
    head: str | None    # HEAD's commit; None before the first commit


def work_tree(cwd: str | Path | None = None) -> WorkTree:
    """``is_bare``, ``toplevel`` and ``resolve("HEAD")`` from one ``rev-parse`` instead of three:
    each git process is a few milliseconds of a hook that runs on every commit. rev-parse prints
    the answers in order, and exits 1 when only the verification of HEAD failed."""
    proc = _run(["rev-parse", "--is-bare-repository", "--show-toplevel", "--verify", "--quiet", "--end-of-options",
                 "HEAD^{commit}"], cwd)
    bare, _, rest = proc.stdout.partition(b"\n")
    if bare not in (b"true", b"false"):
        raise _failure("rev-parse", proc.stderr, proc.returncode)
    if bare == b"true":   # --show-toplevel failed: a bare repository has no work tree
        return WorkTree(True, None, None)
    if proc.returncode == 0:   # the top (which may hold a newline), then HEAD's id
        top, _, head = rest[:-1].rpartition(b"\n")
        if top:
            return WorkTree(False, Path(top.decode("utf-8", "surrogateescape")), head.decode())
    elif proc.returncode == 1 and rest:   # before the first commit
        return WorkTree(False, Path(rest[:-1].decode("utf-8", "surrogateescape")), None)
    # Inside .git: no work tree to name (rev-parse failed, or an older git printed no top),
    # but HEAD may well be there.
    return WorkTree(False, None, resolve("HEAD", cwd))


def hooks_dir(cwd: str | Path | None = None) -> Path:
    """Where git runs hooks from: ``core.hooksPath`` if set, else ``$GIT_COMMON_DIR/hooks``."""
    out = run(["rev-parse", "--path-format=absolute", "--git-path", "hooks"], cwd)
    return Path(out.decode("utf-8", "surrogateescape").rstrip("\n"))


def commit_exists(oid: str, cwd: str | Path | None = None) -> bool:
    proc = _run(["cat-file", "-e", "--end-of-options", f"{oid}^{{commit}}"], cwd, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
    return proc.returncode == 0


@record(frozen=True)
class Ident:
    """An author, committer or tagger line: ``Name <email> 1700000000 +0100``."""
    who: str             # "Name <email>"
    date: str            # ISO 8601, in the ident's own time zone
    time: int            # seconds since the epoch


def parse_ident(value: bytes) -> Ident:
    import datetime as _dt

    who, _, rest = value.rpartition(b"> ")
    name = decode_path(who + b">") if who else decode_path(value)
    parts = rest.split(b" ")
    try:
        stamp = int(parts[0])
    except ValueError:
        stamp = 0
    try:
        sign = -1 if parts[1][:1] == b"-" else 1
        offset = _dt.timedelta(hours=int(parts[1][1:3]), minutes=int(parts[1][3:5])) * sign
        date = _dt.datetime.fromtimestamp(int(parts[0]), _dt.timezone(offset)).isoformat()
    except (IndexError, ValueError, OverflowError, OSError):
        # A date git accepts but datetime cannot show (a crafted 60-digit timestamp) has no
        # ISO form; it must not stop the scan of the commit that carries it.
        date = ""
    return Ident(name, date, stamp)


@record
class CommitInfo:
    oid: str
    parents: list[str]
    author: str          # "Name <email>"
    date: str            # author date, ISO 8601
    timestamp: int       # committer time, seconds since the epoch
    message: bytes
    committer: str = ""  # "Name <email>"


def parse_commit(oid: str, raw: bytes) -> CommitInfo:
    """A commit object's headers and message, from ``cat-file`` content."""
    head, _, message = raw.partition(b"\n\n")
    info = CommitInfo(oid, [], "", "", 0, message)
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")
        if key == b"parent":
            if not value.isalnum() or not value.isascii():
                raise GitError(f"commit {oid}: malformed parent line (found by fuzzing)")
            info.parents.append(value.decode("ascii"))
        elif key == b"author":
            author = parse_ident(value)
            info.author, info.date = author.who, author.date
        elif key == b"committer":
            committer = parse_ident(value)
            info.committer, info.timestamp = committer.who, committer.time
    return info


@record
class TagInfo:
    oid: str
    target: str          # the object it points to
    name: str
    tagger: Ident | None
    message: bytes       # without a PGP signature block


def parse_tag(oid: str, raw: bytes) -> TagInfo:
    """An annotated tag object's headers and message, from ``cat-file`` content."""
    head, _, message = raw.partition(b"\n\n")
    sig = message.find(b"-----BEGIN PGP SIGNATURE-----")
    info = TagInfo(oid, "", "", None, message[:sig] if sig != -1 else message)
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")
        if key == b"object":
            info.target = value.decode("ascii", "replace")
        elif key == b"tag":
            info.name = decode_path(value)
        elif key == b"tagger":
            info.tagger = parse_ident(value)
    return info


# Several of these git processes run at once. Their memory is mostly the delta-base cache (96 MB
# by default) and the pack files mapped whole (1 GB windows); 16 MB of cache and 1 MB windows
# capped at 16 MB mapped cost no measurable time when objects are read in walk or pack order.
# 1 MB, not 4: a tree walk jumps about the pack, and remapping 4 MB windows cost git log 0.5 s
# of system time per 20,000 commits of git/git (1 MB: 0.2 s; cat-file reading in pack order
# is the same with either).
_LOW_MEMORY = ["-c", "core.deltaBaseCacheLimit=16m", "-c", "core.packedGitWindowSize=1m",
               "-c", "core.packedGitLimit=16m"]


def _finish(proc: subprocess.Popen, what: str) -> None:
    err = proc.stderr.read() if proc.stderr else b""
    if proc.wait() != 0:
        raise _failure(what, err, proc.returncode)


def rev_list_to(args: list[str], out: IO[bytes], err: IO[bytes], cwd: str | Path | None = None) -> None:
    """``rev-list ARGS`` written to the file ``out``, left at its start. Files, not pipes, for
    its output and errors: it may run beside the forking of worker processes, which would hold
    a pipe open (and the reader waiting for its end) for as long as they live."""
    proc = _popen(["rev-list", *args], cwd, stdout=out, stderr=err)
    check_exit(proc, err, "rev-list")
    out.seek(0)


def start_rev_list_objects(args: list[str], out: IO[bytes], err: IO[bytes],
                          cwd: str | Path | None = None) -> subprocess.Popen:
    """``rev-list --objects ARGS`` written to ``out`` for ``parse_rev_list_objects``; it runs on
    its own while the caller does other work (see ``check_exit``)."""
    return _popen([*_LOW_MEMORY, "rev-list", "--objects", *args], cwd, stdout=out, stderr=err)


def _growing(name: str | Path, running: Callable[[], bool]) -> Iterator[bytes]:
    """What a git process writes to the file ``name``, in blocks, as it grows, until
    ``running()`` says the writing is over and the file has been read to its end."""
    with open(name, "rb") as reader:
        while True:
            block = reader.read(1 << 20)
            if not block:
                if running():
                    time.sleep(0.002)   # git is still writing
                    continue
                # git exited after the read above came back empty: what it wrote in between is
                # in the file now, and dropping it would lose the end (a walk's last commits:
                # their blobs never placed, so their findings silently gone).
                block = reader.read(1 << 20)
                if not block:
                    return
            yield block


def blobs_in_pack_order(out: IO[bytes], cwd: str | Path | None = None) -> Iterator[str]:
    """Every blob in the object store, loose or packed, reachable or not, in the order git
    stores them: read in this order, a delta is rebuilt from a base just read.

    git writes the list (ids and types) to ``out``, a file with a name, read as it grows: listing, git
    holds an index of every object (74 MB on git/git), which through a pipe it would hold for
    as long as the caller takes to read the list; to a file it exits within a second."""
    proc = _popen([*_LOW_MEMORY, "cat-file", "--batch-all-objects", "--unordered",
                   "--batch-check=%(objecttype) %(objectname)"], cwd, stdout=out)
    try:
        carry = b""
        for block in _growing(out.name, lambda: proc.poll() is None):
            lines = (carry + block).split(b"\n")
            carry = lines.pop()
            for line in lines:
                if line.startswith(b"blob "):
                    yield line[5:].decode()
    finally:
        if proc.poll() is None:   # the caller stopped early
            proc.kill()
            proc.wait()
    _finish(proc, "cat-file --batch-all-objects")


def rev_tips(revs: list[str], cwd: str | Path | None = None) -> list[str]:
    """What rev-list arguments start from, as object ids (``--all``: every ref's value)."""
    out = run(["rev-parse", "--revs-only", *revs], cwd).decode().split()
    return sorted({line for line in out if len(line) in (40, 64) and all(c in "0123456789abcdef" for c in line)})


def existing_objects(oids: list[str], cwd: str | Path | None = None) -> list[str]:
    """Those of ``oids`` that the repository has (a force-pushed tip may have been pruned)."""
    if not oids:
        return []
    out = run(["cat-file", "--batch-check=%(objectname)"], cwd, input="".join(o + "\n" for o in oids).encode())
    return [line for line in out.decode().split("\n") if line and not line.endswith(" missing")]


def reachable(commits: list[str], old_tips: list[str], new_tips: list[str], cwd: str | Path | None = None) -> set[str]:
    """Those of ``commits`` (each reachable from ``old_tips``) that ``new_tips`` still reach:
    only the commits the old tips reach and the new ones do not are walked. One ``cat-file``
    says which of the old tips and the commits are still there (a git process costs ms)."""
    present = set(existing_objects(sorted({*commits, *old_tips}), cwd))
    old = [t for t in old_tips if t in present]
    lost: set[str] = set()
    if old:
        spec = "".join(f"{o}\n" for o in old) + "".join(f"^{t}\n" for t in new_tips)
        lost = set(run(["rev-list", "--stdin"], cwd, input=spec.encode()).decode().split())
    return {c for c in commits if c in present and c not in lost}


def parse_rev_list_objects(stream: IO[bytes]) -> Iterator[tuple[bytes, bytes | None]]:
    for line in stream:
        oid, sep, path = line.rstrip(b"\n").partition(b" ")
        yield oid, (path if sep else None)


def _widen(pipe: IO[bytes]) -> None:
    """Let git run up to a megabyte ahead of its reader instead of 64 KB (Linux only): with the
    default, git stalls on every larger object until the scanner has caught up."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError, AttributeError):
        pass


def _corruption(name: str, cwd: str | Path | None) -> str:
    """Why an object that ``cat-file --batch`` calls missing cannot be read, if it is there but
    corrupt (git says "missing" for both); "" when it is really not in the repository."""
    proc = _run(["cat-file", "-t", "--end-of-options", name], cwd)
    errors = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.startswith("error:")]
    return errors[-1][len("error: "):] if proc.returncode != 0 and errors else ""


class BlobStream:
    """A large object's content, read in pieces straight from ``cat-file``'s pipe and never held
    whole (see ``ObjectReader.read``)."""

    def __init__(self, pipe: IO[bytes], size: int, oid: str) -> None:
        self._pipe, self.left, self.oid = pipe, size, oid

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        n = self.left if n < 0 else min(n, self.left)
        data = self._pipe.read(n)
        if len(data) != n:
            raise GitError(f"git cat-file: cannot read object {self.oid}: cut short")
        self.left -= n
        return data

    def drain(self) -> None:
        while self.left > 0:
            self.read(1 << 20)


Content = bytes | BlobStream | None


class ObjectReader:
    """A persistent ``git cat-file --batch`` read in bulk: a thread writes a whole list of ids
    while the caller reads the contents, so the pipe never waits on a round trip."""

    def __init__(self, cwd: str | Path | None = None) -> None:
        self.cwd = cwd
        self.proc = self._start()

    def _start(self) -> subprocess.Popen:
        proc = _popen([*_LOW_MEMORY, "cat-file", "--batch"], self.cwd, stdin=subprocess.PIPE, bufsize=1 << 20)
        assert proc.stdout is not None
        _widen(proc.stdout)
        return proc

    def restart(self) -> None:
        """A fresh cat-file after this one died (a corrupt object), to read the objects after it."""
        self.close()
        self.proc = self._start()

    def read(self, oids: list[str], max_size: int | None = None,
             stream_over: int | None = None) -> Iterator[tuple[str, str, int, Content]]:
        """(name, type, size, content) for each object name, in order. Type is "missing" for
        one the repository does not have (content None). Content is None for an object over
        ``max_size`` (drained a piece at a time, never held whole), and a ``BlobStream`` for
        one over ``stream_over``: read it before asking for the next object (what is left
        unread is drained)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        stdin, errors = self.proc.stdin, []

        def feed() -> None:
            # In a thread: a pipe both written and read by one thread would deadlock once full.
            try:
                stdin.write("".join(oid + "\n" for oid in oids).encode("utf-8", "surrogateescape"))
                stdin.flush()
            except (OSError, ValueError) as exc:
                errors.append(exc)

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        out = self.proc.stdout
        try:
            for oid in oids:
                header = out.readline()
                parts = header.split()
                if header.rstrip(b"\n").endswith(b" missing"):   # "<name> missing"; a name may hold spaces
                    corrupt = _corruption(oid, self.cwd)
                    if corrupt:
                        raise GitError(f"git cat-file: cannot read object {oid}: {corrupt}")
                    yield oid, "missing", 0, None
                    continue
                if len(parts) != 3 or not parts[2].isdigit():
                    raise GitError(f"git cat-file: cannot read object {oid}{self._why()}")
                kind, size = parts[1].decode(), int(parts[2])
                if max_size is not None and size > max_size:
                    BlobStream(out, size, oid).drain()
                    data: Content = None
                elif stream_over is not None and size > stream_over:
                    data = BlobStream(out, size, oid)
                else:
                    data = whole = out.read(size)
                    if len(whole) != size:
                        raise GitError(f"git cat-file: cannot read object {oid}: cut short{self._why()}")
                yield oid, kind, size, data
                if isinstance(data, BlobStream):
                    data.drain()
                out.read(1)  # the LF after the content
        finally:
            feeder.join()
        if errors:
            raise GitError(f"git cat-file: {errors[0]}")

    def get(self, name: str) -> tuple[str, bytes] | None:
        """(type, content) of one object (an id or ``rev:path``), or None when it is missing."""
        (_, kind, _, data), = list(self.read([name]))
        return None if kind == "missing" else (kind, data if isinstance(data, bytes) else b"")

    def _why(self) -> str:
        """git's last words, once it has exited after a fatal error (a corrupt object)."""
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return ""
        if self.proc.stderr is None:
            return ""
        lines = self.proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
        return f" ({lines[-1]})" if lines else ""

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            self.proc.wait()

    def __enter__(self) -> "ObjectReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def count_objects(cwd: str | Path | None = None) -> int:
    """Loose plus packed objects: a total for progress bars (may count a few duplicates)."""
    total = 0
    for line in run(["count-objects", "-v"], cwd).decode().splitlines():
        key, _, value = line.partition(": ")
        if key in ("count", "in-pack"):
            total += int(value)
    return total


@record
class LogCommit:
    """One commit of a ``LogStream``: its id, its index in the walk (0 = newest in topological
    order), where its header sits in the copy, and each blob it adds or changes."""
    oid: str
    index: int
    offset: int
    blobs: list[tuple[str, bytes, bytes, int]]   # (blob id, mode, raw path, offset of the entry in the copy)


_LOG_FORMAT = "--format=%x01%H"   # dates and names cost git time; the few commits that matter are read later
# Commits per git log when a LogStream shows a given list: git reads all of its --stdin and
# keeps every commit parsed until it exits (90 MB for half of git/git), 4,096 at a time 42 MB,
# and no more CPU (a git process costs milliseconds; 1,024 at a time cost 20 % more).
LOG_BATCH = 4096


@record
class CommitMessage:
    oid: str
    timestamp: int       # committer time
    date: str            # author date, ISO 8601
    author: str          # "name <email>"
    message: bytes
    committer: str = ""  # "name <email>"


def commit_messages(args: list[str], cwd: str | Path | None = None) -> Iterator[CommitMessage]:
    """Every commit ``git log ARGS`` walks, with its message, streamed through a pipe: messages
    may hold secrets, so they never go to a file. No diffs, so this is fast."""
    proc = _popen([*_LOW_MEMORY, "log", "--no-show-signature",
                   "--format=%x00%H%x00%ct%x00%aI%x00%an <%ae>%x00%cn <%ce>%x00%B", *args, "--"], cwd, bufsize=1 << 20)
    assert proc.stdout is not None
    carry = b""
    while True:
        block = proc.stdout.read(1 << 20)
        fields = (carry + block).split(b"\0")
        # A record is the six fields after the NUL that opens it; a message is known to be
        # whole only once the next record's NUL has arrived, or at the end.
        i = 1
        while i + 6 < len(fields) or (not block and i + 6 <= len(fields)):
            oid, stamp, date, author, committer, message = fields[i:i + 6]
            yield CommitMessage(oid.decode(), int(stamp or 0), date.decode(), decode_path(author), message,
                                decode_path(committer))
            i += 6
        if not block:
            break
        carry = b"\0" + b"\0".join(fields[i:])
    _finish(proc, "log")


class LogStream:
    """``git log --raw``, parsed as git writes it: each commit with the blobs it adds or changes
    (merges: the paths that differ from every parent, i.e. what the merge itself brought).

    git writes to ``out``, a file, which is read as it grows: git never waits on a pipe, and
    any commit and path can be read back later by offset (``place``) instead of being kept in
    memory. The file holds ids, dates, names and paths; no content. ``commits`` (ids, one a
    line), when given, is the exact list of commits to show, in order, instead of a walk
    over ``args``: several streams can then share out one history. They are shown by one git
    log after another, ``LOG_BATCH`` commits each, writing one after another to ``out``.

    With ``-z`` a header is one field, starting with \\x01; a --raw entry is one
    colon per parent, modes, ids (the last is the new blob) and a status, then the path as
    the next field."""

    def __init__(self, args: list[str], out: IO[bytes], err: IO[bytes], cwd: str | Path | None = None,
                 commits: IO[bytes] | None = None) -> None:
        self.out, self.err, self.cwd = out, err, cwd
        self._map: mmap.mmap | None = None
        self._series: threading.Thread | None = None
        self._stop = False
        if commits is None:
            self.proc = self._start(["--topo-order", *args], subprocess.DEVNULL)
            return
        ids = iter(commits)
        if not self._next(ids):
            self.proc = self._start(["--no-walk=unsorted", "--stdin"], subprocess.DEVNULL)   # an empty list
            return
        # The rest of the series, each git log as soon as the one before it has exited: git
        # works on while the file is read (several streams are read one after another).
        self._series = threading.Thread(target=self._run_series, args=(ids,), daemon=True)
        self._series.start()

    def _run_series(self, ids: Iterator[bytes]) -> None:
        while self.proc.wait() == 0 and not self._stop and self._next(ids):
            pass

    def _running(self) -> bool:
        if self._series is not None:
            return self._series.is_alive()
        return self.proc.poll() is None

    def _start(self, walk: list[str], stdin: Any) -> subprocess.Popen:
        # --root and --no-show-signature: a user's log.showRoot=false or log.showSignature=true
        # would hide a root commit's files or mix gpg output into the stream. git writes where
        # the last one stopped: every process of the series shares the one open file (and offset).
        return _popen([*_LOW_MEMORY, "log", "--raw", "-z", "--no-abbrev", "--no-renames", "-c", "--root",
                       "--no-show-signature", "--no-ext-diff", _LOG_FORMAT, *walk, "--"], self.cwd,
                      stdin=stdin, stdout=self.out, stderr=self.err)

    def _next(self, ids: Iterator[bytes]) -> bool:
        """Start the git log for the next ``LOG_BATCH`` commits of the list, if any are left."""
        batch = b"".join(itertools.islice(ids, LOG_BATCH))
        if not batch:
            return False
        import tempfile

        # A file, not a pipe: a worker process forked meanwhile would hold the pipe's other end
        # open, and git would wait for the end of its input for as long as that worker lives.
        with tempfile.TemporaryFile(prefix="leakwarden-commits-") as listed:
            listed.write(batch)
            listed.seek(0)
            self.proc = self._start(["--no-walk=unsorted", "--stdin"], listed)
        return True

    def commits(self, first_index: int = 0) -> Iterator[LogCommit]:
        """The commits, numbered from ``first_index``, as git writes them."""
        commit: LogCommit | None = None
        carry, base, index = b"", 0, first_index    # base: offset in the file of carry's first byte
        for block in itertools.chain(_growing(self.out.name, self._running), [b""]):
            data = carry + block
            cut = data.rfind(b"\x01") if block else len(data)   # the last commit may be cut short
            if cut <= 0:
                carry = data
                continue
            fields = data[:cut].split(b"\0")
            pos, i, n = base, 0, len(fields)
            while i < n:
                field = fields[i]
                lead = field[:1]
                if lead == b"\n":
                    field = field.lstrip(b"\n")
                    pos += len(fields[i]) - len(field)
                    lead = field[:1]
                if lead == b"\x01":
                    if commit is not None:
                        yield commit
                    commit = LogCommit(field[1:].decode(), index, pos, [])
                    index += 1
                    pos += len(field) + 1
                    i += 1
                    continue
                if lead == b":" and commit is not None and i + 1 < n:
                    parents = len(field) - len(field.lstrip(b":"))
                    parts = field.split(b" ")
                    commit.blobs.append((parts[-2].decode(), parts[parents][-6:], fields[i + 1], pos))
                    pos += len(field) + len(fields[i + 1]) + 2
                    i += 2
                    continue
                pos += len(field) + 1
                i += 1
            base += cut
            carry = data[cut:]
        if commit is not None:
            yield commit

    def finish(self) -> None:
        """Raise GitError with git's last line of stderr if the walk failed."""
        if self._series is not None:
            self._series.join()
        if self.proc.wait() != 0:
            raise _failure_in("log", self.err, self.proc.returncode)

    def place(self, commit_offset: int, entry_offset: int) -> tuple[str, str]:
        """(commit, path) of an entry, read back from the file by the offsets ``commits`` gave."""
        if self._map is None:
            import mmap

            self._map = mmap.mmap(self.out.fileno(), 0, access=mmap.ACCESS_READ)
        m = self._map

        def field(at: int) -> tuple[bytes, int]:
            end = m.find(b"\0", at)
            return m[at:end], end + 1

        oid, _ = field(commit_offset + 1)
        _, at = field(entry_offset)
        path, _ = field(at)
        return oid.decode(), decode_path(path)

    def close(self) -> None:
        self._stop = True   # the series starts no git after the one it may be starting now
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._series is not None:
            self._series.join()
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        if self._map is not None:
            self._map.close()


def _nul_tokens(stream) -> Iterator[bytes]:
    carry = b""
    while True:
        block = stream.read(1 << 16)
        if not block:
            break
        parts = (carry + block).split(b"\0")
        carry = parts.pop()
        yield from parts
    if carry.strip(b"\n"):
        yield carry


def check_exit(proc: subprocess.Popen, err: IO[bytes], what: str) -> None:
    """Raise GitError with git's last line of stderr if ``proc`` (started with ``err`` as its
    stderr file) failed."""
    if proc.wait() != 0:
        raise _failure_in(what, err, proc.returncode)


# --- Server side (pre-receive): what a push brings that the repository does not have yet ---------
#
# Inside pre-receive the refs still hold their old values and the pushed objects sit in the
# quarantine directory (GIT_OBJECT_DIRECTORY / GIT_QUARANTINE_PATH), which every child process
# sees because the environment is inherited unchanged. ``--not --all`` therefore leaves exactly
# what is new to the server.

def config_section(section: str, cwd: str | Path | None = None) -> list[tuple[str, str | None]]:
    """Every ``section.*`` setting as (lower-case key, value); a key written without ``=`` has None."""
    proc = _run(["config", "-z", "--get-regexp", rf"^{section}\."], cwd)
    if proc.returncode == 1:  # nothing set
        return []
    if proc.returncode != 0:
        raise _failure("config", proc.stderr, proc.returncode)
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


def new_commit_changes(tips: list[str], cwd: str | Path | None = None
                       ) -> Iterator[tuple[str, list[tuple[str, str]], list[str]]]:
    """New commits, oldest first, each with the (blob id, path) pairs it adds or modifies and
    the paths of the submodules (gitlinks: commits of another repository) it adds or moves.

    ``rev-list`` feeds ``diff-tree --stdin`` directly (one pipe, nothing held in memory); root
    commits are diffed against the empty tree and merges against each parent, so content a
    merge introduces (a conflict resolution) is seen too. A merge comes out once per parent;
    consecutive headers for the same commit are merged here.
    """
    if not tips:
        return
    import tempfile

    with tempfile.TemporaryFile() as rl_err, tempfile.TemporaryFile() as dt_err:
        rl = _popen(["rev-list", "--topo-order", "--reverse", *tips, "--not", "--all"], cwd, stderr=rl_err)
        dt = _popen(["diff-tree", "--stdin", "-r", "-z", "-m", "--root", "--always", "--no-renames"], cwd,
                    stdin=rl.stdout, stderr=dt_err)
        assert rl.stdout is not None and dt.stdout is not None
        rl.stdout.close()  # diff-tree owns it now; rev-list gets SIGPIPE if diff-tree dies
        commit, blobs, gitlinks = "", [], []
        tokens = _nul_tokens(dt.stdout)
        try:
            for token in tokens:
                if token.startswith(b":"):
                    path = next(tokens, b"")
                    fields = token[1:].split(b" ")
                    new_mode, new_oid, status = fields[1], fields[3].decode(), fields[4][:1]
                    if status == b"D" or is_zero(new_oid):
                        continue   # deleted: nothing to scan
                    if new_mode == GITLINK_MODE.encode():
                        gitlinks.append(decode_path(path))
                    else:
                        blobs.append((new_oid, decode_path(path)))
                    continue
                header = token.decode().strip()
                if header != commit:
                    if commit:
                        yield commit, blobs, gitlinks
                    commit, blobs, gitlinks = header, [], []
            if commit:
                yield commit, blobs, gitlinks
        finally:
            dt.stdout.close()
            dt_rc, rl_rc = dt.wait(), rl.wait()
        for name, rc, err in (("rev-list", rl_rc, rl_err), ("diff-tree", dt_rc, dt_err)):
            if rc != 0:
                raise _failure_in(name, err, rc)


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



def refs_containing(commits: list[str], cwd: str | Path | None = None) -> dict[str, list[str]]:
    """For each commit (or annotated tag), the refs that reach it: where a leaked secret is still
    served from. An id that is not a commit (a tag object) is looked up by the refs that name it."""
    out: dict[str, list[str]] = {}
    for oid in commits:
        listed = run(["for-each-ref", "--format=%(refname)", f"--contains={oid}"], cwd, check=False)
        if not listed:
            listed = run(["for-each-ref", "--format=%(refname)", f"--points-at={oid}"], cwd, check=False)
        out[oid] = listed.decode("utf-8", "surrogateescape").split()
    return out
