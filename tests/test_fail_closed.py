"""Fail closed: settings that would turn scanning off, unreadable config files, slow rules,
a per-file time budget, columns on huge lines. Each was a way to end a run with exit 0 (or a
crash) while input went unscanned."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import git, leakwarden, make_token
from test_pre_receive import make_client, make_server, push


def _scan_with_config(tmp_path: Path, body: str | bytes, *extra: str, content: str = "hello\n"):
    cfg = tmp_path / "lw.toml"
    cfg.write_bytes(body if isinstance(body, bytes) else body.encode())
    target = tmp_path / "f.txt"
    target.write_text(content)
    return leakwarden("scan", "--config", str(cfg), *extra, str(target))


@pytest.mark.parametrize("value", ["0", "-5", '"0MB"', '"inf"', '"50XB"', '"1e9"', "inf", "-inf", "nan", "true"])
def test_max_file_size_that_would_skip_everything_is_a_config_error(tmp_path, value):
    res = _scan_with_config(tmp_path, f"max_file_size = {value}\n")
    assert res.returncode == 2, res.stderr
    assert b"max_file_size" in res.stderr and b"lw.toml:1" in res.stderr


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan", '"10"', "100000000"])
def test_file_time_budget_must_be_finite_and_positive(tmp_path, value):
    res = _scan_with_config(tmp_path, f"file_time_budget = {value}\n")
    assert res.returncode == 2 and b"file_time_budget" in res.stderr, res.stderr


def test_max_file_size_on_the_command_line_is_checked_too(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("x\n")
    res = leakwarden("scan", "--max-file-size", "0", str(target))
    assert res.returncode == 2 and b"max_file_size" in res.stderr


@pytest.mark.parametrize("body, says", [
    (b"min_confidence = 'high'\n\0\0\0binary", b"binary"),
    (b"min_confidence = 'h\xe9gh'\n", b"not UTF-8"),
    (b"\xff\xfem\x00i\x00n\x00", b"binary"),
])
def test_binary_or_non_utf8_config_is_a_clear_error(tmp_path, body, says):
    res = _scan_with_config(tmp_path, body)
    assert res.returncode == 2, res.stderr
    assert says in res.stderr and b"Traceback" not in res.stderr and b"internal error" not in res.stderr


def _push_under_server_config(tmp_path: Path, config: str, name: str, content: str):
    """Push one commit adding ``name`` to a server whose configuration file is ``config``;
    the push's result, after checking that nothing landed."""
    server = make_server(tmp_path)
    cfg = tmp_path / "server.toml"
    cfg.write_text(config)
    git(server, "config", "leakwarden.config", str(cfg))
    client = make_client(tmp_path, server)
    (client / name).write_text(content)
    git(client, "add", name)
    git(client, "commit", "-q", "-m", "add")
    res = push(client, "origin", "HEAD:main")
    assert git(server, "rev-parse", "--verify", "-q", "refs/heads/main", check=False).returncode != 0, res.out
    return res


def test_server_rejects_a_push_when_its_config_would_turn_scanning_off(tmp_path):
    res = _push_under_server_config(tmp_path, 'max_file_size = "0KB"\n', "a.txt", f"token = {make_token()}\n")
    assert res.returncode != 0 and "max_file_size" in res.out and "configuration" in res.out, res.out


def test_a_file_over_its_time_budget_is_reported_as_not_fully_scanned(tmp_path):
    for fmt in ("text", "json"):
        # Work for the engine (keyword hits to confirm) that cannot be done in a microsecond.
        res = _scan_with_config(tmp_path, "file_time_budget = 0.000001\n", "--format", fmt,
                                content='password = "hunter2hunter2"\n' * 2000)
        out = res.stdout.decode()
        assert "not fully scanned" in out and "f.txt" in out, (fmt, out, res.stderr)
        if fmt == "json":
            assert any("time budget" in s["reason"] for s in json.loads(out)["skipped"])


SLOW_RULE = '''
[[rules]]
id = "slow-acme"
name = "Acme key"
type = "Acme key"
description = "A user rule that backtracks badly on a run of a's."
regex = \'\'\'acme(?:a|aa)*c(?P<secret>_[a-z0-9]{24})\'\'\'
keywords = ["acme"]
severity = "high"
confidence = "high"
remediation = "Rotate it."
url = "https://acme.invalid"
examples = []
negative_examples = []
'''


def test_a_catastrophic_user_rule_is_refused_at_load_and_by_rules_check(tmp_path):
    """The regex module's timeout is checked between match attempts, not inside one: this rule
    ran for minutes on a line of forty a's. It is refused before it meets any input."""
    target = tmp_path / "f.txt"
    target.write_text("acme" + "a" * 40 + "\n")
    cfg = tmp_path / "lw.toml"
    cfg.write_text(SLOW_RULE)
    res = leakwarden("scan", "--config", str(cfg), str(target))
    assert res.returncode == 2 and b"slow-acme" in res.stderr and b"backtracks" in res.stderr, res.stderr
    pack = tmp_path / "pack.toml"
    pack.write_text(SLOW_RULE)
    res = leakwarden("rules", "check", str(pack))
    assert res.returncode != 0 and b"slow-acme" in res.stdout + res.stderr and b"backtracks" in res.stdout + res.stderr


def test_a_catastrophic_allow_regex_is_a_config_error_not_a_crash(tmp_path):
    tok = make_token()
    target = tmp_path / "f.txt"
    target.write_text(f"token = {tok} " + "x" * 40 + "\n")
    cfg = tmp_path / "lw.toml"
    cfg.write_text("allow_regexes = ['(?:x|xx)+\\d']\n")
    res = leakwarden("scan", "--config", str(cfg), "--format", "json", str(target))
    assert res.returncode == 2 and b"allow_regexes" in res.stderr and b"backtracks" in res.stderr, res.stderr


def test_columns_are_right_past_16_mib_on_one_line(tmp_path):
    tok = make_token()
    pad = 17 * 1024 * 1024 + 5
    target = tmp_path / "huge.txt"
    with open(target, "wb") as fh:
        fh.write(b"first line\n")
        fh.write(b"\xc3\xa9" * 8 + b"a" * (pad - 16) + b" " + tok.encode() + b"\n")
    res = leakwarden("scan", "--format", "json", str(target))
    doc = json.loads(res.stdout)
    assert [(f["line"], f["column"]) for f in doc["findings"]] == [(2, 8 + (pad - 16) + 2)], doc


# Work for the engine (keyword hits to confirm) that cannot be done in a microsecond.
_SLOW_CONTENT = 'password = "hunter2hunter2"\n' * 2000


def test_a_staged_file_over_its_time_budget_is_not_fully_scanned(tmp_path):
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", str(repo))
    (repo / ".leakwarden.toml").write_text("file_time_budget = 0.000001\n")
    (repo / "slow.txt").write_text(_SLOW_CONTENT)
    git(repo, "add", "-A")
    res = leakwarden("staged", cwd=repo)
    assert b"skipped slow.txt: not fully scanned" in res.stdout + res.stderr, (res.stdout, res.stderr)


def test_server_rejects_a_blob_over_its_per_file_time_budget(tmp_path):
    res = _push_under_server_config(tmp_path, "file_time_budget = 0.000001\n", "slow.txt", _SLOW_CONTENT)
    assert res.returncode != 0 and "not fully scanned" in res.out and "slow.txt" in res.out, res.out
