"""Bad input gets a clear message and nothing is lost."""
from __future__ import annotations

import json
import os

import pytest

from conftest import make_token


def _json(result):
    return json.loads(result.stdout)


def test_binary_file_skipped_with_a_note_and_scanned_on_request(cli, tmp_path):
    tok = make_token()
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02" + tok.encode() + b"\x00")
    result = cli("scan", "--no-ignore", "--format", "json", str(tmp_path))
    doc = _json(result)
    assert doc["findings"] == [] and doc["skipped"][0]["reason"] == "binary"
    assert result.returncode == 0
    forced = cli("scan", "--no-ignore", "--scan-binary", "--format", "json", str(tmp_path))
    assert forced.returncode == 1 and len(_json(forced)["findings"]) == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig", "utf-32"])
def test_bom_encoded_text_is_decoded(cli, tmp_path, encoding):
    tok = make_token()
    text = f"first line\n  token = {tok}\n"
    path = tmp_path / "f.txt"
    raw = text.encode(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw
    path.write_bytes(raw)
    doc = _json(cli("scan", "--format", "json", str(path)))
    assert [(f["line"], f["column"]) for f in doc["findings"]] == [(2, 11)]


def test_invalid_utf8_does_not_hide_a_secret_and_columns_count_characters(cli, tmp_path):
    tok = make_token()
    path = tmp_path / "f.txt"
    path.write_bytes(b"\x80\xfe\xfd bad \xc3\x28 ok\n\xc3\xa9\xc3\xa9 = " + tok.encode() + b"\n")
    doc = _json(cli("scan", "--format", "json", str(path)))
    assert [(f["line"], f["column"]) for f in doc["findings"]] == [(2, 6)]


def test_empty_file_and_empty_stdin(cli, tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    assert cli("scan", str(tmp_path / "empty")).returncode == 0
    assert cli("scan", "-", input=b"").returncode == 0


def test_stdin(cli):
    tok = make_token("gho")
    result = cli("scan", "--format", "json", "-", input=f"x {tok}\n".encode())
    assert result.returncode == 1
    assert _json(result)["findings"][0]["path"] == "<stdin>"


def test_huge_file_streamed_across_chunks(cli, tmp_path):
    from scanner.sources.files import STREAM_CHUNK
    tok1, tok2 = make_token(), make_token("ghu")
    path = tmp_path / "huge.log"
    line = b"2024-01-01 INFO nothing to see here, just a log line of moderate length\n"
    n = (STREAM_CHUNK * 2) // len(line) + 10
    with open(path, "wb") as fh:
        fh.write(line * (n // 2))
        fh.write(b"token=" + tok1.encode() + b"\n")
        fh.write(line * (n // 2))
        fh.write(b"last " + tok2.encode())
    doc = _json(cli("scan", "--format", "json", str(path)))
    lines = sorted(f["line"] for f in doc["findings"])
    assert lines == [n // 2 + 1, n + 2]


@pytest.mark.parametrize("source", ["scan", "staged"])
def test_column_right_past_a_chunk_cut_in_files_and_blobs(cli, repo, source):
    """A line longer than a chunk: a file on disk and a staged blob go through the one chunked
    scan, which counts columns from the real start of the line, not from the chunk's."""
    from conftest import git
    from scanner.sources.files import STREAM_CHUNK
    tok = make_token()
    lead = STREAM_CHUNK + 1000
    (repo / "long.txt").write_bytes(b"x" * lead + b" " + tok.encode() + b"\n")
    git(repo, "add", "long.txt")
    doc = _json(cli(*(["scan", "--format", "json", "long.txt"] if source == "scan" else
                      ["staged", "--format", "json"]), cwd=repo))
    assert [(f["path"], f["line"], f["column"]) for f in doc["findings"]] == [("long.txt", 1, lead + 2)]


def test_file_over_limit_skipped_with_warning(cli, tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 5000 + make_token().encode())
    result = cli("scan", "--max-file-size", "1KB", "--format", "json", str(path))
    doc = _json(result)
    assert doc["findings"] == [] and "larger than max_file_size" in doc["skipped"][0]["reason"]
    text = cli("scan", "--max-file-size", "1KB", str(path)).stdout.decode()
    assert "skipped" in text and "big.txt" in text


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file_is_an_error(cli, tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("x")
    path.chmod(0)
    result = cli("scan", str(path))
    assert result.returncode == 3 and b"cannot read" in result.stderr + result.stdout


def test_missing_path_is_an_error(cli, tmp_path):
    path = tmp_path / "missing.txt"
    result = cli("scan", str(path))
    assert result.returncode == 3 and b"no such file" in result.stdout


def test_symlink_loop_and_dangling_links(cli, tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    tok = make_token()
    (tmp_path / "real.txt").write_text(tok)
    result = cli("scan", "--no-ignore", "--format", "json", str(tmp_path))
    doc = _json(result)
    assert [os.path.basename(f["path"]) for f in doc["findings"]] == ["real.txt"]
    reasons = {os.path.basename(s["path"]): s["reason"] for s in doc["skipped"]}
    assert reasons["loop"].startswith("symlink") and reasons["dangling"].startswith("symlink")


def test_control_characters_never_echoed_raw(cli, tmp_path):
    tok = make_token()
    name = "evil\x1b[31mname\x07.txt"
    (tmp_path / name).write_text(f"\x1b]0;title\x07 {tok}\n")
    out = cli("scan", "--no-ignore", str(tmp_path)).stdout
    assert b"\x1b" not in out and b"\x07" not in out
    assert b"\\x1b[31m" in out


def test_awkward_filenames(cli, tmp_path):
    tok = make_token()
    for name in ("with space.txt", "-leading-dash.txt", "new\nline.txt"):
        (tmp_path / name).write_text(tok)
    doc = _json(cli("scan", "--no-ignore", "--format", "json", str(tmp_path)))
    assert sorted(os.path.basename(f["path"]) for f in doc["findings"]) == sorted(
        ["with space.txt", "-leading-dash.txt", "new\nline.txt"])
    direct = cli("scan", "--format", "json", "--", "-leading-dash.txt", cwd=tmp_path)
    assert direct.returncode == 1


def test_gitignore_respected_and_no_ignore(cli, repo):
    tok = make_token()
    (repo / ".gitignore").write_text("ignored.txt\n")
    (repo / "ignored.txt").write_text(tok)
    assert cli("scan", str(repo)).returncode == 0
    assert cli("scan", "--no-ignore", str(repo)).returncode == 1


def test_tracked_file_deleted_from_work_tree_is_not_an_error(cli, repo):
    from conftest import commit_file
    commit_file(repo, "gone.txt", "hello\n")
    (repo / "gone.txt").unlink()
    (repo / "here.txt").write_text(make_token())
    result = cli("scan", "--format", "json", str(repo))
    assert result.returncode == 1
    assert [os.path.basename(f["path"]) for f in _json(result)["findings"]] == ["here.txt"]
    assert _json(result)["errors"] == []


def test_detect_secrets_baseline_hashes_are_not_secrets(cli, tmp_path):
    (tmp_path / ".secrets.baseline").write_text(
        '{"results": {"a.py": [{"type": "Secret Keyword", "hashed_secret": '
        '"8fc7c1d0a14e9f2b6d1c3e5a7b9d0f2e4c6a8b1d", "line_number": 3}]}}\n')
    assert cli("scan", "--no-ignore", str(tmp_path)).returncode == 0


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux /proc")
def test_unreadable_file_is_an_error_even_for_root(cli):
    # Reading a process's own memory from offset 0 fails with EIO for every user, root included.
    result = cli("scan", "--format", "json", "/proc/self/mem")
    doc = _json(result)
    assert result.returncode == 3
    assert doc["errors"][0]["error"].startswith("cannot read")
    assert b"cannot read" in cli("scan", "/proc/self/mem").stdout


def test_many_files_scanned_on_every_core_lose_nothing(cli, tmp_path):
    from scanner.engine import pool
    n = pool.MIN_FILES + 88
    planted = {7: make_token(), 300: make_token("gho"), n - 1: make_token("github_pat")}
    for i in range(n):
        (tmp_path / f"f{i:04}.txt").write_text(f"line\nx = {planted[i]}\n" if i in planted else "nothing\n")
    (tmp_path / "blob.bin").write_bytes(b"\0" * 10)
    doc = _json(cli("scan", "--no-ignore", "--format", "json", str(tmp_path)))
    assert sorted((os.path.basename(f["path"]), f["line"]) for f in doc["findings"]) == [
        (f"f{i:04}.txt", 2) for i in sorted(planted)]
    assert doc["stats"]["files_scanned"] == n + 1 and [s["reason"] for s in doc["skipped"]] == ["binary"]
