"""All of history: every blob reachable from the given refs, each scanned once, plus commit and
tag messages. One finding per secret, listing every place it occurs and the commit that
introduced it.

Three kinds of work run at once, so every core is busy:

- ``git log --raw`` walks the history into a temporary file: the commits, and the blobs each
  one adds or changes with their paths (ids, paths and names only, never content);
- ``cat-file --batch-all-objects --batch-check --unordered`` lists every blob, commit and tag
  in pack order, in chunks of a few megabytes;
- worker processes, one per core, read each chunk through their own ``cat-file --batch`` and
  scan it.

Only findings come back from the workers. The walk then says which of the found blobs are
reachable, at which paths, and every commit that adds each of them. Memory is a chunk per
worker plus the findings; the walk stays on disk.
"""
from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from scanner import git
from scanner.finding import Finding
from scanner.sources.files import excluded

COMMIT_MESSAGE = "<commit message>"
POOL_MIN_OBJECTS = 20_000   # below this a pool starts up slower than one process finishes
# The walk is one process that must finish before findings can be placed; the workers are many.
# A slightly lower priority for the workers lets the walk end with the scan instead of after it.
WORKER_NICE = 2

# rev-list arguments that only choose tips: with those alone, every reachable blob is added by
# some walked commit (a merge's own blobs show in its combined diff), so the walk names them all.
_TIP_OPTIONS = ("--all", "--branches", "--tags", "--remotes")
_TIP_PREFIXES = ("--branches=", "--tags=", "--remotes=", "--glob=")


@dataclass
class HistoryResult:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


@dataclass
class _Hit:
    """One finding at one place, before findings are merged per secret."""
    finding: Finding
    where: dict[str, Any]
    order: tuple[int, int]     # (committer time, -position in topological order): smaller is older


@dataclass
class _Scanned:
    """What scanning some objects found, before anyone knows which of them are reachable."""
    blob_hits: dict[str, list[Finding]] = field(default_factory=dict)
    messages: list[_Hit] = field(default_factory=list)
    big: list[str] = field(default_factory=list)     # blobs over max_file_size, not read
    objects: int = 0
    bytes: int = 0

    def add(self, other: "_Scanned") -> None:
        self.blob_hits.update(other.blob_hits)
        self.messages.extend(other.messages)
        self.big.extend(other.big)
        self.objects += other.objects
        self.bytes += other.bytes


def scan_history(repo: Path, engine, rev_args: list[str] | None = None, progress: bool = False) -> list[Finding]:
    """Every secret in the history that ``rev_args`` (default ``--all``) reaches."""
    return audit(repo, engine, rev_args, progress).findings


def audit(repo: Path, engine, rev_args: list[str] | None = None, progress: bool = False, *,
          excludes: list[str] | None = None, max_size: int | None = None, jobs: int | None = None) -> HistoryResult:
    rev_args = list(rev_args or ["--all"])
    with tempfile.TemporaryDirectory(prefix="leakwarden-history-") as tmp:
        walk = _Walk(repo, rev_args, Path(tmp))
        try:
            scanned = _scan_objects(repo, engine, max_size, progress, jobs, walk)
            walk.finish()
            return _report(repo, engine, rev_args, scanned, walk, list(excludes or []))
        finally:
            walk.close()


# -- scanning every object --------------------------------------------------------------------

def _scan_objects(repo: Path, engine, max_size: int | None, progress: bool, jobs: int | None,
                  walk: "_Walk") -> _Scanned:
    from scanner.engine import pool

    listed = [0]
    chunks = ((str(repo), chunk) for chunk in git.object_chunks(repo, max_size, listed=listed))
    total = git.count_objects(repo)
    if jobs is None:
        jobs = pool.workers() if total >= POOL_MIN_OBJECTS else 1
    bar = _progress(total) if progress else None
    out = _Scanned()
    reader = git.ObjectReader(repo) if jobs <= 1 else None
    try:
        results = (pool.imap_unordered(engine, _scan_in_worker, chunks, jobs, nice=WORKER_NICE) if reader is None
                   else (_scan_chunk(engine, items, reader) for _, items in chunks))
        for part in results:
            out.add(part)
            walk.check()   # a bad revision fails the walk at once: say so before scanning on
            if bar is not None:
                bar.update(listed[0] - bar.n)
                bar.set_postfix_str(f"{out.bytes / 1e6:,.0f} MB", refresh=False)
    finally:
        if reader is not None:
            reader.close()
        if bar is not None:
            bar.update(listed[0] - bar.n)
            bar.close()
    return out


