"""The server hook behind real git servers on 127.0.0.1 (issue 13): git daemon, smart HTTP (nginx
with basic auth -> fcgiwrap -> git http-backend) and SSH (sshd -> gitolite3). Each server is
started once per test module and worker, and stopped at the end; each test pushes its own branch."""
from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import assert_hidden, commit_file, git, make_token
from helpers_transports import TRANSPORTS, Server


@pytest.fixture(scope="module", params=sorted(TRANSPORTS))
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(request.param)
    with TRANSPORTS[request.param](tmp) as running:
        yield running


@pytest.fixture
def client(tmp_path: Path, server: Server) -> Path:
    path = tmp_path / "client"
    git(tmp_path, "init", "-q", "-b", "work", str(path))
    git(path, "remote", "add", "origin", server.url)
    commit_file(path, "README.md", "hello\n", "initial")
    return path


def push(server: Server, client: Path, *args: str) -> subprocess.CompletedProcess:
    res = git(client, "push", *args, check=False, env=server.env)
    res.out = res.stdout.decode("utf-8", "replace") + res.stderr.decode("utf-8", "replace")
    if server.log and res.returncode not in (0, 1):
        res.out += f"\n--- {server.name} log ---\n" + server.log.read_text(errors="replace")[-3000:]
    return res


def branch(request: pytest.FixtureRequest) -> str:
    return "refs/heads/" + re.sub(r"[^A-Za-z0-9-]+", "-", request.node.name)


def server_ref(server: Server, ref: str) -> str | None:
    res = git(server.repo, "rev-parse", "--verify", "--quiet", ref, check=False)
    return res.stdout.decode().strip() or None


def last_audit(server: Server) -> dict:
    import json

    return json.loads((server.repo / "leakwarden-audit.jsonl").read_text().splitlines()[-1])


def test_clean_push_is_accepted(server: Server, client: Path, request: pytest.FixtureRequest) -> None:
    ref = branch(request)
    res = push(server, client, "origin", f"HEAD:{ref}")
    assert res.returncode == 0, res.out
    assert server_ref(server, ref) == git(client, "rev-parse", "HEAD").stdout.decode().strip()


def test_token_push_is_rejected_with_the_reason_and_nothing_lands(server: Server, client: Path,
                                                                  request: pytest.FixtureRequest) -> None:
    secret = make_token()
    head = commit_file(client, "config/app.env", f"DEBUG=1\nTOKEN={secret}\n", "settings")
    ref = branch(request)
    res = push(server, client, "origin", f"HEAD:{ref}")
    assert res.returncode != 0, res.out
    assert "remote: leakwarden: push rejected: 1 secret" in res.out, res.out
    assert "path:   config/app.env:2" in res.out
    assert "GitHub personal access token (classic)" in res.out
    assert "secret: ghp_****" in res.out
    assert "git commit --amend" in res.out
    assert_hidden(res.out, secret)
    assert server_ref(server, ref) is None
    assert git(server.repo, "cat-file", "-e", head, check=False).returncode != 0


def test_bypass_with_a_reason_goes_through_and_names_the_user(server: Server, client: Path,
                                                              request: pytest.FixtureRequest) -> None:
    head = commit_file(client, "tests/fixture.txt", f"{make_token()}\n", "fixture")
    ref = branch(request)
    res = push(server, client, "-o", "leakwarden.bypass=used-in-tests", "origin", f"HEAD:{ref}")
    assert res.returncode == 0, res.out
    assert f"bypass 'used-in-tests' by {server.user}" in res.out
    assert server_ref(server, ref) == head
    entry = last_audit(server)
    assert (entry["decision"], entry["reason"]) == ("bypass", "used-in-tests")
    assert (entry["pusher"], entry["pusher_source"]) == (server.user, server.user_source)
    assert entry["refs"][0]["ref"] == ref


def test_bypass_without_a_reason_is_refused_and_logged(server: Server, client: Path,
                                                       request: pytest.FixtureRequest) -> None:
    commit_file(client, "k.env", f"T={make_token()}\n", "token")
    ref = branch(request)
    res = push(server, client, "-o", "leakwarden.bypass", "origin", f"HEAD:{ref}")
    assert res.returncode != 0, res.out
    assert "a bypass needs a reason" in res.out
    assert server_ref(server, ref) is None
    entry = last_audit(server)
    assert (entry["decision"], entry["bypass_refused"]) == ("reject-bypass", "bypass without a reason")
    assert (entry["pusher"], entry["pusher_source"]) == (server.user, server.user_source)


def fast_import_history(client: Path, commits: int) -> str:
    """``commits`` commits on top of HEAD, each changing two files, written by git fast-import."""
    parent = git(client, "rev-parse", "HEAD").stdout.decode().strip()
    stream = [f"reset refs/heads/many\nfrom {parent}\n"]
    for n in range(commits):
        body = f"def f{n}():\n    return {n}\n"
        note = f"change {n}\n"
        stream.append(f"commit refs/heads/many\nmark :{n + 1}\n"
                      f"committer Dev <dev@example.com> {1700000000 + n} +0000\n"
                      f"data {len(note)}\n{note}"
                      f"M 644 inline src/mod{n % 50}.py\ndata {len(body)}\n{body}"
                      f"M 644 inline notes/log.txt\ndata {len(note)}\n{note}\n")
    git(client, "fast-import", "--quiet", input="".join(stream).encode())
    return git(client, "rev-parse", "refs/heads/many").stdout.decode().strip()


def test_a_1000_commit_push_is_scanned_within_the_budget(server: Server, client: Path,
                                                         request: pytest.FixtureRequest) -> None:
    tip = fast_import_history(client, 1000)
    ref = branch(request)
    # The initial commit is new to the server too, unless an earlier test (same content, same
    # second) already pushed an identical one.
    root = git(client, "rev-parse", "HEAD").stdout.decode().strip()
    new_root = git(server.repo, "cat-file", "-e", root, check=False).returncode != 0
    git(server.repo, "config", "leakwarden.verbose", "true")
    git(server.repo, "config", "leakwarden.timeBudget", "4")   # the default, as GHES allows
    try:
        res = push(server, client, "origin", f"{tip}:{ref}")
    finally:
        git(server.repo, "config", "--unset", "leakwarden.verbose")
        git(server.repo, "config", "leakwarden.timeBudget", "120")
    assert res.returncode == 0, res.out
    assert server_ref(server, ref) == tip
    m = re.search(r"leakwarden: (\d+) objects scanned \((\d+) commits, (\d+) blobs, 0 tags\) for 1 refs in (\d+) ms",
                  res.out)
    assert m, res.out
    assert int(m[2]) == 1000 + new_root
    assert int(m[3]) == 2000 + new_root
    assert int(m[4]) < 4000            # the hook's own timing, inside its budget
