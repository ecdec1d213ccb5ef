"""Issues 15 and 16 in the git sources: one way into history for every command, the real
objects and never a replacement or graft, large blobs scanned in chunks, corrupt and missing
objects reported, arguments never read as options, and secrets in names and paths."""
from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import commit_file, git, leakwarden, make_token
from helpers_git import bare_remote, commit, head, stage


def history_json(repo: Path, *args: str) -> tuple[int, dict]:
    proc = leakwarden("history", "--format", "json", *args, cwd=repo)
    return proc.returncode, json.loads(proc.stdout or b"{}")


def blob_id(repo: Path, spec: str) -> str:
    return git(repo, "rev-parse", spec).stdout.decode().strip()


# -- one way into history -------------------------------------------------------------------------

def test_every_history_caller_honours_exclude_paths(repo: Path, tmp_path: Path) -> None:
    (repo / ".leakwarden.toml").write_text('exclude_paths = ["fixtures/*"]\n')
    commit_file(repo, "fixtures/sample.txt", f"token = {make_token()}\n", "fixture")
    code, doc = history_json(repo)
    assert code == 0 and doc["findings"] == []
    baseline = tmp_path / "baseline.json"
    proc = leakwarden("baseline", "create", "--from-history", "--baseline", str(baseline), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(baseline.read_text())["entries"] in ([], {})
    proc = leakwarden("remediate", "--history", "--format", "json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["secrets"] == 0


def test_remediate_and_baseline_from_history_work_on_a_bare_clone(repo: Path, tmp_path: Path) -> None:
    commit_file(repo, "app.py", f"TOKEN = '{make_token()}'\n", "leak")
    bare = tmp_path / "clone.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    proc = leakwarden("remediate", "--history", "--repo", str(bare), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["secrets"] == 1
    baseline = tmp_path / "baseline.json"
    proc = leakwarden("baseline", "create", "--from-history", "--baseline", str(baseline), str(bare), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(baseline.read_text())["entries"]) == 1


# -- the real objects, never replacements or grafts ------------------------------------------------

def test_history_sees_through_git_replace(repo: Path) -> None:
    token = make_token()
    commit_file(repo, "config.txt", f"token = {token}\n", "leak")
    leaked = blob_id(repo, "HEAD:config.txt")
    harmless = git(repo, "hash-object", "-w", "--stdin", input=b"nothing to see\n").stdout.decode().strip()
    git(repo, "replace", leaked, harmless)
    assert git(repo, "cat-file", "-p", leaked).stdout == b"nothing to see\n"   # git itself is fooled
    code, doc = history_json(repo)
    assert code == 1
    assert [f["path"] for f in doc["findings"]] == ["config.txt"]


def test_history_ignores_grafts(repo: Path) -> None:
    commit_file(repo, "config.txt", f"token = {make_token()}\n", "leak")
    commit_file(repo, "config.txt", "clean\n", "clean up")
    # A graft that says the last commit has no parent hides the one before it from the walk.
    (Path(git(repo, "rev-parse", "--absolute-git-dir").stdout.decode().strip()) / "info").mkdir(exist_ok=True)
    (Path(git(repo, "rev-parse", "--absolute-git-dir").stdout.decode().strip()) / "info" / "grafts").write_text(
        head(repo) + "\n")
    code, doc = history_json(repo)
    assert code == 1 and [f["path"] for f in doc["findings"]] == ["config.txt"]


def server_and_client(tmp_path: Path) -> tuple[Path, Path]:
    """A bare repository with the pre-receive hook installed, and a clone of it."""
    server = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", str(server))
    assert leakwarden("install", "--server", str(server)).returncode == 0
    client = tmp_path / "client"
    git(tmp_path, "clone", "-q", str(server), str(client))
    return server, client


def test_pre_receive_sees_through_a_replace_ref(tmp_path: Path) -> None:
    server, client = server_and_client(tmp_path)
    content = f"token = {make_token()}\n".encode()
    leaked = git(server, "hash-object", "--stdin", input=content).stdout.decode().strip()
    harmless = git(server, "hash-object", "-w", "--stdin", input=b"nothing to see\n").stdout.decode().strip()
    # A replace ref on the server (pushed earlier, or made there): the token blob reads as harmless.
    git(server, "update-ref", f"refs/replace/{leaked}", harmless)
    commit_file(client, "config.txt", content, "leak")
    res = git(client, "push", "origin", "HEAD:main", check=False)
    assert res.returncode != 0, res.stderr.decode()
    assert "push rejected" in res.stderr.decode()
    assert git(server, "rev-parse", "--verify", "-q", "refs/heads/main", check=False).returncode != 0


# -- large blobs are scanned, not skipped ------------------------------------------------------------

def big_content(token: str, size: int = 60 << 20) -> bytes:
    line = b"lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod 0123456789\n"
    half = line * (size // 2 // len(line))
    return half + f"token = {token}\n".encode() + half


def test_a_token_in_a_60_mb_blob_is_found_by_every_git_source(repo: Path, tmp_path: Path) -> None:
    token = make_token()
    commit_file(repo, "README.md", "hello\n", "initial")
    remote = bare_remote(tmp_path, repo)
    git(repo, "push", "-q", "origin", "HEAD:main")
    assert leakwarden("install", "--server", str(remote)).returncode == 0
    stage(repo, "data/big.txt", big_content(token))
    proc = leakwarden("staged", "--format", "json", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    assert [f["path"] for f in json.loads(proc.stdout)["findings"]] == ["data/big.txt"]
    commit(repo, "big")
    line = f"refs/heads/main {head(repo)} refs/heads/main {blob_id(repo, 'HEAD~1')}\n"
    proc = leakwarden("pre-push", "origin", str(remote), "--format", "json", cwd=repo, input=line.encode())
    assert proc.returncode == 1, proc.stderr
    assert [f["path"] for f in json.loads(proc.stdout)["findings"]] == ["data/big.txt"]
    res = git(repo, "push", "origin", "HEAD:main", check=False)
    assert res.returncode != 0 and "data/big.txt" in res.stderr.decode()
    code, doc = history_json(repo, "-j", "1")
    assert code == 1 and [f["path"] for f in doc["findings"]] == ["data/big.txt"]


def test_max_file_size_is_an_opt_in_skip_listed_in_every_format(repo: Path) -> None:
    (repo / ".leakwarden.toml").write_text('max_file_size = "1KB"\n')
    stage(repo, "big.txt", "x" * 2048 + "\n")
    for fmt, expect in (("text", "big.txt"), ("json", "larger than max_file_size"), ("sarif", "big.txt")):
        proc = leakwarden("staged", "--format", fmt, cwd=repo)
        assert proc.returncode == 0
        assert expect in proc.stdout.decode(), (fmt, proc.stdout)






# -- arguments that reach git are never options ----------------------------------------------------

def test_history_refuses_an_option_after_double_dash(repo: Path, tmp_path: Path) -> None:
    commit_file(repo, "a.txt", f"token = {make_token()}\n", "leak")
    out = tmp_path / "written-by-git"
    proc = leakwarden("history", "--", f"--output={out}", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert not out.exists()


# -- secrets in names, paths and messages ----------------------------------------------------------

def test_pre_push_scans_paths_authors_and_tag_messages(repo: Path, tmp_path: Path) -> None:
    commit_file(repo, "README.md", "hello\n", "initial")
    bare_remote(tmp_path, repo)
    base = head(repo)
    in_path, in_author, in_tag = make_token(), make_token(), make_token()
    stage(repo, f"keys/{in_path}.txt", "nothing\n")
    git(repo, "commit", "-q", "--no-verify", "-m", "add", env={"GIT_AUTHOR_NAME": f"ci {in_author}"})
    git(repo, "tag", "-a", "v2", "-m", f"release\n\nwith {in_tag}\n")
    tag = blob_id(repo, "v2")
    zero = "0" * 40
    lines = f"refs/heads/main {head(repo)} refs/heads/main {base}\nrefs/tags/v2 {tag} refs/tags/v2 {zero}\n"
    proc = leakwarden("pre-push", "origin", "x", "--format", "json", "--show-secrets", cwd=repo,
                      input=lines.encode())
    assert proc.returncode == 1, proc.stderr
    found = {f["secret"]: f for f in json.loads(proc.stdout)["findings"]}
    assert found[in_path]["path"] == "<file path>" and found[in_path]["commit"] == head(repo)
    assert found[in_author]["path"] == "<author>"
    assert found[in_tag]["path"] == "<tag message v2>" and found[in_tag]["commit"] == tag




def test_pre_receive_scans_ref_names(tmp_path: Path) -> None:
    _, client = server_and_client(tmp_path)
    commit_file(client, "README.md", "hello\n", "initial")
    res = git(client, "push", "origin", f"HEAD:refs/heads/{make_token()}", check=False)
    assert res.returncode != 0 and "<ref name>" in res.stderr.decode()


@pytest.fixture(autouse=True)
def _no_git_hooks_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIT_DIR", raising=False)
    assert shutil.which("git")


def test_a_commit_dated_beyond_any_calendar_is_still_scanned(repo: Path) -> None:
    """git stores whatever digits a commit's date has; a crafted 60-digit one made the parser
    raise OverflowError (found by fuzzing). The commit is still scanned, its date left out."""
    commit_file(repo, "a.txt", "clean\n", "first")
    stage(repo, "k.env", f"T={make_token()}\n")
    tree = git(repo, "write-tree").stdout.decode().strip()
    body = (f"tree {tree}\nparent {head(repo)}\n"
            f"author A <a@example.com> {'9' * 60} +0000\ncommitter C <c@example.com> {'9' * 60} +0000\n"
            f"\nadd k.env\n")
    oid = git(repo, "hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=body.encode()).stdout
    git(repo, "update-ref", "refs/heads/main", oid.decode().strip())
    code, doc = history_json(repo)
    assert code == 1, doc
    assert [f["rule_id"] for f in doc["findings"]] == ["github-pat-classic"]


@contextlib.contextmanager
def _log_of(repo: Path, tmp_path: Path, ids: bytes):
    """A real ``git.LogStream`` over the commits ``ids`` (one a line), its files in ``tmp_path``."""
    from scanner import git as gitmod

    with open(tmp_path / "log", "w+b") as out, open(tmp_path / "log.err", "w+b") as err, \
            open(tmp_path / "commits", "w+b") as commits:
        commits.write(ids)
        commits.seek(0)
        yield gitmod.LogStream([], out, err, repo, commits=commits)


def test_a_walk_that_ends_between_a_read_and_the_exit_check_loses_no_commit(repo: Path, tmp_path: Path,
                                                                             monkeypatch) -> None:
    """The reader of ``git log``'s growing file once took "read came back empty, then git had
    exited" for the end, while git had written its last commits in between: under load,
    history then silently lost their files and every secret in them. Here git waits for its
    list of commits on its stdin, which is only fed, and closed, when the reader asks whether
    git has exited: all of git's output lands after the reader's empty read."""
    from scanner import git as gitmod

    for i in range(3):
        commit_file(repo, f"f{i}.txt", f"line {i}\n", f"c{i}")
    ids = git(repo, "rev-list", "HEAD").stdout
    held: list[bytes] = []
    real_start, real_running = gitmod.LogStream._start, gitmod.LogStream._running

    def start_on_a_pipe(self, walk: list[str], stdin) -> subprocess.Popen:
        held.append(stdin.read())   # the list of commits, given to git only when the reader asks
        return real_start(self, walk, subprocess.PIPE)

    monkeypatch.setattr(gitmod.LogStream, "_start", start_on_a_pipe)

    def running_after_git_is_done(self) -> bool:
        if held:
            self.proc.stdin.write(held.pop())
            self.proc.stdin.close()
        self._series.join()   # every git of the series has exited
        return real_running(self)

    monkeypatch.setattr(gitmod.LogStream, "_running", running_after_git_is_done)
    with _log_of(repo, tmp_path, ids) as stream:
        found = [c.oid for c in stream.commits()]
    assert len(found) == len(ids.split()) == 3, found


def test_a_list_of_commits_is_shown_by_a_series_of_logs_into_one_file(repo: Path, tmp_path: Path,
                                                                      monkeypatch) -> None:
    """git log keeps every commit of its --stdin parsed until it exits: a LogStream over a list
    shows it LOG_BATCH commits at a time, one git after another writing on into the one file,
    and every commit and place comes out as from a single log."""
    from scanner import git as gitmod

    for i in range(5):
        commit_file(repo, f"d{i}/f{i}.txt", f"line {i}\n", f"c{i}")
    ids = git(repo, "rev-list", "--topo-order", "HEAD").stdout
    monkeypatch.setattr(gitmod, "LOG_BATCH", 2)
    started = []
    real_start = gitmod.LogStream._start

    def counted(self, walk, stdin):
        started.append(walk)
        return real_start(self, walk, stdin)

    monkeypatch.setattr(gitmod.LogStream, "_start", counted)
    with _log_of(repo, tmp_path, ids) as stream:
        seen = list(stream.commits(first_index=7))
        stream.finish()
        assert len(started) == 3
        assert [c.oid for c in seen] == ids.decode().split() and [c.index for c in seen] == list(range(7, 12))
        assert [stream.place(c.offset, c.blobs[0][3]) for c in seen] == \
            [(c.oid, f"d{4 - i}/f{4 - i}.txt") for i, c in enumerate(seen)]
        stream.close()
