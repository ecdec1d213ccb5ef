"""Server policy, end to end over real pushes to a bare repository: who the pusher is, replacement
refs, refused bypasses in the audit log, and an interrupted hook."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, commit_file, git, make_token
# The fixtures are imported so that pytest finds them in this module.
from helpers_server import (audit, client_fixture, no_server_identity, push, server_fixture,  # noqa: F401
                            server_ref, set_config)
from scanner.policy.server import SERVER_USER_VARIABLES, ServerPolicy, pusher

# --- who is pushing -----------------------------------------------------------------------------------


def test_each_servers_variable_comes_before_the_configured_one() -> None:
    policy = ServerPolicy(user_variable="PROXY_USER")
    for name in SERVER_USER_VARIABLES:
        who = pusher(policy, {name: "alice", "PROXY_USER": "mallory", "USER": "git"})
        assert (who.name, who.source) == ("alice", name)
    who = pusher(policy, {"PROXY_USER": "dave", "USER": "git"})
    assert (who.name, who.source) == ("dave", "PROXY_USER")


def test_the_servers_variables_in_their_documented_order() -> None:
    env = {name: name.lower() for name in SERVER_USER_VARIABLES}
    assert pusher(ServerPolicy(), env).source == "GITHUB_USER_LOGIN"
    assert SERVER_USER_VARIABLES == ("GITHUB_USER_LOGIN", "GL_USERNAME", "GL_ID", "GITEA_PUSHER_NAME", "GL_USER",
                                     "REMOTE_USER")
    docs = (ROOT / "docs" / "server.md").read_text().partition("## Who is pushing")[2]
    positions = [docs.index(f"`{name}`") for name in SERVER_USER_VARIABLES]
    assert positions == sorted(positions)


def test_remote_user_names_the_pusher_in_the_audit_log(server: Path, client: Path) -> None:
    commit_file(client, "x.txt", make_token(), "x")
    res = push(client, "-o", "leakwarden.bypass=used-in-tests", "origin", "HEAD:main", env={"REMOTE_USER": "erin"})
    assert res.returncode == 0, res.out
    assert "bypass 'used-in-tests' by erin" in res.out
    entry = audit(server)[-1]
    assert (entry["pusher"], entry["pusher_source"], entry["decision"]) == ("erin", "REMOTE_USER", "bypass")


def test_without_a_variable_the_hook_account_is_named_and_marked(server: Path, client: Path) -> None:
    import pwd

    commit_file(client, "x.txt", make_token(), "x")
    assert push(client, "origin", "HEAD:main").returncode != 0
    entry = audit(server)[-1]
    assert entry["pusher"] == pwd.getpwuid(os.geteuid()).pw_name
    assert entry["pusher_source"] == "account"


def test_bypass_users_match_the_same_identity(server: Path, client: Path) -> None:
    set_config(server, bypassUsers="alice")
    commit_file(client, "x.txt", make_token(), "x")
    # USER is the account, not the pusher: the server's variable decides.
    res = push(client, "-o", "leakwarden.bypass=false-positive", "origin", "HEAD:main",
               env={"GL_USER": "bob", "USER": "alice", "LOGNAME": "alice"})
    assert res.returncode != 0
    assert "user 'bob' may not bypass" in res.out
    res = push(client, "-o", "leakwarden.bypass=false-positive", "origin", "HEAD:main", env={"GL_USER": "alice"})
    assert res.returncode == 0, res.out


# --- refs/replace/* -----------------------------------------------------------------------------------

def _replace_token_blob(client: Path) -> tuple[str, str]:
    """(token, id of its blob), with refs/replace/<id> in the client pointing at a harmless blob."""
    secret = make_token()
    content = f"TOKEN={secret}\n".encode()
    token_blob = git(client, "hash-object", "-w", "--stdin", input=content).stdout.decode().strip()
    harmless = git(client, "hash-object", "-w", "--stdin", input=b"TOKEN=\n").stdout.decode().strip()
    git(client, "replace", token_blob, harmless)
    return secret, token_blob


def test_replace_refs_are_rejected_by_default(server: Path, client: Path) -> None:
    """The reproduction: a replacement for a token's blob, then a commit that adds that blob."""
    secret, token_blob = _replace_token_blob(client)
    ref = f"refs/replace/{token_blob}"
    res = push(client, "origin", f"{ref}:{ref}")
    assert res.returncode != 0
    assert f"creates or moves {ref}" in res.out
    assert "leakwarden.allowReplaceRefs" in res.out
    assert server_ref(server, ref) is None
    assert audit(server)[-1]["decision"] == "reject-replace-ref"
    before = server_ref(server)
    commit_file(client, "settings.env", f"TOKEN={secret}\n", "settings")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "path:   settings.env:1" in res.out
    assert server_ref(server) == before


def test_allowed_replace_refs_still_let_no_token_through(server: Path, client: Path) -> None:
    set_config(server, allowReplaceRefs="true")
    secret, token_blob = _replace_token_blob(client)
    ref = f"refs/replace/{token_blob}"
    assert push(client, "origin", f"{ref}:{ref}").returncode == 0
    assert server_ref(server, ref)
    before = server_ref(server)
    commit_file(client, "settings.env", f"TOKEN={secret}\n", "settings")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0, res.out   # the real blob is scanned, not its replacement
    assert "path:   settings.env:1" in res.out
    assert server_ref(server) == before


