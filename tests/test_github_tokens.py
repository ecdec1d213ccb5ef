"""GitHub tokens of every type, in many contexts: found, typed exactly, and never blocking when mutated."""
from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from scanner.config import Config
from scanner.engine import github
from scanner.engine.factory import build_engine
from conftest import make_token

KINDS = {
    "ghp": ("github-pat-classic", "GitHub personal access token (classic)"),
    "gho": ("github-oauth-token", "GitHub OAuth app access token"),
    "ghu": ("github-user-to-server-token", "GitHub App user-to-server token"),
    "ghs": ("github-installation-token", "GitHub App installation access token"),
    "ghr": ("github-refresh-token", "GitHub App refresh token"),
    "github_pat": ("github-fine-grained-pat", "GitHub fine-grained personal access token"),
    "ghs_jwt": ("github-installation-token-stateless", "GitHub App installation access token (stateless)"),
}
CONTEXTS = [
    "{t}",
    "GITHUB_TOKEN={t}\n",
    "export GH_TOKEN='{t}'\n",
    'token: "{t}"\n',
    '{{"token": "{t}", "n": 1}}\n',
    "git clone https://{t}@github.com/acme/app.git\n",
    "git clone https://x-access-token:{t}@github.com/acme/app.git\n",
    "curl -H 'Authorization: Bearer {t}' https://api.github.com/user\n",
    "    client = Github(\"{t}\")  # comment\n",
    "<value>{t}</value>\n",
    "a,b,{t},c\n",
    "(`{t}`)\n",
]


@pytest.fixture(scope="module")
def engine():
    return build_engine(Config(), min_confidence="low")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("context", CONTEXTS)
def test_valid_token_found_with_exact_type(engine, kind, context):
    tok = make_token(kind)
    text = "line one\n" + context.format(t=tok)
    found = engine.scan_text(text.encode(), "f.txt")
    assert len(found) == 1, [f.rule_id for f in found]
    f = found[0]
    assert (f.rule_id, f.type) == KINDS[kind]
    assert f.secret == tok and f.confidence == "high"
    assert f.basis == ("structure" if kind == "ghs_jwt" else "checksum")
    assert f.line == 2 and text.splitlines()[1][f.column - 1:].startswith(tok)


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "ghs_jwt"])
def test_every_one_character_mutation_never_blocks(engine, kind):
    tok = make_token(kind)
    prefix_len = tok.index("_", 4 if kind == "github_pat" else 0) + 1 if kind != "github_pat" else 11
    alphabet = "abcXYZ019"
    # The last 8 characters of a fine-grained PAT are outside its checksum (spec 1.3), so
    # no offline check can notice a change there; everything before them is covered.
    end = 85 if kind == "github_pat" else len(tok)
    for pos in range(prefix_len, end):
        if kind == "github_pat" and pos == 33:
            continue
        for ch in alphabet:
            if tok[pos] == ch:
                continue
            mutated = tok[:pos] + ch + tok[pos + 1:]
            for f in engine.scan_text(f"T={mutated}\n".encode(), "f"):
                assert f.confidence == "low", (pos, ch, f.rule_id)


def test_checksum_failures_only_reported_when_low_confidence_asked(cli, tmp_path):
    bad = make_token("ghp", valid=False)
    (tmp_path / "a.txt").write_text(f"t={bad}\n")
    assert cli("scan", str(tmp_path / "a.txt")).returncode == 0
    low = cli("scan", "--min-confidence", "low", "--format", "json", str(tmp_path / "a.txt"))
    doc = json.loads(low.stdout)
    assert [f["confidence"] for f in doc["findings"]] == ["low"]
    assert "checksum" in doc["findings"][0]["reason"]


def test_checksum_algorithms_match_the_spec():
    payload = "A" * 29 + "b"
    assert len(github.classic_checksum(payload)) == 6
    tok = "ghp_" + payload + github.classic_checksum(payload)
    assert github.classic_valid(tok)
    assert not github.classic_valid("gho_" + tok[4:-1] + ("A" if tok[-1] != "A" else "B"))
    assert github.base62(0) == "000000"
    fine = make_token("github_pat")
    assert github.fine_grained_valid(fine) and len(fine) == 93
    assert fine[77:85] == base64.b32encode(__import__("hashlib").sha256(fine[:77].encode()).digest()).decode()[:8]


def test_placeholders_never_findings(engine):
    text = "\n".join([
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "GITHUB_TOKEN=${GITHUB_TOKEN}",
        "token: ${{ secrets.GITHUB_TOKEN }}",
        "token = '<your-token>'",
        "ghp_************************************",
        "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
        "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "password = os.environ['GITHUB_TOKEN']",
        "github_token: ...",
    ])
    assert engine.scan_text(text.encode(), "f") == []


def test_token_inside_base64_percent_and_escapes_reported_at_original_location(engine):
    tok = make_token("ghs")
    basic = base64.b64encode(f"x-access-token:{tok}".encode()).decode()
    lines = [
        f"Authorization: Basic {basic}",
        f"  data:\n    token: {base64.b64encode(tok.encode()).decode()}",
        f"url = https://h/?t={urllib.parse.quote(tok.replace('_', '_'), safe='').replace('_', '%5F')}",
        json.dumps({"t": tok}).replace("_", "\\u005f"),
    ]
    text = "\n".join(lines) + "\n"
    found = sorted(engine.scan_text(text.encode(), "f"), key=lambda f: f.line)
    assert [(f.line, f.encoding, f.secret) for f in found] == [
        (1, "base64", tok), (3, "base64", tok), (4, "percent", tok), (5, "escaped", tok)]
    assert found[0].column == len("Authorization: Basic ") + 1


def test_fingerprint_stable_across_files_and_runs(engine):
    tok = make_token("ghp")
    a = engine.scan_text(f"a={tok}".encode(), "a")[0]
    b = build_engine(Config()).scan_text(f"\n\n  other: '{tok}'".encode(), "b/c.yml")[0]
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 64
    assert tok not in a.fingerprint
