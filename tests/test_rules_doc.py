"""docs/rules.md is generated from the packs and must match them."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

from scanner.rules import doc
from scanner.rules.model import load_builtin


def test_rules_doc_is_up_to_date():
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == doc.render(), "docs/rules.md is out of date: run python -m scanner.rules.doc"


def test_rules_doc_lists_every_rule_once():
    text = doc.render()
    for rule in load_builtin():
        assert text.count(f"| `{rule.id}` |") == 1


def test_rules_doc_check_flags_a_stale_file(tmp_path, monkeypatch):
    stale = tmp_path / "rules.md"
    stale.write_text("# Rules\n")
    monkeypatch.setattr(doc, "DOC", stale)
    assert doc.main(["--check"]) == 1
    assert doc.main([]) == 0 and doc.main(["--check"]) == 0


def test_rules_doc_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "scanner.rules.doc", "--check"], cwd=ROOT, capture_output=True,
                            stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 0, result.stderr


def test_provider_is_the_section_heading():
    text = '# ---------------- Acme\n\n[[rules]]\nid = "acme-key"\n\n# ---------- Other Co\n[[rules]]\nid = "other-key"\n'
    assert doc.providers(text) == {"acme-key": "Acme", "other-key": "Other Co"}
