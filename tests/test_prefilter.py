"""The prefilter's keywords as configuration formats spell a variable's name."""
from __future__ import annotations

import pytest

from conftest import rand_text
from scanner.config import load
from scanner.engine.factory import build_engine
from scanner.engine.prefilter import dotted_assignment, name_spellings

HEX = "0123456789abcdef"


def test_a_name_of_three_parts_is_looked_for_with_each_separator_and_joined():
    # Joined: literals match without case, so ddapikey is also ddApiKey.
    assert name_spellings(b"dd_api_key") == {b"dd_api_key", b"dd-api-key", b"dd.api.key", b"ddapikey"}
    assert name_spellings(b"ibm.cloud.api.key") >= {b"ibm_cloud_api_key", b"ibm-cloud-api-key"}


@pytest.mark.parametrize("keyword", [b"secret_key", b"bot_token", b"ghp_", b"pbkdf2_sha256$", b"datadog"])
def test_shorter_names_and_token_prefixes_are_looked_for_as_written(keyword):
    """``secret.key`` or ``bot-token`` are everywhere in code and prose; a prefix is not a name."""
    assert name_spellings(keyword) == {keyword}


@pytest.mark.parametrize("path, line", [
    ("application.properties", "dd.api.key={}"),
    ("values.yaml", "dd-api-key: {}"),
    (".env", "DD_API_KEY={}"),
])
def test_a_provider_name_spelled_for_its_format_wakes_the_provider_rule(path, line):
    secret = rand_text(32, HEX)
    found = build_engine(load(None)).scan((line.format(secret) + "\n").encode(), path).findings
    assert [(f.rule_id, f.secret) for f in found if f.rule_id == "datadog-api-key"] == [("datadog-api-key", secret)]


@pytest.mark.parametrize("path, line, rule_id", [
    ("conf/app.properties", "azure.openai.key={}", "azure-openai-api-key"),
    ("conf/app.properties", "azure.openai.api-key = {}", "azure-openai-api-key"),
    ("conf/settings.yml", "azure.openai.api.key: {}", "azure-openai-api-key"),
    ("conf/app.properties", "vault.token=s.{}", "hashicorp-vault-token-legacy"),
    ("conf/app.properties", "github.client.secret={}", "github-oauth-client-secret"),
])
def test_a_two_part_name_with_a_dot_before_an_assignment_wakes_the_provider_rule(path, line, rule_id):
    # azure_openai and vault_token are not looked for dotted everywhere (client.secret is in
    # every other program), only with a few key-ish parts and = or : after them.
    secret = line.format(rand_text(24) if "vault" in line else rand_text(32 if "azure" in line else 40, HEX))
    value = secret.split("=")[-1].split(": ")[-1].strip()
    found = build_engine(load(None)).scan((secret + "\n").encode(), path).findings
    assert [(f.rule_id, f.secret) for f in found] == [(rule_id, value)]


def test_a_dotted_two_part_name_in_code_wakes_no_rule():
    assert dotted_assignment(b"vault_token") is not None and dotted_assignment(b"dd_api_key") is None
    engine = build_engine(load(None))
    rules = {i for i, r in enumerate(engine.content_rules)
             if r.id in ("hashicorp-vault-token-legacy", "github-oauth-client-secret")}
    woken = set(engine.prefilter.hits(b"self.vault.token.refresh()\nif client.secret.startswith(x):\n")[0])
    assert not woken & rules


def test_a_name_and_its_value_given_as_two_fields_are_read_as_one_assignment():
    from scanner.engine.decode import name_value

    data = b'env:\n  - name: DD_APP_KEY\n    value: "abc123"\n'
    ws = data.index(b"  - name")
    text, offsets = name_value(data, ws, data.index(b"\n", ws))
    assert text == b'DD_APP_KEY: "abc123"'
    assert data[offsets[text.index(b"abc")]:offsets[text.index(b"123") + 2] + 1] == b"abc123"
    line = b'{"name": "DD_APP_KEY", "value": "abc123"}'
    assert name_value(line, 0, len(line))[0] == b'DD_APP_KEY: "abc123"}'
    # A name that does not end its line, or a next line that is not its value: nothing.
    for other in (b"- name: DD_APP_KEY # and more\n  value: x\n", b"- name: DD_APP_KEY\n  image: x\n"):
        assert name_value(other, 0, other.index(b"\n")) is None
