"""``leakwarden staged``: scan exactly what the next commit adds (the pre-commit hook)."""
from __future__ import annotations

import argparse
from pathlib import Path

from scanner.commands._hooks import add_hook_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("staged", help="scan the lines the next commit adds (pre-commit hook)",
                       description="Scan the added and changed lines of the index against HEAD (or the "
                                   "empty tree before the first commit). High-confidence findings block "
                                   "(exit 1); others are shown as warnings. Set 'fail_on' to change that.")
    add_hook_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scanner.commands._hooks import finish, setup
    from scanner.sources import staged

    repo = Path(args.repo)
    index = staged.Index(repo)   # first: git reads the index while the engine loads
    cfg, engine, policy = setup(args)
    tree, _ = index.result()
    return finish(args, cfg, policy, staged.scan(repo, engine, cfg, index), what="commit", top=tree.top)
