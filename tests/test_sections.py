"""A provider's name on the section around a value, not on its line (issue 9): ``[mailgun]`` then
``api_key = ...``, ``sendgrid:`` then an indented key, ``"algolia": {...}``, ``<mailgun>...``.
The finding names the provider's rule; the file is read once however many values it holds."""
from __future__ import annotations

import pytest

from conftest import rand_text
from scanner.config import Config, ConfigError
from scanner.engine import sections
from scanner.engine.entropy import shannon
from scanner.engine.factory import build_engine
from scanner.engine.placeholders import generic_placeholder
from scanner.rules.model import parse_rules

HEX = "0123456789abcdef"


@pytest.fixture(scope="module")
def engine():
    return build_engine(Config())


def hexval(n: int) -> str:
    """Random hex that no filter takes for made up (a run such as ``654321``); 32 digits or more
    clear every entropy floor of the rules here (a random draw may not)."""
    while True:
        value = rand_text(n, HEX)
        if not generic_placeholder(value) and (n < 32 or shannon(value) >= 3.7):
            return value


def found(engine, path: str, text: str) -> list[tuple[str, str, int]]:
    return [(f.rule_id, f.details.get("section", ""), f.line) for f in engine.scan(text.encode(), path).findings]


@pytest.mark.parametrize("path, template, section, line", [
    ("config/app.ini", "[twilio]\naccount_sid = AC{sid}\nauth_token = {v}\n", "twilio", 3),
    ("pyproject.toml", '[tool.acme.twilio]\nauth_token = "{v}"\n', "twilio", 2),
    ("config/app.toml", 'twilio = {{ region = "ie1", auth_token = "{v}" }}\n', "twilio", 1),
    ("config/notify.yml", "services:\n  twilio:\n    account_sid: AC{sid}\n    auth_token: {v}\n", "twilio", 4),
    ("config/notify.yml", "services:\n  - twilio:\n      auth_token: {v}\n", "twilio", 3),
    ("config/notify.yaml", "twilio: {{ auth_token: \"{v}\" }}\n", "twilio", 1),
    ("appsettings.json", '{{\n  "TwilioSettings": {{\n    "AccountSid": "AC{sid}",\n    "AuthToken": "{v}"\n  }}\n}}\n',
     "TwilioSettings", 4),
    ("appsettings.json", '{{"Logging": {{"Level": "Warning"}}, "Twilio": {{"AuthToken": "{v}"}}}}', "Twilio", 1),
    ("main.tf", 'provider "twilio" {{\n  username = "AC{sid}"\n  auth_token = "{v}"\n}}\n', "twilio", 3),
    ("conf/notify.xml", "<notify>\n  <twilio>\n    <authToken>{v}</authToken>\n  </twilio>\n</notify>\n", "twilio", 3),
    ("App.config", '<twilio region="ie1" authToken="{v}" />\n', "twilio", 1),
    # The file's own name is its outermost section.
    ("deploy/twilio.yml", "auth_token: {v}\n", "twilio", 1),
])
def test_a_section_names_the_provider(engine, path, template, section, line):
    text = template.format(v=hexval(32), sid=hexval(32))
    assert found(engine, path, text) == [("twilio-auth-token", section, line)]


def test_the_sections_between_provider_and_key_are_part_of_its_name(engine):
    # hetzner.dns.api_token: the DNS rule's own regex wants "dns" between them.
    text = f"hetzner:\n  dns:\n    api_token: {rand_text(32)}\n"
    assert found(engine, "config/dns.yml", text) == [("hetzner-dns-api-token", "hetzner", 3)]


