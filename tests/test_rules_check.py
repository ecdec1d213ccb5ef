"""Every built-in rule's examples and negative examples, through the real CLI and in-process."""
from __future__ import annotations

import pytest

from conftest import user_rule_toml

from scanner.config import Config
from scanner.engine.factory import active_rules
from scanner.rules.check import check_rules
from scanner.rules.model import load_builtin

RULES = load_builtin()


def test_rules_check_command_passes(cli):
    result = cli("rules", "check")
    assert result.returncode == 0, result.stdout.decode()
    assert b"0 failures" in result.stdout


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_examples(rule):
    report = check_rules([rule], active_rules(Config()))
    assert report.failures == []
    assert report.examples >= 1 and report.negatives >= 1


def test_rule_ids_unique_and_kebab_case():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(i == i.lower() and " " not in i and "_" not in i for i in ids)


def test_rules_check_reports_a_broken_user_rule(cli, tmp_path):
    pack = tmp_path / "mine.toml"
    pack.write_text(user_rule_toml(length=10, example_secret="acme_{{rand:12:digits}}", negative="acme_qwzkfjpmrt"))
    result = cli("rules", "check", str(pack))
    assert result.returncode == 1
    out = result.stdout.decode()
    assert "acme-key: example 1 did not yield its secret" in out
    assert "acme-key: negative example 1 matched" in out


def test_rules_list_and_show(cli):
    listing = cli("rules", "list").stdout.decode()
    assert "github-pat-classic" in listing and "private-key-openssh" in listing
    shown = cli("rules", "show", "github-fine-grained-pat")
    assert shown.returncode == 0 and b"github-fine-grained" in shown.stdout
    unknown = cli("rules", "show", "no-such-rule")
    assert unknown.returncode == 2 and unknown.stderr.startswith(b"leakwarden: error: no rule with id")


def test_invalid_rule_pack_names_file_rule_and_key(cli, tmp_path):
    pack = tmp_path / "bad.toml"
    pack.write_text('[[rules]]\nid = "x-rule"\nname = "x"\n')
    result = cli("rules", "check", str(pack))
    assert result.returncode == 2
    err = result.stderr.decode()
    assert str(pack) in err and "x-rule" in err and "missing key" in err


def test_reach_bounds_a_multiline_rules_window(cli, tmp_path):
    """``reach`` is how far past its keyword a multi-line match may end: a secret beyond it is
    not looked for (the window is that much text), one within it is; and it only goes with
    ``multiline``."""
    def pack(reach: str) -> str:
        return user_rule_toml().replace(
            "regex = '''(?P<secret>acme_[a-z0-9]{20})'''",
            "regex = '''acme_id:.{0,600}?acme_secret: (?P<secret>acme_[a-z0-9]{20})'''\n"
            "keywords = [\"acme_id\"]\nmultiline = true\n" + reach).replace(
            'keywords = ["acme_"]\n', "").replace(
            '{ text = "key={{secret}}"', '{ text = "acme_id: 7\\n' + "# filler\\n" * 40 + 'acme_secret: {{secret}}"')
    short, wide, alone = tmp_path / "short.toml", tmp_path / "wide.toml", tmp_path / "alone.toml"
    short.write_text(pack("reach = 100\n"))
    wide.write_text(pack("reach = 1000\n"))
    alone.write_text(user_rule_toml().replace('severity = "high"', 'reach = 100\nseverity = "high"'))
    assert cli("rules", "check", str(wide)).returncode == 0
    result = cli("rules", "check", str(short))
    assert result.returncode == 1 and b"acme-key: example 1 did not yield its secret" in result.stdout
    result = cli("rules", "check", str(alone))
    assert result.returncode == 2 and b"'reach'" in result.stderr
