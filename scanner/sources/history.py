"""All of history: every blob reachable from the given refs, each scanned once, plus commit and
tag messages. One finding per secret, listing every place it occurs and the commit that
introduced it.

Two git processes run beside the scanner: ``rev-list --objects`` names the reachable objects
while ``cat-file --batch-all-objects --unordered`` streams every object in pack order, the
fastest way git hands out content. Everything is scanned as it streams; only findings are
kept, and they are matched against the reachable set at the end. Memory is the reachable set
(ids and interned paths) plus findings, not the content.
"""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner import git
from scanner.finding import Finding
from scanner.sources.files import excluded

COMMIT_MESSAGE = "<commit message>"


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


def scan_history(repo: Path, engine, rev_args: list[str] | None = None, progress: bool = False) -> list[Finding]:
    """Every secret in the history that ``rev_args`` (default ``--all``) reaches."""
    return audit(repo, engine, rev_args, progress).findings


def audit(repo: Path, engine, rev_args: list[str] | None = None, progress: bool = False, *,
          excludes: list[str] | None = None, max_size: int | None = None) -> HistoryResult:
    rev_args = list(rev_args or ["--all"])
    excludes = list(excludes or [])
    reachable: dict[bytes, bytes | None] = {}
    walker = _Reachable(repo, rev_args, reachable)
    walker.start()
    blob_hits: dict[str, list[Finding]] = {}
    messages: list[_Hit] = []
    big: list[str] = []
    bar = _progress(repo) if progress else None
    count = size_total = 0
    listed = [0]   # every object git lists, trees included: what the bar's total counts
    try:
        for oid, kind, size, data in git.all_objects(repo, max_size, listed=listed):
            count += 1
            size_total += size
            if bar is not None and count % 512 == 0:
                bar.update(listed[0] - bar.n)
                bar.set_postfix_str(f"{size_total / 1e6:,.0f} MB", refresh=False)
            if data is None:
                if kind == "blob":
                    big.append(oid)
                continue
            if kind == "blob":
                found = engine.scan(data, oid).findings
                if found:
                    blob_hits[oid] = found
            elif kind == "commit":
                messages.extend(_commit_message(engine, oid, data))
            elif kind == "tag":
                messages.extend(_tag_message(engine, oid, data))
    finally:
        if bar is not None:
            bar.update(listed[0] - bar.n)
            bar.close()
    walker.join()
    if walker.error is not None:
        raise walker.error

    def seen(oid: str) -> bool:
        return bytes.fromhex(oid) in reachable

    result = HistoryResult()
    hits = [h for h in messages if seen(h.where["commit"])]
    for h in hits:
        if h.where.get("tag") is not None:
            name = reachable.get(bytes.fromhex(h.where["commit"]))
            h.where["path"] = f"<tag message {git._path(name or b'')}>"
            h.where.pop("tag")
            h.finding.path = h.where["path"]
    blob_hits = {oid: found for oid, found in blob_hits.items() if seen(oid)}
    _rescan_with_paths(repo, engine, blob_hits, reachable)
    hits.extend(_blob_occurrences(repo, rev_args, blob_hits, reachable))
    hits = [h for h in hits if not excluded(h.where["path"], excludes)]
    for oid in big:
        if seen(oid):
            path = reachable.get(bytes.fromhex(oid)) or b""
            result.skipped.append((f"{git._path(path)} ({oid[:12]})", "larger than max_file_size"))
    result.findings = _merge(hits)
    result.stats = {"objects": count, "bytes": size_total, "reachable": len(reachable),
                    "findings": len(result.findings)}
    return result


