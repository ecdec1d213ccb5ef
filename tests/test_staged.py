"""`leakwarden staged`: exactly what the next commit adds, in real repositories."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, commit_file, git, leakwarden, make_key, make_token
from helpers_git import LFS_POINTER_FILE, commit, legacy_hex_token, stage, staged_json


def test_staged_token_blocks_and_is_not_revealed(repo: Path) -> None:
    tok = make_token()
    commit_file(repo, "a.txt", "hello\n")
    stage(repo, "config.py", f"x = 1\nTOKEN = '{tok}'\n")
    proc = leakwarden("staged", cwd=repo)
    assert proc.returncode == 1
    out = proc.stdout.decode() + proc.stderr.decode()
    assert "config.py:2:" in out and "github-pat-classic" in out
    assert "git restore --staged" in out
    assert tok not in out


def test_clean_staged_change_passes(repo: Path) -> None:
    commit_file(repo, "a.txt", "hello\n")
    stage(repo, "a.txt", "hello\nworld\n")
    proc = leakwarden("staged", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""


def test_empty_repo_and_first_commit(repo: Path) -> None:
    assert leakwarden("staged", cwd=repo).returncode == 0  # nothing staged, no HEAD
    stage(repo, "first.txt", f"t={make_token('gho')}\n")
    rc, doc, _ = staged_json(repo)
    assert rc == 1
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("first.txt", 1)]


def test_only_added_lines_count(repo: Path) -> None:
    old = make_token()
    commit_file(repo, "s.txt", f"a\nold={old}\nb\n")
    stage(repo, "s.txt", f"a\nold={old}\nb\nc\n")         # untouched secret already in HEAD
    assert leakwarden("staged", cwd=repo).returncode == 0
    new = make_token()
    stage(repo, "s.txt", f"new={new}\na\nold={old}\nb\n")  # a new secret above the old one
    rc, doc, _ = staged_json(repo)
    assert rc == 1
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("s.txt", 1)]
    assert new not in json.dumps(doc)


def test_rename_without_change_and_deletion_do_not_block(repo: Path) -> None:
    commit_file(repo, "old name.txt", f"x\nt={make_token()}\n")
    git(repo, "mv", "old name.txt", "new name.txt")
    assert leakwarden("staged", cwd=repo).returncode == 0
    commit(repo)
    git(repo, "rm", "-q", "new name.txt")
    assert leakwarden("staged", cwd=repo).returncode == 0


def test_rename_with_a_new_secret_reports_the_new_path(repo: Path) -> None:
    body = "".join(f"line {i}\n" for i in range(20))
    commit_file(repo, "a.txt", body)
    git(repo, "mv", "a.txt", "b.txt")
    stage(repo, "b.txt", body + f"t={make_token()}\n")
    rc, doc, _ = staged_json(repo)
    assert rc == 1
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("b.txt", 21)]


def test_multiline_key_added_is_found_and_an_old_one_is_not(repo: Path) -> None:
    key = make_key("rsa")
    commit_file(repo, "readme", "intro\n")
    stage(repo, "id_rsa", "# deploy key\n" + key + "\n")
    rc, doc, _ = staged_json(repo)
    assert rc == 1
    (f,) = doc["findings"]
    assert f["rule_id"].startswith("private-key") and f["line"] == 2 and f["end_line"] > 2
    assert key.splitlines()[1] not in json.dumps(doc)
    commit(repo)
    stage(repo, "id_rsa", "# deploy key (rotated soon)\n" + key + "\n")
    assert leakwarden("staged", cwd=repo).returncode == 0


@pytest.mark.parametrize("name", ["with space.txt", "new\nline.txt", "-leading-dash.txt", "tab\there.txt"])
def test_awkward_filenames(repo: Path, name: str) -> None:
    commit_file(repo, "a.txt", "a\n")
    stage(repo, name, f"t={make_token()}\n")
    rc, doc, _ = staged_json(repo)
    assert rc == 1
    assert [f["path"] for f in doc["findings"]] == [name]
    text = leakwarden("staged", cwd=repo).stdout.decode()
    assert "\n" not in name or "new\\x0aline.txt" in text


def test_binary_is_skipped_and_utf16_is_scanned(repo: Path) -> None:
    commit_file(repo, "a.txt", "a\n")
    stage(repo, "blob.bin", b"\0\x01\x02" + f"t={make_token()}".encode())
    rc, doc, _ = staged_json(repo)
    assert rc == 0 and doc["findings"] == []
    assert {"path": "blob.bin", "reason": "binary"} in doc["skipped"]
    stage(repo, "wide.txt", ("\ufeffhello\r\nkey=" + make_token() + "\r\n").encode("utf-16-le"))
    rc, doc, _ = staged_json(repo)
    assert rc == 1
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("wide.txt", 2)]


def test_utf16_change_counts_only_added_lines(repo: Path) -> None:
    old = make_token()
    commit_file(repo, "wide.txt", ("\ufeffa\nold=" + old + "\n").encode("utf-16-le"))
    stage(repo, "wide.txt", ("\ufeffa\nold=" + old + "\nnew=" + make_token() + "\n").encode("utf-16-le"))
    rc, doc, _ = staged_json(repo)
    assert rc == 1
    assert [f["line"] for f in doc["findings"]] == [3]


def test_submodule_gitlink_is_reported_not_scanned(repo: Path) -> None:
    commit_file(repo, "a.txt", "a\n")
    oid = git(repo, "rev-parse", "HEAD").stdout.decode().strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{oid},vendor/lib")
    rc, doc, _ = staged_json(repo)
    assert rc == 0
    assert {"path": "vendor/lib", "reason": "submodule (gitlink), not scanned"} in doc["skipped"]


def test_lfs_pointer_is_reported_not_fetched(repo: Path) -> None:
    stage(repo, "big.psd", LFS_POINTER_FILE)
    rc, doc, _ = staged_json(repo)
    assert rc == 0
    assert {"path": "big.psd", "reason": "Git LFS pointer, content not fetched"} in doc["skipped"]


def test_sha256_repository(tmp_path: Path) -> None:
    repo = tmp_path / "r256"
    git(tmp_path, "init", "-q", "--object-format=sha256", str(repo))
    stage(repo, "a.txt", "clean\n")
    assert leakwarden("staged", cwd=repo).returncode == 0
    commit(repo)
    stage(repo, "a.txt", f"clean\nt={make_token()}\n")
    rc, doc, _ = staged_json(repo)
    assert rc == 1 and doc["findings"][0]["line"] == 2


def test_detached_head_and_worktree(repo: Path, tmp_path: Path) -> None:
    commit_file(repo, "a.txt", "a\n")
    commit_file(repo, "a.txt", "a\nb\n")
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    stage(repo, "d.txt", f"t={make_token()}\n")
    assert leakwarden("staged", cwd=repo).returncode == 1
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt), "main")
    stage(wt, "w.txt", f"t={make_token()}\n")
    rc, doc, _ = staged_json(wt)
    assert rc == 1 and [f["path"] for f in doc["findings"]] == ["w.txt"]


def test_bare_repository_is_a_usage_error(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "b.git")
    proc = leakwarden("staged", cwd=tmp_path / "b.git")
    assert proc.returncode == 2
    assert b"bare repository" in proc.stderr


def test_medium_confidence_warns_unless_fail_on(repo: Path) -> None:
    commit_file(repo, "a.txt", "a\n")
    stage(repo, "env.sh", legacy_hex_token() + "\n")
    rc, doc, _ = staged_json(repo)
    assert rc == 0
    assert [(f["rule_id"], f["blocking"]) for f in doc["findings"]] == [("github-legacy-token", False)]
    (repo / ".leakwarden.toml").write_text('fail_on = "medium"\n')
    assert leakwarden("staged", cwd=repo).returncode == 1


def test_inline_allow_baseline_and_exclude_paths(repo: Path, tmp_path: Path) -> None:
    commit_file(repo, "a.txt", "a\n")
    stage(repo, "ok.py", f"t = '{make_token()}'  # leakwarden:allow\n")
    assert leakwarden("staged", cwd=repo).returncode == 0
    stage(repo, "fixtures/x.txt", f"t={make_token()}\n")
    rc, doc, _ = staged_json(repo)
    assert rc == 1
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"entries": [{"fingerprint": doc["findings"][0]["fingerprint"]}]}))
    assert leakwarden("staged", "--baseline", str(baseline), cwd=repo).returncode == 0
    (repo / ".leakwarden.toml").write_text('exclude_paths = ["fixtures/*"]\n')
    assert leakwarden("staged", cwd=repo).returncode == 0


def test_hook_path_does_not_import_gitpython_or_tqdm(repo: Path) -> None:
    """Nor, for a change that wakes no rule in a repository without configuration or baseline,
    what only other work needs: a TOML parser (the rules come from the cache), the regex module
    (no rule to confirm), OpenSSL (no fingerprint to compute), JSON, difflib; nor dataclasses
    and the inspect module it loads (scanner/records.py says why)."""
    stage(repo, "a.txt", "a\n")
    assert leakwarden("staged", cwd=repo).returncode == 0   # the cache is warm, as on every commit but the first
    code = ("import sys; from scanner.cli import main; rc = main(['staged']); "
            "bad = [m for m in ('git', 'tqdm', 'detect_secrets', 'tomllib', 'regex', 'hashlib', 'json', 'difflib', "
            "'scanner.engine.archives', 'scanner.engine.sections', 'dataclasses', 'inspect') "
            "if m in sys.modules]; "
            "print(bad); sys.exit(rc)")
    proc = _in_process(repo, code)
    assert proc.stdout.strip() == b"[]"


def _in_process(repo: Path, code: str) -> subprocess.CompletedProcess:
    """Run ``code`` (which calls the CLI's ``main`` itself) in a fresh interpreter in ``repo``."""
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, check=False,
                          stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    return proc


def test_the_collector_is_paused_while_the_hook_starts(repo: Path) -> None:
    """cli.PAUSE_GC: no collection runs while the hook starts; once its engine is built, what
    start-up made is frozen and the collector runs again."""
    stage(repo, "a.txt", "a\n")
    code = ("import gc, sys; from scanner.cli import main; early = []; "
            "gc.callbacks.append(lambda phase, info: phase == 'start' and gc.get_freeze_count() == 0 "
            "and early.append(info)); rc = main(['staged']); "
            "print(len(early), gc.isenabled(), gc.get_freeze_count() > 0); sys.exit(rc)")
    proc = _in_process(repo, code)
    assert proc.stdout.split() == [b"0", b"True", b"True"]


def test_default_baseline_found_in_the_repo_given_with_repo(repo, tmp_path):
    """Run from elsewhere with --repo: the repository's own .leakwarden-baseline.json applies."""
    tok = make_token()
    stage(repo, "a.txt", f"t={tok}\n")
    assert leakwarden("staged", "--repo", str(repo), cwd=tmp_path).returncode == 1
    assert leakwarden("baseline", "create", "--baseline", str(repo / ".leakwarden-baseline.json"),
                      str(repo / "a.txt"), cwd=tmp_path).returncode == 0
    assert leakwarden("staged", "--repo", str(repo), cwd=tmp_path).returncode == 0


def test_blob_over_max_file_size_is_skipped_and_said(repo: Path) -> None:
    (repo / ".leakwarden.toml").write_text('max_file_size = "1KB"\n')
    content = "a" * 5000 + f"\nt={make_token()}\n"
    stage(repo, "big.txt", content)
    proc = leakwarden("staged", "--format", "json", cwd=repo)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0 and doc["findings"] == []
    assert [(s["path"], s["reason"]) for s in doc["skipped"]] == [
        ("big.txt", f"larger than max_file_size ({len(content)} bytes)")]
