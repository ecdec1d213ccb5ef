"""`leakwarden install`: plain git hooks, exercised by real commits and real pushes."""
from __future__ import annotations

from pathlib import Path

from conftest import commit_file, git, leakwarden, make_token
from helpers_git import bare_remote, commit, stage


def install(repo: Path, *args: str):
    return leakwarden("install", "--repo", str(repo), *args, cwd=repo)


def test_commit_with_a_token_is_blocked(repo: Path) -> None:
    assert install(repo, "--hook", "pre-commit").returncode == 0
    tok = make_token()
    stage(repo, "clean.txt", "hello\n")
    assert git(repo, "commit", "-q", "-m", "clean", check=False).returncode == 0
    stage(repo, "leak.txt", f"t={tok}\n")
    proc = git(repo, "commit", "-q", "-m", "leak", check=False)
    assert proc.returncode != 0
    out = proc.stdout.decode() + proc.stderr.decode()
    assert "leak.txt:1:" in out and tok not in out
    assert git(repo, "log", "--format=%s").stdout.decode().split() == ["clean"]


def test_push_of_two_branches_is_blocked_by_the_second(repo: Path, tmp_path: Path) -> None:
    commit_file(repo, "README", "hi\n")
    remote = bare_remote(tmp_path, repo)
    git(repo, "push", "-q", "origin", "main")
    assert install(repo).returncode == 0
    git(repo, "checkout", "-q", "-b", "one")
    commit_file(repo, "a.txt", "fine\n")
    git(repo, "checkout", "-q", "-b", "two", "main")
    stage(repo, "b.txt", f"t={make_token()}\n")
    dirty = commit(repo, "sneaky")
    proc = git(repo, "push", "origin", "one", "two", check=False)
    assert proc.returncode != 0
    assert f"{dirty[:12]}:b.txt:1:" in proc.stderr.decode() + proc.stdout.decode()
    refs = git(remote, "for-each-ref", "--format=%(refname)").stdout.decode().split()
    assert refs == ["refs/heads/main"]


def test_foreign_hook_is_chained_and_kept(repo: Path) -> None:
    hooks = repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-commit").write_text("#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/legacy-ran\"\n"
                                      "test ! -e block-me\n")
    (hooks / "pre-commit").chmod(0o755)
    proc = install(repo, "--hook", "pre-commit")
    assert proc.returncode == 0
    assert "kept the existing pre-commit hook" in proc.stderr.decode()
    assert (hooks / "pre-commit.legacy").read_text().startswith("#!/bin/sh\necho ran")
    stage(repo, "a.txt", "a\n")
    assert git(repo, "commit", "-q", "-m", "a", check=False).returncode == 0
    assert (repo / ".git" / "legacy-ran").read_text() == "ran\n"
    (repo / "block-me").write_text("")
    stage(repo, "b.txt", "b\n")
    assert git(repo, "commit", "-q", "-m", "b", check=False).returncode != 0   # the legacy hook still decides
    (repo / "block-me").unlink()
    stage(repo, "c.txt", f"t={make_token()}\n")
    assert git(repo, "commit", "-q", "-m", "c", check=False).returncode != 0   # and so does leakwarden
    assert install(repo, "--hook", "pre-commit").returncode == 0              # reinstalling is idempotent
    assert sorted(p.name for p in hooks.iterdir() if not p.name.endswith(".sample")) == \
        ["pre-commit", "pre-commit.legacy"]


def test_refuses_when_it_cannot_keep_the_foreign_hook(repo: Path) -> None:
    hooks = repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    for name in ("pre-push", "pre-push.legacy"):
        (hooks / name).write_text("#!/bin/sh\nexit 0\n")
    proc = install(repo, "--hook", "pre-push")
    assert proc.returncode == 2
    assert b"--force" in proc.stderr
    assert (hooks / "pre-push").read_text() == "#!/bin/sh\nexit 0\n"
    assert install(repo, "--hook", "pre-push", "--force").returncode == 0
    assert "leakwarden-managed" in (hooks / "pre-push").read_text()


def test_core_hooks_path_is_respected(repo: Path) -> None:
    git(repo, "config", "core.hooksPath", ".githooks")
    assert install(repo, "--hook", "pre-commit").returncode == 0
    assert (repo / ".githooks" / "pre-commit").is_file()
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()
    stage(repo, "leak.txt", f"t={make_token()}\n")
    assert git(repo, "commit", "-q", "-m", "leak", check=False).returncode != 0
    assert git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0


def test_not_a_repository(tmp_path: Path) -> None:
    proc = leakwarden("install", "--repo", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
