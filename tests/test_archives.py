"""Secrets inside archives and office documents (docs/archives.md): found at
``container!member:line`` in every command and format; bounded decompression (zip bombs, a
zip quine), traversal names, encrypted, corrupt and unknown members. Every archive is built
here, at test time, and every token generated from its format."""
from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import resource
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from conftest import ROOT, assert_hidden, commit_file, git, leakwarden, make_token, rand_text
from helpers_archives import (bomb_42, nested_zips, overlapping_bomb, raw_zip, tar_of, zip_of, zip_quine)
from helpers_git import stage
from helpers_server import audit, make_client, make_server, no_server_identity, push  # noqa: F401
from scanner.config import Config
from scanner.engine.factory import build_engine

SETTINGS = "A=1\nB=2\nGITHUB_TOKEN={}\n"   # the token on line 3


@pytest.fixture(scope="module")
def engine():
    return build_engine(Config())


def settings(token: str) -> bytes:
    return SETTINGS.format(token).encode()


def scan_json(*args: str, cwd: Path | None = None) -> tuple[int, dict]:
    res = leakwarden("scan", "--format", "json", *args, cwd=cwd)
    assert res.returncode in (0, 1), res.stderr
    return res.returncode, json.loads(res.stdout)


def reasons(report: dict) -> str:
    return "\n".join(s["reason"] for s in report["skipped"])


# -- what is scanned, and where a finding is said to be --------------------------------------

@pytest.mark.parametrize("name", ["dist/app.zip", "lib/app.jar", "app.war", "pkg-1.0-py3-none-any.whl", "app.apk",
                                  "Pkg.1.0.nupkg"])
def test_token_in_a_zip_family_archive_is_found_at_container_and_member(engine, name):
    token = make_token()
    data = zip_of({"README.md": b"hello\n", "config/settings.env": settings(token)})
    [f] = engine.scan(data, name).findings
    assert (f.path, f.line, f.secret) == (f"{name}!config/settings.env", 3, token)
    assert f.container == name and f.members == ["config/settings.env"]


@pytest.mark.parametrize("name, mode", [("a.tar", "w"), ("a.tar.gz", "w:gz"), ("a.tgz", "w:gz"),
                                        ("a.tar.bz2", "w:bz2"), ("a.tar.xz", "w:xz")])
def test_token_in_a_tar_is_found_whatever_its_compression(engine, name, mode):
    token = make_token()
    data = tar_of({"etc/app/settings.env": settings(token), "notes.txt": b"nothing\n"}, mode)
    [f] = engine.scan(data, name).findings
    # A compressed tar is one archive: a.tar.gz!member, not a.tar.gz!a.tar!member.
    assert (f.path, f.line) == (f"{name}!etc/app/settings.env", 3)


@pytest.mark.parametrize("name, compress, inner", [("backup.env.gz", gzip.compress, "backup.env"),
                                                   ("backup.env.bz2", bz2.compress, "backup.env"),
                                                   ("backup.env.xz", lzma.compress, "backup.env")])
def test_token_in_a_single_compressed_file_is_found_under_its_own_name(engine, name, compress, inner):
    token = make_token()
    [f] = engine.scan(compress(settings(token)), name).findings
    assert (f.path, f.line) == (f"{name}!{inner}", 3)


def test_binary_members_are_passed_over_but_archives_inside_compressed_files_are_not(engine):
    token = make_token()
    # A zip (binary) inside a gzip: its first bytes say archive, so it is read whole and opened.
    inner = zip_of({"pad.bin": os.urandom(50_000), "x.env": settings(token)}, zipfile.ZIP_STORED)
    [f] = engine.scan(gzip.compress(inner), "bundle.zip.gz").findings
    assert f.path == "bundle.zip.gz!bundle.zip!x.env"
    # A binary member is looked at only as far as the engine would (and counts as no problem).
    result = engine.scan(zip_of({"lib.so": b"\0" * 100_000 + settings(token), "a.env": settings(token)}), "w.whl")
    assert [f.path for f in result.findings] == ["w.whl!a.env"] and result.skipped == ""


