"""The prefilter's keywords as configuration formats spell a variable's name."""
from __future__ import annotations

import pytest

from conftest import rand_text
from scanner.config import load
from scanner.engine.factory import build_engine
from scanner.engine.prefilter import name_spellings

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