_readers: dict[str, git.ObjectReader] = {}   # in a worker process: its own cat-file per repository


def _scan_in_worker(engine, task: tuple[str, list[tuple[str, str, int]]]) -> _Scanned:
    repo, items = task
    if repo not in _readers:
        _readers[repo] = git.ObjectReader(repo)
    return _scan_chunk(engine, items, _readers[repo])


def _scan_chunk(engine, items: list[tuple[str, str, int]], reader: git.ObjectReader) -> _Scanned:
    out = _Scanned(objects=len(items))
    out.big = [oid for oid, kind, size in items if size < 0 and kind == "blob"]
    for oid, kind, data in reader.read([item for item in items if item[2] >= 0]):
        out.bytes += len(data)
        if kind == "blob":
            found = engine.scan(data, oid, by_path=False).findings
            if found:
                out.blob_hits[oid] = found
        elif kind == "commit":
            out.messages.extend(_commit_message(engine, oid, data))
        else:
            out.messages.extend(_tag_message(engine, oid, data))
    return out


def _progress(total: int):
    from tqdm import tqdm

    tqdm.monitor_interval = 0   # no monitor thread: worker processes are forked from this one
    return tqdm(total=total, unit="obj", unit_scale=True, file=sys.stderr, desc="history", dynamic_ncols=True)


def _commit_message(engine, oid: str, raw: bytes) -> list[_Hit]:
    message = git.commit_message(raw)
    found = engine.scan(message, COMMIT_MESSAGE, by_path=False).findings if message else []
    if not found:
        return []   # the common case: headers are parsed only for commits with findings
    info = git.parse_commit(oid, raw)
    return [_Hit(f, {"commit": oid, "author": info.author, "date": info.date, "path": COMMIT_MESSAGE,
                     "line": f.line}, (info.timestamp, 0)) for f in found]


def _tag_message(engine, oid: str, raw: bytes) -> list[_Hit]:
    message = git.tag_message(raw)
    found = engine.scan(message, "<tag message>", by_path=False).findings if message else []
    if not found:
        return []
    author, date, stamp = "", "", 0
    for line in raw.partition(b"\n\n")[0].split(b"\n"):
        if line.startswith(b"tagger "):
            author, date = git._ident(line[7:])
            stamp = git._ident_time(line[7:])
    return [_Hit(f, {"commit": oid, "author": author, "date": date, "path": "<tag message>", "line": f.line,
                     "tag": True}, (stamp, 0)) for f in found]


# -- the walk: what is reachable, and where ------------------------------------------------------

