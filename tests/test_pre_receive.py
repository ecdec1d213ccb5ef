"""The server hook, end to end: a real bare repository with the hook installed by
``leakwarden install --server``, pushed to with real ``git push`` over the local transport."""
from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from conftest import commit_file, git, make_key, make_token
from helpers_git import LFS_POINTER_FILE
# The fixtures are imported so that pytest finds them in this module.
from helpers_server import (audit, client_fixture, make_client, make_server, no_server_identity,  # noqa: F401
                            push, run_hook, server_fixture, server_ref, set_config)
from scanner.finding import fingerprint

# --- accept and reject -------------------------------------------------------------------------------

def test_push_with_token_is_rejected_and_refs_are_unchanged(server: Path, client: Path) -> None:
    before = server_ref(server)
    secret = make_token()
    commit_file(client, "app/settings.py", f"x = 1\nTOKEN = '{secret}'\n", "add settings")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "pre-receive hook declined" in res.out
    assert "push rejected: 1 secret" in res.out
    assert "path:   app/settings.py:2" in res.out
    assert "GitHub personal access token (classic)" in res.out
    assert "ghp_********" in res.out
    assert secret not in res.out
    assert "git commit --amend" in res.out
    assert server_ref(server) == before
    [entry] = audit(server)
    assert entry["decision"] == "reject"
    assert entry["findings"][0]["fingerprint"] == fingerprint(secret.encode())
    assert secret not in (server / "leakwarden-audit.jsonl").read_text()


def test_rejected_objects_do_not_reach_the_server(server: Path, client: Path) -> None:
    commit_file(client, "k.txt", make_token(), "add")
    head = git(client, "rev-parse", "HEAD").stdout.decode().strip()
    assert push(client, "origin", "HEAD:main").returncode != 0
    assert git(server, "cat-file", "-e", head, check=False).returncode != 0   # the quarantine was dropped


def test_clean_push_is_accepted(server: Path, client: Path) -> None:
    head = commit_file(client, "src/main.py", "print('hello')\n", "code")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode == 0, res.out
    assert server_ref(server) == head
    # Every run ends by saying what it scanned (issue 12), a clean push too: one line.
    assert re.search(r"leakwarden: 2 objects scanned, 0\.0 MB in \d+ ms", res.out), res.out
    assert res.out.count("leakwarden") == 1, res.out
    assert audit(server) == []


def test_private_key_is_rejected(server: Path, client: Path) -> None:
    key = make_key("rsa")
    commit_file(client, "deploy/id_rsa", key, "key")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "path:   deploy/id_rsa:1" in res.out
    assert "private key" in res.out.lower()
    assert key.splitlines()[1] not in res.out


def test_openssh_key_is_rejected(server: Path, client: Path) -> None:
    commit_file(client, "keys/deploy", make_key("openssh"), "key")
    assert push(client, "origin", "HEAD:main").returncode != 0


def test_token_in_commit_message_is_rejected(server: Path, client: Path) -> None:
    secret = make_token("github_pat")
    commit_file(client, "notes.txt", "nothing here\n", f"use this\n\ntoken {secret}\n")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "<commit message>:3" in res.out
    assert secret not in res.out


def test_secret_in_an_older_commit_advises_interactive_rebase(server: Path, client: Path) -> None:
    bad = commit_file(client, "a.env", f"T={make_token()}\n", "secret")
    commit_file(client, "b.txt", "later\n", "later")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert f"git rebase -i {bad[:12]}~1" in res.out
    assert f"commit: {bad[:12]}" in res.out   # the commit that introduced it, not the tip


def test_secret_in_first_commit_of_new_repo_advises_rebase_root(tmp_path: Path, server: Path) -> None:
    client = make_client(tmp_path, server)
    commit_file(client, "a.env", f"T={make_token()}\n", "secret")
    commit_file(client, "b.txt", "later\n", "later")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "git rebase -i --root" in res.out
    assert server_ref(server) is None


def test_control_characters_are_never_echoed(server: Path, client: Path) -> None:
    name = "evil\x1b[31mred.txt"
    commit_file(client, name, f"T={make_token()}\n", "add")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "\x1b" not in res.out
    assert "evil\\x1b[31mred.txt:1" in res.out


def test_only_max_findings_are_listed(server: Path, client: Path) -> None:
    set_config(server, maxFindings="2")
    commit_file(client, "many.txt", "".join(f"t{i}={make_token()}\n" for i in range(4)), "many")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "push rejected: 4 secrets" in res.out
    assert res.out.count("secret: ghp_") == 2
    assert "and 2 more not shown" in res.out
    assert len(audit(server)[0]["findings"]) == 4


