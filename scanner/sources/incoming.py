"""What a push brings to the server: the objects no existing ref reaches yet.

Read from pre-receive's stdin (``old new ref`` per line). Every pushed ref is resolved in one
pass (``rev-list NEW1 NEW2 ... --not --all``), so a commit shared by two refs is scanned once
and a new branch pointing at old commits costs nothing. Blobs get their path and the commit
that introduced them from ``diff-tree``; commit and tag messages, authors, committers,
taggers, the paths a commit adds and the pushed ref names are scanned too.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from scanner import git
from scanner.report import Report, Skip
from scanner.sources import meta
from scanner.sources.blobs import Blob, scan_blobs
from scanner.sources.files import excluded
from scanner.sources.refs import RefUpdate

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.engine.core import Engine


def scan(updates: list[RefUpdate], engine: Engine, cfg: Config, *, check_time: Callable[[], None],
         report: Report | None = None) -> Report:
    """Scan everything new that ``updates`` bring into ``report``; ``check_time`` raises when the
    budget is spent, and ``report`` then holds what was found so far. Counts go to
    ``report.stats`` (commits, blobs, tags, objects)."""
    report = Report(tool_command="pre-receive") if report is None else report
    stats = report.stats
    for key in ("objects", "commits", "blobs", "tags", "bytes"):
        stats.setdefault(key, 0)
    refs_of: dict[str, list[str]] = {}
    for u in updates:
        if not u.deleted:
            refs_of.setdefault(u.new, []).append(u.ref)
    tips = list(refs_of)
    report.findings.extend(meta.scan_fields(engine, meta.ref_fields(sorted({u.ref for u in updates}))))
    if not tips:
        return report
    new = git.new_object_ids(tips)
    done: set[str] = set()

    def scan_new_blobs(reader: git.ObjectReader, blobs: list[Blob]) -> None:
        fresh = []
        for blob in blobs:
            if blob.mode != git.GITLINK_MODE and (blob.oid in done or blob.oid not in new):
                continue  # scanned already, or the server has it from before
            done.add(blob.oid)
            if excluded(blob.path, cfg.exclude_paths):
                report.skip(blob.path, Skip.EXCLUDED)
            else:
                fresh.append(blob)
        check_time()
        for scanned in scan_blobs(engine, reader, fresh, (cfg.max_file_size if cfg.max_file_size_set else None)):
            if scanned.blob.mode != git.GITLINK_MODE:
                stats["blobs"] += 1
            if scanned.skipped:
                report.skip(scanned.blob.path, scanned.skipped)
            else:
                stats["bytes"] += scanned.size
            report.findings.extend(scanned.findings)

    with git.ObjectReader() as reader:
        for commit, blobs, gitlinks in git.new_commit_changes(tips):
            check_time()
            got = reader.get(commit)
            if got is None:
                raise git.GitError(f"object {commit} is missing from the repository")
            info = git.parse_commit(commit, got[1])
            report.commits.append(commit)
            stats["commits"] += 1
            if not info.parents:
                report.roots.add(commit)
            paths = [path for _, path in blobs] + gitlinks
            report.findings.extend(meta.scan_fields(engine, meta.commit_fields(info) + meta.path_fields(paths, commit)))
            scan_new_blobs(reader, [Blob(oid, path, commit) for oid, path in blobs] +
                           [Blob("", path, commit, git.GITLINK_MODE) for path in gitlinks])

        # Annotated tags, and refs that name a blob or tree directly: not reached through commits.
        peeled: set[str] = set()
        for tip, refs in refs_of.items():
            oid, label = tip, refs[0]
            while oid in new and oid not in peeled:
                check_time()
                peeled.add(oid)
                got = reader.get(oid)
                if got is None:
                    raise git.GitError(f"object {oid} is missing from the repository")
                kind, raw = got
                if kind == "tag":
                    stats["tags"] += 1
                    tag = git.parse_tag(oid, raw)
                    report.findings.extend(meta.scan_fields(engine, meta.tag_fields(tag)))
                    oid = tag.target
                elif kind == "blob":
                    scan_new_blobs(reader, [Blob(oid, f"({label})")])
                    break
                elif kind == "tree":
                    scan_new_blobs(reader, [Blob(b, path) for b, path in git.tree_blobs(oid)])
                    break
                else:
                    break  # a commit: scanned above
    stats["objects"] = stats["commits"] + stats["blobs"] + stats["tags"]
    return report