def test_a_replacement_object_with_a_token_is_scanned(server: Path, client: Path) -> None:
    set_config(server, allowReplaceRefs="true")
    harmless = git(client, "hash-object", "-w", "--stdin", input=b"hello\n").stdout.decode().strip()
    evil = git(client, "hash-object", "-w", "--stdin", input=f"T={make_token()}\n".encode()).stdout.decode().strip()
    git(client, "replace", harmless, evil)
    ref = f"refs/replace/{harmless}"
    res = push(client, "origin", f"{ref}:{ref}")
    assert res.returncode != 0
    assert "push rejected: 1 secret" in res.out
    assert server_ref(server, ref) is None


def test_deleting_a_replace_ref_is_allowed(server: Path, client: Path) -> None:
    harmless = git(client, "hash-object", "-w", "--stdin", input=b"a\n").stdout.decode().strip()
    other = git(client, "hash-object", "-w", "--stdin", input=b"b\n").stdout.decode().strip()
    git(client, "replace", harmless, other)
    ref = f"refs/replace/{harmless}"
    set_config(server, allowReplaceRefs="true")
    assert push(client, "origin", f"{ref}:{ref}").returncode == 0
    set_config(server, allowReplaceRefs="false")
    res = push(client, "origin", f":{ref}")
    assert res.returncode == 0, res.out
    assert server_ref(server, ref) is None


# --- refused bypasses are logged ----------------------------------------------------------------------

@pytest.mark.parametrize(("option", "why"), [
    ("leakwarden.bypass", "bypass without a reason"),
    ("leakwarden.bypass=", "bypass without a reason"),
    ("leakwarden.bypass=because", "unknown bypass reason"),
    ("leakwarden.skip=yes", "unknown leakwarden push option"),
])
def test_a_malformed_bypass_is_refused_and_logged(server: Path, client: Path, option: str, why: str) -> None:
    before = server_ref(server)
    commit_file(client, "x.txt", make_token(), "x")
    res = push(client, "-o", option, "origin", "HEAD:main", env={"GL_USER": "bob"})
    assert res.returncode != 0
    assert server_ref(server) == before
    entry = audit(server)[-1]
    assert (entry["decision"], entry["bypass_refused"], entry["pusher"]) == ("reject-bypass", why, "bob")
    assert entry["refs"][0]["ref"] == "refs/heads/main"
    assert "because" not in (server / "leakwarden-audit.jsonl").read_text()   # the pusher's text is not logged


def test_a_bypass_by_a_user_not_allowed_is_logged_with_why(server: Path, client: Path) -> None:
    set_config(server, bypassUsers="alice")
    commit_file(client, "x.txt", make_token(), "x")
    res = push(client, "-o", "leakwarden.bypass=will-fix-later", "origin", "HEAD:main", env={"GL_USER": "bob"})
    assert res.returncode != 0
    entry = audit(server)[-1]
    assert (entry["decision"], entry["reason"]) == ("reject", "will-fix-later")
    assert entry["bypass_refused"] == "user 'bob' may not bypass on this server"
    set_config(server, bypass="false")
    push(client, "-o", "leakwarden.bypass=will-fix-later", "origin", "HEAD:main", env={"GL_USER": "alice"})
    assert audit(server)[-1]["bypass_refused"] == "bypass is disabled on this server"


# --- interrupted ----------------------------------------------------------------------------------------

def _reading_stdin(pid: int) -> bool:
    """Whether the process is blocked in read(0, ...): the hook has loaded its policy and waits for
    the ref updates (Linux: /proc/PID/syscall; read is call 0 on x86-64, 63 on arm64)."""
    fields = Path(f"/proc/{pid}/syscall").read_text().split()
    return fields[:2] in (["0", "0x0"], ["63", "0x0"])


@pytest.mark.skipif(not Path("/proc/self/syscall").exists(), reason="needs /proc/PID/syscall to see when the "
                                                                   "hook waits for its input")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_hook_says_so_and_rejects(server: Path, sig: signal.Signals) -> None:
    set_config(server, onError="accept", onTimeout="accept")   # fails closed even so
    hook = subprocess.Popen([sys.executable, "-m", "scanner", "pre-receive"], cwd=server, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "GL_USER": "bob"})
    try:
        for _ in range(6000):   # a minute at most, on a busy machine
            if hook.poll() is not None or _reading_stdin(hook.pid):
                break
            time.sleep(0.01)
        else:
            pytest.fail("the hook never waited for its input")
        hook.send_signal(sig)
        _, err = hook.communicate(timeout=60)
    finally:
        hook.kill()
    text = err.decode()
    assert hook.returncode == 3, text
    assert f"push rejected: the scan was interrupted ({sig.name})" in text
    assert "budget" not in text
    entry = audit(server)[-1]
    assert (entry["decision"], entry["pusher"]) == ("reject-interrupted", "bob")


def test_a_budget_that_rings_inside_wrapping_code_is_still_known_to_have_rung() -> None:
    """Python wraps an exception raised in ``__set_name__`` (a dataclass being built by a lazy
    import) in a RuntimeError: the hook must still see the budget, not an unreadable push."""
    from scanner.policy.server import Budget, BudgetExceeded

    class Slow:
        def __set_name__(self, owner: type, name: str) -> None:
            time.sleep(0.05)

    caught: BaseException | None = None
    with Budget(0.001) as budget:
        try:
            type("Built", (), {"field": Slow()})
        except (RuntimeError, BudgetExceeded) as exc:
            caught = exc
    assert caught is not None and budget.rang, caught
