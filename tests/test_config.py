"""Configuration: discovery, every key, and errors that name the file, the line and the key."""
from __future__ import annotations

import json

import pytest

from conftest import make_token, user_rule_toml


def _scan(cli, path, *args, cwd=None):
    result = cli("scan", "--format", "json", *args, str(path), cwd=cwd)
    return result.returncode, json.loads(result.stdout) if result.stdout else None, result.stderr.decode()


def test_pyproject_and_dotfile_discovery(cli, repo):
    tok = make_token()
    (repo / "sub").mkdir()
    (repo / "sub" / "a.txt").write_text(tok)
    (repo / "pyproject.toml").write_text('[project]\nname="x"\n[tool.leakwarden]\nexclude_paths = ["*/a.txt"]\n')
    code, doc, _ = _scan(cli, repo / "sub")
    assert code == 0 and doc["findings"] == []
    (repo / ".leakwarden.toml").write_text("exclude_paths = []\n")
    code, doc, _ = _scan(cli, repo / "sub")
    assert code == 1


def test_disable_rules_allowlist_and_allow_regexes(cli, tmp_path):
    tok, tok2, tok3 = make_token(), make_token("gho"), make_token("ghu")
    (tmp_path / "a.txt").write_text(f"{tok}\n{tok2}\nfixture {tok3}\n")
    first = json.loads(cli("scan", "--format", "json", str(tmp_path / "a.txt")).stdout)["findings"]
    fp = next(f["fingerprint"] for f in first if f["rule_id"] == "github-pat-classic")
    (tmp_path / ".leakwarden.toml").write_text(
        'disable_rules = ["github-oauth-token"]\nallow_regexes = ["^fixture "]\n'
        f'[[allowlist]]\nfingerprint = "{fp}"\nreason = "revoked test token"\n')
    code, doc, _ = _scan(cli, tmp_path / "a.txt", "--config", str(tmp_path / ".leakwarden.toml"))
    assert code == 0 and doc["findings"] == []


def test_user_rules_in_config(cli, tmp_path):
    (tmp_path / ".leakwarden.toml").write_text(user_rule_toml("acme-api-key", length=32, negative="acme_short"))
    (tmp_path / "b.txt").write_text("k = acme_q8w7e6r5t4y3u2i1o0p9l8k7j6h5g4f3\n")
    code, doc, _ = _scan(cli, tmp_path / "b.txt", "--config", str(tmp_path / ".leakwarden.toml"))
    assert code == 1 and doc["findings"][0]["rule_id"] == "acme-api-key"
    check = cli("rules", "check", "--config", str(tmp_path / ".leakwarden.toml"))
    assert check.returncode == 0, check.stdout


def test_min_confidence_and_fail_thresholds(cli, tmp_path):
    (tmp_path / "c.env").write_text("DB_PASSWORD=Zx8kQ2mW9rT4vB7nL3pJ\n")  # leakwarden:allow
    code, doc, _ = _scan(cli, tmp_path / "c.env", "--no-ignore")
    assert code == 1 and doc["findings"][0]["confidence"] == "medium"
    (tmp_path / ".leakwarden.toml").write_text('fail_on = "high"\n')
    code, doc, _ = _scan(cli, tmp_path / "c.env", "--config", str(tmp_path / ".leakwarden.toml"))
    assert code == 0 and doc["findings"][0]["blocking"] is False
    (tmp_path / ".leakwarden.toml").write_text('min_confidence = "high"\n')
    code, doc, _ = _scan(cli, tmp_path / "c.env", "--config", str(tmp_path / ".leakwarden.toml"))
    assert code == 0 and doc["findings"] == []


def test_invalid_configuration_names_file_line_and_key(cli, tmp_path):
    cfg = tmp_path / ".leakwarden.toml"
    cases = {
        'min_confidence = "medium"\nfail_on = "sometimes"\n': (":2:", "fail_on"),
        'exclude_paths = "not-a-list"\n': (":1:", "exclude_paths"),
        '\n\nbogus_key = 1\n': (":3:", "bogus_key"),
        'max_file_size = "lots"\n': (":1:", "max_file_size"),
        'allow_regexes = ["("]\n': (":1:", "allow_regexes"),
        'disable_rules = ["no-such-rule"]\n': ("", "disable_rules"),
        '[[allowlist]]\nfingerprint = "abc"\n': (":1:", "allowlist"),
        'min_confidence = \n': ("", "invalid TOML"),
    }
    for text, (line, key) in cases.items():
        cfg.write_text(text)
        result = cli("scan", "--config", str(cfg), str(tmp_path))
        err = result.stderr.decode()
        assert result.returncode == 2, text
        assert str(cfg) + line in err and key in err, (text, err)


def test_max_file_size_units():
    """Sizes are bytes with an optional k/m/g (with or without 'i' and 'B'); anything else is a
    ConfigError naming the key. Fuzzing found "10B" crashing the parser with a KeyError."""
    from scanner.config import parse_size
    from scanner.errors import ConfigError

    good = {"10": 10, "10B": 10, "10b": 10, "5kb": 5 << 10, "5KiB": 5 << 10, "2MB": 2 << 20, "1g": 1 << 30, "7 k": 7 << 10}
    assert {text: parse_size(text, "f") for text in good} == good
    for bad in ("10ib", "10bb", "k", "1.5MB", "10 TB"):
        with pytest.raises(ConfigError, match="max_file_size"):
            parse_size(bad, "f")
