"""What the next commit adds: the index against HEAD (or the empty tree before the first commit)."""
from __future__ import annotations

from pathlib import Path

from scanner import git
from scanner.errors import UsageError
from scanner.sources.changes import Outcome, scan_targets, targets


def scan_staged(repo: Path, engine, *, excludes: list[str], max_size: int) -> Outcome:
    try:
        bare = git.is_bare(repo)
    except git.GitError:
        raise UsageError(f"{repo}: not a git repository") from None
    if bare:
        raise UsageError(f"{repo}: a bare repository has no index to scan (use 'leakwarden history')")
    base = git.resolve("HEAD", repo) or git.empty_tree(repo)
    items, skipped = targets([git.staged_changes(base, repo)])
    with git.CatFile(repo) as cat:
        outcome = scan_targets(items, engine, cat, repo, excludes=excludes, max_size=max_size)
    outcome.skipped[:0] = skipped
    return outcome
