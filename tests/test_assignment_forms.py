"""A provider's secret is found however the file around it assigns it.

Every provider rule whose first example is a plain ``NAME=SECRET`` line is tried with that
name and that example's secret, written as some twenty formats
write an assignment (YAML, JSON, Python, .NET ``<add key= value=/>``, Dockerfile ``ENV``...),
each at a path of its kind. The finding may come from the provider's rule or from a generic
one; what must not happen is nothing."""
from __future__ import annotations

import re

import pytest

from scanner.config import load
from scanner.engine.factory import build_engine
from scanner.rules.model import load_builtin
from scanner.rules.templates import expand

_ASSIGN = re.compile(r"^(?:export\s+)?([A-Za-z][\w.-]*)\s*[:=]\s*[\"']?\{\{secret\}\}[\"']?\s*$")

# (path, template): N the name in upper case, n in lower case, c in camelCase, W its words
# apart (``DD API KEY``), d in dashes (``dd-api-key``), S the secret.
FORMS = {
    "shell export": ("deploy.sh", 'export {N}="{S}"\n'),
    "YAML": ("config.yml", 'settings:\n  {N}: "{S}"\n'),
    "YAML, unquoted": ("config.yml", "{N}: {S}\n"),
    "JSON": ("config.json", '{{\n  "{N}": "{S}"\n}}\n'),
    "Python": ("settings_local.py", '{n} = "{S}"\n'),
    "os.environ": ("app.py", 'os.environ["{N}"] = "{S}"\n'),
    "Python dict": ("app.py", 'CONFIG = {{"{n}": "{S}"}}\n'),
    "keyword argument": ("app.py", 'client = Client({n}="{S}")\n'),
    "JavaScript": ("app.js", 'const {n} = "{S}";\n'),
    "INI": ("app.ini", "[default]\n{n} = {S}\n"),
    "TOML": ("app.toml", '{n} = "{S}"\n'),
    ".NET appSettings": ("web.config", '<add key="{N}" value="{S}" />\n'),
    ".properties": ("app.properties", "{N}={S}\n"),
    "Dockerfile ENV": ("Dockerfile", "ENV {N}={S}\n"),
    "GitHub Actions env": (".github/workflows/ci.yml", "env:\n  {N}: {S}\n"),
    "compose environment": ("docker-compose.yml", "services:\n  app:\n    environment:\n      - {N}={S}\n"),
    "Terraform": ("main.tf", '{n} = "{S}"\n'),
    "PowerShell": ("run.ps1", '$env:{N} = "{S}"\n'),
    "cmd set": ("run.bat", "set {N}={S}\n"),
    "Makefile ?=": ("Makefile", "{N} ?= {S}\n"),
    "PHP define": ("config.php", "define('{N}', '{S}');\n"),
    "Ruby": ("config.rb", "{N} = '{S}'\n"),
    "Rust const": ("cfg.rs", 'const {N}: &str = "{S}";\n'),
    "Kubernetes env": ("deployment.yaml", 'env:\n  - name: {N}\n    value: "{S}"\n'),
    "ECS environment": ("task-definition.json", '{{"environment": [{{"name": "{N}", "value": "{S}"}}]}}\n'),
    "Makefile ::=": ("Makefile", "{N} ::= {S}\n"),
    "Makefile :::=": ("Makefile", "{N} :::= {S}\n"),
    "Go typed": ("main.go", 'var {n} string = "{S}"\n'),
    "env block in a JSON string": ("config.json", '{{"config.ini": "{N}={S}\\nDEBUG=true"}}\n'),
}


def _cases() -> list[tuple[str, str, str]]:
    out = []
    for rule in load_builtin():
        if rule.by_path or "generic" in rule.tags or not rule.examples:
            continue
        example = rule.examples[0]
        m = _ASSIGN.match(example["text"].strip())
        # An example given a path (Django's settings.py) is about that file, not a name.
        if m and "secret" in example and "path" not in example:
            out.append((rule.id, m.group(1), example["secret"]))
    return out


CASES = _cases()


