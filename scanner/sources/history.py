"""All of history: every blob reachable from the given refs, each scanned once at a path where
it occurs, plus commit and tag messages. One finding per secret, listing every place it occurs
and the commit that introduced it.

Two things run side by side. ``git log --raw`` walks the history and names each commit and the
blobs it adds, with their paths (on several cores the walk's commits are cut into runs, each
shown by a log of its own). Meanwhile worker processes, one per core, read blobs through their
own ``cat-file --batch`` in pack order, the order git stores them in: a delta is then rebuilt
from a base just read, where walk order had git rebuild delta chains again and again (on
git/git, 19 s of cat-file CPU instead of 5.5 s). A blob's findings do not depend on its path,
except for files known by name (.env, key stores), rules that run only in some files
(``in_files``: configuration files) and each finding's advice, so workers only say which blobs
hold something, and which woke such a rule (not run without a path); those that hold something,
every blob met under a credential file's name, and those that woke such a rule and were met
under a name it admits are scanned again at their paths once the walk has placed them. Both passes go through the
one blob step (``sources.blobs``): missing objects, ``max_file_size``, LFS pointers, large
blobs streamed in chunks, as for a commit; the outcome is one ``Report``. Blobs the walk never meets
(unreachable ones) count for nothing. One worker also takes the commit messages, streamed by a
``git log`` without diffs. When the arguments limit the walk (``--since``, ``A..B``), only the
blobs that the selected commits hold are read: those it adds, and those an older commit added,
which come from ``rev-list --objects``. Annotated tags are listed from the tips.

Memory and disk: git writes the walks to temporary files (ids and paths; never content, and
never a message), read as they grow, and the object listing (ids and types), read once git
has exited (and again at the end, for the blobs the store lacks). For each blob only where it was seen is kept, as offsets into those files; the commits
and paths of the few blobs with findings are read back at the end.
"""
from __future__ import annotations

import sys
import tempfile
import threading
from array import array
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator

from scanner import git
from scanner.finding import Finding
from scanner.records import field, record
from scanner.report import COMMIT_MESSAGE, Report, Skip
from scanner.sources.blobs import Blob, scan_blobs
from scanner.sources.files import excluded

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.engine.core import Engine
    from scanner.rules.model import Rule

POOL_MIN_OBJECTS = 20_000   # below this a pool starts up slower than one process finishes
FIRST_CHUNK, MAX_CHUNK = 64, 4096   # objects per task: small first, so that workers start at once
CHECKPOINT_SECONDS = 5.0            # how often a resumable run says how far it got

# rev-list arguments that only choose tips: with those alone every reachable blob is added by
# some walked commit (a merge's own blobs show in its combined diff), so the walk names them all.
_TIP_OPTIONS = ("--all", "--branches", "--tags", "--remotes")
_TIP_PREFIXES = ("--branches=", "--tags=", "--remotes=", "--glob=")
_SKIPPED_MODES = (b"000000", b"120000")   # deleted; a symlink (its content is a path, not a file's)
_GITLINK = b"160000"


@record
class Progress:
    """How far a run got, to resume it: the first ``done`` blobs it feeds (in its order, which
    is the same for the same repository and walk; ``last`` is the last of them) are scanned,
    ``found`` are the blobs that held something, and ``gated`` those that woke a rule that runs
    only in some files (see ``_Scanned``). Object ids only, never content."""
    done: int = 0
    last: str = ""
    found: set[str] = field(default_factory=set)
    gated: set[str] = field(default_factory=set)


@record
class _Hit:
    """One finding at one place, before findings are merged per secret."""
    finding: Finding
    where: dict[str, Any]
    order: tuple[int, int]     # (committer time, -position in topological order): smaller is older


