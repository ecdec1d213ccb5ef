"""The real pre-commit framework running this checkout's .pre-commit-hooks.yaml.

The hook environment is built once per session: this worktree is copied into a temporary git
repository, committed, and every run uses the same PRE_COMMIT_HOME and that commit.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, git, make_token
from helpers_git import bare_remote, commit, stage


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    copy = tmp_path_factory.mktemp("hook-repo")
    names = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout.split(b"\0")
    for name in filter(None, names):
        src = ROOT / os.fsdecode(name)
        if src.is_file():
            (copy / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, copy / os.fsdecode(name))
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "--no-verify", "-m", "snapshot")
    rev = git(copy, "rev-parse", "HEAD").stdout.decode().strip()
    return copy, rev, tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True, check=False,
                          stdin=subprocess.DEVNULL, env={**os.environ, "PRE_COMMIT_HOME": str(home)})


@pytest.fixture
def framework_repo(repo: Path, hook_repo) -> Path:
    """A repository with leakwarden's hooks installed by `pre-commit install`."""
    copy, rev, home = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {copy}\n  rev: {rev}\n  hooks:\n  - id: leakwarden\n  - id: leakwarden-push\n")
    git(repo, "add", ".pre-commit-config.yaml")
    proc = pre_commit(repo, home, "install", "--hook-type", "pre-commit", "--hook-type", "pre-push")
    assert proc.returncode == 0, proc.stderr
    os.environ["PRE_COMMIT_HOME"] = str(home)   # git runs the hooks with our environment
    yield repo
    os.environ.pop("PRE_COMMIT_HOME", None)


def try_commit(repo: Path, message: str) -> subprocess.CompletedProcess:
    return git(repo, "commit", "-q", "-m", message, check=False)


def test_try_repo_blocks_a_staged_token(repo: Path, hook_repo) -> None:
    copy, rev, home = hook_repo
    tok = make_token()
    stage(repo, "a.txt", f"t={tok}\n")
    proc = pre_commit(repo, home, "try-repo", str(copy), "leakwarden", "--ref", rev)
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 1, out
    assert "a.txt:1:" in out and tok not in out


def test_first_commit_with_a_token_is_blocked_then_clean_passes(framework_repo: Path) -> None:
    stage(framework_repo, "leak.txt", f"t={make_token()}\n")
    proc = try_commit(framework_repo, "first")
    assert proc.returncode != 0
    assert "leak.txt:1:" in proc.stdout.decode() + proc.stderr.decode()
    git(framework_repo, "rm", "-q", "--cached", "leak.txt")
    assert try_commit(framework_repo, "first").returncode == 0


def test_unstaged_secret_does_not_block_a_clean_change(framework_repo: Path) -> None:
    stage(framework_repo, "a.txt", "one\n")
    assert try_commit(framework_repo, "a").returncode == 0
    stage(framework_repo, "a.txt", "one\ntwo\n")
    (framework_repo / "a.txt").write_text(f"one\ntwo\nt={make_token()}\n")   # not staged
    proc = try_commit(framework_repo, "b")
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert "t=" in (framework_repo / "a.txt").read_text()                  # the stash was restored


def test_renamed_file_with_an_old_secret_passes(framework_repo: Path) -> None:
    stage(framework_repo, "old.txt", f"t={make_token()}\n")
    commit(framework_repo, "already there")
    git(framework_repo, "mv", "old.txt", "new.txt")
    assert try_commit(framework_repo, "rename").returncode == 0


def test_push_of_two_branches_blocked_by_the_second(framework_repo: Path, tmp_path: Path) -> None:
    stage(framework_repo, "README", "hi\n")
    commit(framework_repo, "init")
    remote = bare_remote(tmp_path, framework_repo)
    git(framework_repo, "push", "-q", "--no-verify", "origin", "main")
    git(framework_repo, "checkout", "-q", "-b", "one")
    stage(framework_repo, "a.txt", "fine\n")
    commit(framework_repo, "one")
    git(framework_repo, "checkout", "-q", "-b", "two", "main")
    stage(framework_repo, "b.txt", f"t={make_token()}\n")
    dirty = commit(framework_repo, "two")
    git(framework_repo, "checkout", "-q", "main")
    proc = git(framework_repo, "push", "origin", "one", "two", check=False)
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode != 0, out
    assert f"{dirty[:12]}:b.txt:1:" in out
    assert git(remote, "for-each-ref", "--format=%(refname)").stdout.decode().split() == ["refs/heads/main"]