def test_archives_are_recognised_by_content_whatever_their_name(engine):
    token = make_token()
    for data in (zip_of({"x.env": settings(token)}), tar_of({"x.env": settings(token)})):
        [f] = engine.scan(data, "download.bin").findings
        assert f.path == "download.bin!x.env"


def test_a_zip_behind_a_launcher_stub_is_found_by_its_end_record(engine):
    token = make_token()
    data = b"#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n" + zip_of({"app.properties": settings(token)})
    [f] = engine.scan(data, "tool.jar").findings
    assert f.path == "tool.jar!app.properties"


def test_nested_archives_are_scanned_to_the_default_depth_of_three(engine):
    token = make_token()
    inner = tar_of({"x.env": settings(token)})
    data = zip_of({"inner.tar.gz": inner, "deeper.zip": zip_of({"c.zip": zip_of({"y.env": settings(make_token())})})})
    result = engine.scan(data, "a.zip")
    paths = sorted(f.path for f in result.findings)
    assert paths == ["a.zip!deeper.zip!c.zip!y.env", "a.zip!inner.tar.gz!x.env"]
    [nested] = [f for f in result.findings if f.secret == token]
    assert nested.members == ["inner.tar.gz", "x.env"] and nested.line == 3
    assert result.skipped == ""


def test_an_archive_nested_past_the_depth_is_reported_and_the_depth_is_configurable(tmp_path):
    (tmp_path / "deep.zip").write_bytes(nested_zips(4, "x.env", settings(make_token())))
    code, report = scan_json("deep.zip", cwd=tmp_path)
    assert code == 0 and report["findings"] == []
    assert "not fully scanned: nested deeper than archive_max_depth (3)" in reasons(report)
    assert "level2.zip!level3.zip!level4.zip" in reasons(report)
    cfg = tmp_path / "lw.toml"
    cfg.write_text("archive_max_depth = 4\n")
    code, report = scan_json("--config", str(cfg), "deep.zip", cwd=tmp_path)
    assert code == 1 and report["skipped"] == []
    assert report["findings"][0]["path"] == "deep.zip!level2.zip!level3.zip!level4.zip!x.env"


def test_rules_that_go_by_file_name_see_the_members_name(engine):
    # A .env inside a zip is judged as a .env (the credential-file stage), not as a zip.
    data = zip_of({"deploy/.env": b"DATABASE_PASSWORD=" + rand_text(24).encode() + b"\n"})
    found = engine.scan(data, "backup.zip").findings
    assert found and all(f.path == "backup.zip!deploy/.env" for f in found)


# -- office documents ------------------------------------------------------------------------

def _docx(paragraphs: list[list[str]]) -> bytes:
    body = "".join("<w:p>" + "".join(f'<w:r><w:t xml:space="preserve">{run}</w:t></w:r>' for run in runs)
                   + "</w:p>" for runs in paragraphs)
    return zip_of({"[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
                   "word/document.xml": ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="x"><w:body>'
                                         f"{body}</w:body></w:document>").encode()})


def test_docx_text_is_scanned_with_runs_joined_and_a_line_per_paragraph(engine):
    token = make_token()
    # Word splits text into runs wherever formatting changes: the token is cut in three.
    doc = _docx([["Deployment notes"], ["nothing here"], ["token: ", token[:6], token[6:20], token[20:]]])
    [f] = engine.scan(doc, "docs/handover.docx").findings
    assert (f.path, f.line, f.secret) == ("docs/handover.docx!word/document.xml", 3, token)


def test_xlsx_pptx_odt_and_ods_text_parts_are_scanned(engine):
    token = make_token()
    cases = {
        "book.xlsx": {"[Content_Types].xml": b"<Types/>",
                      "xl/sharedStrings.xml": f"<sst><si><t>name</t></si><si><t>{token}</t></si></sst>".encode()},
        "deck.pptx": {"[Content_Types].xml": b"<Types/>",
                      "ppt/slides/slide1.xml": f"<p:sld><a:p><a:r><a:t>{token[:10]}</a:t></a:r><a:r><a:t>"
                                               f"{token[10:]}</a:t></a:r></a:p></p:sld>".encode()},
        "notes.odt": {"mimetype": b"application/vnd.oasis.opendocument.text",
                      "content.xml": f"<office:text><text:p>key</text:p><text:p>{token}</text:p></office:text>".encode()},
        "sheet.ods": {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                      "content.xml": f"<table:table-row><table:table-cell><text:p>{token}</text:p>"
                                     "</table:table-cell></table:table-row>".encode()},
    }
    for name, members in cases.items():
        found = engine.scan(zip_of(members), name).findings
        assert [f.secret for f in found] == [token], name
        assert found[0].path.startswith(f"{name}!"), found[0].path