@pytest.mark.parametrize("path, template", [
    # The section ended before the key: another header, a dedent, a closed brace or element.
    ("config/app.ini", "[twilio]\naccount_sid = AC{sid}\n\n[sms]\nauth_token = {v}\n"),
    ("config/notify.yml", "twilio:\n  account_sid: AC{sid}\nsms:\n  auth_token: {v}\n"),
    ("config/notify.yml", "services:\n  twilio:\n    account_sid: AC{sid}\n  sms:\n    auth_token: {v}\n"),
    ("appsettings.json", '{{"Twilio": {{"AccountSid": "AC{sid}"}}, "Sms": {{"AuthToken": "{v}"}}}}'),
    ("conf/notify.xml", "<twilio><sid>AC{sid}</sid></twilio>\n<sms><authToken>{v}</authToken></sms>\n"),
    # A provider's name only as a whole word: "twilio" is not in "twiliosim" or "mytwilio".
    ("config/app.ini", "[mytwiliox]\nauth_token = {v}\n"),
    # A brace inside a string is not structure.
    ("appsettings.json", '{{"Twilio": {{"Note": "}}"}}, "Sms": {{"AuthToken": "{v}"}}}}'),
])
def test_a_value_outside_the_provider_s_section_stays_generic(engine, path, template):
    text = template.format(v=hexval(32), sid=hexval(32))
    got = found(engine, path, text)
    assert got and all(rule.startswith("generic-") and not section for rule, section, _ in got)


def test_the_provider_s_rule_still_decides_the_key_and_the_value(engine):
    # Under [twilio], a 31-digit value or a key the Twilio rules do not name is no Twilio secret.
    text = f"[twilio]\nauth_token = {hexval(31)}\nwebhook_password = {rand_text(20)}\n"
    got = found(engine, "config/app.ini", text)
    assert [line for _, _, line in got] == [2, 3]
    assert all(rule.startswith("generic-") and not section for rule, section, _ in got)


def test_placeholders_under_a_section_are_not_findings(engine):
    text = "[twilio]\nauth_token = abcdef0123456789abcdef0123456789\n"
    assert found(engine, "config/app.ini", text) == []


def test_the_finding_says_which_section_named_it(engine):
    text = f"[mailgun]\napi_key = {hexval(32)}-{hexval(8)}-{hexval(8)}\n"
    (finding,) = engine.scan(text.encode(), "config/app.ini").findings
    assert finding.rule_id == "mailgun-private-api-key"
    assert finding.details["section"] == "mailgun"
    assert "named by its section 'mailgun'" in finding.reason


def test_files_without_sections_are_not_read_for_them(engine):
    # .properties and .env write the whole name on the value's line; code is not outlined.
    assert found(engine, "app.properties", f"datadog.api.key={hexval(32)}\n") == [("datadog-api-key", "", 1)]
    assert sections.kind_of("settings.py") is None
    assert sections.kind_of(".env") is None


def test_many_sections_cost_one_pass(engine, monkeypatch):
    """Thousands of sections, each with a value: every value is named, and the file's outline is
    built once and reads each byte about once (work counted, not time)."""
    made: list[sections.Outline] = []

    class Counted(sections.Outline):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(sections, "Outline", Counted)
    n = 1500
    forms = {
        "many.ini": "".join(f"[twilio.site{i}]\nregion = ie1\nauth_token = {hexval(32)}\n\n" for i in range(n)),
        "many.yml": "".join(f"site{i}:\n  twilio:\n    region: ie1\n    auth_token: {hexval(32)}\n" for i in range(n)),
        "many.json": "{" + ",\n".join(f'"site{i}": {{"twilio": {{"region": "ie1", "authToken": "{hexval(32)}"}}}}'
                                      for i in range(n)) + "}",
        "many.xml": "<sites>" + "".join(f"<site><twilio><authToken>{hexval(32)}</authToken></twilio></site>\n"
                                         for i in range(n)) + "</sites>",
    }
    for path, text in forms.items():
        made.clear()
        findings = engine.scan(text.encode(), path).findings
        assert [f.rule_id for f in findings] == ["twilio-auth-token"] * n, path
        assert len(made) == 1, path
        # Each byte once, plus the bounded look at each value's own line.
        assert made[0].work <= 2 * len(text), (path, made[0].work, len(text))


@pytest.mark.parametrize("kind, text", [
    ("ini", b"[a]\nx = 1\n[b]\ny = 2\n"),
    ("yaml", b"a:\n  x: 1\nb:\n  y: 2\n"),
    ("brace", b'{"a": {"x": 1}, "b": {"y": 2}}'),
    ("xml", b"<a><x>1</x></a><b><y>2</y></b>"),
])
def test_questions_out_of_order_read_again(kind, text):
    outline = sections.Outline(text, kind)
    x, y = text.index(b"x"), text.index(b"y")
    line = text.rfind(b"\n", 0, y) + 1
    assert outline.enclosing(line, y)[0] == b"b"
    line = text.rfind(b"\n", 0, x) + 1
    assert outline.enclosing(line, x)[0] == b"a"


