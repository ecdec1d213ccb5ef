"""Shared fixtures: real git repositories in temporary directories, generated secrets, the real CLI.

Secrets are generated at test time (valid checksums, plausible key bodies); none is committed.
"""
from __future__ import annotations

import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The test extra's commands (detect-secrets, git-filter-repo, gitleaks) live beside this Python:
# `venv/bin/python -m pytest` finds them without the venv being activated.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
sys.path.insert(0, str(ROOT))

from scanner.rules.templates import expand  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _isolated_git(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read the developer's git config, and always have an identity and a cache of their own."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Test User\n\temail = test@example.invalid\n"
                         "[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n")
    os.environ["GIT_CONFIG_GLOBAL"] = str(gitconfig)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    os.environ["LEAKWARDEN_CACHE"] = str(tmp_path_factory.mktemp("lw-cache"))
    os.environ.pop("NO_COLOR", None)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        os.environ.pop(var, None)


_seed = {"test": "", "n": 0}


@pytest.fixture(autouse=True)
def _seed_per_test(request: pytest.FixtureRequest) -> None:
    """Generated secrets depend on the test, not on which worker ran what before it, so a
    value that trips a filter fails the same test every time."""
    _seed["test"], _seed["n"] = request.node.nodeid, 0


def _next_seed(kind: str) -> str:
    _seed["n"] += 1
    return f"{_seed['test']}/{kind}/{_seed['n']}"


def make_token(kind: str = "ghp", valid: bool = True) -> str:
    """A fresh GitHub token each call; kind is ghp/gho/ghu/ghs/ghr/github_pat/ghs_jwt."""
    name = "github" if valid else "github-invalid"
    return expand(f"{{{{{name}:{kind}}}}}", _next_seed(kind))


def make_key(fmt: str = "rsa") -> str:
    return expand(f"{{{{key:{fmt}}}}}", _next_seed(f"key-{fmt}"))


def rng() -> random.Random:
    """A random source seeded by the current test: for values that must look random but repeat."""
    return random.Random(_next_seed("rng"))


def rand_text(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    r = rng()
    return "".join(r.choice(alphabet) for _ in range(n))


def rand_bytes(n: int) -> bytes:
    return rng().randbytes(n)


def revealing_part(secret: str) -> str:
    """What of a secret must never be shown: its body past any public prefix (a key: a body line)."""
    return secret.splitlines()[3] if secret.startswith("-----") else secret[-20:]


def assert_hidden(output: str | bytes, *secrets: str) -> None:
    """No secret is revealed in an output, a file or a cache entry."""
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    for secret in secrets:
        assert revealing_part(secret) not in text, "a secret leaked into the output"


def user_rule_toml(rule_id: str = "acme-key", *, length: int = 20, example_secret: str | None = None,
                   negative: str = "acme_") -> str:
    """A user rule pack with one rule for secrets like acme_<length lower-case letters and digits>."""
    example_secret = example_secret or f"acme_{{{{rand:{length}:lower}}}}"
    return f'''
[[rules]]
id = "{rule_id}"
name = "Acme API key"
type = "Acme API key"
description = "Acme's API key."
regex = \'\'\'(?P<secret>acme_[a-z0-9]{{{length}}})\'\'\'
keywords = ["acme_"]
severity = "high"
confidence = "high"
remediation = "Rotate it in the Acme console."
url = "https://acme.invalid/keys"
examples = [{{ text = "key={{{{secret}}}}", secret = "{example_secret}" }}]
negative_examples = ["{negative}"]
'''


@pytest.fixture
def token():
    return make_token


def stdin_of(input: bytes | None) -> dict:
    """An explicit stdin for a child: the given bytes, else /dev/null. An inherited stdin could
    be a hook's ref-update stream, which no child may consume."""
    return {"input": input} if input is not None else {"stdin": subprocess.DEVNULL}


def git(cwd: Path, *args: str, check: bool = True, env: dict | None = None, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, check=check, capture_output=True,
                          env={**os.environ, **(env or {})}, **stdin_of(input))


def commit_file(repo: Path, name: str, content: str | bytes, message: str = "change") -> str:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    git(repo, "add", "--", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").stdout.decode().strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    return path


def leakwarden(*args: str, cwd: Path | None = None, input: bytes | None = None,
               env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real CLI of this checkout in a child process."""
    return subprocess.run([sys.executable, "-m", "scanner", *args], cwd=cwd, capture_output=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, **stdin_of(input))


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    """Where a test keeps what a person should look at after the run (a browser screenshot):
    ``$LEAKWARDEN_TEST_ARTEFACTS`` when set (CI sets it, so they outlive the run), else the
    test's own temporary directory."""
    where = os.environ.get("LEAKWARDEN_TEST_ARTEFACTS")
    if not where:
        return tmp_path
    path = Path(where)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def cli():
    return leakwarden


@pytest.fixture
def fake_github():
    """A running fake GitHub API on 127.0.0.1; the test fails if any request broke GitHub's rules."""
    from fake_github import FakeGitHub

    server = FakeGitHub()
    yield server
    server.close()
    assert server.problems == []
