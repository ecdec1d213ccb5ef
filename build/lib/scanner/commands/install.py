"""``leakwarden install``: plain git hooks (pre-commit, pre-push) that run this leakwarden.

A hook leakwarden did not write is never lost: it is kept as ``<hook>.legacy`` and run
first. If that name is taken too, installing refuses unless ``--force``.
``--server BARE_REPO`` installs the server side, the pre-receive hook, instead.
"""
from __future__ import annotations

import argparse
import shlex
import stat
import sys
from pathlib import Path

MARKER = "# leakwarden-managed hook"
HOOKS = {"pre-commit": "staged", "pre-push": "pre-push"}

_SCRIPT = """\
#!/bin/sh
{marker}: written by 'leakwarden install'; reinstalling rewrites this file.
{body}"""
# A pre-push hook gets the ref list on stdin; a chained hook must see it too.
_SAVE_STDIN = """\
input=$(cat)
[ -n "$input" ] && input="$input
"
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("install", help="install plain git hooks (pre-commit, pre-push)",
                       description="Write git hooks that run leakwarden with this Python. core.hooksPath is "
                                   "respected. An existing hook is kept as <hook>.legacy and run first.")
    p.add_argument("--hook", action="append", choices=sorted(HOOKS),
                   help="which hook (repeatable; default: pre-commit and pre-push)")
    p.add_argument("--repo", metavar="PATH", default=".", help="the repository (default: the current directory)")
    p.add_argument("--force", action="store_true",
                   help="replace a foreign hook even when <hook>.legacy already exists (with --server: "
                        "replace a foreign pre-receive hook, keeping it as pre-receive.leakwarden-backup)")
    p.add_argument("--server", metavar="BARE_REPO",
                   help="install the pre-receive hook into this repository on a git server instead, and "
                        "turn on receive.advertisePushOptions for bypasses (docs/server.md)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.server:
        from scanner.commands.install_server import install

        return install(Path(args.server), args.force)
    from scanner import git
    from scanner.commands._common import warn
    from scanner.errors import UsageError

    try:
        folder = git.hooks_dir(args.repo)
    except git.GitError as exc:
        raise UsageError(f"{args.repo}: not a git repository ({exc})") from None
    folder.mkdir(parents=True, exist_ok=True)
    for hook in args.hook or ["pre-commit", "pre-push"]:
        path = folder / hook
        legacy = folder / f"{hook}.legacy"
        if path.exists() and not _ours(path):
            if legacy.exists() and not args.force:
                raise UsageError(f"{path} exists and was not written by leakwarden, and {legacy.name} is taken: "
                                 "merge them by hand, or pass --force to replace the hook (the .legacy one "
                                 "is still run)")
            if not legacy.exists():
                path.rename(legacy)
                warn(f"kept the existing {hook} hook as {legacy}; it runs before leakwarden")
        path.write_text(script(hook, legacy), encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        sys.stdout.write(f"installed {hook} hook: {path}\n")
    return 0


def script(hook: str, legacy: Path) -> str:
    quoted = shlex.quote(str(legacy))
    push = hook == "pre-push"
    chain = ""
    if legacy.exists() or legacy.is_symlink():
        run_legacy = f'printf %s "$input" | {quoted} "$@"' if push else f'{quoted} "$@"'
        chain = f'if [ -x {quoted} ]; then {run_legacy} || exit $?; fi\n'
    leakwarden = f"{shlex.quote(sys.executable)} -m scanner {HOOKS[hook]}"
    if push:
        body = f'{_SAVE_STDIN}{chain}printf %s "$input" | {leakwarden} "$@"\n'
    else:
        body = f"{chain}exec {leakwarden}\n"
    return _SCRIPT.format(marker=MARKER, body=_pythonpath() + body)


def _pythonpath() -> str:
    """Pin the hook to this copy of leakwarden when it is not in site-packages (a source
    checkout or an editable install), so a hook never runs some other version."""
    import site

    import scanner

    root = str(Path(scanner.__file__).resolve().parent.parent)
    installed = {str(Path(p).resolve()) for p in [*site.getsitepackages(), site.getusersitepackages()]}
    if root in installed:
        return ""
    return f'PYTHONPATH={shlex.quote(root)}${{PYTHONPATH:+:$PYTHONPATH}}; export PYTHONPATH\n'


def _ours(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return MARKER.encode() in fh.read(4096)
    except OSError:
        return False