def test_office_text_entities_and_attributes(engine):
    token = make_token()
    # An entity in the text is resolved; a secret in an attribute (a link target) is found in the raw XML.
    rels = f'<Relationships><Relationship Target="https://x.invalid/?t={token}"/></Relationships>'
    doc = zip_of({"[Content_Types].xml": b"<Types/>", "word/_rels/document.xml.rels": rels.encode(),
                  "word/document.xml": b"<w:p><w:r><w:t>a &amp; b</w:t></w:r></w:p>"})
    [f] = engine.scan(doc, "a.docx").findings
    assert f.secret == token


def test_a_billion_laughs_part_is_not_expanded(engine):
    laughs = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
              + ']><w:p><w:t>&j;</w:t></w:p>')
    doc = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": laughs.encode()})
    assert engine.scan(doc, "lol.docx").skipped == ""


# -- every format, and turning it off --------------------------------------------------------

def test_every_format_carries_the_member_location(tmp_path):
    token = make_token()
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.zip").write_bytes(zip_of({"config/settings.env": settings(token)}))
    (tmp_path / "big.zip").write_bytes(nested_zips(4, "x.env", b"hello\n"))   # a bound: listed everywhere
    outputs = {}
    for fmt in ("text", "json", "jsonl", "sarif", "html"):
        res = leakwarden("scan", "--format", fmt, ".", cwd=tmp_path)
        assert res.returncode == 1, res.stderr
        outputs[fmt] = res.stdout.decode()
        assert_hidden(outputs[fmt], token)
        if fmt != "jsonl":
            assert "not fully scanned" in outputs[fmt], fmt
    assert "dist/app.zip!config/settings.env:3:" in outputs["text"]
    assert "dist/app.zip!config/settings.env" in outputs["html"]
    [finding] = json.loads(outputs["json"])["findings"]
    assert finding["path"] == "dist/app.zip!config/settings.env" and finding["line"] == 3
    assert finding["container"] == "dist/app.zip" and finding["members"] == ["config/settings.env"]
    assert json.loads(outputs["jsonl"].splitlines()[0])["members"] == ["config/settings.env"]
    [result] = json.loads(outputs["sarif"])["runs"][0]["results"]
    location = result["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "dist/app.zip"
    assert location["properties"]["members"] == ["config/settings.env"] and location["properties"]["line"] == 3


def test_sarif_with_archive_findings_validates_against_the_schema(tmp_path):
    from test_sarif_schema import validate_sarif   # the official SARIF 2.1.0 schema

    (tmp_path / "app.zip").write_bytes(zip_of({"a.env": settings(make_token())}))
    res = leakwarden("scan", "--format", "sarif", str(tmp_path / "app.zip"))
    doc = validate_sarif(res.stdout)
    assert doc["runs"][0]["results"][0]["locations"][0]["properties"]["members"] == ["a.env"]


@pytest.mark.parametrize("how", ["flag", "config"])
def test_no_archives_passes_archives_over_as_binary(tmp_path, how):
    (tmp_path / "app.zip").write_bytes(zip_of({"a.env": settings(make_token())}))
    args = ["--no-archives"] if how == "flag" else ["--config", str(tmp_path / "lw.toml")]
    (tmp_path / "lw.toml").write_text("scan_archives = false\n")
    code, report = scan_json(*args, "app.zip", cwd=tmp_path)
    assert code == 0 and report["findings"] == []
    assert report["skipped"] == [{"path": "app.zip", "reason": "binary"}]


@pytest.mark.parametrize("body, key", [
    ("archive_max_depth = 0", "archive_max_depth"), ("archive_max_depth = 33", "archive_max_depth"),
    ("archive_max_depth = 2.5", "archive_max_depth"), ("archive_max_depth = true", "archive_max_depth"),
    ("archive_max_bytes = 0", "archive_max_bytes"), ('archive_max_bytes = "-1MB"', "archive_max_bytes"),
    ('archive_max_bytes = "inf"', "archive_max_bytes"), ('archive_max_bytes = "5XB"', "archive_max_bytes"),
    ("archive_max_ratio = 0.5", "archive_max_ratio"), ("archive_max_ratio = inf", "archive_max_ratio"),
    ("archive_max_ratio = nan", "archive_max_ratio"), ('archive_max_ratio = "100"', "archive_max_ratio"),
    ("archive_max_members = 0", "archive_max_members"), ("archive_max_members = -3", "archive_max_members"),
    ('scan_archives = "no"', "scan_archives"),
])
def test_bad_archive_settings_are_config_errors_naming_the_key(tmp_path, body, key):
    cfg = tmp_path / "lw.toml"
    cfg.write_text(f"min_confidence = 'medium'\n{body}\n")
    (tmp_path / "f.txt").write_text("hello\n")
    res = leakwarden("scan", "--config", str(cfg), str(tmp_path / "f.txt"))
    assert res.returncode == 2, res.stderr
    assert key.encode() in res.stderr and b"lw.toml:2" in res.stderr, res.stderr


def test_good_archive_settings_are_taken(tmp_path):
    cfg = tmp_path / "lw.toml"
    cfg.write_text('archive_max_depth = 5\narchive_max_bytes = "64MB"\narchive_max_ratio = 250\n'
                   "archive_max_members = 10\n")
    from scanner import config

    limits = config.load(cfg).archive_limits()
    assert limits is not None
    assert (limits.max_depth, limits.max_bytes, limits.max_ratio, limits.max_members) == (5, 64 << 20, 250.0, 10)


# -- attacker input: bounded, never written anywhere -----------------------------------------

def _bounded_scan(path: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI under a 512 MB address-space limit: a bomb that is decompressed for real dies."""
    limit = 512 << 20
    return subprocess.run([sys.executable, "-m", "scanner", "scan", "--format", "json", *args, str(path)],
                          capture_output=True, check=False, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PYTHONPATH": str(ROOT)},
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))


def test_a_42_kb_style_zip_bomb_ends_in_bounded_memory_and_says_so(tmp_path):
    bomb = tmp_path / "42.zip"
    bomb.write_bytes(bomb_42())
    assert bomb.stat().st_size < 100_000   # about 4 PB once expanded
    res = _bounded_scan(bomb)
    assert res.returncode == 0, res.stderr
    why = reasons(json.loads(res.stdout))
    assert "not fully scanned" in why and "archive_max_ratio (100x)" in why, why
    assert len(why) < 2000   # thousands of nested archives make one line each kind, not one each


def test_an_overlapping_entry_zip_bomb_ends_in_bounded_memory(tmp_path):
    bomb = tmp_path / "overlap.zip"
    bomb.write_bytes(overlapping_bomb())   # 2,000 entries x 10 MB from one 10 KB member
    res = _bounded_scan(bomb)
    assert res.returncode == 0, res.stderr
    assert "expands more than archive_max_ratio" in reasons(json.loads(res.stdout))


def test_a_zip_quine_is_read_once(tmp_path, engine):
    quine = zip_quine()
    assert zipfile.ZipFile(io.BytesIO(quine)).read("r.zip") == quine   # it really contains itself
    result = engine.scan(quine, "r.zip")
    assert result.findings == []
    assert result.skipped == "the same bytes as an archive around it (a quine), not read again: r.zip"
    (tmp_path / "r.zip").write_bytes(quine)
    assert _bounded_scan(tmp_path / "r.zip").returncode == 0


def test_total_bytes_bound_scans_what_came_before_it(tmp_path):
    token = make_token()
    noise = "\n".join(rand_text(60) for _ in range(60_000)).encode()   # about 3.6 MB, barely compressible
    (tmp_path / "logs.zip").write_bytes(zip_of({"a.log": settings(token) + noise, "b.env": settings(make_token())}))
    (tmp_path / "lw.toml").write_text('archive_max_bytes = "1MB"\n')
    code, report = scan_json("--config", "lw.toml", "logs.zip", cwd=tmp_path)
    assert code == 1 and [f["path"] for f in report["findings"]] == ["logs.zip!a.log"]
    assert "not fully scanned: more than archive_max_bytes (1 MB) decompressed: a.log" in reasons(report)


def test_member_count_bound(tmp_path):
    (tmp_path / "many.zip").write_bytes(zip_of({f"f{i}.txt": b"x\n" for i in range(20)}))
    (tmp_path / "lw.toml").write_text("archive_max_members = 10\n")
    _, report = scan_json("--config", "lw.toml", "many.zip", cwd=tmp_path)
    assert "not fully scanned: more than archive_max_members (10) members" in reasons(report)


def test_member_names_that_climb_out_are_only_labels(tmp_path):
    token = make_token()
    work = tmp_path / "work"
    work.mkdir()
    names = ["../../evil.env", "/etc/leakwarden-abs.env", "..\\..\\win.env"]
    (work / "t.zip").write_bytes(raw_zip([{"name": n, "data": settings(token)} for n in names]))
    before = sorted(p for p in tmp_path.rglob("*"))
    code, report = scan_json("t.zip", cwd=work)
    assert code == 1
    assert sorted(f["path"] for f in report["findings"]) == sorted(f"t.zip!{n}" for n in names)
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert not Path("/etc/leakwarden-abs.env").exists() and not (tmp_path.parent / "evil.env").exists()


def test_encrypted_and_unknown_method_members_are_warned_about_and_the_rest_scanned(tmp_path):
    token = make_token()
    (tmp_path / "mixed.zip").write_bytes(raw_zip([
        {"name": "secret.env", "data": os.urandom(12) + b"ciphertext", "flags": 0x1},
        {"name": "weird.bin", "data": b"\x00" * 40, "method": 99},   # WinZip AES
        {"name": "plain.env", "data": settings(token)},
    ]))
    code, report = scan_json("mixed.zip", cwd=tmp_path)
    assert code == 1 and [f["path"] for f in report["findings"]] == ["mixed.zip!plain.env"]
    why = reasons(report)
    assert "encrypted archive members, not scanned: secret.env" in why
    assert "unsupported compression method, not scanned: weird.bin (method 99)" in why


def test_corrupt_members_and_archives_are_warned_about_and_the_scan_goes_on(tmp_path):
    token = make_token()
    good = zlib.compressobj(9, zlib.DEFLATED, -15)
    (tmp_path / "crc.zip").write_bytes(raw_zip([
        {"name": "bad-crc.env", "data": settings(token), "crc": 1},            # read whole, then the CRC fails
        {"name": "garbage.env", "data": b"\xff" * 64, "method": 8},              # not DEFLATE at all
        {"name": "ok.txt", "data": good.compress(b"fine\n") + good.flush(), "plain": b"fine\n", "method": 8},
    ]))
    code, report = scan_json("crc.zip", cwd=tmp_path)
    # What was read of a corrupt member is scanned all the same (unzip extracts it with a warning).
    assert code == 1 and [f["path"] for f in report["findings"]] == ["crc.zip!bad-crc.env"]
    why = reasons(report)
    assert "corrupt archive members" in why and "bad-crc.env" in why and "garbage.env" in why
    assert "ok.txt" not in why

    whole = zip_of({"a.env": settings(make_token())})
    (tmp_path / "cut.zip").write_bytes(whole[:len(whole) // 2])   # no central directory
    targz = tar_of({"a.env": settings(make_token()), "b.txt": os.urandom(200_000)})
    (tmp_path / "cut.tar.gz").write_bytes(targz[:len(targz) - 1000])
    (tmp_path / "fine.env").write_text(f"t={make_token()}\n")
    code, report = scan_json("cut.zip", "cut.tar.gz", "fine.env", cwd=tmp_path)
    assert code == 1
    by_path = {s["path"]: s["reason"] for s in report["skipped"]}
    assert "corrupt zip archive, contents not scanned" in by_path["cut.zip"]
    assert "corrupt archive" in by_path["cut.tar.gz"]
    assert {f["path"] for f in report["findings"]} == {"fine.env", "cut.tar.gz!a.env"}


def test_an_archive_larger_than_a_chunk_is_put_together_and_scanned(tmp_path):
    token = make_token()
    # Over 8 MB: scan reads it in chunks, and archives are put back together in memory.
    big = zip_of({"blob.bin": os.urandom(9 << 20), "conf/app.env": settings(token)}, zipfile.ZIP_STORED)
    (tmp_path / "big.zip").write_bytes(big)
    code, report = scan_json("big.zip", cwd=tmp_path)
    assert code == 1 and [f["path"] for f in report["findings"]] == ["big.zip!conf/app.env"]
    (tmp_path / "lw.toml").write_text('archive_max_bytes = "4MB"\n')
    code, report = scan_json("--config", "lw.toml", "big.zip", cwd=tmp_path)
    assert code == 0
    assert "not fully scanned: archive larger than archive_max_bytes (4 MB), not opened" in reasons(report)


# -- git: staged, history, and the server -----------------------------------------------------

def test_staged_finds_a_token_in_a_staged_zip_and_in_a_large_one(repo):
    token, big_token = make_token(), make_token()
    stage(repo, "dist/app.zip", zip_of({"config/settings.env": settings(token)}))
    stage(repo, "dist/big.jar", zip_of({"pad.bin": os.urandom(9 << 20), "a.properties": settings(big_token)},
                                       zipfile.ZIP_STORED))
    res = leakwarden("staged", "--format", "json", cwd=repo)
    assert res.returncode == 1, res.stderr
    found = {(f["path"], f["line"]) for f in json.loads(res.stdout)["findings"]}
    assert found == {("dist/app.zip!config/settings.env", 3), ("dist/big.jar!a.properties", 3)}
    assert leakwarden("staged", "--no-archives", cwd=repo).returncode == 0


def test_staged_and_pre_push_report_only_the_secrets_a_changed_archive_adds(repo):
    old, new = make_token(), make_token()
    commit_file(repo, "app.jar", zip_of({"a.properties": settings(old)}), "first build")
    # The rebuilt jar keeps the old secret (on another line now) and adds a new one.
    rebuilt = zip_of({"README": b"x\n", "a.properties": b"# moved\n" + settings(old), "b.env": settings(new)})
    stage(repo, "app.jar", rebuilt)
    res = leakwarden("staged", "--format", "json", cwd=repo)
    assert res.returncode == 1, res.stderr
    assert [(f["path"], f["line"]) for f in json.loads(res.stdout)["findings"]] == [("app.jar!b.env", 3)]
    git(repo, "commit", "-q", "--no-verify", "-m", "rebuild")
    tip = git(repo, "rev-parse", "HEAD").stdout.decode().strip()
    res = leakwarden("pre-push", "origin", "url-unused", "--format", "json", cwd=repo,
                     input=f"refs/heads/main {tip} refs/heads/main {'0' * 40}\n".encode())
    assert res.returncode == 1, res.stderr
    # Both commits leave: the first adds the old secret, the second only the new one.
    found = sorted((f["path"], f["fingerprint"]) for f in json.loads(res.stdout)["findings"])
    assert found == sorted([("app.jar!a.properties", _fp(old)), ("app.jar!b.env", _fp(new))])


def _fp(secret: str) -> str:
    from scanner.finding import fingerprint

    return fingerprint(secret.encode())


def test_history_finds_a_token_in_a_committed_archive_at_each_path(repo):
    token = make_token()
    data = zip_of({"config/settings.env": settings(token)})
    commit_file(repo, "dist/app.zip", data, "add build")
    commit_file(repo, "backup/app-copy.zip", data, "copy it")
    commit_file(repo, "deep.zip", nested_zips(4, "x.env", b"hello\n"), "deep")
    res = leakwarden("history", "--format", "json", cwd=repo)
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    [f] = report["findings"]
    assert (f["path"], f["line"]) == ("dist/app.zip!config/settings.env", 3)
    assert f["container"] == "dist/app.zip" and f["members"] == ["config/settings.env"]
    assert {o["path"] for o in f["occurrences"]} == {"dist/app.zip!config/settings.env",
                                                     "backup/app-copy.zip!config/settings.env"}
    [skip] = report["skipped"]
    assert skip["path"].startswith("deep.zip (") and "archive_max_depth" in skip["reason"]
    assert leakwarden("history", "--no-archives", cwd=repo).returncode == 0


def test_pre_receive_rejects_a_push_with_a_token_in_an_archive(tmp_path):
    server = make_server(tmp_path)
    client = make_client(tmp_path, server)
    token = make_token()
    commit_file(client, "dist/app.zip", zip_of({"config/settings.env": settings(token)}), "build")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0 and "push rejected" in res.out, res.out
    assert "dist/app.zip!config/settings.env:3" in res.out
    assert_hidden(res.out, token)
    assert git(server, "rev-parse", "--verify", "-q", "refs/heads/main", check=False).returncode != 0
    assert audit(server)[-1]["findings"][0]["path"] == "dist/app.zip!config/settings.env"


def test_pre_receive_rejects_an_archive_it_cannot_fully_scan_unless_on_error_accepts(tmp_path):
    server = make_server(tmp_path)
    client = make_client(tmp_path, server)
    commit_file(client, "payload.zip", bomb_42(), "bomb")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0, res.out
    assert "skipped payload.zip: not fully scanned" in res.out
    assert "payload.zip could not be fully scanned" in res.out and "leakwarden.onError=reject" in res.out
    assert audit(server)[-1]["decision"] == "reject-incomplete"
    git(server, "config", "leakwarden.onError", "accept")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode == 0, res.out
    assert "push accepted without a complete scan" in res.out
    assert audit(server)[-1]["decision"] == "accept-incomplete"


def test_pre_receive_lists_secrets_found_before_an_archive_bound(tmp_path):
    server = make_server(tmp_path)
    client = make_client(tmp_path, server)
    token = make_token()
    commit_file(client, "both.zip", zip_of({"a.env": settings(token), "deep.zip": nested_zips(4, "x", b"x\n")}), "b")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode != 0 and "both.zip!a.env:3" in res.out, res.out


def test_pre_receive_honours_scan_archives_false_in_the_server_config(tmp_path):
    server = make_server(tmp_path)
    cfg = tmp_path / "server.toml"
    cfg.write_text("scan_archives = false\n")
    git(server, "config", "leakwarden.config", str(cfg))
    client = make_client(tmp_path, server)
    commit_file(client, "app.zip", zip_of({"a.env": settings(make_token())}), "build")
    res = push(client, "origin", "HEAD:main")
    assert res.returncode == 0, res.out


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_a_tar_member_claiming_more_than_the_archive_holds_costs_reads_in_proportion_to_the_archive(engine, mode,
                                                                                                  monkeypatch):
    """To pass over a member, tarfile reads on to where its header says the next one starts,
    a block at a time, before it finds the data gone. A 2 KB tar claiming 64 GB (git/git's
    tests commit one, in a pax header) made millions of empty reads, seconds of CPU: work
    must follow the input's size. What precedes the member is still scanned, and the cut is said."""
    import tarfile

    from scanner.engine import archives

    token = make_token()
    data = settings(token)
    env = tarfile.TarInfo("a.env")
    env.size = len(data)
    huge = tarfile.TarInfo("huge")
    huge.size = 1 << 36   # only a pax header can say so
    # No end-of-archive blocks, and one block of the huge member's data: cut short, as in t5000.
    raw = (env.tobuf(tarfile.PAX_FORMAT) + data + b"\0" * (-len(data) % 512)
           + huge.tobuf(tarfile.PAX_FORMAT) + b"x" * 512)
    if mode == "w:gz":
        raw = gzip.compress(raw)
    reads = []
    real = archives._Meter.read

    def counted(self, n=-1, /):
        reads.append(n)
        return real(self, n)

    monkeypatch.setattr(archives._Meter, "read", counted)
    result = engine.scan(raw, "cut.tar.gz" if mode == "w:gz" else "cut.tar")
    assert [f.secret for f in result.findings] == [token]
    assert "huge (unexpected end of data)" in result.skipped
    assert len(reads) < 100, len(reads)
