"""Helpers for the git-hook tests: staging files, reading JSON reports, bare remotes."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import git, leakwarden, rand_text


# What git-lfs commits in place of a file's content.
LFS_POINTER_FILE = ("version https://git-lfs.github.com/spec/v1\n"
                    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")


def stage(repo: Path, name: str, content: str | bytes) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    git(repo, "add", "--", name)


def commit(repo: Path, message: str = "change") -> str:
    """Commit without running hooks (setting the scene, not testing)."""
    git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", message)
    return head(repo)


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").stdout.decode().strip()


def report(proc: subprocess.CompletedProcess) -> dict:
    return json.loads(proc.stdout)


def legacy_hex_token() -> str:
    """A medium-confidence finding: the pre-2021 40-hex format, named by GITHUB_TOKEN."""
    return "GITHUB_TOKEN=" + rand_text(40, "0123456789abcdef")


def bare_remote(tmp_path: Path, repo: Path, name: str = "origin") -> Path:
    remote = tmp_path / f"{name}.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", name, str(remote))
    return remote


def staged_json(repo: Path, *args: str) -> tuple[int, dict, str]:
    proc = leakwarden("staged", "--format", "json", *args, cwd=repo)
    return proc.returncode, report(proc), proc.stderr.decode()
