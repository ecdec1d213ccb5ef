"""What the next commit adds: the index against HEAD (or the empty tree before the first commit)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scanner import git
from scanner.errors import UsageError
from scanner.report import Report
from scanner.sources.changes import scan_targets, targets

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.engine.core import Engine


def work_tree(repo: Path) -> git.WorkTree:
    """The repository whose index is scanned; a UsageError when there is none."""
    try:
        tree = git.work_tree(repo)
    except git.GitError:
        raise UsageError(f"{repo}: not a git repository") from None
    if tree.bare:
        raise UsageError(f"{repo}: a bare repository has no index to scan (use 'leakwarden history')")
    return tree


def scan(repo: Path, engine: Engine, cfg: Config, tree: git.WorkTree | None = None) -> Report:
    """``tree``: ``work_tree(repo)``, when the caller has it already."""
    tree = tree or work_tree(repo)
    base = tree.head or git.empty_tree(repo)
    items, skipped = targets([git.staged_changes(base, repo)])
    report = Report(tool_command="staged", skipped=skipped)
    with git.ObjectReader(repo) as reader:
        scan_targets(items, engine, reader, repo, report, excludes=cfg.exclude_paths, max_size=(cfg.max_file_size if cfg.max_file_size_set else None))
    report.stats.setdefault("files_scanned", 0)
    report.stats.setdefault("bytes", 0)
    report.stats.update(findings=len(report.findings), skipped=len(report.skipped))
    return report