@record
class _Scanned:
    """What scanning some objects found: the blobs that hold something (judged again at their
    paths once the walk has placed them), the blobs that woke a rule that runs only in some
    files (``in_files``: judged again where the walk met them under such a name, if it did),
    message findings, and what could not be read."""
    found: set[str] = field(default_factory=set)
    gated: set[str] = field(default_factory=set)
    messages: list[_Hit] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)   # (object id, label or "", why)
    objects: int = 0
    bytes: int = 0
    span: tuple[int, int, str] = (0, 0, "")   # blobs [start, end) of the feed, and the last one's id

    def add(self, other: "_Scanned") -> None:
        self.found |= other.found
        self.gated |= other.gated
        self.messages.extend(other.messages)
        self.skipped.extend(other.skipped)
        self.objects += other.objects
        self.bytes += other.bytes


# The other rev-list options a user may give: they only limit the walk. Anything else that
# starts with '-' is refused, so that no argument is read by git as an option that writes a
# file or changes the output (``--output=FILE``).
_LIMIT_OPTIONS = ("--not", "--first-parent")
_LIMIT_PREFIXES = ("--since=", "--until=", "--after=", "--before=", "--max-age=", "--min-age=", "--exclude=")


def scan(repo: Path, engine: Engine, cfg: Config, rev_args: list[str] | None = None, *, progress: bool = False,
         jobs: int | None = None, resume: Progress | None = None,
         checkpoint: Callable[[Progress], None] | None = None) -> Report:
    """The one way into history, for ``history`` (``--state`` too), ``org-audit``, ``baseline
    --from-history``, ``remediate --history``, ``verify`` and ``revoke``: every secret that
    ``rev_args`` (default ``--all``) reaches, honouring ``exclude_paths`` and ``max_file_size``;
    works on bare repositories. ``resume`` passes over what an interrupted run scanned;
    ``checkpoint`` is told how far this one got every few seconds, and once more if it is
    interrupted. ``jobs``: worker processes (default: one per core for a large repository)."""
    from scanner.engine import pool
    from scanner.errors import UsageError

    try:
        git.git_dir(repo)
    except git.GitError:
        raise UsageError(f"{repo}: not a git repository") from None
    walked = checked_rev_args(rev_args or [])
    max_size = cfg.max_file_size if cfg.max_file_size_set else None
    try:
        if jobs is None:
            jobs = pool.workers() if git.count_objects(repo) >= POOL_MIN_OBJECTS else 1
        with tempfile.TemporaryDirectory(prefix="leakwarden-history-") as tmp:
            walk = _Walk(repo, walked, Path(tmp), streams=jobs, gates=engine.content_rules)
            try:
                scanned = _scan(repo, engine, walk, max_size, progress, jobs, resume, checkpoint)
                return _report(scanned, _judge_at_paths(repo, engine, walk, scanned, max_size), walk,
                               cfg.exclude_paths)
            finally:
                walk.close()
    except git.GitError as exc:
        raise UsageError(str(exc)) from None


def checked_rev_args(args: list[str]) -> list[str]:
    """The user's rev-list arguments, with ``--all`` when none of them names a tip; an option
    that is not known to only choose or limit the walk is refused."""
    from scanner.errors import UsageError

    for a in args:
        if a.startswith("-") and not (a in _TIP_OPTIONS or a in _LIMIT_OPTIONS or
                                      a.startswith(_TIP_PREFIXES + _LIMIT_PREFIXES)):
            raise UsageError(f"{a!r}: not a revision or a rev-list option that history accepts "
                             f"({', '.join(_TIP_OPTIONS + _LIMIT_OPTIONS)}, "
                             f"{', '.join(p + '...' for p in _TIP_PREFIXES + _LIMIT_PREFIXES)})")
    if not any(not a.startswith("-") or a in _TIP_OPTIONS or a.startswith(_TIP_PREFIXES) for a in args):
        return [*args, "--all"]
    return list(args)


# -- the walk: what to scan, and where each blob occurs -------------------------------------------

