"""History on a long-lived file: hundreds of versions, packed with deep deltas as a real clone
is. Blobs are read in pack order, not walk order, and judged at their paths afterwards: every
secret must still be found at its path with the commit that introduced it."""
from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from conftest import git, leakwarden, make_token

VERSIONS = 300


def _fast_import(repo: Path, commits: list[tuple[str, dict[str, str | None]]]) -> None:
    """Each commit: (message, {path: new content, or None to delete}), one second apart."""
    out = []
    for n, (message, files) in enumerate(commits):
        msg = message.encode()
        out.append(b"commit refs/heads/main\nmark :%d\n" % (n + 1))
        out.append(b"committer Dev <dev@example.invalid> %d +0000\n" % (1_700_000_000 + n))
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        for path, content in files.items():
            if content is None:
                out.append(b"D %s\n" % path.encode())
            else:
                data = content.encode()
                out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(out), check=True)


@pytest.fixture
def long_lived(repo: Path) -> tuple[Path, dict[str, tuple[str, int]]]:
    """src/engine.c in VERSIONS versions (a few lines changed each time), plus three secrets:
    one added in a late version, one on a line that later versions keep changing, one cut
    from a file and pasted into another (then that file renamed). Returns, per secret, its
    introducing path and commit number."""
    rng = random.Random(7)
    late, changing, moved = make_token(), make_token(), make_token()
    lines = [f"static int f{i}(int x) {{ return x * {i}; }}\n" for i in range(600)]
    commits: list[tuple[str, dict[str, str | None]]] = []
    helper = "def helper():\n    return 1\n"
    for v in range(VERSIONS):
        for _ in range(3):
            i = rng.randrange(10, len(lines))
            if "TOKEN" not in lines[i]:   # the late secret's line stays once added
                lines[i] = f"static int f{i}(int x) {{ return x + {rng.randrange(10**6)}; }}\n"
        files: dict[str, str | None] = {}
        if v == 40:
            lines[5] = f'static const char *key = "{changing}"; /* v{v} */\n'
        elif v > 40 and v % 10 == 0:
            lines[5] = f'static const char *key = "{changing}"; /* v{v} */\n'   # the line changes, the secret stays
        if v == 250:
            lines.insert(300, f'#define DEPLOY_TOKEN "{late}"\n')
        if v == 100:
            files["tools/old.py"] = helper + f"TOKEN = '{moved}'\n"
        if v == 180:
            files["tools/old.py"] = helper                                 # cut from old.py ...
            files["tools/new.py"] = f"TOKEN = '{moved}'\n" + helper        # ... pasted into new.py
        if v == 200:
            files["tools/new.py"] = None                                   # then new.py renamed
            files["tools/renamed.py"] = f"TOKEN = '{moved}'\n" + helper
        files["src/engine.c"] = "".join(lines)
        commits.append((f"version {v}", files))
    _fast_import(repo, commits)
    git(repo, "repack", "-adf", "-q", "--window=50", "--depth=50")   # deep deltas, as a clone has
    return repo, {late: ("src/engine.c", 250), changing: ("src/engine.c", 40), moved: ("tools/old.py", 100)}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_secrets_in_a_long_lived_file_keep_their_path_and_introducing_commit(long_lived, jobs: str) -> None:
    repo, expected = long_lived
    numbers = {git(repo, "rev-parse", f"main~{VERSIONS - 1 - n}").stdout.decode().strip(): n for n in range(VERSIONS)}
    proc = leakwarden("history", "-j", jobs, "--format", "json", "--show-secrets", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    found = {f["secret"]: f for f in json.loads(proc.stdout)["findings"]}
    assert set(found) == set(expected)
    for secret, (path, number) in expected.items():
        f = found[secret]
        assert (f["path"], numbers[f["commit"]]) == (path, number), secret
    # The secret on the changing line: every version of the file that holds it is a place.
    changing = next(s for s, (_, n) in expected.items() if n == 40)
    assert len({o["blob"] for o in found[changing]["occurrences"]}) == VERSIONS - 40
    moved = next(s for s, (_, n) in expected.items() if n == 100)
    assert {o["path"] for o in found[moved]["occurrences"]} == {"tools/old.py", "tools/new.py", "tools/renamed.py"}
    assert {(o["path"], numbers[o["commit"]]) for o in found[moved]["occurrences"]} >= {
        ("tools/new.py", 180), ("tools/renamed.py", 200)}
