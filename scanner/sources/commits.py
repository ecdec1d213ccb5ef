"""Commits about to be pushed: which ones are new to the remote, and what each one adds."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from scanner import git
from scanner.report import Report
from scanner.sources import meta
from scanner.sources.changes import scan_targets, targets
from scanner.sources.refs import RefUpdate

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.engine.core import Engine


def push_range(updates: list[RefUpdate], remote: str | None, repo: Path) -> tuple[list[str], list[str]]:
    """(tips, exclusions) for ``git rev-list TIPS --not EXCLUSIONS``; deletions are skipped.

    Commits the remote already has are those reachable from its remote-tracking branches
    and from each ref's old value, when we have that object."""
    tips, nots = [], []
    for u in updates:
        if u.deleted:
            continue
        tips.append(u.new)
        if not git.is_zero(u.old) and git.commit_exists(u.old, repo):
            nots.append(u.old)
    if remote:
        nots.append(f"--remotes={remote}")
    return tips, nots


def pre_commit_range(repo: Path) -> tuple[list[str], list[str]]:
    """Under the pre-commit framework only the first pushed ref reaches the hook, so every local
    branch's commits that the remote lacks are scanned: that covers every ref of the push."""
    remote = os.environ.get("PRE_COMMIT_REMOTE_NAME", "")
    to_ref = os.environ.get("PRE_COMMIT_TO_REF") or os.environ.get("PRE_COMMIT_SOURCE", "")
    from_ref = os.environ.get("PRE_COMMIT_FROM_REF") or os.environ.get("PRE_COMMIT_ORIGIN", "")
    tips: list[str] = []
    nots: list[str] = []
    to_oid = git.resolve(to_ref, repo) if to_ref and not git.is_zero(to_ref) else None
    from_oid = git.resolve(from_ref, repo) if from_ref and not git.is_zero(from_ref) else None
    if to_oid:
        tips.append(to_oid)
    if from_oid:
        nots.append(from_oid)
    if remote:
        tips.append("--branches")
        nots.append(f"--remotes={remote}")
    return tips, nots


def new_commits(tips: list[str], nots: list[str], repo: Path) -> list[str]:
    if not tips:
        return []
    return list(git.rev_list(["--topo-order", "--reverse", *tips, "--not", *nots], repo))


def scan(commits: list[str], repo: Path, engine: Engine, cfg: Config, updates: Sequence[RefUpdate] = ()) -> Report:
    """Each commit against its parent(s) (a root commit against the empty tree): what it adds,
    its message, author and committer, and the paths it adds; plus the pushed ref names and
    the annotated tags being pushed (message, name, tagger)."""
    report = Report(tool_command="pre-push", commits=list(commits))
    empty = git.empty_tree(repo)
    fields = meta.ref_fields(sorted({r for u in updates for r in (u.ref, u.local_ref) if r}))
    with git.ObjectReader(repo) as reader:
        for u in updates:
            fields.extend(_tag_fields(reader, u))
        for oid in commits:
            got = reader.get(oid)
            if got is None:
                report.errors.append((oid, "commit object missing"))
                continue
            info = git.parse_commit(oid, got[1])
            fields.extend(meta.commit_fields(info))
            if not info.parents:
                report.roots.add(oid)
            changes = [git.tree_changes(base, oid, repo) for base in info.parents or [empty]]
            fields.extend(meta.path_fields(sorted({c.path for c in changes[0] if c.status != "D"}), oid))
            items, skipped = targets(changes)
            for path, why in skipped:
                report.skip(f"{oid[:12]}:{path}", why)
            scan_targets(items, engine, reader, repo, report, excludes=cfg.exclude_paths,
                         max_size=(cfg.max_file_size if cfg.max_file_size_set else None), commit=oid, where=f"{oid[:12]}:")
    report.findings[:0] = meta.scan_fields(engine, fields)
    report.stats.setdefault("files_scanned", 0)
    report.stats.setdefault("bytes", 0)
    report.stats.update(commits_scanned=len(commits), findings=len(report.findings))
    return report


def _tag_fields(reader: git.ObjectReader, update: RefUpdate) -> list[meta.Field]:
    """An annotated tag being pushed (and any tag it points to in turn)."""
    out: list[meta.Field] = []
    oid, seen = update.new, set()
    while not update.deleted and oid not in seen:
        seen.add(oid)
        got = reader.get(oid)
        if got is None or got[0] != "tag":
            break
        tag = git.parse_tag(oid, got[1])
        out.extend(meta.tag_fields(tag))
        oid = tag.target
    return out
