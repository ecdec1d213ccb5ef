"""`leakwarden history --state FILE`: incremental audits on real repositories."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import commit_file, git, leakwarden, make_token


def audit(repo: Path, state: Path, *args: str) -> tuple[int, dict, str]:
    proc = leakwarden("history", "--state", str(state), "--format", "json", *args, cwd=repo)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr.decode()


def marks(doc: dict) -> dict[str, tuple[str, str, str]]:
    """fingerprint -> (new/known, introducing commit, path)."""
    return {f["fingerprint"]: (f["details"]["history"], f["commit"], f["path"]) for f in doc["findings"]}


def test_first_audit_writes_state_without_secrets_then_only_new_commits_are_scanned(repo: Path, tmp_path: Path) -> None:
    old, new = make_token(), make_token()
    first = commit_file(repo, "a.py", f"t = '{old}'\n", f"add\n\nalso in the message: {old}")
    for i in range(5):
        commit_file(repo, f"f{i}.txt", f"plain {i}\n")
    state = tmp_path / "audit.state"
    rc, doc, err = audit(repo, state)
    assert rc == 1 and "first audit" in err
    assert {m[0] for m in marks(doc).values()} == {"new"} and len(doc["findings"]) == 1
    text = state.read_text()
    assert old not in text and first in text                       # ids and fingerprints, never the secret
    full = doc["stats"]["objects"]

    added = commit_file(repo, "b.py", f"k = '{new}'\n", "second")
    rc, doc, err = audit(repo, state)
    assert rc == 1 and "incremental" in err and "1 new, 1 known, 0 gone" in err
    got = marks(doc)
    assert sorted(got.values()) == sorted([("known", first, "a.py"), ("new", added, "b.py")])
    assert doc["stats"]["objects"] < full                             # one commit, one blob, one message
    assert new not in state.read_text() and added in state.read_text()
    # The known finding is whole again: its commit-message place and its secret (when asked).
    known = next(f for f in doc["findings"] if f["commit"] == first)
    assert sorted(o["path"] for o in known["occurrences"]) == ["<commit message>", "a.py"]
    shown = leakwarden("history", "--state", str(state), "--format", "json", "--show-secrets", cwd=repo)
    assert {f["secret"] for f in json.loads(shown.stdout)["findings"]} == {old, new}

    rc, doc, err = audit(repo, state)                                 # nothing new at all
    assert "nothing new" in err and doc["stats"]["objects"] == 0 and len(doc["findings"]) == 2


def test_rules_or_settings_change_forces_a_full_audit(repo: Path, tmp_path: Path) -> None:
    commit_file(repo, "a.py", f"t = '{make_token()}'\n")
    state = tmp_path / "s.json"
    audit(repo, state)
    (repo / ".leakwarden.toml").write_text('min_confidence = "high"\n')
    rc, doc, err = audit(repo, state)
    assert "rules or settings changed" in err and "everything scanned again" in err
    assert {m[0] for m in marks(doc).values()} == {"new"}
    _, doc, err = audit(repo, state, "--branches")
    assert "walked --all" in err and "everything scanned again" in err


def test_force_push_and_deleted_ref_leave_findings_gone(repo: Path, tmp_path: Path) -> None:
    base = commit_file(repo, "readme.txt", "hello\n")
    kept, dropped, deleted = make_token(), make_token(), make_token()
    keep = commit_file(repo, "keep.py", f"a = '{kept}'\n")
    commit_file(repo, "drop.py", f"b = '{dropped}'\n")           # on main, then force-pushed away
    git(repo, "checkout", "-q", "-b", "topic", base)
    commit_file(repo, "topic.py", f"c = '{deleted}'\n")           # on a branch that is then deleted
    git(repo, "checkout", "-q", "-")
    state = tmp_path / "s.json"
    _, doc, _ = audit(repo, state)
    assert len(doc["findings"]) == 3
    git(repo, "reset", "-q", "--hard", keep)                      # main rewritten: drop.py's commit is gone
    git(repo, "branch", "-q", "-D", "topic")
    rc, doc, err = audit(repo, state)
    assert rc == 1 and "0 new, 1 known, 2 gone" in err
    assert [(f["path"], f["details"]["history"]) for f in doc["findings"]] == [("keep.py", "known")]
    assert "gone (no longer reachable from any ref): github-pat-classic at drop.py" in err
    assert "at topic.py" in err
    assert dropped not in err and deleted not in err
    assert len(json.loads(state.read_text())["findings"]) == 1     # gone findings leave the state


def test_known_secret_met_again_keeps_its_introducing_commit(repo: Path, tmp_path: Path) -> None:
    token = make_token()
    first = commit_file(repo, "a.py", f"t = '{token}'\n")
    state = tmp_path / "s.json"
    audit(repo, state)
    commit_file(repo, "copy.py", f"again = '{token}'\n")
    _, doc, _ = audit(repo, state)
    (finding,) = doc["findings"]
    assert finding["details"]["history"] == "known" and finding["commit"] == first and finding["path"] == "a.py"
    assert sorted(o["path"] for o in finding["occurrences"]) == ["a.py", "copy.py"]


def test_interrupted_audit_resumes_where_it_stopped(repo: Path, tmp_path: Path, monkeypatch) -> None:
    """A run stopped (here by Ctrl-C right after its first checkpoint) leaves how far it got in
    the state; the next run passes over those blobs and reports what an uninterrupted one would."""
    from scanner import state as state_mod
    from scanner.config import Config
    from scanner.engine.factory import build_engine
    from scanner.sources import history

    from scanner.rules.templates import expand

    tokens = [make_token() for _ in range(3)]
    for i in range(200):
        text = f"line {i}\n" + (f"t = '{tokens[i % 3]}'\n" if i in (10, 120, 190) else "")
        # Every tenth a configuration file, whose finding only a scan at its path makes: the
        # blobs a rule for such files woke must be remembered across the interruption too.
        name = f"f{i}.yml" if i % 10 == 5 else f"f{i}.txt"
        commit_file(repo, name, text + (f"pwd: {expand('Zq7{{rand:13:alnum}}', f'resume/{i}')}\n" if i % 10 == 5 else ""))
    engine, cfg = build_engine(Config()), Config()
    whole = state_mod.audit(repo, engine, cfg, ["--all"], tmp_path / "whole.json", jobs=1).report
    assert sum(f.rule_id == "generic-config-assignment" for f in whole.findings) == 20

    monkeypatch.setattr(history, "CHECKPOINT_SECONDS", 0.0)
    monkeypatch.setattr(history, "FIRST_CHUNK", 16)
    monkeypatch.setattr(history, "MAX_CHUNK", 16)
    saved = []
    real_save = state_mod.save

    def save_then_stop(path: Path, st: state_mod.State) -> None:
        real_save(path, st)
        saved.append(st.partial)
        if st.partial and st.partial["done"] >= 64:
            raise KeyboardInterrupt

    monkeypatch.setattr(state_mod, "save", save_then_stop)
    path = tmp_path / "s.json"
    with pytest.raises(KeyboardInterrupt):
        state_mod.audit(repo, engine, cfg, ["--all"], path, jobs=1)
    partial = json.loads(path.read_text())["partial"]
    assert partial["done"] >= 64 and len(partial["last"]) == 40
    assert not any(t in path.read_text() for t in tokens)
    monkeypatch.setattr(state_mod, "save", real_save)
    resumed = state_mod.audit(repo, engine, cfg, ["--all"], path, jobs=1).report
    assert resumed.stats["objects"] <= whole.stats["objects"] - 64
    assert sorted((f.fingerprint, f.commit, f.path) for f in resumed.findings) == \
        sorted((f.fingerprint, f.commit, f.path) for f in whole.findings)
    assert json.loads(path.read_text())["partial"] is None


def test_unreadable_state_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    commit_file(repo, "a.txt", "x\n")
    bad = tmp_path / "s.json"
    bad.write_text("{not json")
    proc = leakwarden("history", "--state", str(bad), cwd=repo)
    assert proc.returncode == 2 and b"not a leakwarden state file" in proc.stderr


def test_a_blob_past_the_default_max_file_size_is_streamed_not_skipped(repo: Path, tmp_path: Path) -> None:
    """``--state`` runs the same audit as ``history``: max_file_size is opt-in, and a larger
    blob is read from git in chunks and scanned (padding a file is no way past an audit)."""
    from scanner.config import DEFAULT_MAX_FILE_SIZE

    tok = make_token()
    filler = b"nothing to see in this line\n"
    commit_file(repo, "big.log", filler * (DEFAULT_MAX_FILE_SIZE // len(filler) + 1000) + f"t={tok}\n".encode())
    rc, doc, _ = audit(repo, tmp_path / "s.json")
    assert rc == 1 and [f["path"] for f in doc["findings"]] == ["big.log"] and doc["skipped"] == []


def test_a_rule_change_that_only_moves_a_threshold_forces_a_full_audit(repo: Path, tmp_path: Path) -> None:
    """Any field that decides what a rule finds counts as a change of rules, not only its regex
    and keywords: raising a user rule's entropy floor (or its validator, or its priority) would
    otherwise leave old findings marked known that the new rule no longer makes."""
    from conftest import user_rule_toml

    commit_file(repo, "a.txt", "key=acme_abcdefghij0123456789\n")
    state = tmp_path / "s.json"
    pack = user_rule_toml("acme-state-key")
    (repo / ".leakwarden.toml").write_text(pack)
    audit(repo, state)
    (repo / ".leakwarden.toml").write_text(pack.replace('severity = "high"', 'entropy = 1.0\nseverity = "high"'))
    _, _, err = audit(repo, state)
    assert "rules or settings changed" in err and "everything scanned again" in err
