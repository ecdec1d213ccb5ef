"""``leakwarden pre-push [REMOTE URL]``: scan every commit a push would add to the remote."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scanner.commands._hooks import add_hook_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pre-push", help="scan the commits a push sends (pre-push hook)",
                       description="As a git pre-push hook: reads '<local-ref> <local-oid> <remote-ref> "
                                   "<remote-oid>' lines on stdin and scans every commit the remote does not "
                                   "have, on every pushed ref, messages included. Under the pre-commit "
                                   "framework (empty stdin, PRE_COMMIT_* variables) it scans the commits of "
                                   "all local branches that the remote lacks, because pre-commit passes on "
                                   "only the first pushed ref. See docs/hooks.md.")
    p.add_argument("remote", nargs="?", help="remote name (git passes it)")
    p.add_argument("url", nargs="?", help="remote URL (git passes it)")
    add_hook_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scanner.commands._hooks import finish, setup
    from scanner.sources import commits as source
    from scanner.sources.refs import parse_pre_push

    repo = Path(args.repo)
    stdin = b"" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.buffer.read()
    updates = parse_pre_push(stdin)
    if updates:
        tips, nots = source.push_range(updates, args.remote, repo)
    elif os.environ.get("PRE_COMMIT") == "1" or os.environ.get("PRE_COMMIT_REMOTE_NAME"):
        tips, nots = source.pre_commit_range(repo)
    else:
        return 0  # nothing is being pushed
    cfg, engine, policy = setup(args)
    report = source.scan(source.new_commits(tips, nots, repo), repo, engine, cfg, updates)
    return finish(args, cfg, policy, report, what="push")