# --- what is scanned ---------------------------------------------------------------------------------

def test_new_branch_at_old_commits_scans_nothing(server: Path, client: Path) -> None:
    set_config(server, verbose="true")
    res = push(client, "origin", "HEAD:refs/heads/copy")
    assert res.returncode == 0, res.out
    assert "0 objects scanned (0 commits, 0 blobs, 0 tags)" in res.out
    assert server_ref(server, "refs/heads/copy") == server_ref(server)


def test_new_objects_are_scanned_once_across_refs(server: Path, client: Path) -> None:
    set_config(server, verbose="true")
    commit_file(client, "one.txt", "1\n", "one")
    commit_file(client, "two.txt", "2\n", "two")
    res = push(client, "origin", "HEAD:main", "HEAD:refs/heads/other")
    assert res.returncode == 0, res.out
    # two new commits and their two new blobs, once, although two refs point at them
    assert "4 objects scanned (2 commits, 2 blobs, 0 tags) for 2 refs" in res.out and " ms, 0.0 MB;" in res.out
    assert "quarantine: yes" in res.out


def test_old_blob_in_a_new_commit_is_not_rescanned(server: Path, client: Path) -> None:
    set_config(server, verbose="true")
    commit_file(client, "copy-of-readme.md", "hello\n", "same content as README.md")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode == 0, res.out
    assert "1 objects scanned (1 commits, 0 blobs, 0 tags)" in res.out


def test_deletion_is_accepted(server: Path, client: Path) -> None:
    assert push(client, "origin", "HEAD:refs/heads/doomed").returncode == 0
    res = push(client, "origin", "--delete", "doomed")
    assert res.returncode == 0, res.out
    assert server_ref(server, "refs/heads/doomed") is None


def test_two_refs_with_a_secret_in_one_reject_the_whole_push(server: Path, client: Path) -> None:
    before = server_ref(server)
    commit_file(client, "clean.txt", "ok\n", "clean")
    git(client, "checkout", "-q", "-b", "side")
    commit_file(client, "leak.txt", make_token("gho"), "leak")
    res = push(client, "origin", "main:main", "side:side")
    assert res.returncode != 0
    assert "path:   leak.txt:1" in res.out
    assert server_ref(server) == before
    assert server_ref(server, "refs/heads/side") is None


def test_evil_merge_content_is_scanned(server: Path, client: Path) -> None:
    git(client, "checkout", "-q", "-b", "side")
    commit_file(client, "side.txt", "side\n", "side")
    git(client, "checkout", "-q", "main")
    commit_file(client, "main.txt", "main\n", "main")
    git(client, "merge", "-q", "--no-commit", "side")
    (client / "merged.txt").write_text(f"T={make_token()}\n")
    git(client, "add", "merged.txt")
    git(client, "commit", "-q", "-m", "merge")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "path:   merged.txt:1" in res.out


def test_force_push(server: Path, client: Path) -> None:
    commit_file(client, "f.txt", "v1\n", "v1")
    assert push(client, "origin", "HEAD:main").returncode == 0
    git(client, "reset", "-q", "--hard", "HEAD~1")
    commit_file(client, "f.txt", f"v2 {make_token()}\n", "v2 with a secret")
    before = server_ref(server)
    res = push(client, "--force", "origin", "HEAD:main")
    assert res.returncode != 0
    assert "path:   f.txt:1" in res.out
    assert server_ref(server) == before
    git(client, "reset", "-q", "--hard", "HEAD~1")
    clean = commit_file(client, "f.txt", "v3\n", "v3")
    res = push(client, "--force", "origin", "HEAD:main")
    assert res.returncode == 0, res.out
    assert server_ref(server) == clean


def test_annotated_tag_message_is_scanned(server: Path, client: Path) -> None:
    secret = make_token()
    git(client, "tag", "-a", "v1", "-m", f"release\n\nkey {secret}\n")
    res = push(client, "origin", "v1")
    assert res.returncode != 0
    assert "<tag message v1>:3" in res.out
    assert secret not in res.out
    assert server_ref(server, "refs/tags/v1") is None


def test_tag_on_new_commit_with_secret_is_rejected(server: Path, client: Path) -> None:
    commit_file(client, "t.txt", make_token(), "tagged leak")
    git(client, "tag", "v2")
    res = push(client, "origin", "v2")
    assert res.returncode != 0
    assert "path:   t.txt:1" in res.out


def test_clean_tags_on_old_commits_are_accepted(server: Path, client: Path) -> None:
    set_config(server, verbose="true")
    git(client, "tag", "light")
    git(client, "tag", "-a", "annotated", "-m", "a release")
    res = push(client, "origin", "light", "annotated")
    assert res.returncode == 0, res.out
    assert "1 objects scanned (0 commits, 0 blobs, 1 tags)" in res.out


