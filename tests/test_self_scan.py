"""The repository passes its own scan: no literal live-format token or real key is committed."""
from __future__ import annotations

import json

from conftest import ROOT


def test_repository_passes_its_own_scan(cli):
    result = cli("scan", "--format", "json", str(ROOT))
    doc = json.loads(result.stdout)
    assert result.returncode == 0, [(f["path"], f["line"], f["rule_id"]) for f in doc["findings"]]


def test_no_checksum_valid_token_even_at_low_confidence(cli):
    doc = json.loads(cli("scan", "--min-confidence", "low", "--format", "json", str(ROOT)).stdout)
    assert [f for f in doc["findings"] if f["basis"] == "checksum" and f["confidence"] == "high"] == []
