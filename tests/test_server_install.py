"""``leakwarden install --server BARE --layout plain|gitlab|gitea``: the files each layout writes,
chaining with the hooks already there, and real pushes through the plain and Gitea-style hooks."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import commit_file, git, leakwarden, make_token
from helpers_server import TEST_BUDGET, audit, make_client, push, server_ref

# What Gitea's own hooks/pre-receive does: run every script in pre-receive.d with the same input.
GITEA_DISPATCHER = """#!/bin/sh
input=$(cat)
for hook in "$GIT_DIR"/hooks/pre-receive.d/*; do
  [ -x "$hook" ] || continue
  printf '%s\\n' "$input" | "$hook" || exit $?
done
"""


def bare(tmp_path: Path, name: str = "server.git") -> Path:
    path = tmp_path / name
    git(tmp_path, "init", "-q", "--bare", str(path))
    git(path, "config", "leakwarden.timeBudget", str(TEST_BUDGET))
    return path


def install(server: Path, *args: str):
    res = leakwarden("install", "--server", str(server), *args)
    res.err = res.stderr.decode()
    return res


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_plain_layout_writes_hooks_pre_receive(tmp_path: Path) -> None:
    server = bare(tmp_path)
    res = install(server)
    assert res.returncode == 0, res.err
    hook = server / "hooks" / "pre-receive"
    assert os.access(hook, os.X_OK)
    assert "-m scanner pre-receive" in hook.read_text()
    assert git(server, "config", "receive.advertisePushOptions").stdout.strip() == b"true"
    assert install(server, "--layout", "plain").returncode == 0   # its own hook: rewritten in place
    assert not (server / "hooks" / "pre-receive.legacy").exists()


def test_plain_layout_chains_an_existing_hook_with_the_same_input(tmp_path: Path) -> None:
    server = bare(tmp_path)
    executable(server / "hooks" / "pre-receive", '#!/bin/sh\ncat >> "$GIT_DIR/seen-by-old-hook"\n')
    res = install(server)
    assert res.returncode == 0, res.err
    assert "runs before leakwarden" in res.err
    assert (server / "hooks" / "pre-receive.legacy").read_text().endswith('seen-by-old-hook"\n')
    client = make_client(tmp_path, server)
    head = commit_file(client, "README.md", "hello\n", "initial")
    assert push(client, "origin", "HEAD:main").returncode == 0
    assert (server / "seen-by-old-hook").read_text() == f"{'0' * 40} {head} refs/heads/main\n"
    commit_file(client, "k.env", f"T={make_token()}\n", "token")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0 and "push rejected: 1 secret" in res.out
    assert server_ref(server) == head


def test_a_chained_hook_that_refuses_refuses_the_push(tmp_path: Path) -> None:
    server = bare(tmp_path)
    executable(server / "hooks" / "pre-receive", "#!/bin/sh\necho policy says no >&2\nexit 1\n")
    assert install(server).returncode == 0
    client = make_client(tmp_path, server)
    commit_file(client, "README.md", "hello\n", "initial")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0 and "policy says no" in res.out
    assert server_ref(server) is None


def test_plain_layout_refuses_when_legacy_is_taken_unless_forced(tmp_path: Path) -> None:
    server = bare(tmp_path)
    executable(server / "hooks" / "pre-receive.legacy", "#!/bin/sh\nexit 0\n")
    executable(server / "hooks" / "pre-receive", "#!/bin/sh\nexit 0\n# mine\n")
    res = install(server)
    assert res.returncode == 2 and "--force" in res.err
    assert (server / "hooks" / "pre-receive").read_text().endswith("# mine\n")
    assert install(server, "--force").returncode == 0
    assert "-m scanner pre-receive" in (server / "hooks" / "pre-receive").read_text()


def test_plain_layout_honours_core_hooks_path(tmp_path: Path) -> None:
    server = bare(tmp_path)
    shared = tmp_path / "shared-hooks"
    git(server, "config", "core.hooksPath", str(shared))
    assert install(server).returncode == 0
    assert os.access(shared / "pre-receive", os.X_OK)


def test_gitlab_layout_writes_custom_hooks_pre_receive_d(tmp_path: Path) -> None:
    server = bare(tmp_path)
    theirs = executable(server / "custom_hooks" / "pre-receive", "#!/bin/sh\nexit 0\n")
    res = install(server, "--layout", "gitlab")
    assert res.returncode == 0, res.err
    hook = server / "custom_hooks" / "pre-receive.d" / "leakwarden"
    assert os.access(hook, os.X_OK)
    assert "-m scanner pre-receive" in hook.read_text()
    assert theirs.read_text() == "#!/bin/sh\nexit 0\n"          # GitLab runs both: nothing to chain
    assert not (server / "hooks" / "pre-receive").exists()
    assert git(server, "config", "receive.advertisePushOptions", check=False).returncode != 0


def test_gitlab_hook_runs_as_gitlab_would_run_it(tmp_path: Path) -> None:
    """GitLab runs custom_hooks/pre-receive.d/* in the repository with the update lines on stdin."""
    server = bare(tmp_path)
    assert install(server, "--layout", "gitlab").returncode == 0
    client = make_client(tmp_path, server)
    head = commit_file(client, "k.env", f"T={make_token()}\n", "token")
    git(client, "push", "-q", "origin", f"HEAD:refs/incoming/{head}")   # the objects, on no branch
    hook = server / "custom_hooks" / "pre-receive.d" / "leakwarden"
    stdin = f"{'0' * 40} {head} refs/heads/main\n".encode()
    git(server, "update-ref", "-d", f"refs/incoming/{head}")
    res = subprocess.run([str(hook)], cwd=server, input=stdin, capture_output=True, check=False,
                         env={**os.environ, "GIT_DIR": str(server), "GL_USERNAME": "alice", "GL_ID": "user-7",
                              "GL_PROJECT_PATH": "acme/app"})
    assert res.returncode == 1, res.stderr
    assert b"path:   k.env:1" in res.stderr
    entry = audit(server)[-1]
    assert (entry["pusher"], entry["pusher_source"], entry["repository"]) == ("alice", "GL_USERNAME", "acme/app")


def test_gitea_layout_writes_hooks_pre_receive_d_next_to_giteas_hook(tmp_path: Path) -> None:
    server = bare(tmp_path)
    executable(server / "hooks" / "pre-receive", GITEA_DISPATCHER)
    res = install(server, "--layout", "gitea")
    assert res.returncode == 0, res.err
    hook = server / "hooks" / "pre-receive.d" / "leakwarden"
    assert os.access(hook, os.X_OK)
    assert (server / "hooks" / "pre-receive").read_text() == GITEA_DISPATCHER
    client = make_client(tmp_path, server)
    head = commit_file(client, "README.md", "hello\n", "initial")
    assert push(client, "origin", "HEAD:main").returncode == 0
    commit_file(client, "k.env", f"T={make_token()}\n", "token")
    res = push(client, "origin", "HEAD:main", env={"GITEA_PUSHER_NAME": "carol"})
    assert res.returncode != 0 and "path:   k.env:1" in res.out
    assert server_ref(server) == head
    assert audit(server)[-1]["pusher"] == "carol"


@pytest.mark.parametrize("layout", ["gitlab", "gitea"])
def test_a_foreign_file_at_the_hooks_name_is_replaced_only_with_force(tmp_path: Path, layout: str) -> None:
    server = bare(tmp_path)
    folder = server / ("custom_hooks" if layout == "gitlab" else "hooks") / "pre-receive.d"
    theirs = executable(folder / "leakwarden", "#!/bin/sh\nexit 0\n")
    res = install(server, "--layout", layout)
    assert res.returncode == 2 and "--force" in res.err
    assert theirs.read_text() == "#!/bin/sh\nexit 0\n"
    assert install(server, "--layout", layout, "--force").returncode == 0
    assert "-m scanner pre-receive" in theirs.read_text()


@pytest.mark.parametrize("layout", ["plain", "gitlab", "gitea"])
def test_every_layout_refuses_a_repository_that_is_not_bare(tmp_path: Path, layout: str) -> None:
    work = tmp_path / "work"
    git(tmp_path, "init", "-q", str(work))
    for target in (work, work / ".git"):
        res = install(target, "--layout", layout)
        assert res.returncode == 2
        assert "not a bare repository" in res.err
    assert not (work / ".git" / "hooks" / "pre-receive").exists()
    assert not (work / ".git" / "custom_hooks").exists()


def test_install_refuses_what_is_not_a_repository(tmp_path: Path) -> None:
    assert "not a git repository" in install(tmp_path).err
    assert "no such directory" in install(tmp_path / "missing").err


def test_install_function_for_the_lead(tmp_path: Path) -> None:
    from scanner.commands.install_server import install as install_hook

    server = bare(tmp_path)
    assert install_hook(server, force=False, layout="gitea") == 0
    assert "-m scanner pre-receive" in (server / "hooks" / "pre-receive.d" / "leakwarden").read_text()


def test_a_hook_written_by_an_older_leakwarden_is_replaced_not_chained(tmp_path: Path) -> None:
    server = bare(tmp_path)
    old = "#!/bin/sh\n# installed by leakwarden install --server\nexec python3 -m scanner pre-receive \"$@\"\n"
    executable(server / "hooks" / "pre-receive", old)
    assert install(server).returncode == 0
    assert not (server / "hooks" / "pre-receive.legacy").exists()
    assert "leakwarden-managed hook" in (server / "hooks" / "pre-receive").read_text()


def test_install_builds_the_hooks_caches_before_the_first_push(tmp_path: Path) -> None:
    """The rule cache and the compiled prefilter are on disk once install returns (for the
    repository's own configuration, a user rule included), so the first push does not spend its
    time budget compiling them; a configuration that does not load is said, the hook installed."""
    from conftest import user_rule_toml

    server, cache = bare(tmp_path), tmp_path / "cache"
    (server / "leakwarden.toml").write_text(user_rule_toml("acme-install-key"))
    git(server, "config", "leakwarden.config", "leakwarden.toml")
    res = leakwarden("install", "--server", str(server), env={"LEAKWARDEN_CACHE": str(cache)})
    assert res.returncode == 0, res.stderr
    databases = sorted(p.name for p in cache.glob("prefilter-*.hsdb"))
    assert len(databases) == 1 and list(cache.glob("rules-*"))
    # The hook, run with that cache, finds the database it needs there: nothing new is built.
    client = make_client(tmp_path, server)
    commit_file(client, "a.txt", "clean\n", "a")
    assert push(client, "origin", "HEAD:main", env={"LEAKWARDEN_CACHE": str(cache)}).returncode == 0
    assert sorted(p.name for p in cache.glob("prefilter-*.hsdb")) == databases
    (server / "leakwarden.toml").write_text("min_confidence = 'sometimes'\n")
    res = leakwarden("install", "--server", str(server), env={"LEAKWARDEN_CACHE": str(cache)})
    assert res.returncode == 0 and b"does not load yet" in res.stdout
    assert (server / "hooks" / "pre-receive").exists()