def test_sha256_repository(tmp_path: Path) -> None:
    server = make_server(tmp_path, "sha256")
    client = tmp_path / "client"   # cloning an empty repository would not carry its object format
    git(tmp_path, "init", "-q", "--object-format=sha256", str(client))
    git(client, "remote", "add", "origin", str(server))
    head = commit_file(client, "ok.txt", "fine\n", "ok")
    assert len(head) == 64
    res = push(client, "origin", "HEAD:main")
    assert res.returncode == 0, res.out
    commit_file(client, "bad.txt", make_token(), "bad")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "path:   bad.txt:1" in res.out
    assert server_ref(server) == head
    assert push(client, "origin", f"{head}:refs/heads/two").returncode == 0
    res = push(client, "origin", "--delete", "two")   # old id of 64 zeros is a deletion, not an error
    assert res.returncode == 0, res.out


# --- bypass ---------------------------------------------------------------------------------------------

def test_bypass_with_valid_reason_is_accepted_and_logged(server: Path, client: Path) -> None:
    secret = make_token()
    head = commit_file(client, "tests/fixture.txt", f"{secret}\n", "fixture")
    res = push(client, "-o", "leakwarden.bypass=used-in-tests", "origin", "HEAD:main",
               env={"GITEA_PUSHER_NAME": "alice", "GITEA_REPO_USER_NAME": "org", "GITEA_REPO_NAME": "app"})
    assert res.returncode == 0, res.out
    assert "bypass 'used-in-tests' by alice" in res.out
    assert secret not in res.out
    assert server_ref(server) == head
    [entry] = audit(server)
    assert entry["decision"] == "bypass"
    assert entry["reason"] == "used-in-tests"
    assert entry["pusher"] == "alice"
    assert entry["repository"] == "org/app"
    assert entry["commits"] == [head]
    assert entry["refs"][0]["ref"] == "refs/heads/main"
    assert entry["findings"][0]["fingerprint"] == fingerprint(secret.encode())
    assert entry["findings"][0]["rule"]
    assert secret not in (server / "leakwarden-audit.jsonl").read_text()


def test_bypass_disabled_rejects(server: Path, client: Path) -> None:
    set_config(server, bypass="false")
    commit_file(client, "x.txt", make_token(), "x")
    res = push(client, "-o", "leakwarden.bypass=false-positive", "origin", "HEAD:main")
    assert res.returncode != 0
    assert "bypass is disabled on this server" in res.out
    assert audit(server)[0]["decision"] == "reject"


def test_rejection_without_bypass_option_hides_bypass_hint_when_disabled(server: Path, client: Path) -> None:
    set_config(server, bypass="false")
    commit_file(client, "x.txt", make_token(), "x")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "leakwarden.bypass" not in res.out


def test_only_listed_users_may_bypass(server: Path, client: Path) -> None:
    set_config(server, bypassUsers="alice, carol")
    head = commit_file(client, "x.txt", make_token(), "x")
    res = push(client, "-o", "leakwarden.bypass=will-fix-later", "origin", "HEAD:main",
               env={"GL_USERNAME": "bob"})
    assert res.returncode != 0
    assert "user 'bob' may not bypass" in res.out
    res = push(client, "-o", "leakwarden.bypass=will-fix-later", "origin", "HEAD:main",
               env={"GITHUB_USER_LOGIN": "alice", "GITHUB_VIA": "git repo contents api"})
    assert res.returncode == 0, res.out
    assert server_ref(server) == head
    entry = audit(server)[-1]
    assert (entry["pusher"], entry["via"], entry["decision"]) == ("alice", "git repo contents api", "bypass")


def test_configured_user_variable(server: Path, client: Path) -> None:
    set_config(server, bypassUsers="dave", userVariable="PROXY_USER")
    commit_file(client, "x.txt", make_token(), "x")
    res = push(client, "-o", "leakwarden.bypass=false-positive", "origin", "HEAD:main",
               env={"PROXY_USER": "dave", "GL_USERNAME": "mallory"})
    assert "user 'mallory' may not bypass" in res.out   # the server's own variable comes first
    res = push(client, "-o", "leakwarden.bypass=false-positive", "origin", "HEAD:main", env={"PROXY_USER": "dave"})
    assert res.returncode == 0, res.out
    assert (audit(server)[-1]["pusher"], audit(server)[-1]["pusher_source"]) == ("dave", "PROXY_USER")


