"""Baselines: create, update, audit, prune, import; scan honours them by value; --fail-on."""
from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, commit_file, git, leakwarden, make_key, make_token

BASELINE = ".leakwarden-baseline.json"


def _entries(repo: Path) -> list[dict]:
    return json.loads((repo / BASELINE).read_text())["entries"]


def _out(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout.decode() + proc.stderr.decode()


@pytest.fixture
def leaky(repo: Path) -> tuple[Path, str, str]:
    tok, key = make_token("ghp"), make_key("rsa")
    commit_file(repo, "config.py", f'GITHUB_TOKEN = "{tok}"\nname = "x"\n')
    commit_file(repo, "keys/id_rsa", key + "\n")
    return repo, tok, key


def test_create_then_scan_is_clean_and_nothing_secret_is_written(leaky):
    repo, tok, key = leaky
    assert leakwarden("scan", ".", cwd=repo).returncode == 1
    proc = leakwarden("baseline", "create", cwd=repo)
    assert proc.returncode == 0, _out(proc)
    text = (repo / BASELINE).read_text()
    assert tok not in text and key.splitlines()[1] not in text
    entries = _entries(repo)
    assert {e["rule_id"] for e in entries} == {"github-pat-classic", "private-key-rsa"}
    assert all(e["status"] == "unaudited" and e["note"] == "" for e in entries)
    assert {e["location"]["path"] for e in entries} == {"config.py", "keys/id_rsa"}
    scan = leakwarden("scan", ".", cwd=repo)
    assert scan.returncode == 0, _out(scan)
    assert tok not in _out(scan)
    # the baseline also works when named explicitly, from elsewhere
    moved = repo.parent / "elsewhere.json"
    (repo / BASELINE).rename(moved)
    assert leakwarden("scan", str(repo), cwd=repo.parent).returncode == 1
    assert leakwarden("scan", str(repo), "--baseline", str(moved), cwd=repo.parent).returncode == 0


def test_create_refuses_to_overwrite(leaky):
    repo, _, _ = leaky
    assert leakwarden("baseline", "create", cwd=repo).returncode == 0
    proc = leakwarden("baseline", "create", cwd=repo)
    assert proc.returncode == 2 and "update" in _out(proc)
    assert leakwarden("baseline", "create", "--force", cwd=repo).returncode == 0


def test_a_different_secret_on_a_baselined_line_still_fails(leaky):
    repo, tok, _ = leaky
    assert leakwarden("baseline", "create", cwd=repo).returncode == 0
    other = make_token("ghp")
    (repo / "config.py").write_text(f'GITHUB_TOKEN = "{other}"\nname = "x"\n')
    proc = leakwarden("scan", ".", "--format", "json", cwd=repo)
    assert proc.returncode == 1
    findings = json.loads(proc.stdout)["findings"]
    assert [(f["path"], f["line"]) for f in findings] == [("config.py", 1)]
    assert other not in proc.stdout.decode()


def test_the_configured_baseline_is_used(leaky):
    repo, _, _ = leaky
    assert leakwarden("baseline", "create", "--baseline", "ci/known.json", cwd=repo).returncode == 0
    assert not (repo / BASELINE).exists()
    assert leakwarden("scan", ".", cwd=repo).returncode == 1
    (repo / ".leakwarden.toml").write_text('baseline = "ci/known.json"\n')
    assert leakwarden("scan", ".", cwd=repo).returncode == 0
    (repo / ".leakwarden.toml").write_text('baseline = "ci/missing.json"\n')
    proc = leakwarden("scan", ".", cwd=repo)
    assert proc.returncode == 2 and "baseline not found" in _out(proc)


def test_update_keeps_statuses_and_adds_new_secrets(leaky):
    repo, _, _ = leaky
    assert leakwarden("baseline", "create", cwd=repo).returncode == 0
    fp = next(e["fingerprint"] for e in _entries(repo) if e["rule_id"] == "github-pat-classic")
    assert leakwarden("baseline", "audit", "--mark", f"{fp[:10]}=false-positive", "--note", "fixture",
                      cwd=repo).returncode == 0
    new = make_token("github_pat")
    (repo / "deploy.env").write_text(f"GH_PAT={new}\n")
    assert leakwarden("scan", ".", cwd=repo).returncode == 1
    proc = leakwarden("baseline", "update", cwd=repo)
    assert proc.returncode == 0 and "1 new, 2 kept" in _out(proc)
    entries = {e["fingerprint"]: e for e in _entries(repo)}
    assert entries[fp]["status"] == "false-positive" and entries[fp]["note"] == "fixture"
    assert any(e["rule_id"] == "github-fine-grained-pat" and e["status"] == "unaudited" for e in entries.values())
    assert new not in (repo / BASELINE).read_text()
    assert leakwarden("scan", ".", cwd=repo).returncode == 0


def test_audit_with_flags(leaky):
    repo, _, _ = leaky
    assert leakwarden("baseline", "create", cwd=repo).returncode == 0
    key_fp = next(e["fingerprint"] for e in _entries(repo) if e["rule_id"] == "private-key-rsa")
    assert leakwarden("baseline", "audit", "--mark", f"{key_fp[:8]}=t", cwd=repo).returncode == 0
    proc = leakwarden("baseline", "audit", "--all-unaudited", "used-in-tests", "--note", "test data", cwd=repo)
    assert proc.returncode == 0 and "1 entry marked" in _out(proc)
    statuses = {e["rule_id"]: (e["status"], e["note"]) for e in _entries(repo)}
    assert statuses == {"private-key-rsa": ("true-positive", ""), "github-pat-classic": ("used-in-tests", "test data")}
    listing = leakwarden("baseline", "audit", "--list", cwd=repo)
    assert "used-in-tests" in _out(listing) and "ghp_********" in _out(listing)
    for bad in (["--mark", "zzzz=t"], ["--mark", f"{key_fp[:8]}=maybe"], ["--mark", "0123456789ab=t"], []):
        proc = leakwarden("baseline", "audit", *bad, cwd=repo, input=b"")
        assert proc.returncode == 2, (bad, _out(proc))


def test_audit_interactive_on_a_terminal(leaky):
    repo, tok, _ = leaky
    assert leakwarden("baseline", "create", cwd=repo).returncode == 0
    ordered = [e["rule_id"] for e in _entries(repo)]
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "baseline", "audit"], cwd=repo, stdin=child,
                            stdout=child, stderr=child, env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(child)
    # first entry: false positive with a note; second: quit
    os.write(main, b"x\nf\nnot a real key\nq\n")
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=60) == 0
    os.close(main)
    text = seen.decode()
    assert "[t]rue positive" in text and "location:" in text and tok not in text
    assert "\\x0a" not in text and "\n[1/" in text.replace("\r", "")   # a blank line, not an escape
    statuses = {e["rule_id"]: (e["status"], e["note"]) for e in _entries(repo)}
    assert statuses[ordered[0]] == ("false-positive", "not a real key")
    assert statuses[ordered[1]] == ("unaudited", "")


