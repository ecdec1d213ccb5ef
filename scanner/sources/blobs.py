"""The one blob step of every git source (staged, pre-push, pre-receive, history).

A blob is read through ``git cat-file --batch`` and ends in exactly one of: findings (maybe
none), or a skip with its reason. A gitlink is a commit of another repository: it is
reported, never read. A missing object, one over the opt-in ``max_file_size`` and a Git LFS
pointer are reported as skipped. Anything else is scanned: a blob up to ``STREAM_CHUNK`` as
one piece; a larger one streamed from git's pipe in overlapping chunks
(``Engine.scan_chunks``), so that padding a file is no way past the scanner and memory stays flat.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from scanner import git
from scanner.records import field, record, replace
from scanner.report import Skip
from scanner.sources.files import STREAM_CHUNK, stream_chunks

if TYPE_CHECKING:
    from scanner.engine.core import Engine
    from scanner.finding import Finding

LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"


@record(frozen=True, slots=True)
class Blob:
    """A blob to scan, at the path (and in the commit, if known) where it was met. An empty
    path is a blob not placed yet (history's first pass): only its content is judged, nothing
    that goes by a file's name."""
    oid: str
    path: str
    commit: str = ""
    mode: str = ""       # the tree entry's mode, when known: a gitlink is never read


@record(slots=True)
class Scanned:
    """What the blob step made of one blob: its findings, or why it was not (fully) scanned,
    and how many of its bytes were read (0 when it was not read)."""
    blob: Blob
    findings: list[Finding] = field(default_factory=list)
    skipped: str = ""
    size: int = 0
    path_gated: bool = False   # a path-free scan woke a rule that runs only in some files (ScanResult)


def scan_blobs(engine: Engine, reader: git.ObjectReader, blobs: list[Blob],
               max_size: int | None) -> Iterator[Scanned]:
    """Each blob's verdict, in order (gitlinks first). Findings carry the blob's commit and id.
    Take each verdict before asking for the next: a large blob is read from the pipe meanwhile."""
    to_read = []
    for blob in blobs:
        if blob.mode == git.GITLINK_MODE:
            yield Scanned(blob, skipped=Skip.GITLINK)
        else:
            to_read.append(blob)
    if not to_read:
        return
    got = reader.read([b.oid for b in to_read], max_size, stream_over=STREAM_CHUNK)
    for blob, (_, kind, size, data) in zip(to_read, got, strict=True):
        yield _verdict(engine, blob, kind, size, data)


def _verdict(engine: Engine, blob: Blob, kind: str, size: int, data: git.Content) -> Scanned:
    if kind == "missing":
        return Scanned(blob, skipped=Skip.MISSING)
    if data is None:
        return Scanned(blob, skipped=Skip.too_large(size))
    by_path = bool(blob.path)
    if isinstance(data, git.BlobStream):
        result = engine.scan_chunks(stream_chunks(data), blob.path, by_path=by_path)
    elif data.startswith(LFS_POINTER):
        return Scanned(blob, skipped=Skip.LFS, size=size)
    else:
        result = engine.scan(data, blob.path, by_path=by_path)
    # The one place a finding in a blob learns which blob (and commit) it is in.
    found = [replace(f, commit=blob.commit, blob=blob.oid) for f in result.findings]
    return Scanned(blob, found, result.skipped, size, result.path_gated)
