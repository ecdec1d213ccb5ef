"""The findings of a whole-history scan, for commands that build on ``leakwarden history``."""
from __future__ import annotations

from pathlib import Path

from scanner.errors import UsageError


def history_findings(repo: Path, engine, rev_args: list[str] | None = None) -> list:
    """Each finding names the commit that introduced it and lists every occurrence."""
    from scanner import git

    try:
        from scanner.sources.history import scan_history
    except ImportError:
        raise UsageError("history scanning is not available in this installation") from None
    top = git.toplevel(repo)
    if top is None:
        raise UsageError(f"{repo}: not inside a git repository")
    return scan_history(top, engine, rev_args=rev_args)