def test_prune_removes_entries_whose_secret_is_gone(leaky):
    repo, _, _ = leaky
    assert leakwarden("baseline", "create", cwd=repo).returncode == 0
    (repo / "keys" / "id_rsa").unlink()
    dry = leakwarden("baseline", "prune", "--dry-run", cwd=repo)
    assert dry.returncode == 0 and "would remove" in _out(dry) and "private-key-rsa" in _out(dry)
    assert len(_entries(repo)) == 2
    proc = leakwarden("baseline", "prune", cwd=repo)
    assert proc.returncode == 0 and "removed" in _out(proc) and "keys/id_rsa" in _out(proc)
    assert [e["rule_id"] for e in _entries(repo)] == ["github-pat-classic"]


def test_fail_on_and_fail_on_severity(repo: Path):
    weak = make_token("ghp", valid=False)      # checksum fails: kept only at low confidence
    (repo / "a.txt").write_text(f"{weak}\n")
    assert leakwarden("scan", ".", cwd=repo).returncode == 0
    proc = leakwarden("scan", ".", "--fail-on", "low", "--format", "json", cwd=repo)
    assert proc.returncode == 1
    assert [f["confidence"] for f in json.loads(proc.stdout)["findings"]] == ["low"]
    (repo / "a.txt").write_text('password = "Zq8vN3kLp2Rt7wXy"\n')   # generic: medium confidence  # leakwarden:allow
    assert leakwarden("scan", ".", cwd=repo).returncode == 1
    proc = leakwarden("scan", ".", "--fail-on", "high", "--format", "json", cwd=repo)
    assert proc.returncode == 0
    assert [f["blocking"] for f in json.loads(proc.stdout)["findings"]] == [False]
    (repo / "a.txt").write_text(f"{make_token('ghs')}\n")     # installation token: severity high
    assert leakwarden("scan", ".", "--fail-on-severity", "critical", cwd=repo).returncode == 0
    assert leakwarden("scan", ".", "--fail-on-severity", "high", cwd=repo).returncode == 1


