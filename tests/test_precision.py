"""Real source code yields almost no findings: the generic rules are tuned on Python's own library."""
from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pytest

STDLIB = Path(sysconfig.get_paths()["stdlib"])
CLEAN = ["asyncio", "email", "json", "logging", "http", "unittest", "importlib", "xml", "multiprocessing",
         "concurrent", "sqlite3", "ctypes"]


@pytest.mark.parametrize("package", CLEAN)
def test_stdlib_package_has_no_findings(cli, package):
    if not (STDLIB / package).is_dir():
        pytest.skip(f"{package} not in this Python")
    result = cli("scan", "--no-ignore", "--format", "json", str(STDLIB / package))
    doc = json.loads(result.stdout)
    assert [(f["rule_id"], f["path"], f["line"]) for f in doc["findings"]] == []


def test_documented_example_password_is_found(cli):
    # urllib/request.py documents basic auth with a literal passwd= argument: a realistic
    # password in code, and exactly what the quoted-assignment rule is for.
    result = cli("scan", "--no-ignore", "--format", "json", str(STDLIB / "urllib" / "request.py"))
    doc = json.loads(result.stdout)
    assert [f["rule_id"] for f in doc["findings"]] == ["generic-quoted-assignment"]
