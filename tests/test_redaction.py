"""No output stream, log or cache file holds a full secret unless --show-secrets is given."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import assert_hidden, make_key, make_token


@pytest.fixture
def secrets_dir(tmp_path):
    toks = [make_token(k) for k in ("ghp", "gho", "ghu", "ghs", "ghr", "github_pat", "ghs_jwt")]
    key = make_key("rsa")
    (tmp_path / "a.env").write_text("\n".join(f"T{i}={t}" for i, t in enumerate(toks)) + "\n")
    (tmp_path / "id_rsa").write_text(key)
    (tmp_path / "bad.txt").write_text(make_token("ghp", valid=False))
    return tmp_path, toks + [key]


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif"])
def test_outputs_redacted_by_default(cli, secrets_dir, fmt):
    path, secrets = secrets_dir
    cache = Path(os.environ["LEAKWARDEN_CACHE"])
    result = cli("scan", "--no-ignore", "--min-confidence", "low", "--format", fmt, str(path))
    assert result.returncode == 1
    assert_hidden(result.stdout + result.stderr, *secrets)
    for cached in cache.rglob("*"):
        if cached.is_file():
            assert_hidden(cached.read_bytes(), *secrets)


def test_output_file_redacted(cli, secrets_dir, tmp_path):
    path, secrets = secrets_dir
    out = tmp_path / "report.json"
    cli("scan", "--no-ignore", "--format", "json", "--output", str(out), str(path))
    data = out.read_bytes()
    assert data
    assert_hidden(data, *secrets)


def test_show_secrets_is_the_only_opt_in(cli, secrets_dir):
    path, secrets = secrets_dir
    doc = json.loads(cli("scan", "--no-ignore", "--show-secrets", "--format", "json", str(path)).stdout)
    shown = {f["secret"] for f in doc["findings"]}
    assert set(secrets) <= shown
    text = cli("scan", "--no-ignore", "--show-secrets", str(path)).stdout.decode()
    assert secrets[0] in text


def test_internal_error_message_does_not_carry_content(cli, tmp_path):
    tok = make_token()
    bad = tmp_path / ".leakwarden.toml"
    bad.write_text(f'allow_regexes = ["({tok}"]\n')
    (tmp_path / "x.txt").write_text(tok)
    result = cli("scan", str(tmp_path / "x.txt"), cwd=tmp_path)
    assert result.returncode == 2
    # The configuration error names the file and the key; it may quote the user's own config.
    assert b"allow_regexes" in result.stderr


def test_redacted_form_shows_only_a_known_public_prefix(cli, tmp_path):
    (tmp_path / "a.py").write_text("auth_key = '0x123pK5_VBqv.UQ3kJ4123_'\n"  # leakwarden:allow
                                   f"token = '{make_token()}'\n")
    (tmp_path / "k.pem").write_text(make_key("ec"))
    doc = json.loads(cli("scan", "--no-ignore", "--format", "json", str(tmp_path)).stdout)
    shown = {f["rule_id"]: f["redacted"] for f in doc["findings"]}
    assert shown["generic-quoted-assignment"] == "********"
    assert shown["github-pat-classic"] == "ghp_********"
    assert shown["private-key-ec"] == "-----BEGIN EC PRIVATE KEY-----********"
