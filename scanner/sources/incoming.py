"""What a push brings to the server: the objects no existing ref reaches yet.

Read from pre-receive's stdin (``old new ref`` per line). Every pushed ref is resolved in one
pass (``rev-list NEW1 NEW2 ... --not --all``), so a commit shared by two refs is scanned once
and a new branch pointing at old commits costs nothing. Blobs get their path and the commit
that introduced them from ``diff-tree``; commit and tag messages are scanned too.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from typing import Callable

from scanner import git
from scanner.errors import UsageError
from scanner.finding import Finding
from scanner.sources.changes import LFS_POINTER
from scanner.sources.files import excluded

_OID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
COMMIT_MESSAGE = "(commit message)"


@dataclass(frozen=True)
class RefUpdate:
    old: str
    new: str
    ref: str

    @property
    def deleted(self) -> bool:
        return git.is_zero(self.new)


def parse_updates(data: bytes) -> list[RefUpdate]:
    """pre-receive stdin: ``<old> SP <new> SP <ref> LF`` per ref (40 or 64 hex digits)."""
    updates = []
    for n, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        parts = raw.decode("utf-8", "surrogateescape").split(" ", 2)
        if len(parts) != 3 or not _OID.match(parts[0]) or not _OID.match(parts[1]) or not parts[2]:
            raise UsageError(f"stdin line {n}: expected '<old-id> <new-id> <ref>' as git sends to pre-receive")
        updates.append(RefUpdate(*parts))
    return updates


@dataclass
class IncomingScan:
    findings: list[Finding] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)      # new commits, oldest first
    roots: set[str] = field(default_factory=set)          # new commits without a parent
    blobs: int = 0
    tags: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (what, why)

    @property
    def objects(self) -> int:
        return len(self.commits) + self.blobs + self.tags


class _Reader:
    """The one ``git cat-file --batch`` pipe, with errors that name the object."""

    def __init__(self) -> None:
        self.cat = git.CatFile()

    def get(self, oid: str) -> tuple[str, bytes]:
        kind, _, data = self.get_within(oid, None)
        return kind, data or b""

    def get_within(self, oid: str, max_size: int | None) -> tuple[str, int, bytes | None]:
        """(type, size, content); content is None for an object over ``max_size``, never read whole."""
        try:
            obj = self.cat.get_within(oid, max_size)
        except (git.GitError, OSError):
            raise git.GitError(f"cannot read object {oid}: {self._stderr() or 'git cat-file stopped'}") from None
        if obj is None:
            raise git.GitError(f"object {oid} is missing from the repository")
        return obj

    def _stderr(self) -> str:
        proc = self.cat.proc
        try:
            proc.wait(timeout=2)   # it is exiting after a fatal error; its last words say why
        except subprocess.TimeoutExpired:
            return ""
        if proc.stderr is None:
            return ""
        lines = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""

    def close(self) -> None:
        self.cat.close()


def _message(raw: bytes) -> tuple[bytes, str]:
    """(message, object it points to) of a commit or tag object."""
    head, sep, body = raw.partition(b"\n\n")
    target = next((ln[7:].decode() for ln in head.split(b"\n") if ln.startswith(b"object ")), "")
    return (body if sep else b""), target


def scan(updates: list[RefUpdate], engine, *, check_time: Callable[[], None], max_size: int,
         excludes: list[str], result: IncomingScan | None = None) -> IncomingScan:
    """Scan everything new that ``updates`` bring into ``result``; ``check_time`` raises when the
    budget is spent, and ``result`` then holds what was found so far."""
    result = IncomingScan() if result is None else result
    refs_of: dict[str, list[str]] = {}
    for u in updates:
        if not u.deleted:
            refs_of.setdefault(u.new, []).append(u.ref)
    tips = list(refs_of)
    if not tips:
        return result
    new = git.new_object_ids(tips)
    done: set[str] = set()
    reader = _Reader()
    try:
        def scan_blob(oid: str, path: str, commit: str) -> None:
            if oid in done or oid not in new:
                return  # scanned already, or the server has it from before
            done.add(oid)
            if excluded(path, excludes):
                result.skipped.append((path, "excluded by the server configuration"))
                return
            check_time()
            _, size, data = reader.get_within(oid, max_size)
            result.blobs += 1
            if data is None:
                result.skipped.append((path, f"larger than max_file_size ({size} bytes)"))
                return
            if data.startswith(LFS_POINTER):
                result.skipped.append((path, "Git LFS pointer, content not fetched"))
                return
            scanned = engine.scan(data, path)
            for f in scanned.findings:
                f.commit, f.blob = commit, oid
            result.findings.extend(scanned.findings)

        def scan_message(oid: str, raw: bytes, label: str) -> None:
            for f in engine.scan(_message(raw)[0], label).findings:
                f.commit = oid
                result.findings.append(f)

        for commit, blobs, gitlinks in git.new_commit_changes(tips):
            check_time()
            _, raw = reader.get(commit)
            result.commits.append(commit)
            if b"\nparent " not in raw.partition(b"\n\n")[0]:
                result.roots.add(commit)
            scan_message(commit, raw, COMMIT_MESSAGE)
            for blob, path in blobs:
                scan_blob(blob, path, commit)
            for path in gitlinks:
                if (path, "submodule (gitlink), not scanned") not in result.skipped:
                    result.skipped.append((path, "submodule (gitlink), not scanned"))

        # Annotated tags, and refs that name a blob or tree directly: not reached through commits.
        peeled: set[str] = set()
        for tip, refs in refs_of.items():
            oid, label = tip, refs[0]
            while oid in new and oid not in peeled:
                check_time()
                peeled.add(oid)
                kind, raw = reader.get(oid)
                if kind == "tag":
                    result.tags += 1
                    scan_message(oid, raw, f"(tag message of {label})")
                    oid = _message(raw)[1]
                elif kind == "blob":
                    scan_blob(oid, f"({label})", "")
                    break
                elif kind == "tree":
                    for blob, path in git.tree_blobs(oid):
                        scan_blob(blob, path, "")
                    break
                else:
                    break  # a commit: scanned above
    finally:
        reader.close()
    return result