def test_invalid_bypass_reason_is_rejected(server: Path, client: Path) -> None:
    commit_file(client, "x.txt", make_token(), "x")
    res = push(client, "-o", "leakwarden.bypass=because", "origin", "HEAD:main")
    assert res.returncode != 0
    assert "invalid bypass reason 'because'" in res.out
    for reason in ("false-positive", "used-in-tests", "will-fix-later"):
        assert reason in res.out


# --- time budget and errors --------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["reject", "accept"])
def test_exhausted_time_budget_applies_the_policy(server: Path, client: Path, action: str) -> None:
    set_config(server, timeBudget="0.001", onTimeout=action)
    before = server_ref(server)
    head = commit_file(client, "x.txt", make_token(), "x")
    res = push(client, "origin", "HEAD:main")
    assert "time budget of 0.001 s ran out" in res.out
    assert f"leakwarden.onTimeout={action}" in res.out
    if action == "reject":
        assert res.returncode != 0
        assert server_ref(server) == before
    else:
        assert res.returncode == 0, res.out
        assert server_ref(server) == head
    assert audit(server)[-1]["decision"] == f"{action}-timeout"


def test_time_budget_from_server_config_file(server: Path, client: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "server.toml"
    cfg.write_text("[server]\ntime_budget = 0.001\non_timeout = \"reject\"\n")
    git(server, "config", "--unset", "leakwarden.timeBudget")   # git config would win over the file
    set_config(server, config=str(cfg))
    commit_file(client, "x.txt", "clean\n", "x")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "time budget of 0.001 s ran out" in res.out


def test_git_config_overrides_config_file(server: Path, client: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "server.toml"
    cfg.write_text("[server]\ntime_budget = 0.001\nmax_findings = 1\n")
    set_config(server, config=str(cfg), timeBudget="30")
    commit_file(client, "x.txt", f"{make_token()}\n{make_token()}\n", "x")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "and 1 more not shown" in res.out
    assert "time budget" not in res.out


def test_bad_server_configuration_rejects_with_a_clear_message(server: Path, client: Path) -> None:
    set_config(server, onTimeout="maybe")
    commit_file(client, "x.txt", "clean\n", "x")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0
    assert "leakwarden.onTimeout: expected reject or accept, got 'maybe'" in res.out


def test_unknown_key_in_server_table(server: Path, client: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "server.toml"
    cfg.write_text("[server]\ntimebudget = 3\n")
    set_config(server, config=str(cfg))
    res = run_hook(server, "")
    assert res.returncode == 2
    assert "unknown key 'timebudget'" in res.stderr.decode()


@pytest.mark.parametrize("action", ["reject", "accept"])
def test_missing_object_applies_the_error_policy(server: Path, client: Path, action: str) -> None:
    set_config(server, onError=action)
    missing = "1234567890abcdef1234567890abcdef12345678"
    res = run_hook(server, f"{'0' * 40} {missing} refs/heads/ghost\n")
    err = res.stderr.decode()
    assert "the push could not be scanned" in err
    assert missing in err
    assert f"leakwarden.onError={action}" in err
    assert res.returncode == (3 if action == "reject" else 0)
    assert audit(server)[-1]["decision"] == f"{action}-error"


def test_corrupt_loose_object_applies_the_error_policy(server: Path, client: Path) -> None:
    blob = git(server, "hash-object", "-w", "--stdin", input=b"some content\n").stdout.decode().strip()
    tree = git(server, "mktree", input=f"100644 blob {blob}\tfile.txt\n".encode()).stdout.decode().strip()
    commit = git(server, "commit-tree", tree, "-m", "loose").stdout.decode().strip()
    loose = server / "objects" / blob[:2] / blob[2:]
    loose.chmod(0o644)
    loose.write_bytes(zlib.compress(b"blob 999\0truncated")[:-4])
    res = run_hook(server, f"{'0' * 40} {commit} refs/heads/corrupt\n")
    err = res.stderr.decode()
    assert res.returncode == 3
    assert "push rejected: the push could not be scanned" in err
    assert f"cannot read object {blob}" in err


def test_malformed_stdin_is_a_usage_error(server: Path) -> None:
    res = run_hook(server, "not an update line\n")
    assert res.returncode == 2
    assert "expected '<old-id> <new-id> <ref>'" in res.stderr.decode()


def test_unwritable_audit_log_refuses_a_bypass(server: Path, client: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    set_config(server, auditLog=str(blocker / "audit.jsonl"))
    commit_file(client, "x.txt", make_token(), "x")
    res = push(client, "-o", "leakwarden.bypass=false-positive", "origin", "HEAD:main")
    assert res.returncode != 0
    assert "cannot write the audit log" in res.out
    assert "audit log cannot be written" in res.out


def test_wrapper_script_with_config_option(server: Path, client: Path, tmp_path: Path) -> None:
    """The GHES way: a wrapper script that names the configuration file (no per-repository git config)."""
    import shlex
    import sys

    cfg = tmp_path / "leakwarden-server.toml"
    cfg.write_text("[server]\nmax_findings = 1\nbypass_users = [\"hubot\"]\n")
    hook = server / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m scanner pre-receive --config {cfg}\n")
    commit_file(client, "x.txt", f"{make_token()}\n{make_token()}\n", "x")
    env = {"GITHUB_USER_LOGIN": "octocat", "GITHUB_REPO_NAME": "acme/app"}
    res = push(client, "-o", "leakwarden.bypass=false-positive", "origin", "HEAD:main", env=env)
    assert res.returncode != 0
    assert "and 1 more not shown" in res.out
    assert "user 'octocat' may not bypass" in res.out
    entry = audit(server)[-1]
    assert (entry["repository"], entry["pusher"], entry["reason"]) == ("acme/app", "octocat", "false-positive")


def test_scan_settings_of_the_server_config_file_apply(server: Path, client: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "server.toml"
    cfg.write_text("disable_rules = [\"github-pat-classic\"]\n")
    commit_file(client, "x.txt", f"{make_token()}\n", "x")
    set_config(server, config=str(cfg))
    assert push(client, "origin", "HEAD:main").returncode == 0


def test_scan_keeps_what_it_found_when_the_budget_runs_out(server: Path, client: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail-open must never let through a secret already found: the partial result survives."""
    from scanner.config import Config
    from scanner.engine.factory import build_engine
    from scanner.policy.server import BudgetExceeded
    from scanner.report import Report
    from scanner.sources import incoming
    from scanner.sources.refs import RefUpdate

    old = server_ref(server)
    commit_file(client, "leak.txt", make_token(), "leak")
    commit_file(client, "later.txt", "later\n", "later")
    head = git(client, "rev-parse", "HEAD").stdout.decode().strip()
    # Bring the objects over without a hook, then drop the ref: they are present but new to every ref.
    git(server, "fetch", "-q", str(client), "HEAD:refs/incoming/tmp")
    git(server, "update-ref", "-d", "refs/incoming/tmp")
    calls = []

    def check_time() -> None:
        calls.append(1)
        if len(calls) > 3:   # after the first commit and its blob
            raise BudgetExceeded()

    monkeypatch.chdir(server)
    result = Report()
    with pytest.raises(BudgetExceeded):
        incoming.scan([RefUpdate(old, head, "refs/heads/main")], build_engine(Config()), Config(),
                      check_time=check_time, report=result)
    assert [f.path for f in result.findings] == ["leak.txt"]


def test_ref_naming_a_blob_or_tree_directly(server: Path, client: Path) -> None:
    blob = git(client, "hash-object", "-w", "--stdin", input=f"T={make_token()}\n".encode()).stdout.decode().strip()
    res = push(client, "origin", f"{blob}:refs/tags/raw-blob")
    assert res.returncode != 0
    assert "path:   (refs/tags/raw-blob):1" in res.out
    tree = git(client, "mktree", input=f"100644 blob {blob}\tinside.txt\n".encode()).stdout.decode().strip()
    res = push(client, "origin", f"{tree}:refs/tags/raw-tree")
    assert res.returncode != 0
    assert "path:   inside.txt:1" in res.out


def test_blob_over_max_file_size_is_not_scanned_and_said(server: Path, client: Path, tmp_path: Path) -> None:
    conf = tmp_path / "server.toml"
    conf.write_text('max_file_size = "1KB"\n')
    set_config(server, config=str(conf), verbose="true")
    content = "a" * 5000 + f"\nt={make_token()}\n"
    head = commit_file(client, "big.txt", content, "big")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode == 0, res.out
    assert server_ref(server) == head
    assert f"big.txt: larger than max_file_size ({len(content)} bytes)" in res.out, res.out


def test_submodules_and_lfs_pointers_are_reported_not_scanned(server: Path, client: Path) -> None:
    set_config(server, verbose="true")
    sub = commit_file(client, "a.txt", "hello\n", "one")
    git(client, "update-index", "--add", "--cacheinfo", f"160000,{sub},vendor/lib")
    commit_file(client, "big.bin", LFS_POINTER_FILE, "lfs and a submodule")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode == 0, res.out
    assert "vendor/lib: submodule (gitlink), not scanned" in res.out, res.out
    assert "big.bin: Git LFS pointer, content not fetched" in res.out

