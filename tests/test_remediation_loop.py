"""The whole remediation loop on a real repository: audit -> plan (remediate --history
--filter-repo-file) -> the plan's own filter-repo command in a fresh mirror clone -> audit again,
which finds nothing. Secrets sit in a file, a commit message, a tag message and a .env file, and
an AWS key id with its secret on the next line is one credential with one plan."""
from __future__ import annotations

import json
import os
import random
import shlex
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import assert_hidden, git, leakwarden, make_token


def _aws_pair() -> tuple[str, str]:
    r = random.Random(os.environ.get("PYTEST_CURRENT_TEST", ""))
    key_id = "AKIA" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    return key_id, "".join(r.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


@pytest.mark.skipif(shutil.which("git-filter-repo") is None and not
                    (Path(sys.executable).parent / "git-filter-repo").exists(), reason="git-filter-repo is not installed")
def test_plan_then_filter_repo_leaves_nothing(repo: Path, tmp_path: Path):
    in_file, in_message, in_tag, in_env = make_token(), make_token(), make_token(), make_token()
    key_id, key_secret = _aws_pair()
    (repo / "app").mkdir()
    (repo / "app" / "config.py").write_text(f"TOKEN = '{in_file}'\nAWS_ACCESS_KEY_ID = '{key_id}'\n"
                                            f"AWS_SECRET_ACCESS_KEY = '{key_secret}'\n")
    (repo / "README").write_text("hello\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"config\n\nused {in_message} for the demo")
    (repo / ".env").write_text(f"DB_PASSWORD=Xk9mQ2vLp8zRt4wB\nGITHUB_TOKEN={in_env}\n")  # leakwarden:allow
    git(repo, "add", ".env")
    git(repo, "commit", "-q", "-m", "env")
    git(repo, "tag", "-a", "v1", "-m", f"release, token {in_tag}")
    secrets = (in_file, in_message, in_tag, in_env, key_secret)

    audit = leakwarden("history", "--format", "json", cwd=repo)
    assert audit.returncode == 1
    assert {f["rule_id"] for f in json.loads(audit.stdout)["findings"]} >= {
        "github-pat-classic", "aws-access-key-id", "aws-secret-access-key", "dotenv-file"}

    expressions = tmp_path / "expressions.txt"
    made = leakwarden("remediate", "--history", "--format", "json", "--filter-repo-file", str(expressions), cwd=repo)
    assert made.returncode == 0, made.stderr
    assert_hidden(made.stdout + made.stderr, *secrets)
    plan = json.loads(made.stdout)
    aws = [s for s in plan["secrets"] if s["rule_id"].startswith("aws-")]
    assert len(aws) == 1 and aws[0]["rule_id"] == "aws-secret-access-key"
    assert [p["rule_id"] for p in aws[0]["parts"]] == ["aws-access-key-id"]
    assert {(o["path"], o["line"]) for o in aws[0]["occurrences"]} == {("app/config.py", 2), ("app/config.py", 3)}
    create, _, revoke, _ = aws[0]["steps"]
    assert "delete" not in create["text"].lower() and "delete" in revoke["text"].lower()
    assert all(o.get("ref") for s in plan["secrets"] for o in s["occurrences"] if o.get("commit"))
    rewrite = plan["history_rewrite"]
    assert rewrite["needed"] and "--replace-message" in rewrite["command"]
    assert "--invert-paths --path .env" in rewrite["command"]
    assert any(step.startswith("git remote add origin") for step in rewrite["after"])

    clone = tmp_path / "clone.git"
    git(tmp_path, "clone", "-q", "--mirror", str(repo), str(clone))
    argv = shlex.split(rewrite["command"])
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    done = subprocess.run(argv, cwd=clone, capture_output=True, check=False, stdin=subprocess.DEVNULL, env=env)
    assert done.returncode == 0, done.stderr.decode()

    again = leakwarden("history", "--format", "json", cwd=clone)
    assert again.returncode == 0, again.stdout.decode()
    assert json.loads(again.stdout)["findings"] == []
    everything = git(clone, "log", "-p", "--all", "--format=%B").stdout + git(clone, "cat-file", "-p", "v1").stdout
    for secret in secrets:
        assert secret.encode() not in everything
    assert b"***REMOVED***" in everything

    md = leakwarden("remediate", "--history", cwd=repo).stdout.decode()
    assert "git remote add origin" in md and "one plan for both" in md and "refs/tags/v1" in md