def _rescan_with_paths(repo: Path, engine, blob_hits: dict[str, list[Finding]],
                       reachable: dict[bytes, bytes | None]) -> None:
    """Blobs stream in before their paths are known. Judge again, at their path, every blob that
    had findings (so fixes fit the place: a workflow, a .env, source code) and every blob whose
    name alone makes it a finding (.env, .git-credentials, key stores)."""
    from scanner.engine.credfiles import detector_for

    by_name = {path for path in set(reachable.values()) if path and detector_for(git._path(path))}
    todo = {oid for oid in blob_hits} | {oid.hex() for oid, path in reachable.items() if path in by_name}
    if not todo:
        return
    with git.CatFile(repo) as cat:
        for oid in todo:
            obj = cat.get(oid)
            path = reachable.get(bytes.fromhex(oid))
            if obj is None or path is None:
                continue
            found = engine.scan(obj[1], git._path(path)).findings
            if found:
                blob_hits[oid] = found
            else:
                blob_hits.pop(oid, None)


class _Reachable(threading.Thread):
    """Fills ``reachable`` (binary id -> path or tag name) from ``rev-list --objects``, trees left out."""

    def __init__(self, repo: Path, rev_args: list[str], reachable: dict[bytes, bytes | None]) -> None:
        super().__init__(daemon=True)
        self.repo, self.rev_args, self.reachable = repo, rev_args, reachable
        self.error: Exception | None = None

    def run(self) -> None:
        paths: dict[bytes, bytes] = {}   # interning: the same path repeats across thousands of blobs
        try:
            for oid, path in git.rev_list_objects(["--filter=object:type=blob", *self.rev_args], self.repo):
                self.reachable[bytes.fromhex(oid.decode())] = paths.setdefault(path, path) if path else None
        except Exception as exc:  # noqa: BLE001 - handed to the main thread
            self.error = exc


def _progress(repo: Path):
    from tqdm import tqdm

    return tqdm(total=git.count_objects(repo), unit="obj", unit_scale=True, file=sys.stderr,
                desc="history", dynamic_ncols=True)


def _commit_message(engine, oid: str, raw: bytes) -> list[_Hit]:
    info = git.parse_commit(oid, raw)
    found = engine.scan(info.message, COMMIT_MESSAGE).findings if info.message else []
    return [_Hit(f, {"commit": oid, "author": info.author, "date": info.date, "path": COMMIT_MESSAGE,
                     "line": f.line}, (info.timestamp, 0)) for f in found]


def _tag_message(engine, oid: str, raw: bytes) -> list[_Hit]:
    message = git.tag_message(raw)
    found = engine.scan(message, "<tag message>").findings if message else []
    if not found:
        return []
    author, date, stamp = "", "", 0
    for line in raw.partition(b"\n\n")[0].split(b"\n"):
        if line.startswith(b"tagger "):
            author, date = git._ident(line[7:])
            stamp = git._ident_time(line[7:])
    return [_Hit(f, {"commit": oid, "author": author, "date": date, "path": "<tag message>", "line": f.line,
                     "tag": True}, (stamp, 0)) for f in found]


def _blob_occurrences(repo: Path, rev_args: list[str], blob_hits: dict[str, list[Finding]],
                      reachable: dict[bytes, bytes | None]) -> list[_Hit]:
    """Where each blob with findings appears: every commit that adds or changes a path to it."""
    if not blob_hits:
        return []
    hits: list[_Hit] = []
    placed: set[str] = set()
    for position, entry in enumerate(git.log_blobs(rev_args, repo)):
        for blob, path in entry.blobs:
            found = blob_hits.get(blob)
            if not found:
                continue
            placed.add(blob)
            for f in found:
                hits.append(_Hit(f, {"commit": entry.oid, "author": entry.author, "date": entry.date,
                                     "path": path, "line": f.line, "blob": blob},
                                 (entry.timestamp, -position)))
    # A blob whose adding commit lies outside the range (--since, a shallow boundary) still counts.
    for blob in blob_hits.keys() - placed:
        path = git._path(reachable.get(bytes.fromhex(blob)) or b"")
        for f in blob_hits[blob]:
            hits.append(_Hit(f, {"commit": "", "author": "", "date": "", "path": path, "line": f.line,
                                 "blob": blob}, (sys.maxsize, 0)))
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
