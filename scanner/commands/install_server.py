"""``leakwarden install --server BARE_REPO [--layout plain|gitlab|gitea]``: install the pre-receive
hook into a server's bare repository, where that server looks for it.

- plain (git over ssh, http-backend, git daemon, gitolite): ``hooks/pre-receive`` (core.hooksPath
  is honoured). A hook already there is kept as ``pre-receive.legacy`` and run first, with the
  same input.
- gitlab: ``custom_hooks/pre-receive.d/leakwarden``; gitea: ``hooks/pre-receive.d/leakwarden``.
  Those servers run every script in that directory themselves, next to their own hooks, so
  nothing else is touched.

The hook runs this Python with ``-m scanner``, so it keeps working when PATH differs for the
server's git user.
"""
from __future__ import annotations

from pathlib import Path

from scanner.commands._common import EXIT_CLEAN
from scanner.commands.install import SERVER_HOOK, write_hook


def install(bare_repo: Path, force: bool, layout: str = "plain") -> int:
    """Install the hook into ``bare_repo``; UsageError (exit 2 by way of ``cli.main``) when it cannot."""
    from scanner import git
    from scanner.errors import UsageError

    try:
        target = hook_path(bare_repo, layout)
        write_hook(target, SERVER_HOOK, force=force, chain=layout == "plain")
        if layout == "plain":   # GitLab and Gitea advertise push options themselves
            git.run(["config", "receive.advertisePushOptions", "true"], bare_repo)
            print("set receive.advertisePushOptions=true (bypass: git push -o leakwarden.bypass=REASON)")
    except (git.GitError, OSError) as exc:
        raise UsageError(str(exc)) from exc
    _warm(bare_repo)
    return EXIT_CLEAN


def _warm(bare_repo: Path) -> None:
    """Build the engine the hook will build, so that its rule cache and compiled prefilter are
    on disk before the first push: compiling them takes seconds (more on a loaded server),
    which the first push would otherwise spend from its time budget, and be rejected for.
    They are cached for the user running this, so install as the user the server runs hooks as."""
    from scanner import git
    from scanner.engine.factory import build_engine
    from scanner.errors import ConfigError
    from scanner.policy import server

    try:
        _, cfg = server.load(bare_repo)
        build_engine(cfg)
    except (ConfigError, git.GitError) as exc:
        # The hook itself will reject pushes and say why; installing it is still right.
        print(f"leakwarden: the hook's configuration does not load yet: {exc}")


def hook_path(bare_repo: Path, layout: str) -> Path:
    """Where ``layout`` runs a pre-receive hook from; UsageError unless ``bare_repo`` is a bare repository."""
    from scanner import git
    from scanner.errors import UsageError

    if not bare_repo.is_dir():
        raise UsageError(f"{bare_repo}: no such directory")
    try:
        bare = git.run(["rev-parse", "--is-bare-repository"], bare_repo).strip() == b"true"
        hooks = Path(git.run(["rev-parse", "--git-path", "hooks"], bare_repo).decode("utf-8", "surrogateescape")
                     .strip())
    except git.GitError as exc:
        raise UsageError(f"{bare_repo}: not a git repository ({exc})") from None
    if not bare:
        raise UsageError(f"{bare_repo}: not a bare repository; a server's repositories are bare (git init "
                         "--bare, or git clone --bare), and a pre-receive hook in a repository with a work "
                         "tree would only run for pushes into it")
    hooks = hooks if hooks.is_absolute() else bare_repo / hooks
    if layout == "gitlab":
        return bare_repo / "custom_hooks" / "pre-receive.d" / "leakwarden"
    if layout == "gitea":
        return hooks / "pre-receive.d" / "leakwarden"
    return hooks / SERVER_HOOK
