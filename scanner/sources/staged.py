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


def scan(repo: Path, engine: Engine, cfg: Config) -> Report:
    try:
        bare = git.is_bare(repo)
    except git.GitError:
        raise UsageError(f"{repo}: not a git repository") from None
    if bare:
        raise UsageError(f"{repo}: a bare repository has no index to scan (use 'leakwarden history')")
    base = git.resolve("HEAD", repo) or git.empty_tree(repo)
    items, skipped = targets([git.staged_changes(base, repo)])
    report = Report(tool_command="staged", skipped=skipped)
    with git.ObjectReader(repo) as reader:
        scan_targets(items, engine, reader, repo, report, excludes=cfg.exclude_paths, max_size=(cfg.max_file_size if cfg.max_file_size_set else None))
    report.stats.setdefault("files_scanned", 0)
    report.stats.setdefault("bytes", 0)
    report.stats.update(findings=len(report.findings), skipped=len(report.skipped))
    return report
