"""Remediation plans: every occurrence listed, steps per credential kind, and a filter-repo file that works."""
from __future__ import annotations

import json
import shutil
import stat
import string
import subprocess
from pathlib import Path

import pytest

from conftest import assert_hidden, commit_file, git, leakwarden, make_key, make_token, rand_text, user_rule_toml


def _out(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout.decode() + proc.stderr.decode()


def _log(repo: Path, *fmt: str) -> list[str]:
    return git(repo, "log", "--all", "--format=" + "%x1f".join(fmt)).stdout.decode().split("\n")


@pytest.fixture
def leaky(repo: Path) -> dict:
    """A history with a PAT in two files across commits and branches, an installation token, keys."""
    s = {"pat": make_token("ghp"), "ghs": make_token("ghs"), "fine": make_token("github_pat"),
         "rsa": make_key("rsa"), "ssh": make_key("openssh")}
    commit_file(repo, "config.py", f'GITHUB_TOKEN = "{s["pat"]}"\n', "add config")
    commit_file(repo, "deploy/ci.sh", f'#!/bin/sh\nexport GH_TOKEN={s["ghs"]}\ncurl -H "token {s["pat"]}" x\n',
                "ci script")
    commit_file(repo, "keys/id_rsa", s["rsa"] + "\n", "deploy key")
    git(repo, "checkout", "-q", "-b", "side")
    commit_file(repo, "side.env", f"PAT={s['fine']}\n", "side branch")
    commit_file(repo, "keys/id_ed25519", s["ssh"] + "\n", "ssh key")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    return s


def _history_like_report(repo: Path, show_secrets: bool) -> dict:
    """A JSON report shaped like `history --format json`: a real scan of HEAD, with each finding's
    commits, authors and dates taken from git (the history command is built elsewhere)."""
    args = ["scan", ".", "--format", "json"] + (["--show-secrets"] if show_secrets else [])
    doc = json.loads(leakwarden(*args, cwd=repo).stdout)
    for f in doc["findings"]:
        log = git(repo, "log", "--all", "--reverse", "--format=%H%x1f%an%x1f%aI", "--", f["path"]).stdout.decode()
        commits = [ln.split("\x1f") for ln in log.splitlines()]
        f["commit"] = commits[0][0]
        f["occurrences"] = [{"commit": c, "author": a, "date": d, "path": f["path"], "line": f["line"],
                             "ref": "refs/heads/main"} for c, a, d in commits]
    return doc


def test_plan_lists_every_occurrence_and_never_the_secret(repo: Path, leaky: dict, tmp_path: Path):
    report = tmp_path / "report.json"
    report.write_text(json.dumps(_history_like_report(repo, show_secrets=True)))
    proc = leakwarden("remediate", str(report), "--format", "json", cwd=repo)
    assert proc.returncode == 0, _out(proc)
    text = proc.stdout.decode()
    for secret in leaky.values():
        assert secret.splitlines()[0 if len(secret) < 200 else 1] not in text
    plan = json.loads(text)
    by_rule = {s["rule_id"]: s for s in plan["secrets"]}
    assert set(by_rule) == {"github-pat-classic", "github-installation-token", "github-fine-grained-pat",
                            "private-key-rsa", "private-key-openssh"}
    pat = by_rule["github-pat-classic"]
    assert {(o["path"], o["line"]) for o in pat["occurrences"]} == {("config.py", 1), ("deploy/ci.sh", 3)}
    assert {(p["path"], p["line"]) for p in pat["steps"][1]["locations"]} == {("config.py", 1), ("deploy/ci.sh", 3)}
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").stdout.decode().strip()
    assert pat["introduced"]["commit"] == first and pat["introduced"]["author"] == "Test User"
    assert [s["action"] for s in pat["steps"]] == ["create-new", "replace", "revoke", "rewrite-history"]
    assert pat["steps"][2]["method"] == "leakwarden-revoke" and pat["in_history"]
    assert "https://github.com/settings/tokens" == pat["steps"][0]["url"]
    assert "DELETE /installation/token" in by_rule["github-installation-token"]["steps"][2]["text"]
    assert "personal-access-tokens" in by_rule["github-fine-grained-pat"]["steps"][0]["url"]
    assert "public" in by_rule["private-key-openssh"]["steps"][2]["text"]
    assert plan["history_rewrite"]["needed"] and any("refs/pull" in c for c in plan["history_rewrite"]["caveats"])
    # every commit that holds the fine-grained token is listed
    side_commits = git(repo, "log", "--format=%H", "side", "--", "side.env").stdout.decode().split()
    assert {o["commit"] for o in by_rule["github-fine-grained-pat"]["occurrences"]} == set(side_commits)

    md = leakwarden("remediate", str(report), cwd=repo)
    assert md.returncode == 0
    text = md.stdout.decode()
    assert "# Remediation plan" in text and "deploy/ci.sh:3" in text and "config.py:1" in text
    assert "leakwarden revoke" in text and "Rotate first" in text and first[:12] in text
    assert leaky["pat"] not in text and leaky["ghs"] not in text


def test_github_app_key_and_provider_kinds(repo: Path, tmp_path: Path):
    key = make_key("rsa").replace("\n", "\\n")
    (repo / "app.env").write_text(f'GITHUB_APP_PRIVATE_KEY="{key}"\npassword = "Zq8vN3kLp2Rt7wXy"\n')  # leakwarden:allow
    report = tmp_path / "r.json"
    report.write_text(leakwarden("scan", ".", "--format", "json", cwd=repo).stdout.decode())
    plan = json.loads(leakwarden("remediate", str(report), "--format", "json", cwd=repo).stdout)
    by_rule = {s["rule_id"]: s for s in plan["secrets"]}
    app = by_rule["github-app-private-key"]
    assert "Never expires" in app["lifetime"] and "App's settings" in app["steps"][2]["text"]
    generic = by_rule["generic-quoted-assignment"]
    assert generic["kind"] == "provider" and generic["steps"][2]["method"] == "provider"
    assert not generic["in_history"] and not plan["history_rewrite"]["needed"]


def test_filter_repo_file_needs_the_secrets(repo: Path, leaky: dict, tmp_path: Path):
    report = tmp_path / "report.json"
    report.write_text(json.dumps(_history_like_report(repo, show_secrets=False)))
    proc = leakwarden("remediate", str(report), "--filter-repo-file", str(tmp_path / "expr.txt"), cwd=repo)
    assert proc.returncode == 2 and "--show-secrets" in _out(proc)
    assert not (tmp_path / "expr.txt").exists()
    assert leakwarden("remediate", cwd=repo).returncode == 2
    (tmp_path / "bad.json").write_text("[1, 2]")
    assert leakwarden("remediate", str(tmp_path / "bad.json"), cwd=repo).returncode == 2


def _check_filter_repo(repo: Path, expr: Path, secrets: dict, tmp_path: Path) -> None:
    assert stat.S_IMODE(expr.stat().st_mode) == 0o600
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-local", str(repo), str(clone))
    for branch in ("side",):
        git(clone, "branch", "-q", branch, f"origin/{branch}")
    before = git(clone, "log", "-p", "--all").stdout.decode()
    assert secrets["pat"] in before
    proc = subprocess.run(["git", "filter-repo", "--replace-text", str(expr), "--force"], cwd=clone,
                          capture_output=True, check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr.decode()
    after = git(clone, "log", "-p", "--all").stdout.decode()
    for name, secret in secrets.items():
        for line in secret.splitlines():
            if "PRIVATE KEY" not in line:        # the BEGIN/END markers are not secret
                assert line not in after, name
    assert "***REMOVED***" in after


@pytest.mark.skipif(shutil.which("git-filter-repo") is None, reason="git-filter-repo is not installed")
def test_filter_repo_expressions_remove_every_secret(repo: Path, leaky: dict, tmp_path: Path):
    report = tmp_path / "report.json"
    report.write_text(json.dumps(_history_like_report(repo, show_secrets=True)))
    expr = tmp_path / "expr.txt"
    expr.write_text("old")
    expr.chmod(0o644)
    proc = leakwarden("remediate", str(report), "--filter-repo-file", str(expr), "-o", str(tmp_path / "plan.md"),
                      cwd=repo)
    assert proc.returncode == 0 and "clear text" in _out(proc)
    assert str(expr) in (tmp_path / "plan.md").read_text()
    _check_filter_repo(repo, expr, leaky, tmp_path)


@pytest.mark.skipif(shutil.which("git-filter-repo") is None, reason="git-filter-repo is not installed")
def test_remediate_from_history(repo: Path, leaky: dict, tmp_path: Path):
    old = make_token("gho")
    commit_file(repo, "gone.txt", f"{old}\n")
    git(repo, "rm", "-q", "gone.txt")
    git(repo, "commit", "-q", "-m", "remove")
    expr = tmp_path / "expr.txt"
    proc = leakwarden("remediate", "--history", "--format", "json", "--filter-repo-file", str(expr), cwd=repo)
    assert proc.returncode == 0, _out(proc)
    plan = json.loads(proc.stdout)
    assert "github-oauth-token" in {s["rule_id"] for s in plan["secrets"]}
    assert old not in proc.stdout.decode()
    _check_filter_repo(repo, expr, {**leaky, "gho": old}, tmp_path)


def test_each_location_gets_advice_for_its_place(tmp_path):
    tok = make_token()
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(f"env:\n  TOKEN: {tok}\n")
    (tmp_path / "deploy.sh").write_text(f"git clone https://{tok}@github.com/acme/app.git\n")
    (tmp_path / "app.py").write_text(f"client = Github('{tok}')\n")
    report = tmp_path / "r.json"
    leakwarden("scan", "--no-ignore", "--show-secrets", "--format", "json", "-o", str(report), str(tmp_path))
    plan = json.loads(leakwarden("remediate", str(report), "--format", "json").stdout)
    (secret,) = plan["secrets"]
    locations = {Path(loc["path"]).name: loc for loc in secret["steps"][1]["locations"]}
    assert locations["ci.yml"]["context"] == "ci-workflow" and "GITHUB_TOKEN" in locations["ci.yml"]["advice"]
    assert locations["deploy.sh"]["context"] in ("url", "command-line")
    assert "credential helper" in locations["deploy.sh"]["advice"]
    assert locations["app.py"]["context"] == "source-code" and "environment" in locations["app.py"]["advice"]
    assert "leakwarden revoke --history --yes" in secret["steps"][2]["text"]
    markdown = leakwarden("remediate", str(report)).stdout.decode()
    assert "(ci-workflow):" in markdown and tok not in markdown


def _paired_credentials() -> dict[str, str]:
    """Ids and secrets in the formats their providers issue, generated now."""
    hexa, alnum, b64url = "0123456789abcdef", string.ascii_letters + string.digits, string.ascii_letters + string.digits + "_-"
    return {"sid": "AC" + rand_text(32, hexa), "auth_token": rand_text(32, hexa),
            "far_token": rand_text(32, hexa),
            "key_sid": "SK" + rand_text(32, hexa), "key_secret": rand_text(32, alnum),
            "google_id": f"{rand_text(12, string.digits)}-{rand_text(32, 'abcdefghijklmnopqrstuvwxyz0123456789')}"
                         ".apps.googleusercontent.com",
            "google_secret": "GOCSPX-" + rand_text(28, b64url),
            "client_id": rand_text(20, alnum), "client_secret": rand_text(30, alnum),
            "password": rand_text(20, alnum)}


def _write_paired(root: Path, c: dict[str, str]) -> None:
    (root / "settings.py").write_text(
        f'TWILIO_ACCOUNT_SID = "{c["sid"]}"\nTWILIO_AUTH_TOKEN = "{c["auth_token"]}"\n\n'
        f'TWILIO_API_KEY = "{c["key_sid"]}"\nTWILIO_API_SECRET = "{c["key_secret"]}"\n')
    # Google's downloaded client file: the id five lines above the secret.
    (root / "client_secret.json").write_text(json.dumps({"web": {
        "client_id": c["google_id"], "project_id": "demo", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_secret": c["google_secret"]}}, indent=2))
    # A generic client id and secret; a password next to them is not the client's.
    (root / "oauth.yml").write_text(f'oauth:\n  client_id: "{c["client_id"]}"\n  client_secret: "{c["client_secret"]}"\n'
                                    f'db:\n  password: "{c["password"]}"\n')
    # A SID far from a token is no pair.
    (root / "far.py").write_text(f'TWILIO_ACCOUNT_SID = "AC{rand_text(32, "0123456789abcdef")}"\n' + "\n" * 10
                                 + f'TWILIO_AUTH_TOKEN = "{c["far_token"]}"\n')


def _check_pairs(plan: dict, c: dict[str, str]) -> None:
    by_rule: dict[str, list[dict]] = {}
    for s in plan["secrets"]:
        by_rule.setdefault(s["rule_id"], []).append(s)

    def places(s: dict) -> set[tuple[str, int]]:
        return {(o["path"], o["line"]) for o in s["occurrences"]}

    twilio = {places(s) and min(places(s))[0]: s for s in by_rule["twilio-auth-token"]}
    assert [p["type"] for p in twilio["settings.py"]["parts"]] == ["Twilio Account SID"]
    assert places(twilio["settings.py"]) == {("settings.py", 1), ("settings.py", 2)}
    assert twilio["far.py"]["parts"] == []
    # The API key SID is also taken for a generic api_key: it is the same credential, not a plan of its own.
    (key,) = by_rule["twilio-api-key-secret"]
    assert [p["type"] for p in key["parts"]] == ["Twilio API key SID"]
    assert places(key) == {("settings.py", 4), ("settings.py", 5)}
    (google,) = by_rule["google-oauth-client-secret"]
    assert [p["type"] for p in google["parts"]] == ["Google OAuth client ID"]
    assert places(google) == {("client_secret.json", 3), ("client_secret.json", 8)}
    generic = {min(places(s))[0]: s for s in by_rule["generic-quoted-assignment"]}
    assert set(generic) == {"oauth.yml"} and len(by_rule["generic-quoted-assignment"]) == 2
    client, password = sorted(by_rule["generic-quoted-assignment"], key=lambda s: min(places(s)))
    assert [p["type"] for p in client["parts"]] == ["OAuth client ID"] and places(client) == {("oauth.yml", 2), ("oauth.yml", 3)}
    assert password["parts"] == [] and places(password) == {("oauth.yml", 5)}
    assert plan["summary"]["secrets"] == 6


def test_an_id_and_its_secret_are_one_plan_in_history(repo: Path, tmp_path: Path):
    creds = _paired_credentials()
    _write_paired(repo, creds)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "config")
    proc = leakwarden("remediate", "--history", "--format", "json", cwd=repo)
    assert proc.returncode == 0, _out(proc)
    assert_hidden(proc.stdout + proc.stderr, *creds.values())
    _check_pairs(json.loads(proc.stdout), creds)
    text = leakwarden("remediate", "--history", cwd=repo).stdout.decode()
    assert "Same credential as the Twilio Account SID `********` next to it" in text
    assert_hidden(text, *creds.values())


def test_an_id_and_its_secret_are_one_plan_from_a_scan_report(tmp_path: Path):
    creds = _paired_credentials()
    _write_paired(tmp_path, creds)
    scan = leakwarden("scan", ".", "--format", "json", cwd=tmp_path)
    assert scan.returncode == 1, _out(scan)
    (tmp_path / "report.json").write_bytes(scan.stdout)
    proc = leakwarden("remediate", "report.json", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, _out(proc)
    assert_hidden(proc.stdout + proc.stderr, *creds.values())
    _check_pairs(json.loads(proc.stdout), creds)


@pytest.mark.parametrize("pair", [
    '{ rule = "x" }', '{ name = "X id", rule = "x", regex = "(?P<id>x)" }', '{ name = "X id", regex = "x" }',
    '{ name = "X id", regex = "(?P<id>x)", lines = 0 }', '{ name = "X id", regex = "(?P<id>x" }', '{ name = "X id", colour = "red" }',
])
def test_a_malformed_pair_is_a_config_error(cli, tmp_path: Path, pair: str):
    pack = tmp_path / "mine.toml"
    pack.write_text(user_rule_toml().replace('url = "https://acme.invalid/keys"\n',
                                             f'url = "https://acme.invalid/keys"\npair = {pair}\n'))
    result = cli("rules", "check", str(pack))
    assert result.returncode == 2 and "key 'pair" in result.stderr.decode(), result.stderr.decode()


def test_a_pair_naming_no_rule_fails_the_check(cli, tmp_path: Path):
    pack = tmp_path / "mine.toml"
    pack.write_text(user_rule_toml().replace('url = "https://acme.invalid/keys"\n',
                                             'url = "https://acme.invalid/keys"\npair = { name = "Acme id", rule = "acme-id" }\n'))
    result = cli("rules", "check", str(pack))
    assert result.returncode == 1 and "acme-key: pair names rule 'acme-id', which does not exist" in result.stdout.decode()