def test_create_from_history(leaky):
    repo, tok, _ = leaky
    commit_file(repo, "old.py", f'TOKEN2 = "{make_token("gho")}"\n')
    git(repo, "rm", "-q", "old.py")
    git(repo, "commit", "-q", "-m", "remove")
    assert leakwarden("baseline", "create", "--from-history", cwd=repo).returncode == 0
    entries = _entries(repo)
    assert {e["rule_id"] for e in entries} >= {"github-pat-classic", "private-key-rsa", "github-oauth-token"}
    assert all(e["location"].get("commit") for e in entries)
    # a working-tree prune leaves history entries alone
    proc = leakwarden("baseline", "prune", cwd=repo)
    assert "--from-history" in _out(proc) and len(_entries(repo)) == len(entries)


# -- import ------------------------------------------------------------------------------------


def test_import_real_detect_secrets_baseline(repo: Path):
    tok, key = make_token("ghp"), make_key("rsa")
    commit_file(repo, "config.py", f'GITHUB_TOKEN = "{tok}"\n')
    commit_file(repo, "keys/id_rsa", key + "\n")
    commit_file(repo, "notes.txt", 'value = "3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"\n')
    ds = subprocess.run(["detect-secrets", "scan"], cwd=repo, capture_output=True, check=True)
    data = json.loads(ds.stdout)
    for item in data["results"]["keys/id_rsa"]:
        item["is_secret"] = False          # as 'detect-secrets audit' records a false positive
    (repo / ".secrets.baseline").write_text(json.dumps(data))
    assert leakwarden("scan", "config.py", "keys", cwd=repo).returncode == 1
    proc = leakwarden("baseline", "import", ".secrets.baseline", cwd=repo)
    out = _out(proc)
    assert proc.returncode == 0, out
    assert "not mapped: notes.txt:1" in out and tok not in out
    entries = {e["rule_id"]: e for e in _entries(repo)}
    assert set(entries) == {"github-pat-classic", "private-key-rsa"}
    assert entries["private-key-rsa"]["status"] == "false-positive"
    assert entries["github-pat-classic"]["status"] == "unaudited"
    assert "detect-secrets" in entries["github-pat-classic"]["note"]
    assert tok not in (repo / BASELINE).read_text()
    assert leakwarden("scan", "config.py", "keys", cwd=repo).returncode == 0