class _Walk:
    """``git log --raw`` over the range, written to a file while the objects are scanned. When
    the arguments limit the walk (``--since``, ``A..B``, ``^X``), the commits it lists no longer
    add every blob their trees hold, so ``rev-list --objects`` says what is reachable instead."""

    def __init__(self, repo: Path, rev_args: list[str], tmp: Path) -> None:
        self.repo, self.rev_args = repo, rev_args
        self.files: list[IO[bytes]] = []
        self.log, self.log_err = self._file(tmp, "log"), self._file(tmp, "log.err")
        self.log_proc = git.start_log_blobs(rev_args, self.log, self.log_err, repo)
        self.reach_proc = None
        if not all(a in _TIP_OPTIONS or a.startswith(_TIP_PREFIXES) or
                   (not a.startswith(("-", "^")) and ".." not in a) for a in rev_args):
            self.reach, self.reach_err = self._file(tmp, "reach"), self._file(tmp, "reach.err")
            self.reach_proc = git.start_rev_list_blobs(rev_args, self.reach, self.reach_err, repo)

    def _file(self, tmp: Path, name: str) -> IO[bytes]:
        fh = open(tmp / name, "w+b")
        self.files.append(fh)
        return fh

    def check(self) -> None:
        if self.log_proc.poll() not in (None, 0):
            git.check_exit(self.log_proc, self.log_err, "log")

    def finish(self) -> None:
        git.check_exit(self.log_proc, self.log_err, "log")
        if self.reach_proc is not None:
            git.check_exit(self.reach_proc, self.reach_err, "rev-list")

    def close(self) -> None:
        for proc in (self.log_proc, self.reach_proc):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        for fh in self.files:
            fh.close()

    def entries(self):
        self.log.seek(0)
        return git.parse_log_blobs(self.log)

    def read(self, interest: set[str], commits: set[str]) -> "_Located":
        """One pass over the walk: where each blob of ``interest`` is (if reachable at all), which
        reachable blobs have a path that alone makes them a finding (.env, .git-credentials, key
        stores), every place those blobs are added, and which of ``commits`` the walk visits."""
        out = _Located()
        judged: dict[bytes, bool] = {}   # raw path -> whether its name alone makes a finding
        whole = self.reach_proc is None
        if not whole:
            self.reach.seek(0)
            for oid, raw in git.parse_rev_list_objects(self.reach):
                if raw is not None:
                    out.see(oid.decode(), raw, interest, judged)
        see, named, places = out.see, out.named, out.places
        for position, entry in enumerate(self.entries()):
            if entry.oid in commits:
                out.commits.add(entry.oid)
            for blob, raw in entry.blobs:
                if whole:
                    see(blob, raw, interest, judged)
                if blob in interest or blob in named:
                    places.setdefault(blob, []).append((position, entry, raw))
        # A blob first seen under a plain name and only later under a credential file's name
        # lost its earlier places above; those few are looked up again.
        late = {blob for blob in out.named if blob not in interest}
        if whole and late:
            out.late_named = late
        return out

    def places(self, blobs: set[str]) -> dict[str, list]:
        out: dict[str, list] = {}
        for position, entry in enumerate(self.entries()):
            for blob, raw in entry.blobs:
                if blob in blobs:
                    out.setdefault(blob, []).append((position, entry, raw))
        return out

    def tag_names(self) -> dict[str, str]:
        """Tag object -> its name, for every annotated tag the range reaches."""
        return {oid.decode(): git._path(name) for oid, name in
                git.rev_list_objects(["--filter=object:type=tag", *self.rev_args], self.repo) if name}


@dataclass
class _Located:
    paths: dict[str, str] = field(default_factory=dict)    # reachable blob of interest -> a path
    named: dict[str, str] = field(default_factory=dict)    # blob -> its credential-file path
    places: dict[str, list] = field(default_factory=dict)  # blob -> [(position, LogEntry, raw path)]
    commits: set[str] = field(default_factory=set)
    late_named: set[str] = field(default_factory=set)      # named blobs whose places may be partial

    def see(self, blob: str, raw: bytes, interest: set[str], judged: dict[bytes, bool]) -> None:
        """Note a reachable blob at a path."""
        if blob in interest and blob not in self.paths:
            self.paths[blob] = git._path(raw)
        is_named = judged.get(raw)
        if is_named is None:
            from scanner.engine.credfiles import detector_for

            is_named = judged[raw] = detector_for(git._path(raw)) is not None
        if is_named and blob not in self.named:
            self.named[blob] = git._path(raw)


# -- from scanned objects to findings --------------------------------------------------------------

