"""A finding is immutable: its fingerprint is set once, when it is made, and later layers make
new findings rather than change one (scanner/finding.py)."""
from __future__ import annotations

import json

import pytest

from conftest import commit_file, make_token, rand_text
from scanner.config import load
from scanner.engine.factory import build_engine
from scanner.finding import fingerprint
from scanner import records


def test_a_finding_cannot_be_changed_and_an_annotation_makes_a_new_one():
    token = make_token()
    found = build_engine(load(None)).scan(f"GITHUB_TOKEN = '{token}'\n".encode(), "app.py").findings
    assert [f.rule_id for f in found] == ["github-pat-classic"]
    f = found[0]
    for name, value in (("commit", "0" * 40), ("fingerprint", "x"), ("details", {}), ("path", "other.py")):
        with pytest.raises(records.FrozenInstanceError):
            setattr(f, name, value)
    live = f.annotated(verification={"status": "live"})
    assert live.details == {**f.details, "verification": {"status": "live"}}
    assert "verification" not in f.details
    assert live.fingerprint == f.fingerprint == fingerprint(token.encode())


def _env_findings(doc: dict) -> list[dict]:
    return [f for f in doc["findings"] if f["path"].endswith(".env") and f.get("details", {}).get("file_level")]


def test_a_credential_files_fingerprint_is_of_the_bytes_it_covers_in_every_source(repo, cli):
    """A .env finding's secret is a description ("[.env: KEYS]"); its fingerprint is of the
    values, set when it is made and kept by the blob step and history's placing."""
    env = f"DB_PASSWORD={rand_text(24)}\nAPI_SECRET={rand_text(32)}\n"
    commit_file(repo, ".env", env)
    scanned = json.loads(cli("scan", "--format", "json", "--show-secrets", ".env", cwd=repo).stdout)
    [on_disk] = _env_findings(scanned)
    assert on_disk["fingerprint"] != fingerprint(on_disk["secret"].encode())
    commit_file(repo, ".env", env.replace("DB_PASSWORD=", "DB_PASSWORD=x"))
    proc = cli("history", "--format", "json", "--show-secrets", cwd=repo)
    assert proc.returncode == 1, proc.stderr.decode()
    in_history = _env_findings(json.loads(proc.stdout))
    # Same keys, so the same description; another value, so another fingerprint.
    assert len({f["secret"] for f in in_history}) == 1
    fingerprints = {f["fingerprint"] for f in in_history}
    assert on_disk["fingerprint"] in fingerprints and len(fingerprints) == 2