def test_import_gitleaks_json_resolves_positions_through_history(repo: Path):
    old, new = make_token("ghp"), make_token("github_pat")
    c1 = commit_file(repo, "creds.env", f"# deploy\nGH_TOKEN={old}\n")
    git(repo, "rm", "-q", "creds.env")
    git(repo, "commit", "-q", "-m", "remove")
    commit_file(repo, "app.py", f'PAT = "{new}"\n')
    report = [
        {"Description": "GitHub Personal Access Token", "StartLine": 2, "EndLine": 2, "StartColumn": 10,
         "EndColumn": 49, "Match": f"GH_TOKEN={old}", "Secret": old, "File": "creds.env", "SymlinkFile": "",
         "Commit": c1, "Entropy": 4.8, "Author": "Test User", "Email": "test@example.invalid",
         "Date": "2024-01-01T00:00:00Z", "Message": "change", "Tags": [], "RuleID": "github-pat",
         "Fingerprint": f"{c1}:creds.env:github-pat:2"},
        {"Description": "GitHub Fine-Grained Personal Access Token", "StartLine": 1, "EndLine": 1,
         "Match": "REDACTED", "Secret": "REDACTED", "File": "app.py", "Commit": "", "RuleID": "github-fine-grained-pat",
         "Fingerprint": "app.py:github-fine-grained-pat:1"},
        {"Description": "x", "StartLine": 3, "Secret": "REDACTED", "File": "gone.py", "Commit": "",
         "RuleID": "github-pat", "Fingerprint": "gone.py:github-pat:3"},
    ]
    (repo.parent / "gitleaks.json").write_text(json.dumps(report))
    proc = leakwarden("baseline", "import", str(repo.parent / "gitleaks.json"), cwd=repo)
    out = _out(proc)
    assert proc.returncode == 0, out
    assert "not mapped: finding 3 gone.py:3" in out and "cannot read gone.py" in out
    entries = {e["rule_id"]: e for e in _entries(repo)}
    assert entries["github-pat-classic"]["location"] == {"path": "creds.env", "line": 2, "commit": c1}
    assert entries["github-fine-grained-pat"]["location"] == {"path": "app.py", "line": 1}
    text = (repo / BASELINE).read_text()
    assert old not in text and new not in text
    assert leakwarden("scan", ".", cwd=repo).returncode == 0


@pytest.mark.skipif(shutil.which("gitleaks") is None, reason="gitleaks is not installed")
def test_import_real_gitleaks_report(repo: Path):
    """gitleaks itself scans the history, with --redact, so only positions can be imported."""
    tok, key = make_token("ghp"), make_key("rsa")
    c1 = commit_file(repo, "deploy.sh", f"export GITHUB_TOKEN={tok}\n")
    commit_file(repo, "keys/server.pem", key + "\n")
    git(repo, "rm", "-q", "deploy.sh")
    git(repo, "commit", "-q", "-m", "remove the token")
    report = repo.parent / "gitleaks.json"
    run = subprocess.run(["gitleaks", "git", "--redact", "--no-banner", "--report-format", "json",
                          "--report-path", str(report), "."], cwd=repo, capture_output=True, check=False,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 1, run.stderr    # gitleaks found leaks
    assert tok not in report.read_text()
    proc = leakwarden("baseline", "import", str(report), cwd=repo)
    out = _out(proc)
    assert proc.returncode == 0, out
    entries = {e["rule_id"]: e for e in _entries(repo)}
    assert {"github-pat-classic", "private-key-rsa"} <= set(entries)
    assert entries["github-pat-classic"]["location"]["commit"] == c1
    assert tok not in (repo / BASELINE).read_text()
    assert leakwarden("history", cwd=repo).returncode == 0    # both secrets are now baselined


def test_import_gitleaksignore(repo: Path):
    a, b = make_token("ghp"), make_token("gho")
    c1 = commit_file(repo, "one.txt", f"{a}\n")
    commit_file(repo, "two.txt", f"first={make_token('ghp')} second={b}\n")
    (repo / ".gitleaksignore").write_text(
        f"# reviewed\n{c1}:one.txt:github-pat:1\ntwo.txt:github-oauth:1\ntwo.txt:generic-api-key:9\n")
    proc = leakwarden("baseline", "import", ".gitleaksignore", cwd=repo)
    out = _out(proc)
    assert proc.returncode == 0, out
    assert "not mapped: line 4 two.txt:9" in out
    entries = {e["rule_id"]: e for e in _entries(repo)}
    assert set(entries) == {"github-pat-classic", "github-oauth-token"}   # the gitleaks rule picks gho_
    assert entries["github-pat-classic"]["location"]["commit"] == c1
    # the ghp_ token on line 1 of two.txt was not imported, so it still fails
    proc = leakwarden("scan", "two.txt", "--format", "json", cwd=repo)
    assert proc.returncode == 1
    assert [f["rule_id"] for f in json.loads(proc.stdout)["findings"]] == ["github-pat-classic"]


def test_import_rejects_unknown_formats(repo: Path):
    (repo / "x.json").write_text('{"hello": 1}')
    proc = leakwarden("baseline", "import", "x.json", cwd=repo)
    assert proc.returncode == 2 and "--format" in _out(proc)