def test_most_provider_rules_have_a_plain_assignment_example():
    assert len(CASES) >= 350


@pytest.mark.parametrize("form", list(FORMS))
def test_every_provider_secret_is_found_in_every_assignment_form(form):
    engine = build_engine(load(None))
    path, template = FORMS[form]
    missed = []
    for rule_id, name, secret_template in CASES:
        # The value `rules check` proves the rule finds (its own seed): only the form changes.
        secret = expand(secret_template, f"{rule_id}/example/1")
        upper = name.upper().replace(".", "_").replace("-", "_")
        parts = upper.lower().split("_")
        text = template.format(N=upper, n=upper.lower(), c=parts[0] + "".join(p.title() for p in parts[1:]),
                               W=" ".join(parts).upper(), d="-".join(parts), S=secret)
        if not any(secret in f.secret for f in engine.scan(text.encode(), path).findings):
            missed.append(rule_id)
    assert missed == []


def _provider_words() -> list[tuple[str, str, str]]:
    """(rule id, its provider's name, its first example's secret) for the name-anchored
    provider rules whose id starts with a keyword of one word (``assemblyai-api-key``)."""
    out = []
    for rule in load_builtin():
        if rule.by_path or "generic" in rule.tags or rule.confidence != "medium" or not rule.examples:
            continue
        provider = rule.id.split("-")[0]
        example = rule.examples[0]
        if (provider in rule.keywords and len(provider) >= 4 and "secret" in example and "path" not in example
                and rule.regex.startswith("(?i:")):
            out.append((rule.id, provider, example["secret"]))
    return out


@pytest.mark.parametrize("template", ['{p}Token = "{S}"\n', "{p}_secret: {S}\n", "{P}_PASSWORD={S}\n"])
def test_a_provider_name_with_any_credential_word_is_its_rule(template):
    """A peer's sample generator names every secret ``<provider>Token``: the provider's rule
    takes its name followed by token, secret or password, whatever its credential is called
    (not ``key``: a project key or a search-only key is not a secret)."""
    engine = build_engine(load(None))
    cases = _provider_words()
    assert len(cases) >= 100
    missed = []
    for rule_id, word, secret_template in cases:
        secret = expand(secret_template, f"{rule_id}/example/1")
        text = template.format(p=word, P=word.upper(), S=secret)
        if not any(f.rule_id == rule_id for f in engine.scan(text.encode(), "settings.txt").findings):
            missed.append(rule_id)
    assert missed == []


def test_a_value_one_generic_rule_rejects_is_still_anothers():
    # `db_password: value` in YAML is both an env-style line and a config key; the env rule
    # ranks first but wants more entropy (3.6) than this value has (3.1), the config rule's
    # floor (2.7) takes it.
    engine = build_engine(load(None))
    found = engine.scan(b"db_password: mP4rtk2mP4rtq9\n", "config/app.yml").findings
    assert [(f.rule_id, f.secret) for f in found] == [("generic-config-assignment", "mP4rtk2mP4rtq9")]


@pytest.mark.parametrize(("path", "template"), [("app.js", 'const {c} = "{S}";\n'),
                                                ("config.json", '{{\n  "{c}": "{S}"\n}}\n')])
def test_a_provider_name_of_three_parts_is_its_rules_in_camel_case(path, template):
    # ccTestReporterId is CC_TEST_REPORTER_ID: the provider's rule finds it (its keyword is also
    # looked for joined, its regex takes a capital where the name had a separator). Names of
    # two parts are left to the generic rules: joined, secretkey or bottoken are everywhere.
    engine = build_engine(load(None))
    missed = []
    for rule_id, name, secret_template in CASES:
        parts = name.lower().replace(".", "_").replace("-", "_").split("_")
        if len(parts) < 3:
            continue
        secret = expand(secret_template, f"{rule_id}/example/1")
        text = template.format(c=parts[0] + "".join(p.title() for p in parts[1:]), S=secret)
        if not any(f.rule_id == rule_id and secret in f.secret for f in engine.scan(text.encode(), path).findings):
            missed.append(rule_id)
    assert missed == []