def test_provider_words_are_whole_words():
    index = {"twilio": [], "newrelic": [], "box": []}
    assert sections.provider_words(b"TwilioSettings", index) == [b"Twilio"]
    assert sections.provider_words(b"new_relic", index) == [b"new_relic"]
    assert sections.provider_words(b"boxAppSettings", index) == [b"box"]
    assert sections.provider_words(b"sandbox", index) == []
    assert sections.provider_words(b"inbox_rules", index) == []


def _rule(**extra) -> dict:
    base = {"id": "acme-key", "name": "Acme key", "type": "Acme key", "description": "d", "severity": "high",
            "confidence": "medium", "remediation": "r", "url": "https://acme.test",
            "regex": "(?i:acme[_.-]?key)[:=](?P<secret>[a-f0-9]{32})", "keywords": ["acme"],
            "examples": [{"text": "acme_key={{rand:32:hex}}", "secret": "x"}], "negative_examples": ["x"]}
    return {**base, **extra}


def test_sections_are_checked_when_rules_load(tmp_path):
    assert parse_rules([_rule(sections=["acme"])], tmp_path / "p.toml", "")[0].sections == ["acme"]
    for bad in ("acme", [""], ["--"], [3]):
        with pytest.raises(ConfigError, match="sections"):
            parse_rules([_rule(sections=bad)], tmp_path / "p.toml", "")


@pytest.mark.parametrize("key", ["adminKey", "admin_key", "app_key", "write_key", "master_key", "private_key",
                                 "access_token"])
@pytest.mark.parametrize("path, template, rule_id", [
    # The provider's rule spells the key itself (algolia.adminKey) or not (algolia.app_key):
    # then its value's shape decides, as the rule's own example name would have it.
    ("config/search.ini", "[algolia]\napplication_id = {app}\n{k} = {v}\n", "algolia-admin-api-key"),
    ("config/search.yml", "algolia:\n  {k}: {v}\n", "algolia-admin-api-key"),
    ("config/notify.json", '{{"twilio": {{"{k}": "{v}"}}}}', "twilio-auth-token"),
])
def test_a_key_the_generic_rules_do_not_take_is_the_section_s_provider_s(engine, key, path, template, rule_id):
    text = template.format(k=key, v=hexval(32), app=rand_text(10).upper())
    findings = engine.scan(text.encode(), path).findings
    assert [(f.rule_id, f.confidence, f.details.get("section")) for f in findings] == \
        [(rule_id, "medium", rule_id.split("-")[0])]


def test_a_key_the_generic_rules_do_not_take_is_low_confidence_alone(engine):
    # admin_key or app_key alone is too common a name to say secret: outside a provider's section
    # its value is a low-confidence finding, not reported at the default confidence.
    text = f"search:\n  admin_key: {hexval(32)}\n  password: hunter2\n"
    assert found(engine, "config/search.yml", text) == []
    low = build_engine(Config(min_confidence="low")).scan(text.encode(), "config/search.yml").findings
    assert [(f.rule_id, f.confidence) for f in low] == [("generic-section-key", "low")]


def test_a_password_under_a_provider_s_section_is_not_its_key_by_shape(engine):
    # ``passwd`` says neither key, token nor secret, and no twilio rule spells it: the value's
    # shape alone (32 hex digits, an auth token's) does not make it twilio's.
    text = f"[twilio]\nadmin_passwd = {hexval(32)}\n"
    got = found(engine, "config/app.ini", text)
    assert got and all(rule.startswith("generic-") and not section for rule, section, _ in got)


def test_a_name_under_a_section_is_judged_as_on_one_line(engine):
    # twilio's rule takes a twilio name that says password (TWILIO_ADMIN_PASSWORD=...), so the
    # same name under [twilio] is its finding too, not a generic one.
    value = hexval(32)
    one_line = found(engine, "config/app.ini", f"TWILIO_ADMIN_PASSWORD = {value}\n")
    nested = found(engine, "config/app.ini", f"[twilio]\nadmin_password = {value}\n")
    assert [rule for rule, _, _ in nested] == [rule for rule, _, _ in one_line] == ["twilio-auth-token"]
    assert nested[0][1] == "twilio"
