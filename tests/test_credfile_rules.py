"""One rule registry: credential-file rules are pack data like every other rule, so `rules list`,
`rules show`, `disable_rules` and `rules check` cover them, and per-rule prose comes from rule keys.
Through the real CLI, on real files in tmp_path."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import leakwarden
from helpers_hygiene import rand, write

from scanner.engine.context import classify
from scanner.remediation.credential_kinds import LEAKWARDEN_REVOKE, kind_for
from scanner.rules.model import load_builtin

FILE_RULES = [r for r in load_builtin() if r.by_path]


def _aws(root: Path) -> str:
    secret = rand(40)
    write(root, {".aws/credentials": f"[default]\naws_access_key_id = AKIA{rand(16).upper()}\n"
                                     f"aws_secret_access_key = {secret}\n"})
    return secret


def test_file_rules_are_listed_and_shown(tmp_path: Path) -> None:
    listing = leakwarden("rules", "list", cwd=tmp_path).stdout.decode()
    listed = {line.split()[0] for line in listing.splitlines()}
    assert {r.id for r in FILE_RULES} <= listed
    assert {"aws-credentials-file", "git-credentials-file", "npmrc-auth-token", "dotenv-file"} <= listed
    shown = leakwarden("rules", "show", "aws-credentials-file", cwd=tmp_path)
    assert shown.returncode == 0
    out = shown.stdout.decode()
    assert ".aws/credentials" in out and "parser" in out and "aws_secret_access_key" in out


def test_disable_rules_accepts_a_file_rule(tmp_path: Path) -> None:
    _aws(tmp_path)
    on = leakwarden("scan", "--format", "json", ".", cwd=tmp_path)
    assert on.returncode == 1
    assert "aws-credentials-file" in {f["rule_id"] for f in json.loads(on.stdout)["findings"]}
    (tmp_path / ".leakwarden.toml").write_text('disable_rules = ["aws-credentials-file"]\n')
    off = leakwarden("scan", "--format", "json", ".", cwd=tmp_path)
    assert off.returncode in (0, 1), off.stderr.decode()
    assert "aws-credentials-file" not in {f["rule_id"] for f in json.loads(off.stdout)["findings"]}


def test_rules_check_runs_file_rule_examples(tmp_path: Path) -> None:
    result = leakwarden("rules", "check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout.decode()
    assert all(r.examples and r.negative_examples for r in FILE_RULES)
    assert all(ex.get("path") for r in FILE_RULES for ex in r.examples)


def _acme_file_rule(example_field: str, negative_path: str) -> str:
    """A user file rule for the Acme CLI's login file; the example's field and the negative
    example's path decide whether ``rules check`` passes it."""
    return ('''[[rules]]
id = "acme-cli-file"
name = "Acme CLI credentials"
type = "Acme CLI credentials"
description = "The Acme CLI's login file."
paths = [".acme/login.ini"]
parser = "ini"
fields = ["api_secret"]
severity = "high"
confidence = "high"
remediation = "Rotate it in the Acme console."
url = "https://acme.invalid/keys"
'''
            f'examples = [{{ path = ".acme/login.ini", text = "{example_field} = {{{{secret}}}}", '
            'secret = "{{rand:24:alnum}}" }]\n'
            f'negative_examples = [{{ path = "{negative_path}", text = "api_secret = {{{{rand:24:alnum}}}}" }}]\n')


def test_rules_check_fails_a_broken_file_rule(tmp_path: Path) -> None:
    pack = tmp_path / "mine.toml"
    pack.write_text(_acme_file_rule(example_field="token", negative_path=".acme/login.ini"))
    result = leakwarden("rules", "check", str(pack), cwd=tmp_path)
    assert result.returncode == 1
    out = result.stdout.decode()
    assert "acme-cli-file: example 1 did not yield its secret" in out
    assert "acme-cli-file: negative example 1 matched" in out


def test_user_file_rule_finds_its_file(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(_acme_file_rule(example_field="api_secret", negative_path="login.ini"))
    (tmp_path / ".leakwarden.toml").write_text('rule_files = ["rules.toml"]\n')
    secret = rand(24)
    write(tmp_path, {".acme/login.ini": f"api_secret = {secret}\n", "login.ini": f"api_secret = {secret}\n"})
    result = leakwarden("scan", "--format", "json", ".", cwd=tmp_path)
    found = [(f["rule_id"], f["path"]) for f in json.loads(result.stdout)["findings"]]
    assert [p for r, p in found if r == "acme-cli-file"] == [".acme/login.ini"]
    assert secret.encode() not in result.stdout


def test_a_file_rule_needs_a_known_parser(tmp_path: Path) -> None:
    pack = tmp_path / "bad.toml"
    pack.write_text('[[rules]]\nid = "x-file"\nname = "x"\ntype = "x"\ndescription = "x"\npaths = ["x"]\n'
                    'parser = "no-such"\nseverity = "high"\nconfidence = "high"\nremediation = "x"\nurl = "x"\n'
                    'examples = []\nnegative_examples = []\n')
    result = leakwarden("rules", "check", str(pack), cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown parser 'no-such'" in result.stderr.decode() and str(pack) in result.stderr.decode()


def test_advice_comes_from_the_rule(tmp_path: Path) -> None:
    from conftest import make_token

    write(tmp_path, {"app.py": f'TOKEN = "{make_token("ghp")}"\n'})
    result = leakwarden("scan", "--format", "json", ".", cwd=tmp_path)
    finding = json.loads(result.stdout)["findings"][0]
    rule = next(r for r in load_builtin() if r.id == "github-pat-classic")
    assert rule.advice and finding["fix"].endswith(rule.advice)


def test_credential_kind_comes_from_the_rule() -> None:
    rules = {r.id: r for r in load_builtin()}
    pat = kind_for("github-pat-classic", rules["github-pat-classic"])
    assert pat.key == "pat-classic" and pat.revoke_method == "leakwarden-revoke"
    assert pat.revoke.startswith(LEAKWARDEN_REVOKE)
    # Shared tables: every private-key rule and both installation-token rules say the same.
    assert {kind_for(i, r).key for i, r in rules.items() if i.startswith("private-key-")} == {"private-key"}
    assert kind_for("ssh-private-key-file", rules["ssh-private-key-file"]).key == "private-key"
    assert kind_for("github-installation-token-stateless", rules["github-installation-token-stateless"]) == \
        kind_for("github-installation-token", rules["github-installation-token"])
    other = kind_for("slack-bot-token", None)
    assert other.key == "provider" and other.revoke_method == "provider"


def test_context_of_a_file_comes_from_its_rule() -> None:
    assert classify("config/database.yml") == "config"
    assert classify(".env.local") == "dotenv"
    assert classify("home/.aws/credentials") == "credential-file"
    assert classify("credentials") != "credential-file"
