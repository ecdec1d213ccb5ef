"""The CI recipes work as written: action.yml's run steps are real commands (the step is run on
a real repository), every command and YAML block in docs/ci.md parses, and the README's
pre-commit snippet becomes a pinned commit with `pre-commit autoupdate --freeze`."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, git, make_token
from test_precommit_framework import hook_repo, pre_commit  # noqa: F401 - a session fixture, reused
from test_sarif_schema import validate_sarif

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def _parses(argv: list[str]) -> None:
    """The real parser accepts it (argparse exits 2 on an unknown command or option)."""
    from scanner.cli import build_parser

    build_parser(argv).parse_args(argv)


def test_action_is_a_composite_whose_steps_run(repo):
    assert ACTION["runs"]["using"] == "composite" and ACTION["name"] == "leakwarden"
    steps = ACTION["runs"]["steps"]
    install = next(s for s in steps if s.get("name") == "Install leakwarden")
    assert install["env"]["LW_ACTION_PATH"] == "${{ github.action_path }}" and "pip install" in install["run"]
    run = next(s for s in steps if s.get("id") == "run")
    defaults = {name: spec["default"] for name, spec in ACTION["inputs"].items()}
    env = {var: re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: defaults[m.group(1)], value)
           for var, value in run["env"].items()}
    assert env["LW_COMMAND"] == "history" and env["LW_FORMAT"] == "sarif"
    line = next(ln for ln in run["run"].splitlines() if ln.strip().startswith("leakwarden "))
    words = shlex.split(re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), m.group(0)), line.replace('"', "")))
    _parses(words[1:])
    # The step itself, as the runner would run it, on a repository with a leaked token.
    (repo / "a.env").write_text(f"TOKEN={make_token()}\n")
    git(repo, "add", "a.env")
    git(repo, "commit", "-q", "-m", "leak")
    outputs = repo.parent / "github_output"
    bin_dir = str(Path(sys.executable).parent)
    for fail, code in (("true", 1), ("false", 0)):
        proc = subprocess.run(["bash", "-c", run["run"]], cwd=repo, capture_output=True, stdin=subprocess.DEVNULL,
                              env={**os.environ, **env, "LW_FAIL": fail, "GITHUB_OUTPUT": str(outputs),
                                   "PATH": bin_dir + os.pathsep + os.environ["PATH"], "PYTHONPATH": str(ROOT)},
                              check=False)
        assert proc.returncode == code, proc.stderr
    assert outputs.read_text().splitlines() == ["exit-code=1", "exit-code=1"]
    doc = validate_sarif((repo / "leakwarden.sarif").read_bytes())
    assert len(doc["runs"][0]["results"]) == 1


def _code_blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"```(\w*)\n(.*?)```", text, re.S)


def test_every_command_and_yaml_block_in_docs_ci_is_real():
    text = (ROOT / "docs" / "ci.md").read_text()
    blocks = _code_blocks(text)
    yamls = [body for lang, body in blocks if lang == "yaml"]
    assert len(yamls) >= 3
    commands = []
    for body in yamls:
        doc = yaml.safe_load(body)
        assert isinstance(doc, dict)
        commands += re.findall(r"leakwarden ((?:history|scan|pre-receive|install)[^\"|]*)", json.dumps(doc))
    for lang, body in blocks:
        if lang == "sh":
            commands += [ln.split("leakwarden ", 1)[1] for ln in body.splitlines()
                         if ln.startswith("leakwarden ")]
    commands += re.findall(r"`leakwarden ([^`]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    assert len(commands) >= 6
    for command in commands:
        _parses(shlex.split(command.split("||")[0]))
    workflow = yaml.safe_load(yamls[0])
    uses = [s.get("uses", "") for s in workflow["jobs"]["secrets"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(u.startswith("OWNER/leakwarden@") for u in uses)
    with_ = next(s["with"] for s in workflow["jobs"]["secrets"]["steps"] if s.get("uses", "").startswith("OWNER/"))
    assert set(with_) <= set(ACTION["inputs"])


def test_readme_snippet_pins_a_commit_with_autoupdate_freeze(tmp_path, hook_repo):  # noqa: F811
    copy, rev, home = hook_repo
    readme = (ROOT / "README.md").read_text()
    snippet = next(body for lang, body in _code_blocks(readme) if lang == "yaml" and "leakwarden-push" in body)
    branch = git(copy, "symbolic-ref", "--short", "HEAD").stdout.decode().strip()
    config = yaml.safe_load(snippet)
    config["repos"][0]["repo"], config["repos"][0]["rev"] = str(copy), branch   # "put any existing ref"
    git(tmp_path, "init", "-q")
    (tmp_path / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    proc = pre_commit(tmp_path, home, "autoupdate", "--freeze")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pinned = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())["repos"][0]["rev"]
    assert pinned == rev
    assert pre_commit(tmp_path, home, "validate-config", ".pre-commit-config.yaml").returncode == 0
    hook_ids = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert {h["id"] for h in config["repos"][0]["hooks"]} <= hook_ids


@pytest.mark.parametrize("name", ["ci.md"])
def test_server_docs_link_the_ci_recipes(name):
    assert f"]({name})" in (ROOT / "docs" / "server.md").read_text()
