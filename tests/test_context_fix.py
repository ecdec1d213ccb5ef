"""The fix fits where the secret sits: command line, URL, CI workflow, source code, .env; and
the GitHub token type. Through the real CLI's text output (where users read the fix) and JSON."""
from __future__ import annotations

from pathlib import Path

import pytest

from scanner.engine.context import CONTEXTS, classify
from conftest import assert_hidden, make_token
from helpers_hygiene import rand, scan_json, scan_text, write

# (file, content with {tok}, context, words the fix must contain)
CASES = {
    "curl": ("deploy.sh", 'curl -H "Authorization: token {tok}" https://api.github.com/user\n',
             "command-line", ["credential helper", "gh auth login", "environment variable"]),
    "history": (".bash_history", "ls\ngh repo list --token {tok}\n",
                "command-line", ["credential helper", "gh auth login"]),
    "docker-login": ("Makefile", "login:\n\tdocker login -u ci -p {tok} ghcr.io\n",
                     "command-line", ["--password-stdin"]),
    "url": ("tools/mirror.py", 'REMOTE = "https://x-access-token:' '{tok}@github.com/acme/app.git"\n',
            "url", ["out of the URL", "credential helper", "gh auth login"]),
    "git-clone-url": ("README.md", "Clone with `git clone https://{tok}@github.com/acme/app.git`.\n",
                      "url", ["out of the URL"]),
    "github-workflow": (".github/workflows/ci.yml",
                        "jobs:\n  build:\n    runs-on: ubuntu-latest\n    env:\n      GH_TOKEN: {tok}\n",
                        "ci-workflow", ["GITHUB_TOKEN", "permissions", "secrets."]),
    "gitlab-ci": (".gitlab-ci.yml", "variables:\n  GITHUB_TOKEN: {tok}\n", "ci-workflow", ["masked, protected CI/CD variable"]),
    "jenkins": ("Jenkinsfile", "environment {{\n  GITHUB_TOKEN = '{tok}'\n}}\n", "ci-workflow", ["withCredentials"]),
    "source": ("src/app/client.py", 'GITHUB_TOKEN = "{tok}"\n', "source-code", ["environment or a secret manager"]),
    "source-go": ("cmd/main.go", 'const token = "{tok}"\n', "source-code", ["hardcode"]),
    "dotenv": (".env", "GITHUB_TOKEN={tok}\n", "dotenv", [".gitignore", "git rm --cached", "encrypt"]),
    "config": ("deploy/values.yaml", "github:\n  token: {tok}\n", "config", ["secret manager"]),
    "dockerfile": ("Dockerfile", "FROM alpine\nENV GITHUB_TOKEN={tok}\n", "container-build", ["--mount=type=secret"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fix_fits_the_place(tmp_path: Path, case: str) -> None:
    name, template, context, words = CASES[case]
    tok = make_token("ghp")
    write(tmp_path, {name: template.format(tok=tok)})
    rc, doc, out = scan_json(tmp_path)
    gh = [f for f in doc["findings"] if f["rule_id"] == "github-pat-classic"]
    assert rc == 1 and len(gh) == 1, [f["rule_id"] for f in doc["findings"]]
    assert gh[0]["details"]["context"] == context
    for word in words:
        assert word in gh[0]["fix"], (word, gh[0]["fix"])
    # The rule's own step (revoke) and the token advice are still there.
    assert "Revoke the token" in gh[0]["fix"] and "GitHub App" in gh[0]["fix"]
    rc, text = scan_text(tmp_path)
    assert f"fix:    {gh[0]['fix']}" in text
    assert_hidden(out + text, tok)


@pytest.mark.parametrize("kind, words", [
    ("ghp", ["fine-grained token with an expiry over a classic PAT", "GitHub App over a PAT"]),
    ("github_pat", ["expiry", "GitHub App instead of a PAT"]),
    ("ghs", ["create-github-app-token", "GITHUB_TOKEN"]),
    ("gho", ["GitHub App"]),
    ("ghu", ["refresh flow"]),
    ("ghr", ["secret store"]),
])
def test_token_type_advice(tmp_path: Path, kind: str, words: list[str]) -> None:
    tok = make_token(kind)
    write(tmp_path, {"src/client.py": f'TOKEN = "{tok}"\n'})
    rc, doc, out = scan_json(tmp_path)
    [finding] = doc["findings"]
    for word in words:
        assert word in finding["fix"], (word, finding["fix"])
    assert_hidden(out, tok)


def test_generic_secret_fix_is_the_place_not_the_rules_generic_advice(tmp_path: Path) -> None:
    value = rand(24)
    write(tmp_path, {".github/workflows/deploy.yml": f"env:\n  DEPLOY_PASSWORD: {value}\n"})
    rc, doc, out = scan_json(tmp_path)
    [finding] = [f for f in doc["findings"] if f["rule_id"].startswith("generic-")]
    assert finding["details"]["context"] == "ci-workflow"
    assert finding["fix"].startswith("Use the built-in GITHUB_TOKEN") and "rotate" in finding["fix"]
    assert_hidden(out, value)


def test_classify_is_usable_on_its_own() -> None:
    # The remediation plan calls classify(path, line, secret) directly (docs/hygiene.md).
    assert classify(".env.production") == "dotenv"
    assert classify("home/.aws/credentials") == "credential-file"
    assert classify("config/database.yml") == "config"
    assert classify(".circleci/config.yml") == "ci-workflow"
    assert classify("azure-pipelines.yml") == "ci-workflow"
    assert classify("bitbucket-pipelines.yml") == "ci-workflow"
    assert classify(".zsh_history") == "command-line"
    assert classify("app.py", "x = 1") == "source-code"
    assert classify("app.py", "os.system('git push https://u:" "abc123@host/r')", "abc123") == "url"
    assert classify("notes.txt") == "documentation"
    assert classify("<stdin>") == "other"
    assert set(CONTEXTS) >= {"command-line", "url", "ci-workflow", "source-code", "dotenv", "config"}
