"""`leakwarden pre-push`: every commit new to the remote, on every pushed ref."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import commit_file, git, leakwarden, make_token
from helpers_git import bare_remote, commit, head, stage

ZERO = "0" * 40


@pytest.fixture
def pushed(repo: Path, tmp_path: Path) -> Path:
    """A repository whose main is already on its bare remote 'origin'."""
    commit_file(repo, "README", "hello\n")
    bare_remote(tmp_path, repo)
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    return repo


def pre_push(repo: Path, lines: list[str], *args: str, env: dict | None = None):
    data = "".join(line + "\n" for line in lines).encode()
    return leakwarden("pre-push", "origin", "url-unused", "--format", "json", *args, cwd=repo, input=data, env=env)


def branch_with(repo: Path, name: str, files: dict[str, str], base: str = "main") -> str:
    git(repo, "checkout", "-q", "-b", name, base)
    for path, content in files.items():
        stage(repo, path, content)
    oid = commit(repo, f"work on {name}")
    git(repo, "checkout", "-q", "main")
    return oid


def test_second_pushed_ref_with_a_token_blocks(pushed: Path) -> None:
    tok = make_token()
    clean = branch_with(pushed, "one", {"a.txt": "fine\n"})
    dirty = branch_with(pushed, "two", {"b.txt": f"x\ntoken={tok}\n"})
    proc = pre_push(pushed, [f"refs/heads/one {clean} refs/heads/one {ZERO}",
                             f"refs/heads/two {dirty} refs/heads/two {ZERO}"])
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert [(f["commit"], f["path"], f["line"]) for f in doc["findings"]] == [(dirty, "b.txt", 2)]
    assert tok not in proc.stdout.decode() + proc.stderr.decode()
    text = leakwarden("pre-push", "origin", cwd=pushed,
                      input=f"refs/heads/two {dirty} refs/heads/two {ZERO}\n".encode())
    assert f"{dirty[:12]}:b.txt:2:" in text.stdout.decode()


def test_commits_already_on_the_remote_are_not_rescanned(pushed: Path) -> None:
    stage(pushed, "old.txt", f"t={make_token()}\n")
    commit(pushed, "old secret, already public")
    git(pushed, "push", "-q", "--no-verify", "origin", "main")
    remote_oid = head(pushed)
    commit_file(pushed, "new.txt", "clean\n")
    proc = pre_push(pushed, [f"refs/heads/main {head(pushed)} refs/heads/main {remote_oid}"])
    assert proc.returncode == 0, proc.stdout


def test_deletion_and_empty_stdin_pass(pushed: Path) -> None:
    assert pre_push(pushed, [f"(delete) {ZERO} refs/heads/gone {'1' * 40}"]).returncode == 0
    assert pre_push(pushed, []).returncode == 0


def test_token_in_a_commit_message_blocks(pushed: Path) -> None:
    git(pushed, "commit", "-q", "--allow-empty", "--no-verify", "-m", f"debug\n\nused {make_token('ghu')}")
    proc = pre_push(pushed, [f"refs/heads/main {head(pushed)} refs/heads/main {ZERO}"])
    assert proc.returncode == 1
    (f,) = json.loads(proc.stdout)["findings"]
    assert f["path"] == "<commit message>" and f["line"] == 3 and f["commit"] == head(pushed)


def test_root_commit_is_diffed_against_the_empty_tree(repo: Path, tmp_path: Path) -> None:
    stage(repo, "first.txt", f"t={make_token()}\n")
    root = commit(repo, "root")
    bare_remote(tmp_path, repo)
    proc = pre_push(repo, [f"refs/heads/main {root} refs/heads/main {ZERO}"])
    assert proc.returncode == 1
    assert [f["commit"] for f in json.loads(proc.stdout)["findings"]] == [root]


def test_merge_reports_only_what_the_merge_adds(pushed: Path) -> None:
    tok = make_token()
    side = branch_with(pushed, "side", {"s.txt": f"t={tok}\n"})
    git(pushed, "push", "-q", "--no-verify", "origin", "side")   # the secret is already public
    commit_file(pushed, "m.txt", "main work\n")
    git(pushed, "merge", "-q", "--no-ff", "--no-verify", "-m", "merge side", "side")
    proc = pre_push(pushed, [f"refs/heads/main {head(pushed)} refs/heads/main {side}"])
    assert proc.returncode == 0, proc.stdout
    # An evil merge (a secret added while resolving) is the merge's own.
    git(pushed, "reset", "-q", "--hard", "HEAD~1")
    git(pushed, "merge", "-q", "--no-ff", "--no-commit", "side")
    stage(pushed, "m.txt", f"main work\nevil={make_token()}\n")
    merge = commit(pushed, "evil merge")
    proc = pre_push(pushed, [f"refs/heads/main {merge} refs/heads/main {ZERO}"])
    assert proc.returncode == 1
    assert [(f["commit"], f["path"]) for f in json.loads(proc.stdout)["findings"]] == [(merge, "m.txt")]


def test_pre_commit_mode_covers_every_local_branch(pushed: Path) -> None:
    """Under pre-commit only the first ref's range arrives; the second branch must still be scanned."""
    remote_main = head(pushed)
    clean = branch_with(pushed, "one", {"a.txt": "fine\n"})
    dirty = branch_with(pushed, "two", {"b.txt": f"t={make_token()}\n"})
    env = {"PRE_COMMIT": "1", "PRE_COMMIT_REMOTE_NAME": "origin", "PRE_COMMIT_FROM_REF": remote_main,
           "PRE_COMMIT_TO_REF": clean, "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/one"}
    proc = leakwarden("pre-push", "--format", "json", cwd=pushed, input=b"", env=env)
    assert proc.returncode == 1
    assert [f["commit"] for f in json.loads(proc.stdout)["findings"]] == [dirty]
    git(pushed, "branch", "-q", "-D", "two")
    assert leakwarden("pre-push", cwd=pushed, input=b"", env=env).returncode == 0


def test_sha256_push_range(tmp_path: Path) -> None:
    repo = tmp_path / "r256"
    git(tmp_path, "init", "-q", "--object-format=sha256", str(repo))
    commit_file(repo, "a.txt", "a\n")
    base = head(repo)
    stage(repo, "b.txt", f"t={make_token()}\n")
    tip = commit(repo)
    zero = "0" * 64
    proc = leakwarden("pre-push", "origin", "--format", "json", cwd=repo,
                      input=f"refs/heads/main {tip} refs/heads/main {base}\n".encode())
    assert proc.returncode == 1
    assert [f["commit"] for f in json.loads(proc.stdout)["findings"]] == [tip]
    proc = leakwarden("pre-push", "origin", cwd=repo, input=f"(delete) {zero} refs/heads/x {tip}\n".encode())
    assert proc.returncode == 0
