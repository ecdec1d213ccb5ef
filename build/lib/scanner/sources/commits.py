"""Commits about to be pushed: which ones are new to the remote, and what each one adds."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from scanner import git
from scanner.sources.changes import Outcome, scan_message, scan_targets, targets


@dataclass
class RefUpdate:
    local_ref: str
    local_oid: str
    remote_ref: str
    remote_oid: str


def parse_updates(text: str) -> list[RefUpdate]:
    """pre-push stdin: ``<local-ref> SP <local-oid> SP <remote-ref> SP <remote-oid> LF`` per ref."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4:
            out.append(RefUpdate(*parts))
    return out


def push_range(updates: list[RefUpdate], remote: str | None, repo: Path) -> tuple[list[str], list[str]]:
    """(tips, exclusions) for ``git rev-list TIPS --not EXCLUSIONS``; deletions are skipped.

    Commits the remote already has are those reachable from its remote-tracking branches
    and from each ref's old value, when we have that object."""
    tips, nots = [], []
    for u in updates:
        if git.is_zero(u.local_oid):
            continue
        tips.append(u.local_oid)
        if not git.is_zero(u.remote_oid) and git.commit_exists(u.remote_oid, repo):
            nots.append(u.remote_oid)
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


def scan_commits(commits: list[str], repo: Path, engine, *, excludes: list[str], max_size: int) -> Outcome:
    """Each commit against its parent(s) (a root commit against the empty tree), and its message."""
    outcome = Outcome()
    empty = git.empty_tree(repo)
    with git.CatFile(repo) as cat:
        for oid in commits:
            got = cat.get(oid)
            if got is None:
                outcome.skipped.append((oid, "commit object missing"))
                continue
            info = git.parse_commit(oid, got[1])
            outcome.findings.extend(scan_message(engine, info.message, "<commit message>", oid))
            bases = info.parents or [empty]
            items, skipped = targets([git.tree_changes(base, oid, repo) for base in bases])
            outcome.skipped.extend((f"{oid[:12]}:{path}", why) for path, why in skipped)
            part = scan_targets(items, engine, cat, repo, excludes=excludes, max_size=max_size, commit=oid)
            outcome.findings.extend(part.findings)
            outcome.skipped.extend((f"{oid[:12]}:{path}", why) for path, why in part.skipped)
    return outcome