def _report(repo: Path, engine, rev_args: list[str], scanned: _Scanned, walk: _Walk,
            excludes: list[str]) -> HistoryResult:
    result = HistoryResult()
    commit_hits = [h for h in scanned.messages if not h.where.get("tag")]
    located = walk.read(set(scanned.blob_hits) | set(scanned.big), {h.where["commit"] for h in commit_hits})
    paths = {**located.named, **located.paths}
    blob_hits = {oid: found for oid, found in scanned.blob_hits.items() if oid in located.paths}
    _rescan_with_paths(repo, engine, blob_hits, paths, located.named)
    redo = located.late_named & blob_hits.keys()
    if redo:
        located.places.update(walk.places(redo))
    hits = [h for h in commit_hits if h.where["commit"] in located.commits]
    hits.extend(_tag_hits([h for h in scanned.messages if h.where.get("tag")], walk))
    hits.extend(_blob_occurrences(blob_hits, located.places, paths))
    hits = [h for h in hits if not excluded(h.where["path"], excludes)]
    for oid in scanned.big:
        if oid in located.paths:
            result.skipped.append((f"{located.paths[oid]} ({oid[:12]})", "larger than max_file_size"))
    result.findings = _merge(hits)
    result.stats = {"objects": scanned.objects, "bytes": scanned.bytes, "findings": len(result.findings)}
    return result


def _tag_hits(hits: list[_Hit], walk: _Walk) -> list[_Hit]:
    if not hits:
        return []
    names = walk.tag_names()
    out = []
    for h in hits:
        name = names.get(h.where["commit"])
        if name is None:
            continue
        h.where["path"] = h.finding.path = f"<tag message {name}>"
        h.where.pop("tag")
        out.append(h)
    return out


def _rescan_with_paths(repo: Path, engine, blob_hits: dict[str, list[Finding]], paths: dict[str, str],
                       named: dict[str, str]) -> None:
    """Blobs are scanned before their paths are known. Judge again, at their path, every blob
    that had findings (so fixes fit the place: a workflow, a .env, source code) and every blob
    whose name alone makes it a finding."""
    todo = set(blob_hits) | set(named)
    if not todo:
        return
    with git.CatFile(repo) as cat:
        for oid in todo:
            obj = cat.get(oid)
            if obj is None:
                continue
            found = engine.scan(obj[1], paths[oid]).findings
            if found:
                blob_hits[oid] = found
            else:
                blob_hits.pop(oid, None)


def _blob_occurrences(blob_hits: dict[str, list[Finding]], places: dict[str, list],
                      paths: dict[str, str]) -> list[_Hit]:
    """Where each blob with findings appears: every commit that adds or changes a path to it."""
    hits: list[_Hit] = []
    for blob, found in blob_hits.items():
        where = places.get(blob)
        if not where:
            # Its adding commit lies outside the range (--since, a shallow boundary): it still counts.
            hits.extend(_Hit(f, {"commit": "", "author": "", "date": "", "path": paths[blob], "line": f.line,
                                 "blob": blob}, (sys.maxsize, 0)) for f in found)
            continue
        for position, entry, raw in where:
            author, date, path = git._path(entry.author), entry.date.decode(), git._path(raw)
            hits.extend(_Hit(f, {"commit": entry.oid, "author": author, "date": date, "path": path,
                                 "line": f.line, "blob": blob}, (entry.timestamp, -position)) for f in found)
    return hits


def _merge(hits: list[_Hit]) -> list[Finding]:
    """One finding per secret (fingerprint): the oldest place speaks for it, all places are listed."""
    groups: dict[str, list[_Hit]] = {}
    for h in hits:
        groups.setdefault(h.finding.fingerprint, []).append(h)
    out = []
    for group in groups.values():
        group.sort(key=lambda h: h.order)
        first = group[0]
        finding = first.finding
        finding.path = first.where["path"]
        finding.line = first.where["line"]
        finding.commit = first.where["commit"]
        finding.blob = first.where.get("blob", "")
        unique: dict[tuple, dict[str, Any]] = {}
        for h in group:
            unique.setdefault((h.where["commit"], h.where["path"], h.where["line"]), h.where)
        finding.occurrences = list(unique.values())
        out.append(finding)
    out.sort(key=lambda f: (f.path, f.line))
    return out
