"""``leakwarden install --server BARE_REPO``: install the pre-receive hook into a server repository.

The hook runs this Python with ``-m scanner``, so it keeps working when PATH differs for the
server's git user. On Gitea-style layouts (a ``hooks/pre-receive.d/`` directory that the
server's own pre-receive runs) the hook goes there, leaving the server's hook alone.
"""
from __future__ import annotations

import os
import shlex
import stat
import sys
from pathlib import Path

from scanner.commands._common import EXIT_CLEAN, EXIT_USAGE

MARKER = "# installed by leakwarden install --server"


def hook_script(python: str = sys.executable) -> str:
    return ("#!/bin/sh\n"
            f"{MARKER}\n"
            "# Scans what each push brings and rejects secrets; policy: git config leakwarden.* "
            "(docs/server.md).\n"
            f"exec {shlex.quote(python)} -m scanner pre-receive \"$@\"\n")


def install(bare_repo: Path, force: bool) -> int:
    """Install the hook into ``bare_repo``; 0 on success, 2 when it cannot (with a message)."""
    from scanner import git
    from scanner.commands._common import warn

    if not bare_repo.is_dir():
        warn(f"error: {bare_repo}: no such directory")
        return EXIT_USAGE
    try:
        hooks = Path(git.run(["rev-parse", "--git-path", "hooks"], bare_repo).decode("utf-8", "surrogateescape")
                     .strip())
        git.run(["config", "receive.advertisePushOptions", "true"], bare_repo)
    except git.GitError as exc:
        warn(f"error: {bare_repo}: not a git repository ({exc})")
        return EXIT_USAGE
    hooks = hooks if hooks.is_absolute() else bare_repo / hooks
    target = hooks / "pre-receive.d" / "leakwarden" if (hooks / "pre-receive.d").is_dir() else hooks / "pre-receive"
    if target.exists() and MARKER not in target.read_text("utf-8", "replace"):
        if not force:
            warn(f"error: {target} exists and was not installed by leakwarden; use --force to replace it "
                 "(it is kept as a backup), or call 'python -m scanner pre-receive' from it")
            return EXIT_USAGE
        backup = target.with_name(target.name + ".leakwarden-backup")
        os.replace(target, backup)
        print(f"kept the previous hook as {backup}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(hook_script(), encoding="utf-8")
    tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(tmp, target)
    print(f"installed {target}")
    print("set receive.advertisePushOptions=true (bypass: git push -o leakwarden.bypass=REASON)")
    return EXIT_CLEAN
