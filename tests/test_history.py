"""`leakwarden history`: a generated history with secrets across branches, merges, renames and tags."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import git, leakwarden, make_key, make_token
from helpers_git import LFS_POINTER_FILE, commit, head, stage


def at(repo: Path, when: int) -> dict:
    """Commit dates one hour apart, so 'introduced first' is unambiguous."""
    stamp = f"{1700000000 + when * 3600} +0000"
    os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = stamp
    return {}


@pytest.fixture
def history(repo: Path):
    """Build the history; return the secrets and the commits that introduced them."""
    a, b, c, d, e = make_token(), make_token("github_pat"), make_token("gho"), make_token("ghu"), make_token("ghr")
    key = make_key("openssh")
    intro: dict[str, str] = {}
    try:
        at(repo, 1)
        stage(repo, "app/settings.py", f"DEBUG = True\nTOKEN = '{a}'\n")
        intro["a"] = commit(repo, "settings")
        at(repo, 2)
        git(repo, "mv", "app/settings.py", "app/config.py")           # a rename: a new place for A
        stage(repo, "notes.txt", "nothing here\n")
        renamed = commit(repo, "rename")
        at(repo, 3)
        git(repo, "checkout", "-q", "-b", "feature")
        stage(repo, "feature/client.js", f"const t = '{b}';\n")
        intro["b"] = commit(repo, "feature client")
        at(repo, 4)
        stage(repo, "feature/copy.txt", f"backup of the token: {a}\n")   # A again, in another blob
        copy = commit(repo, "copy")
        at(repo, 5)
        git(repo, "checkout", "-q", "main")
        stage(repo, "app/config.py", "DEBUG = False\n")                  # A removed from main
        commit(repo, "remove token")
        at(repo, 6)
        git(repo, "merge", "-q", "--no-ff", "-m", "merge feature", "feature")
        at(repo, 7)
        git(repo, "checkout", "-q", "-b", "keys", "main~1")
        stage(repo, "deploy/id_ed25519", key + "\n")
        intro["key"] = commit(repo, "add deploy key")
        at(repo, 8)
        git(repo, "rm", "-q", "deploy/id_ed25519")
        commit(repo, "oops, remove key")
        git(repo, "checkout", "-q", "main")
        at(repo, 9)
        git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", f"ci: retry\n\nwith token {c}")
        intro["c"] = head(repo)
        at(repo, 10)
        git(repo, "tag", "-a", "v1.0", "-m", f"release\n\nupload with {d}")
        intro["d"] = git(repo, "rev-parse", "v1.0").stdout.decode().strip()
        at(repo, 11)
        stage(repo, "unreachable.txt", f"t={e}\n")                        # only in a dropped commit
        commit(repo, "dropped")
        git(repo, "reset", "-q", "--hard", "HEAD~1")
        git(repo, "reflog", "expire", "--expire=now", "--all")
    finally:
        os.environ.pop("GIT_AUTHOR_DATE", None)
        os.environ.pop("GIT_COMMITTER_DATE", None)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "key": key}, intro, {"renamed": renamed, "copy": copy}


def run_history(repo: Path, *args: str):
    proc = leakwarden("history", "--format", "json", *args, cwd=repo)
    return proc, json.loads(proc.stdout)


def by_commit(doc: dict) -> dict[str, dict]:
    return {f.get("commit", ""): f for f in doc["findings"]}


def test_every_secret_once_with_occurrences_and_introducer(repo: Path, history) -> None:
    secrets, intro, other = history
    proc, doc = run_history(repo)
    assert proc.returncode == 1
    found = by_commit(doc)
    assert sorted(found) == sorted(intro.values())            # each secret once, the dropped one not at all
    assert len(doc["findings"]) == 5
    a = found[intro["a"]]
    places = sorted((o["commit"], o["path"], o["line"]) for o in a["occurrences"])
    assert places == sorted([(intro["a"], "app/settings.py", 2), (other["renamed"], "app/config.py", 2),
                             (other["copy"], "feature/copy.txt", 1)])
    assert a["path"] == "app/settings.py" and a["line"] == 2
    assert all(o["author"] == "Test User <test@example.invalid>" and o["date"] for o in a["occurrences"])
    assert found[intro["b"]]["path"] == "feature/client.js"
    assert found[intro["key"]]["rule_id"].startswith("private-key")
    assert found[intro["c"]]["path"] == "<commit message>" and found[intro["c"]]["line"] == 3
    assert found[intro["d"]]["path"] == "<tag message v1.0>"
    text = proc.stdout.decode() + proc.stderr.decode()
    for value in secrets.values():
        assert value not in text
    assert secrets["key"].splitlines()[1] not in text


def test_text_and_sarif_outputs(repo: Path, history) -> None:
    secrets, intro, _ = history
    text = leakwarden("history", cwd=repo)
    assert text.returncode == 1
    assert f"{intro['a'][:12]}:app/settings.py:2:" in text.stdout.decode()
    assert "seen:   3 places" in text.stdout.decode()
    sarif = leakwarden("history", "--format", "sarif", cwd=repo)
    assert sarif.returncode == 1
    assert len(json.loads(sarif.stdout)["runs"][0]["results"]) == 5
    assert secrets["a"] not in sarif.stdout.decode()


def test_rev_list_arguments_and_since(repo: Path, history) -> None:
    _, intro, _ = history
    _, doc = run_history(repo, "--branches")
    assert intro["d"] not in by_commit(doc)                    # the tag is not a branch
    assert intro["key"] in by_commit(doc)
    _, doc = run_history(repo, "main")
    assert intro["key"] not in by_commit(doc)
    _, doc = run_history(repo, "--since", "2023-11-15T03:30:00Z", "--", "--all")
    assert {intro["key"], intro["c"]} <= set(by_commit(doc))
    assert intro["a"] not in by_commit(doc)
    # Still in the snapshots --since reaches, but introduced before it: found, with no introducer.
    older = sorted(f["path"] for f in doc["findings"] if "commit" not in f)
    assert older == ["feature/client.js", "feature/copy.txt"]


def test_baseline_and_min_confidence(repo: Path, history, tmp_path: Path) -> None:
    _, doc = run_history(repo)
    baseline = tmp_path / "b.json"
    baseline.write_text(json.dumps({"entries": [{"fingerprint": f["fingerprint"]} for f in doc["findings"]]}))
    proc, doc = run_history(repo, "--baseline", str(baseline))
    assert proc.returncode == 0 and doc["findings"] == []


def test_scan_history_api(repo: Path, history) -> None:
    from scanner.config import Config
    from scanner.engine.factory import build_engine
    from scanner.sources import history as source

    _, intro, _ = history
    cfg = Config()
    findings = source.scan(repo, build_engine(cfg), cfg).findings
    assert sorted(f.commit for f in findings) == sorted(intro.values())
    assert all(f.occurrences for f in findings)


def test_shallow_clone(repo: Path, history, tmp_path: Path) -> None:
    _, intro, _ = history
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-local", f"file://{repo}", str(clone))
    proc, doc = run_history(clone)
    assert proc.returncode == 1
    # Only the tip is here: its tree (B and the copy of A), its message, and the tag on it.
    paths = sorted(f["path"] for f in doc["findings"])
    assert paths == ["<commit message>", "<tag message v1.0>", "feature/client.js", "feature/copy.txt"]
    assert git(clone, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"


def test_sha256_repository_and_clean_repo(tmp_path: Path) -> None:
    repo = tmp_path / "r256"
    git(tmp_path, "init", "-q", "--object-format=sha256", str(repo))
    stage(repo, "a.txt", "clean\n")
    commit(repo)
    proc, doc = run_history(repo)
    assert proc.returncode == 0 and doc["findings"] == []
    stage(repo, "b.txt", f"t={make_token()}\n")
    tip = commit(repo)
    stage(repo, "b.txt", "gone\n")
    commit(repo)
    proc, doc = run_history(repo)
    assert proc.returncode == 1
    assert [(f["commit"], f["path"]) for f in doc["findings"]] == [(tip, "b.txt")]
    assert len(tip) == 64


def test_empty_repository_and_not_a_repository(repo: Path, tmp_path: Path) -> None:
    proc, doc = run_history(repo)
    assert proc.returncode == 0 and doc["findings"] == []
    outside = tmp_path / "plain"
    outside.mkdir()
    assert leakwarden("history", cwd=outside).returncode == 2


def test_progress_on_request(repo: Path, history) -> None:
    proc = leakwarden("history", "--progress", "--format", "json", cwd=repo)
    last = proc.stderr.rsplit(b"\r", 1)[-1].decode()
    assert "100%" in last and "object/s" in last and " MB" in last, last


def test_history_judges_blobs_at_their_path(repo, cli):
    """A committed .env is a finding by its name, and a token in a workflow gets the CI fix."""
    from conftest import commit_file
    commit_file(repo, ".env", "DB_PASSWORD=Hq7rT2vK9mLp3xWz8sNd\nPORT=8080\n", "add env")  # leakwarden:allow
    commit_file(repo, ".github/workflows/ci.yml",
                f"jobs:\n  x:\n    env:\n      TOKEN: {make_token()}\n", "add workflow")
    git(repo, "rm", "-q", ".env")
    git(repo, "commit", "-q", "-m", "remove env")
    doc = json.loads(cli("history", "--format", "json", cwd=repo).stdout)
    by_rule = {f["rule_id"]: f for f in doc["findings"]}
    assert by_rule["dotenv-file"]["path"] == ".env"
    assert by_rule["github-pat-classic"]["details"]["context"] == "ci-workflow"
    assert "GITHUB_TOKEN" in by_rule["github-pat-classic"]["fix"]


def test_text_report_lists_every_place(repo, cli):
    from conftest import commit_file
    tok = make_token()
    commit_file(repo, "a.txt", f"t={tok}\n", "one")
    git(repo, "mv", "a.txt", "b.txt")
    git(repo, "commit", "-q", "-m", "two")
    commit_file(repo, "c.py", f"x = '{tok}'\n", "three")
    out = cli("history", cwd=repo).stdout.decode()
    assert "seen:   3 places" in out
    assert all(f" {name}:1" in out for name in ("a.txt", "b.txt", "c.py"))
    assert tok not in out


def _places(doc: dict) -> list:
    """Everything a history report says about each secret, in a comparable form."""
    return sorted((f["fingerprint"], f["rule_id"], f.get("commit", ""), f["path"], f["line"],
                   sorted((o["commit"], o["path"], o["line"], o["author"], o["date"]) for o in f["occurrences"]))
                  for f in doc["findings"])


@pytest.mark.parametrize("args", [(), ("--branches",), ("--since", "2023-11-15T03:30:00Z", "--", "--all")])
def test_worker_processes_and_split_walks_report_the_same(repo: Path, history, args) -> None:
    """-j 1 walks in one log and scans in this process; -j 2 and -j 3 cut the walk into runs and
    scan in worker processes. The report must not depend on which."""
    single = run_history(repo, "-j", "1", *args)[1]
    assert single["findings"]
    for jobs in ("2", "3"):
        proc, doc = run_history(repo, "-j", jobs, *args)
        assert proc.returncode == 1
        assert _places(doc) == _places(single), jobs


def test_jobs_must_be_positive(repo: Path) -> None:
    for bad in ("0", "-1", "two"):
        proc = leakwarden("history", "-j", bad, cwd=repo)
        assert proc.returncode == 2 and b"positive whole number" in proc.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_blob_seen_first_under_a_plain_name_is_judged_under_its_env_name(repo: Path, jobs: str) -> None:
    """The walk goes newest first: the copy (notes.txt) is met before the .env it was copied
    from, and the blob is scanned there. The .env name still has its say."""
    from conftest import commit_file
    text = "DB_PASSWORD=Hq7rT2vK9mLp3xWz8sNd\nPORT=8080\n"  # leakwarden:allow
    env = commit_file(repo, ".env", text, "add env")
    commit_file(repo, "notes.txt", text, "copy it")
    proc, doc = run_history(repo, "-j", jobs)
    assert proc.returncode == 1
    dotenv = [f for f in doc["findings"] if f["rule_id"] == "dotenv-file"]
    assert len(dotenv) == 1 and dotenv[0]["commit"] == env and dotenv[0]["path"] == ".env"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_submodules_lfs_pointers_and_missing_objects_are_reported(repo: Path, jobs: str) -> None:
    from conftest import commit_file
    commit_file(repo, "a.txt", "hello\n", "one")
    sub = git(repo, "rev-parse", "HEAD").stdout.decode().strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sub},vendor/lib")   # a gitlink
    commit_file(repo, "big.bin", LFS_POINTER_FILE, "lfs")
    lost = commit_file(repo, "lost.txt", f"t={make_token()}\n", "lost")
    blob = git(repo, "rev-parse", f"{lost}:lost.txt").stdout.decode().strip()
    objects = Path(git(repo, "rev-parse", "--git-path", "objects").stdout.decode().strip())
    loose = (repo / objects if not objects.is_absolute() else objects) / blob[:2] / blob[2:]
    loose.chmod(0o644)
    loose.unlink()
    proc, doc = run_history(repo, "-j", jobs)
    skipped = {(s["path"], s["reason"]) for s in doc["skipped"]}
    assert ("vendor/lib", "submodule (gitlink), not scanned") in skipped
    assert (f"big.bin ({git(repo, 'rev-parse', 'HEAD~1:big.bin').stdout.decode()[:12]})",
            "Git LFS pointer, content not fetched") in skipped
    assert any(p.startswith("lost.txt (") and "missing" in r for p, r in skipped), skipped
    assert doc["findings"] == [] and proc.returncode == 0


def test_history_files_on_disk_hold_no_secret(repo: Path, tmp_path: Path) -> None:
    """The walk goes to temporary files: ids and paths only. Messages, which may hold secrets,
    come through a pipe. Run with TMPDIR pointed at a folder watched for what is written."""
    from conftest import commit_file
    token = make_token()
    commit_file(repo, "a.txt", f"t={token}\n", f"add\n\ntoken {token}")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    seen: list[bytes] = []
    import threading
    stop = threading.Event()

    def watch() -> None:   # copy whatever appears under TMPDIR while history runs
        while not stop.is_set():
            for folder, _, names in os.walk(tmp):   # os.walk shrugs off folders that vanish meanwhile
                for name in names:
                    try:
                        seen.append(Path(folder, name).read_bytes())
                    except OSError:
                        pass
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        proc = leakwarden("history", "-j", "2", "--format", "json", cwd=repo, env={"TMPDIR": str(tmp)})
    finally:
        stop.set()
        watcher.join()
    found = json.loads(proc.stdout)["findings"]
    assert proc.returncode == 1 and len(found) == 1
    assert sorted(o["path"] for o in found[0]["occurrences"]) == ["<commit message>", "a.txt"]
    assert any(b"a.txt" in data for data in seen)                   # the watcher did see the walk
    assert not any(token.encode() in data for data in seen)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_bad_revision_is_a_clear_error(repo: Path, history, jobs: str) -> None:
    proc = leakwarden("history", "-j", jobs, "no-such-ref", cwd=repo)
    assert proc.returncode == 2
    assert b"bad revision 'no-such-ref'" in proc.stderr and b"Traceback" not in proc.stderr


def test_engine_travels_to_spawned_workers() -> None:
    """Where fork is missing (Windows, macOS by default) workers get the engine pickled: it must
    come back whole, its hyperscan database reloaded from the cache."""
    import pickle

    from scanner.config import Config
    from scanner.engine.factory import build_engine
    from scanner.sources import history

    engine = pickle.loads(pickle.dumps(build_engine(Config(min_confidence="high"))))
    found = engine.scan(f"t = '{make_token()}'\n".encode(), "a.py").findings
    assert [f.rule_id for f in found] == ["github-pat-classic"] and engine.min_rank == build_engine(
        Config(min_confidence="high")).min_rank
    assert pickle.loads(pickle.dumps(history._scan_in_worker)) is history._scan_in_worker


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_blob_over_max_file_size_is_skipped_and_said(repo: Path, jobs: str) -> None:
    from conftest import commit_file
    (repo / ".leakwarden.toml").write_text('max_file_size = "1KB"\n')
    content = "a" * 5000 + f"\nt={make_token()}\n"
    tip = commit_file(repo, "big.txt", content, "big")
    blob = git(repo, "rev-parse", f"{tip}:big.txt").stdout.decode().strip()
    proc, doc = run_history(repo, "-j", jobs)
    assert proc.returncode == 0 and doc["findings"] == []
    assert {(s["path"], s["reason"]) for s in doc["skipped"]} == {
        (f"big.txt ({blob[:12]})", f"larger than max_file_size ({len(content)} bytes)")}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_blob_over_its_time_budget_is_reported_as_not_fully_scanned(repo: Path, jobs: str) -> None:
    """History's workers go through the one blob step: the engine's note on a blob it could not
    finish is a skip, where the walk meets the blob, as it is for a commit."""
    from conftest import commit_file
    (repo / ".leakwarden.toml").write_text("file_time_budget = 0.000001\n")
    tip = commit_file(repo, "f.txt", 'password = "hunter2hunter2"\n' * 2000, "slow")
    blob = git(repo, "rev-parse", f"{tip}:f.txt").stdout.decode().strip()
    proc, doc = run_history(repo, "-j", jobs)
    assert proc.returncode in (0, 1), proc.stderr
    assert any(s["path"] == f"f.txt ({blob[:12]})" and "time budget" in s["reason"] for s in doc["skipped"]), \
        doc["skipped"]


def test_a_limited_walk_does_not_scan_an_annotated_tag_as_a_blob(repo: Path) -> None:
    """``--all ^X`` hands rev-list the tag objects as tips: they are tag messages, not files."""
    tok = make_token()
    first = commit(repo, "first")
    stage(repo, "a.txt", "a\n")
    commit(repo, "second")
    git(repo, "tag", "-a", "v1", "-m", f"release with {tok}")
    proc = leakwarden("history", "--format", "json", "--", "--all", f"^{first}", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    [finding] = json.loads(proc.stdout)["findings"]
    assert [o["path"] for o in finding["occurrences"]] == ["<tag message v1>"]


def _password(seed: str) -> str:
    """A value that only the rules for configuration files report: ``pwd`` is no name the
    rules for code know, and it is unquoted. Generated at test time."""
    from scanner.rules.templates import expand
    return expand("Zq7{{rand:13:alnum}}", seed)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_rule_for_configuration_files_is_judged_where_the_walk_meets_such_a_name(repo: Path, jobs: str,
                                                                                   tmp_path: Path) -> None:
    """``generic-config-assignment`` runs only in configuration files: ``scan config.yml`` finds
    ``pwd: VALUE`` there, and so must history, even when the walk meets the blob first under
    another name (newest first: ``notes.txt``). The same line only ever in a ``.txt`` is nothing
    here, as it is for ``scan``. A limited walk, and ``--state``, find it alike."""
    from conftest import commit_file
    word, other = _password("history/config/1"), _password("history/config/2")
    text = f"database:\n  pwd: {word}\n"
    (repo / "cfg").mkdir()
    (repo / "cfg" / "config.yml").write_text(text)
    assert {f["rule_id"] for f in json.loads(leakwarden("scan", "--format", "json", "cfg/config.yml",
                                                        cwd=repo).stdout)["findings"]} == {"generic-config-assignment"}
    base = commit_file(repo, "README", "hello\n", "start")
    intro = commit_file(repo, "cfg/config.yml", text, "add config")
    commit_file(repo, "notes.txt", text, "copy it")
    commit_file(repo, "other.txt", f"pwd: {other}\n", "plain text")
    for args in ((), ("--", "--all", f"^{base}"), ("--state", str(tmp_path / f"state-{jobs}.json"))):
        proc, doc = run_history(repo, "-j", jobs, *args)
        assert proc.returncode == 1, (args, proc.stderr)
        [finding] = doc["findings"]
        assert finding["rule_id"] == "generic-config-assignment", args
        assert (finding["commit"], finding["path"], finding["line"]) == (intro, "cfg/config.yml", 2), args
        assert sorted(o["path"] for o in finding["occurrences"]) == ["cfg/config.yml", "notes.txt"], args
        assert word not in proc.stdout.decode() and other not in proc.stdout.decode()