class _Walk:
    def __init__(self, repo: Path, rev_args: list[str], tmp: Path, streams: int, gates: list[Rule]) -> None:
        self.repo, self.rev_args, self.tmp, self.streams = repo, rev_args, tmp, streams
        self.gates = [r for r in gates if r.in_files]   # content rules that run only in some files
        self.files: list[IO[bytes]] = []
        self.lock, self.closed = threading.Lock(), False   # read() starts the logs in its own thread
        # Annotated tags, and for a limited walk the blobs its commits hold but did not add:
        # listed by rev-list beside the walk, read when it ends.
        self.side: list[tuple[Any, IO[bytes], IO[bytes], str]] = []
        # Annotated tags hang only off refs (or off other tags), so the tips alone name them all.
        self._side("tags", ["--no-walk", "--filter=object:type=tag", "--filter-provided-objects", *rev_args])
        self.limited = not all(a in _TIP_OPTIONS or a.startswith(_TIP_PREFIXES) or
                               (not a.startswith(("-", "^")) and ".." not in a) for a in rev_args)
        if self.limited:
            # --filter-provided-objects: an annotated tag among the tips (--all, --tags) is not a blob.
            self._side("blobs", ["--filter=object:type=blob", "--filter-provided-objects", *rev_args])
        self.logs: list[git.LogStream] = []
        self.bases: list[int] = []
        self.headers = array("q")           # commit index -> its log stream and header offset (see _pack)
        self.first: dict[str, int] = {}     # blob -> where it was first seen (see _pack)
        self.again: dict[str, list[int]] = {}
        self.outside: dict[str, str] = {}   # blob -> path, for blobs only rev-list names
        self.named: dict[str, list[str]] = {}   # blob -> the credential file names (.env...) it has
        self.gate_named: set[str] = set()   # blobs met under a name that a rule in self.gates admits
        self.tags: list[tuple[str, str]] = []   # (annotated tag, label)
        self.gitlinks: set[bytes] = set()   # paths of submodules: not scanned, reported once each

    def _logs(self, streams: int) -> tuple[list[git.LogStream], list[int]]:
        """One ``git log`` for the whole walk, or, to use more cores, the walk's commits (in
        topological order) cut into ``streams`` runs, each shown by a log of its own."""
        if streams <= 1:
            return [git.LogStream(self.rev_args, self.scratch("log"), self.scratch("log.err"), self.repo)], [0]
        listed = self.scratch("commits")
        git.rev_list_to(["--topo-order", *self.rev_args, "--"], listed, self.scratch("commits.err"), self.repo)
        line = len(listed.readline())   # every line is an id and a newline: one length
        count = listed.seek(0, 2) // line if line else 0
        size = -(-count // streams) or 1
        logs, bases = [], []
        for base in range(0, count, size):
            part = self.scratch(f"commits.{base}")
            listed.seek(base * line)
            part.write(listed.read(min(size, count - base) * line))
            part.seek(0)
            logs.append(git.LogStream([], self.scratch(f"log.{base}"), self.scratch(f"log.{base}.err"), self.repo,
                                      commits=part))
            bases.append(base)
        return logs, bases

    def scratch(self, name: str) -> IO[bytes]:
        """A temporary file, open until ``close``, for git to write (ids and paths, never content)."""
        with self.lock:
            if self.closed:
                raise git.GitError("history: the walk was stopped")
            fh = open(self.tmp / name, "w+b")  # noqa: SIM115 - open until close(): git writes, we read as it grows
            self.files.append(fh)
            return fh

    def _side(self, name: str, args: list[str]) -> None:
        out, err = self.scratch(name), self.scratch(name + ".err")
        self.side.append((git.start_rev_list_objects(args, out, err, self.repo), out, err, name))

    def read(self) -> None:
        """Read the walk to its end: where each blob occurs, which blobs have a credential
        file's name somewhere, the annotated tags. Raises GitError if a walk failed."""
        from scanner.engine.credfiles import detector_for

        # Here, not in __init__: cutting the walk over the cores takes a rev-list of every
        # commit first (a second on git/git), while the workers can already scan.
        logs, bases = self._logs(self.streams)
        with self.lock:
            if self.closed:
                for log in logs:
                    log.close()
                return
            self.logs, self.bases = logs, bases

        first, again, headers = self.first, self.again, self.headers
        kind_of: dict[bytes, tuple[bool, bool]] = {}   # path -> (a credential file's name, a gated name)
        for number, (log, base) in enumerate(zip(self.logs, self.bases, strict=True)):
            for commit in log.commits(base):
                headers.append(_pack(number, commit.offset))
                for blob, mode, raw, entry in commit.blobs:
                    if mode in _SKIPPED_MODES:
                        continue
                    if mode == _GITLINK:
                        self.gitlinks.add(raw)
                        continue
                    spot = _pack(commit.index, entry)
                    if blob not in first:
                        first[blob] = spot
                    else:
                        again.setdefault(blob, []).append(spot)
                    kind = kind_of.get(raw)
                    if kind is None:
                        path = git.decode_path(raw)
                        kind = kind_of[raw] = (detector_for(path) is not None, bool(self._gates_at(path)))
                    if kind[0] and git.decode_path(raw) not in self.named.get(blob, ()):
                        self.named.setdefault(blob, []).append(git.decode_path(raw))
                    if kind[1]:
                        self.gate_named.add(blob)
            log.finish()   # a bad revision: say so now, not after the rest
        for proc, out, err, name in self.side:
            git.check_exit(proc, err, "rev-list")
            out.seek(0)
            for oid, name_raw in git.parse_rev_list_objects(out):
                if name_raw is None:
                    continue
                oid_s = oid.decode()
                if name == "tags":
                    self.tags.append((oid_s, f"<tag message {git.decode_path(name_raw)}>"))
                elif oid_s not in first and oid_s not in self.outside:
                    self.outside[oid_s] = git.decode_path(name_raw)
                    if detector_for(self.outside[oid_s]) is not None:
                        self.named[oid_s] = [self.outside[oid_s]]
                    if self._gates_at(self.outside[oid_s]):
                        self.gate_named.add(oid_s)

    def _gates_at(self, path: str) -> tuple[int, ...]:
        """Which of the rules that run only in some files run at ``path``."""
        return tuple(i for i, rule in enumerate(self.gates) if rule.applies_to(path))

    def gated_paths(self, blob: str) -> list[str]:
        """Where the walk met ``blob`` under a name that a rule in ``gates`` admits: the first
        such path for each set of those rules (``a.yml`` and ``b.yml`` would be judged alike)."""
        if blob not in self.gate_named:
            return []
        paths = [self.outside[blob]] if blob in self.outside else [path for _, _, path in self.places(blob)]
        out: dict[tuple[int, ...], str] = {}
        for path in paths:
            gates = self._gates_at(path)
            if gates:
                out.setdefault(gates, path)
        return list(out.values())

    def placed(self, blob: str) -> bool:
        return blob in self.first or blob in self.outside

    def path(self, blob: str) -> str:
        """Where the walk met ``blob`` first."""
        if blob in self.outside:
            return self.outside[blob]
        return self.places(blob)[0][2]

    def places(self, blob: str) -> list[tuple[int, str, str]]:
        """(position in the walk, commit, path) for every commit that adds ``blob``."""
        spots = [self.first[blob], *self.again.get(blob, [])] if blob in self.first else []
        out = []
        for spot in spots:
            index, entry = _unpack(spot)
            number, header = _unpack(self.headers[index])
            out.append((index, *self.logs[number].place(header, entry)))
        return out

    def close(self) -> None:
        with self.lock:
            self.closed = True
        for log in self.logs:
            log.close()
        for proc, _, _, _ in self.side:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for fh in self.files:
            fh.close()


def _pack(high: int, offset: int) -> int:
    """A number and a file offset as one int: half the memory of a tuple."""
    return high << 40 | offset


def _unpack(packed: int) -> tuple[int, int]:
    return packed >> 40, packed & ((1 << 40) - 1)


# -- scanning ------------------------------------------------------------------------------

class _Feed:
    """The tasks for the workers: the commit messages first (one task: they stream from their
    own git log), then blobs in pack order in chunks (small at first, so that every worker
    starts at once), then annotated tags. For a full walk the blobs go out while the walk is
    read in a thread; a limited walk is read first, to know which blobs it holds."""

    def __init__(self, repo: Path, walk: _Walk, max_size: int | None, resume: Progress | None) -> None:
        self.repo, self.walk, self.max_size, self.resume = str(repo), walk, max_size, resume
        self.listing: IO[bytes] | None = None   # every object's id and type, when the store is listed
        self.error: BaseException | None = None
        self.reader = threading.Thread(target=self._read_walk, daemon=True)
        self.reader.start()

    def _read_walk(self) -> None:
        try:
            self.walk.read()
        except BaseException as exc:   # raised in the caller's thread by done()
            self.error = exc

    def done(self) -> None:
        """Wait for the walk; raise what reading it raised."""
        self.reader.join()
        if self.error is not None:
            raise self.error

    def __iter__(self) -> Iterator[tuple]:
        yield ("messages", self.repo, self.walk.rev_args)
        wanted: set[str] | None = None
        if self.walk.limited:
            self.done()
            wanted = self.walk.first.keys() | self.walk.outside.keys()
        if wanted is not None and len(wanted) < POOL_MIN_OBJECTS:
            # Few blobs (an incremental audit): listing the whole store would cost more than
            # the order saves. One the store lacks is said so by the blob step.
            blobs: Iterator[str] = iter(sorted(wanted))
        else:
            self.listing = self.walk.scratch("objects")
            blobs = git.blobs_in_pack_order(self.listing, self.repo)
            if wanted is not None:
                blobs = (oid for oid in blobs if oid in wanted)
        chunk: list[str] = []
        limit, start = FIRST_CHUNK, -1
        for oid in self._resumed(blobs):
            chunk.append(oid)
            if len(chunk) >= limit:
                start = self.skipped if start < 0 else start   # known once the passed-over blobs are
                yield ("blobs", self.repo, self.max_size, chunk, start)
                start += len(chunk)
                chunk, limit = [], min(limit * 2, MAX_CHUNK)
        if chunk:
            yield ("blobs", self.repo, self.max_size, chunk, self.skipped if start < 0 else start)
        self.done()
        for i in range(0, len(self.walk.tags), MAX_CHUNK):
            yield ("tags", self.repo, self.max_size, self.walk.tags[i:i + MAX_CHUNK])

    def _resumed(self, blobs: Iterator[str]) -> Iterator[str]:
        """The blobs to scan, numbered from 0 as when nothing was done; the first ``done`` of
        them are passed over when resuming, provided the one at ``done - 1`` is the same blob
        as last time (otherwise the store changed: everything is scanned)."""
        done = self.resume.done if self.resume else 0
        passed: list[str] = []
        for oid in blobs:
            if len(passed) < done:
                passed.append(oid)
                if len(passed) < done:
                    continue
                if self.resume is not None and oid == self.resume.last:
                    self.skipped = done
                    continue
                yield from passed   # not the same order as last time: scan them after all
                continue
            yield oid
        if len(passed) < done:
            yield from passed

    skipped = 0   # blobs passed over because an interrupted run had scanned them

    def missing(self) -> set[str]:
        """The blobs the walk placed that the store lacks (a partial clone), read back from the
        listing rather than kept in memory while the scan runs."""
        if self.listing is None:
            return set()
        lost = {*self.walk.first, *self.walk.outside}
        self.listing.seek(0)
        for line in self.listing:
            if line.startswith(b"blob "):
                lost.discard(line[5:-1].decode())
        return lost


def _scan(repo: Path, engine: Engine, walk: _Walk, max_size: int | None, progress: bool, jobs: int,
          resume: Progress | None = None, checkpoint: Callable[[Progress], None] | None = None) -> _Scanned:
    import time

    from scanner.engine import pool

    bar = _progress(repo) if progress else None
    feed = _Feed(repo, walk, max_size, resume)
    out = _Scanned(found=set(resume.found) if resume else set(), gated=set(resume.gated) if resume else set())
    scanned = _Prefix(resume)
    last_save = time.monotonic()
    reader = git.ObjectReader(repo) if jobs <= 1 else None
    finished = False
    try:
        results = (pool.imap_unordered(engine, _scan_in_worker, feed, jobs) if reader is None
                   else (_run(engine, task, reader) for task in feed))
        for part in results:
            if not feed.reader.is_alive():
                # The walk is read whole: a blob not met under a gated name never will be.
                part.gated &= walk.gate_named
            out.add(part)
            scanned.add(part.span, feed.skipped)
            if checkpoint is not None and time.monotonic() - last_save >= CHECKPOINT_SECONDS:
                checkpoint(scanned.progress(out, feed.skipped))
                last_save = time.monotonic()
            if bar is not None:
                bar.update(out.objects - bar.n)
                bar.set_postfix_str(f"{out.bytes / 1e6:,.0f} MB", refresh=False)
        feed.done()
        finished = True
    finally:
        if not finished and checkpoint is not None:   # interrupted (Ctrl-C, an error): keep what is done
            checkpoint(scanned.progress(out, feed.skipped))
        if reader is not None:
            reader.close()
        if bar is not None:
            bar.total = bar.n   # the estimate also counted trees and objects no ref reaches
            bar.close()
    out.skipped.extend((oid, "", Skip.MISSING) for oid in sorted(feed.missing()))
    return out


class _Prefix:
    """How many blobs of the feed are scanned with none missing before them (chunks finish out
    of order), counting those passed over because an interrupted run had scanned them."""

    def __init__(self, resume: Progress | None) -> None:
        self.resume = resume
        self.end = -1
        self.last = ""
        self.pending: dict[int, tuple[int, str]] = {}

    def add(self, span: tuple[int, int, str], skipped: int) -> None:
        start, end, last = span
        if end <= start:
            return   # messages or tags
        if self.end < 0:
            self.end = skipped
            self.last = self.resume.last if self.resume and skipped else ""
        self.pending[start] = (end, last)
        while self.end in self.pending:
            self.end, self.last = self.pending.pop(self.end)

    def progress(self, out: _Scanned, skipped: int) -> Progress:
        if self.end < 0:
            return Progress(skipped, self.resume.last if self.resume and skipped else "", set(out.found),
                            set(out.gated))
        return Progress(self.end, self.last, set(out.found), set(out.gated))


_readers: dict[str, git.ObjectReader] = {}   # in a worker process: its own cat-file per repository


def _scan_in_worker(engine: Engine, task: tuple) -> _Scanned:
    repo = task[1]
    if repo not in _readers:
        if not _readers:
            # Close them as the worker exits, so that git is waited for, not left to init.
            from multiprocessing.util import Finalize

            Finalize(None, _close_readers, exitpriority=10)
        _readers[repo] = git.ObjectReader(repo)
    return _run(engine, task, _readers[repo])


def _close_readers() -> None:
    for reader in _readers.values():
        reader.close()
    _readers.clear()


def _run(engine: Engine, task: tuple, reader: git.ObjectReader) -> _Scanned:
    if task[0] == "messages":
        return _scan_messages(engine, task[1], task[2])
    if task[0] == "tags":
        return _scan_tags(engine, task[3], reader, task[2])
    out = _scan_blobs(engine, task[3], reader, task[2])
    out.span = (task[4], task[4] + len(task[3]), task[3][-1])
    return out


def _scan_messages(engine: Engine, repo: str, rev_args: list[str]) -> _Scanned:
    out = _Scanned()
    batch: list[git.CommitMessage] = []

    def judge() -> None:
        for i, found in engine.scan_many([m.message for m in batch], COMMIT_MESSAGE).items():
            m = batch[i]
            out.messages.extend(_Hit(f, {"commit": m.oid, "author": m.author, "date": m.date,
                                         "path": COMMIT_MESSAGE, "line": f.line}, (m.timestamp, 0))
                                for f in found)
        batch.clear()

    for message in git.commit_messages(rev_args, repo):
        out.objects += 1
        out.bytes += len(message.message)
        batch.append(message)
        if len(batch) >= 4096:
            judge()
    judge()
    return out


def _scan_blobs(engine: Engine, oids: list[str], reader: git.ObjectReader, max_size: int | None) -> _Scanned:
    """Which blobs hold a finding, whatever their path (see the module's docstring), through the
    one blob step; each skip is reported where the walk meets the blob. Binary content is not
    listed as a skip here, as it is for a commit: a history holds every image ever committed."""
    out = _Scanned(objects=len(oids))
    for done in scan_blobs(engine, reader, [Blob(oid, "") for oid in oids], max_size):
        out.bytes += done.size
        if done.findings:
            out.found.add(done.blob.oid)
        if done.path_gated:
            out.gated.add(done.blob.oid)
        if done.skipped and done.skipped != Skip.BINARY:   # an archive's limits, a time budget
            out.skipped.append((done.blob.oid, "", done.skipped))
    return out


def _scan_tags(engine: Engine, tags: list[tuple[str, str]], reader: git.ObjectReader, max_size: int | None) -> _Scanned:
    out = _Scanned(objects=len(tags))
    for (oid, label), (_, got, size, data) in zip(tags, reader.read([t[0] for t in tags], max_size), strict=True):
        if got == "missing" or not isinstance(data, bytes):
            out.skipped.append((oid, label, Skip.MISSING if got == "missing" else Skip.too_large(size)))
            continue
        out.bytes += size
        out.messages.extend(_tag_message(engine, oid, data, label))
    return out


def _judge_at_paths(repo: Path, engine: Engine, walk: _Walk, scanned: _Scanned,
                    max_size: int | None) -> tuple[dict[str, list[Finding]], list[tuple[str, str]]]:
    """The findings of each reachable blob that holds something, scanned through the blob step
    at the path where the walk met it first, and again under each credential file name it has
    (a .env is judged as one even if its content was first met under another name) and under
    the names that admit a rule it woke which runs only in some files (a ``pwd:`` line counts
    in ``config.yml``); and the blob step's word on each submodule the walk met (reported,
    never read)."""
    blobs = [Blob("", git.decode_path(path), mode=git.GITLINK_MODE) for path in sorted(walk.gitlinks)]
    gated = (scanned.found | scanned.gated) & walk.gate_named
    for oid in sorted(oid for oid in scanned.found | walk.named.keys() | gated if walk.placed(oid)):
        paths = [walk.path(oid)]
        for path in [*walk.named.get(oid, ()), *(walk.gated_paths(oid) if oid in gated else ())]:
            if path not in paths:
                paths.append(path)
        blobs.extend(Blob(oid, path) for path in paths)
    hits: dict[str, list[Finding]] = {}
    skipped: list[tuple[str, str]] = []
    if not blobs:
        return hits, skipped
    with git.ObjectReader(repo) as reader:
        for done in scan_blobs(engine, reader, blobs, max_size):
            if done.blob.mode == git.GITLINK_MODE:
                skipped.append((done.blob.path, done.skipped))
            elif done.findings:   # a blob's own skip was reported by the first pass
                hits.setdefault(done.blob.oid, []).extend(done.findings)
    return hits, skipped


def _where(label: str, oid: str) -> str:
    return f"{label} ({oid[:12]})"


def _progress(repo: Path):
    """Counts objects scanned, which is what the time goes on (commits are walked far ahead of the
    scan, so a bar of commits reached 100 % early). The total is every object in the repository:
    an upper bound, cheap to get, so the bar never reaches 100 % before the end."""
    import os

    from tqdm import tqdm

    tqdm.monitor_interval = 0   # no monitor thread: worker processes are forked from this one
    try:
        total: int | None = git.count_objects(repo) or None
    except git.GitError:
        total = None
    # A terminal that reports 0 columns (some CI consoles, serial lines) gets a fixed width.
    # The terminal itself, as tqdm asks it (not $COLUMNS); not a terminal: the fixed width too.
    try:
        width = os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):
        width = 0
    return tqdm(total=total, unit="object", unit_scale=True, file=sys.stderr, desc="history",
                dynamic_ncols=width > 0, ncols=None if width > 0 else 80)


