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
# What older versions wrote into server hooks: still ours, so a reinstall replaces it.
OLD_SERVER_MARKER = "# installed by leakwarden install --server"
HOOKS = {"pre-commit": "staged", "pre-push": "pre-push"}
SERVER_HOOK = "pre-receive"
SERVER_LAYOUTS = ("plain", "gitlab", "gitea")   # where install --server puts it: install_server.py
# Hooks that get input on stdin: a chained hook must see it too.
_STDIN_HOOKS = ("pre-push", SERVER_HOOK)

_SCRIPT = """\
#!/bin/sh
{marker}: written by 'leakwarden install'; reinstalling rewrites this file.
{body}"""
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
                   help="replace a foreign hook even when <hook>.legacy already exists (with --server "
                        "--layout gitlab or gitea: replace a foreign file named leakwarden in pre-receive.d)")
    p.add_argument("--server", metavar="BARE_REPO",
                   help="install the pre-receive hook into this bare repository on a git server instead "
                        "(docs/server.md)")
    p.add_argument("--layout", choices=SERVER_LAYOUTS, default="plain",
                   help="with --server, where the server looks for hooks: plain (hooks/pre-receive, an existing "
                        "hook is kept and run first), gitlab (custom_hooks/pre-receive.d/), gitea "
                        "(hooks/pre-receive.d/); default: plain")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.server:
        from scanner.commands.install_server import install

        return install(Path(args.server), args.force, args.layout)
    from scanner import git
    from scanner.errors import UsageError

    try:
        folder = git.hooks_dir(args.repo)
    except git.GitError as exc:
        raise UsageError(f"{args.repo}: not a git repository ({exc})") from None
    folder.mkdir(parents=True, exist_ok=True)
    for hook in args.hook or ["pre-commit", "pre-push"]:
        write_hook(folder / hook, hook, force=args.force)
    return 0


def write_hook(path: Path, hook: str, *, force: bool, chain: bool = True) -> None:
    """Write the hook at ``path``. A foreign hook there is kept as ``<name>.legacy`` and run first
    (``chain``), or, without ``chain``, replaced only with ``force``; raises UsageError otherwise."""
    from scanner.commands._common import warn
    from scanner.errors import UsageError

    legacy = path.with_name(f"{path.name}.legacy")
    if path.exists() and not _ours(path):
        if not chain and not force:
            raise UsageError(f"{path} exists and was not written by leakwarden: pass --force to replace it")
        if chain and legacy.exists() and not force:
            raise UsageError(f"{path} exists and was not written by leakwarden, and {legacy.name} is taken: "
                             "merge them by hand, or pass --force to replace the hook (the .legacy one "
                             "is still run)")
        if chain and not legacy.exists():
            path.rename(legacy)
            warn(f"kept the existing {hook} hook as {legacy}; it runs before leakwarden")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script(hook, legacy if chain else None), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    sys.stdout.write(f"installed {hook} hook: {path}\n")


def script(hook: str, legacy: Path | None) -> str:
    push = hook in _STDIN_HOOKS
    chain = ""
    if legacy is not None and (legacy.exists() or legacy.is_symlink()):
        quoted = shlex.quote(str(legacy))
        run_legacy = f'printf %s "$input" | {quoted} "$@"' if push else f'{quoted} "$@"'
        chain = f'if [ -x {quoted} ]; then {run_legacy} || exit $?; fi\n'
    leakwarden = f"{shlex.quote(sys.executable)} -m scanner {HOOKS.get(hook, hook)}"
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
            head = fh.read(4096)
            return MARKER.encode() in head or OLD_SERVER_MARKER.encode() in head
    except OSError:
        return False
