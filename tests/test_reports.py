"""Reporters: JSON fields, SARIF 2.1.0 for code scanning, text colour only on a terminal."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT, make_key, make_token, user_rule_toml


def _findings_dir(tmp_path):
    (tmp_path / "a.env").write_text(f"TOKEN={make_token()}\n")
    (tmp_path / "k.pem").write_text(make_key("ec"))
    return tmp_path


def test_json_document_shape(cli, tmp_path):
    doc = json.loads(cli("scan", "--no-ignore", "--format", "json", str(_findings_dir(tmp_path))).stdout)
    assert doc["schema_version"] == "1" and doc["tool"]["name"] == "leakwarden"
    keys = {"rule_id", "type", "confidence", "basis", "severity", "path", "line", "column", "redacted",
            "fingerprint", "reason", "fix", "url", "blocking"}
    for f in doc["findings"]:
        assert keys <= set(f) and "secret" not in f
    assert {f["rule_id"] for f in doc["findings"]} == {"github-pat-classic", "private-key-ec"}


def test_jsonl_one_finding_per_line(cli, tmp_path):
    out = cli("scan", "--no-ignore", "--format", "jsonl", str(_findings_dir(tmp_path))).stdout.decode()
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 2 and all("fingerprint" in r for r in rows)


def test_sarif_is_valid_for_code_scanning(cli, tmp_path):
    doc = json.loads(cli("scan", "--no-ignore", "--format", "sarif", str(_findings_dir(tmp_path))).stdout)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"github-pat-classic", "private-key-ec"}
    for rule in rules.values():
        assert rule["help"]["text"] and rule["shortDescription"]["text"]
        assert float(rule["properties"]["security-severity"]) > 0
    for result in run["results"]:
        assert result["ruleId"] in rules
        assert len(result["partialFingerprints"]["leakwardenSecret/v1"]) == 64
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert "*" in result["message"]["text"]


def _run_on_pty(args, env):
    import pty
    master, slave = pty.openpty()
    # A colour-capable terminal whatever the test runner's own (TERM=dumb or NO_COLOR turn colour off).
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.Popen([sys.executable, "-m", "scanner", *args], stdout=slave, stderr=slave,
                            env={**base, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT), **env})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    os.close(master)
    return b"".join(chunks)


def test_colour_on_a_terminal_only_and_never_with_no_color(cli, tmp_path):
    path = str(_findings_dir(tmp_path))
    coloured = _run_on_pty(["scan", "--no-ignore", path], {})
    assert b"\x1b[" in coloured
    plain = _run_on_pty(["scan", "--no-ignore", path], {"NO_COLOR": "1"})
    assert b"\x1b[" not in plain and b"github-pat-classic" in plain
    piped = cli("scan", "--no-ignore", path).stdout
    assert b"\x1b[" not in piped


def test_text_says_why_and_how_to_fix(cli, tmp_path):
    out = cli("scan", "--no-ignore", str(_findings_dir(tmp_path))).stdout.decode()
    assert "CRC-32 checksum valid" in out and "not encrypted" in out
    assert "fix:" in out and "2 findings" in out


def test_inline_allow_markers(cli, tmp_path):
    lines = [f"a = '{make_token()}'  # leakwarden:allow",
             f"b = '{make_token()}'  # pragma: allowlist secret",
             f"c = '{make_token()}'  // gitleaks:allow",
             f"d = '{make_token()}'"]
    (tmp_path / "x.py").write_text("\n".join(lines) + "\n")
    doc = json.loads(cli("scan", "--format", "json", str(tmp_path / "x.py")).stdout)
    assert [f["line"] for f in doc["findings"]] == [4]


def test_prefilter_database_cached_by_rules_hash(cli, tmp_path):
    cache = tmp_path / "cache"
    env = {"LEAKWARDEN_CACHE": str(cache)}
    (tmp_path / "a.txt").write_text(make_token())
    assert cli("scan", str(tmp_path / "a.txt"), env=env).returncode == 1
    first = sorted(p.name for p in cache.glob("prefilter-*.hsdb"))
    assert len(first) == 1
    assert cli("scan", str(tmp_path / "a.txt"), env=env).returncode == 1
    assert sorted(p.name for p in cache.glob("prefilter-*.hsdb")) == first
    (tmp_path / ".leakwarden.toml").write_text(user_rule_toml())
    cli("scan", "--config", str(tmp_path / ".leakwarden.toml"), str(tmp_path / "a.txt"), env=env)
    assert len(list(cache.glob("prefilter-*.hsdb"))) == 2


def test_corrupt_cache_is_rebuilt(cli, tmp_path):
    cache = tmp_path / "cache"
    env = {"LEAKWARDEN_CACHE": str(cache)}
    (tmp_path / "a.txt").write_text(make_token())
    cli("scan", str(tmp_path / "a.txt"), env=env)
    for p in cache.iterdir():
        p.write_bytes(b"garbage")
    assert cli("scan", str(tmp_path / "a.txt"), env=env).returncode == 1