def _tag_message(engine: Engine, oid: str, raw: bytes, label: str) -> list[_Hit]:
    message = git.parse_tag(oid, raw).message
    found = engine.scan(message, label, by_path=False).findings if message else []
    if not found:
        return []
    author, date, stamp = "", "", 0
    for line in raw.partition(b"\n\n")[0].split(b"\n"):
        if line.startswith(b"tagger "):
            tagger = git.parse_ident(line[7:])
            author, date, stamp = tagger.who, tagger.date, tagger.time
    return [_Hit(f, {"commit": oid, "author": author, "date": date, "path": label, "line": f.line},
                 (stamp, 0)) for f in found]


# -- from scanned objects to findings --------------------------------------------------------------

def _report(scanned: _Scanned, placed: tuple[dict[str, list[Finding]], list[tuple[str, str]]], walk: _Walk,
            excludes: list[str]) -> Report:
    blob_hits, gitlinks = placed
    hits = list(scanned.messages)
    hits.extend(_blob_occurrences(walk, blob_hits))
    hits = [h for h in hits if not excluded(h.where["path"], excludes)]
    report = Report(tool_command="history", findings=_merge(hits))
    # A blob's skip counts where the walk meets it (an unreachable one is nobody's concern).
    report.skipped = sorted({(_where(label or walk.path(oid), oid), why) for oid, label, why in scanned.skipped
                             if label or walk.placed(oid)})
    report.skipped.extend(gitlinks)
    report.stats = {"objects": scanned.objects, "bytes": scanned.bytes, "findings": len(report.findings)}
    return report


