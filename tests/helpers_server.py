"""Shared by the server-hook tests: a bare repository with the hook installed, a client clone,
real pushes, and the audit log."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, commit_file, git, leakwarden
from scanner.policy.server import SERVER_USER_VARIABLES

HOOK_ENV = {"PYTHONPATH": str(ROOT)}
TEST_BUDGET = 120
USER_VARS = (*SERVER_USER_VARIABLES, "GITHUB_VIA")


@pytest.fixture(autouse=True, name="_no_server_identity")
def no_server_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in USER_VARS:
        monkeypatch.delenv(var, raising=False)


def make_server(tmp_path: Path, object_format: str = "sha1") -> Path:
    server = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", f"--object-format={object_format}", str(server))
    res = leakwarden("install", "--server", str(server))
    assert res.returncode == 0, res.stderr
    # The machine running the tests may be busy: a clean push must not fail on the default 4 s
    # budget. The budget's own tests set theirs.
    git(server, "config", "leakwarden.timeBudget", str(TEST_BUDGET))
    return server


def make_client(tmp_path: Path, server: Path) -> Path:
    client = tmp_path / "client"
    git(tmp_path, "clone", "-q", str(server), str(client))
    return client


@pytest.fixture(name="server")
def server_fixture(tmp_path: Path) -> Path:
    return make_server(tmp_path)


@pytest.fixture(name="client")
def client_fixture(tmp_path: Path, server: Path) -> Path:
    """A clone with one clean commit already on the server's main."""
    path = make_client(tmp_path, server)
    commit_file(path, "README.md", "hello\n", "initial")
    assert push(path, "origin", "HEAD:main").returncode == 0
    return path


def push(client: Path, *args: str, env: dict | None = None):
    res = git(client, "push", *args, check=False, env={**HOOK_ENV, **(env or {})})
    res.out = res.stdout.decode("utf-8", "replace") + res.stderr.decode("utf-8", "replace")
    return res


def server_ref(server: Path, ref: str = "refs/heads/main") -> str | None:
    res = git(server, "rev-parse", "--verify", "--quiet", ref, check=False)
    return res.stdout.decode().strip() or None


def set_config(server: Path, **settings: str) -> None:
    for key, value in settings.items():
        git(server, "config", f"leakwarden.{key}", value)


def audit(server: Path) -> list[dict]:
    path = server / "leakwarden-audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def run_hook(server: Path, stdin: str, env: dict | None = None):
    """The hook run directly, as git would, in the repository with the update lines on stdin."""
    return leakwarden("pre-receive", cwd=server, input=stdin.encode(), env=env)
