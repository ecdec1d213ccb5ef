"""What the next commit adds: the index against HEAD (or the empty tree before the first commit)."""
from __future__ import annotations

import threading
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


class Index:
    """The repository and what its index changes against HEAD, asked of git in a thread from
    the moment this is made: the commit hook makes it first, and git's processes (a few ms
    each, more on a busy machine) run on another core while the engine loads. An error
    (not a repository, a bare one) is raised by ``result``, where the scan would have met it."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._answer: tuple[git.WorkTree, list[git.Change]] | None = None
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._ask, name="leakwarden-index", daemon=True)
        self._thread.start()

    def _ask(self) -> None:
        try:
            tree = work_tree(self.repo)
            self._answer = tree, git.staged_changes(tree.head or git.empty_tree(self.repo), self.repo)
        except Exception as exc:  # noqa: BLE001 - handed to the caller, which raises it
            self._error = exc

    def result(self) -> tuple[git.WorkTree, list[git.Change]]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._answer is not None
        return self._answer


def scan(repo: Path, engine: Engine, cfg: Config, index: Index | None = None) -> Report:
    """``index``: an ``Index(repo)`` the caller started earlier."""
    _, changes = (index or Index(repo)).result()
    items, skipped = targets([changes])
    report = Report(tool_command="staged", skipped=skipped)
    with git.ObjectReader(repo) as reader:
        scan_targets(items, engine, reader, repo, report, excludes=cfg.exclude_paths, max_size=(cfg.max_file_size if cfg.max_file_size_set else None))
    report.stats.setdefault("files_scanned", 0)
    report.stats.setdefault("bytes", 0)
    report.stats.update(findings=len(report.findings), skipped=len(report.skipped))
    return report