def _blob_occurrences(walk: _Walk, blob_hits: dict[str, list[Finding]]) -> list[_Hit]:
    """Where each blob with findings appears: every commit that adds or changes a path to it."""
    places = {blob: walk.places(blob) for blob in blob_hits}
    commits: dict[str, git.CommitInfo] = {}
    with git.ObjectReader(walk.repo) as cat:
        for oid in {commit for found in places.values() for _, commit, _ in found}:
            got = cat.get(oid)
            if got is not None:
                commits[oid] = git.parse_commit(oid, got[1])
    hits: list[_Hit] = []
    for blob, found in blob_hits.items():
        if not places[blob]:
            # Its adding commit lies outside the range (--since, a shallow boundary): it still counts.
            hits.extend(_Hit(f, {"commit": "", "author": "", "date": "", "path": f.placed(walk.outside[blob]),
                                 "line": f.line, "blob": blob}, (sys.maxsize, 0)) for f in found)
            continue
        for position, oid, path in places[blob]:
            info = commits.get(oid)
            author, date, stamp = (info.author, info.date, info.timestamp) if info else ("", "", 0)
            hits.extend(_Hit(f, {"commit": oid, "author": author, "date": date, "path": f.placed(path),
                                 "line": f.line, "blob": blob}, (stamp, -position)) for f in found)
    return hits


def _merge(hits: list[_Hit]) -> list[Finding]:
    """One finding per secret (fingerprint): the oldest place speaks for it, all places are listed."""
    groups: dict[str, list[_Hit]] = {}
    for h in hits:
        groups.setdefault(h.finding.fingerprint, []).append(h)
    out = []
    for group in groups.values():
        group.sort(key=lambda h: h.order)
        unique: dict[tuple, dict[str, Any]] = {}
        for h in group:
            unique.setdefault((h.where["commit"], h.where["path"], h.where["line"]), h.where)
        out.append(group[0].finding.with_places(list(unique.values())))
    out.sort(key=lambda f: (f.path, f.line))
    return out
