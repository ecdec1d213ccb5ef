"""What a person at a terminal meets: the summary line of every run, colour switches, shell
completion, 'did you mean', a closed pipe, and `init`."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, git, leakwarden, make_token
from test_reports import _run_on_pty


def _dir_with_token(tmp_path: Path) -> Path:
    (tmp_path / "a.env").write_text(f"TOKEN={make_token()}\n")
    return tmp_path


def test_every_run_ends_with_a_summary_line(tmp_path, repo):
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "ok.txt").write_text("nothing\n")
    clean = leakwarden("scan", str(tmp_path / "clean"))
    assert clean.returncode == 0 and clean.stdout == b""
    last = clean.stderr.decode().splitlines()[-1]
    assert last.startswith("leakwarden: scanned 1 file, 0.0 MB in ") and "0 findings (0 blocking, 0 warnings, 0 in baseline)" in last
    dirty = leakwarden("scan", "--format", "json", str(_dir_with_token(tmp_path / "clean")))
    assert dirty.returncode == 1 and "1 finding (1 blocking" in dirty.stderr.decode().splitlines()[-1]
    (repo / "f.txt").write_text("hello\n")
    git(repo, "add", "f.txt")
    git(repo, "commit", "-q", "-m", "one")
    hist = leakwarden("history", cwd=repo)
    assert hist.returncode == 0
    assert "scanned 2 objects, 0.0 MB in" in hist.stderr.decode() and "0 findings" in hist.stderr.decode()
    (repo / "g.txt").write_text("still nothing\n")
    git(repo, "add", "g.txt")
    staged = leakwarden("staged", cwd=repo)
    assert staged.returncode == 0 and staged.stderr.decode().startswith("leakwarden: scanned 1 file, 0.0 MB in ")


BIG = 300_000   # bytes: the summary says 0.3 MB
_SUMMARY = re.compile(r"leakwarden: scanned (?:1 commit, )?(?P<what>1 file|\d+ objects), 0\.3 MB in \d+\.\d\d s: "
                      r"(?P<found>.*); 0 skipped")


def _big_file(root: Path) -> str:
    """A file of BIG bytes with one token in it."""
    head = f"TOKEN={make_token()}\n"
    filler = "# nothing to see here, just a long file\n"
    body = head + filler * ((BIG - len(head)) // len(filler))
    body += "#" * (BIG - len(body) - 1) + "\n"
    (root / "big.txt").write_text(body)
    return body


def _committed(repo: Path) -> str:
    _big_file(repo)
    git(repo, "add", "big.txt")
    git(repo, "commit", "-q", "-m", "big")
    return git(repo, "rev-parse", "HEAD").stdout.decode().strip()


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "html"])
@pytest.mark.parametrize("command", ["scan", "staged", "pre-push", "history", "org-audit"])
def test_the_summary_says_what_was_scanned_in_every_command_and_format(tmp_path, repo, command, fmt):
    """Last on stderr, whatever the format: units, MB, time, findings and skips; a hook's advice
    comes before it."""
    if command == "org-audit":
        pytest.importorskip("distributed")
    out = ["--format", fmt, "-o", str(tmp_path / f"report.{fmt}")]
    stdin = None
    if command == "scan":
        _big_file(repo)
        args = ["scan", ".", *out]
    elif command == "staged":
        _big_file(repo)
        git(repo, "add", "big.txt")
        args = ["staged", *out]
    elif command == "pre-push":
        head = _committed(repo)
        args, stdin = ["pre-push", "origin", "unused-url", *out], f"refs/heads/main {head} refs/heads/main {'0' * 40}\n"
    elif command == "history":
        _committed(repo)
        args = ["history", *out]
    else:
        _committed(repo)
        args = ["org-audit", "--workers", "1", "--cache", str(tmp_path / "cache"), str(repo), *out]
    run = leakwarden(*args, cwd=repo, input=stdin.encode() if stdin else None)
    assert run.returncode == 1, run.stderr.decode()
    last = run.stderr.decode().splitlines()[-1]
    m = _SUMMARY.fullmatch(last)
    assert m, last
    assert m["found"] == "1 finding (1 blocking, 0 warnings, 0 in baseline)"
    assert m["what"] == ("1 file" if command in ("scan", "staged", "pre-push") else m["what"])
    assert (tmp_path / f"report.{fmt}").stat().st_size > 0


def test_baseline_and_remediate_end_with_a_summary(tmp_path, repo):
    _committed(repo)
    made = leakwarden("baseline", "create", "--from-history", ".", cwd=repo)
    assert made.returncode == 0, made.stderr.decode()
    assert _SUMMARY.fullmatch(made.stderr.decode().splitlines()[-1])["found"] == \
        "0 findings (0 blocking, 0 warnings, 1 in baseline)"
    updated = leakwarden("baseline", "update", "big.txt", cwd=repo)
    assert _SUMMARY.fullmatch(updated.stderr.decode().splitlines()[-1])["what"] == "1 file"
    (repo / ".leakwarden-baseline.json").unlink()
    plan = leakwarden("remediate", "--history", cwd=repo)
    assert plan.returncode == 0, plan.stderr.decode()
    assert _SUMMARY.fullmatch(plan.stderr.decode().splitlines()[-1])["found"].startswith("1 finding")
    report = tmp_path / "r.json"
    leakwarden("history", "--format", "json", "-o", str(report), cwd=repo)
    from_report = leakwarden("remediate", str(report), cwd=repo)
    last = from_report.stderr.decode().splitlines()[-1]
    assert re.fullmatch(rf"leakwarden: read {re.escape(str(report))} \(0\.0 MB\) in \d+\.\d\d s: 1 secret in the plan",
                        last), last


@pytest.mark.parametrize(("args", "env", "on_pty", "coloured"), [
    (["--color", "always"], {}, False, True),
    (["--color", "never"], {}, True, False),
    ([], {"FORCE_COLOR": "1"}, False, True),
    ([], {"FORCE_COLOR": "0"}, False, False),
    ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
    ([], {"TERM": "dumb"}, True, False),
    ([], {"TERM": "xterm"}, True, True),
    (["--no-color"], {}, True, False),
])
def test_colour_switches(tmp_path, args, env, on_pty, coloured):
    cmd = ["scan", "--no-ignore", *args, str(_dir_with_token(tmp_path))]
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    if on_pty:
        out = _run_on_pty(cmd, env)
    else:
        out = subprocess.run([sys.executable, "-m", "scanner", *cmd], capture_output=True, stdin=subprocess.DEVNULL,
                             env={**base, "PYTHONPATH": str(ROOT), **env}, check=False).stdout
    assert (b"\x1b[" in out) is coloured


def _complete(line: list[str]) -> list[str]:
    script = leakwarden("completion", "bash").stdout.decode()
    words = " ".join(f"'{w}'" for w in line)
    probe = f'{script}\nCOMP_WORDS=({words}); COMP_CWORD={len(line) - 1}; _leakwarden; printf "%s\\n" "${{COMPREPLY[@]}}"'
    out = subprocess.run(["bash", "-c", probe], capture_output=True, check=True, stdin=subprocess.DEVNULL)
    return out.stdout.decode().split()


def test_bash_completion_offers_commands_and_their_options():
    from scanner.cli import COMMANDS

    assert _complete(["leakwarden", "hist"]) == ["history"]
    assert set(_complete(["leakwarden", ""])) >= set(COMMANDS)
    assert "--filter-repo-file" in _complete(["leakwarden", "remediate", "--fil"])
    assert _complete(["leakwarden", "completion", "f"]) == ["fish"]
    for shell in ("zsh", "fish"):
        out = leakwarden("completion", shell)
        assert out.returncode == 0 and b"history" in out.stdout


def test_unknown_command_suggests_the_nearest():
    out = leakwarden("histroy")
    assert out.returncode == 2
    assert out.stderr.decode().strip() == "leakwarden: error: unknown command 'histroy'; did you mean 'history'?"
    other = leakwarden("xyzzy")
    assert other.returncode == 2 and other.stderr.startswith(b"leakwarden: error: unknown command 'xyzzy'")


def test_a_reader_that_stops_early_is_not_an_error(repo):
    # Enough findings that the report is far larger than a pipe's buffer.
    (repo / "many.txt").write_text("".join(f"t{i} = '{make_token()}'\n" for i in range(400)))
    git(repo, "add", "many.txt")
    git(repo, "commit", "-q", "-m", "many")
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "history"], cwd=repo, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()
    proc.stdout.close()   # what `| head -1` does
    err = proc.stderr.read()
    assert proc.wait() == 141, err
    assert b"internal error" not in err and b"Traceback" not in err and b"Exception" not in err


def test_init_writes_a_config_the_loader_accepts_and_prints_the_snippet(tmp_path):
    from scanner import config

    out = leakwarden("init", "--repo", str(tmp_path))
    assert out.returncode == 0, out.stderr
    written = tmp_path / ".leakwarden.toml"
    loaded = config.load(written)
    assert loaded.min_confidence == config.Config().min_confidence
    # Every commented key, uncommented, is a key the loader accepts with the value shown.
    lines = [ln[2:] for ln in written.read_text().splitlines() if ln.startswith("# ") and " = " in ln]
    assert len(lines) >= 8
    (tmp_path / "all.toml").write_text("\n".join(lines) + "\n")
    assert config.load(tmp_path / "all.toml").fail_on == "high"
    snippet = yaml.safe_load(out.stdout)
    hook_ids = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert {h["id"] for h in snippet["repos"][0]["hooks"]} <= hook_ids
    again = leakwarden("init", "--repo", str(tmp_path))
    assert again.returncode == 2 and b"--force" in again.stderr


def test_progress_counts_objects_and_fits_a_terminal_of_zero_columns(repo):
    import fcntl
    import pty
    import re
    import struct
    import termios

    for n in range(4):
        (repo / f"f{n}.txt").write_text(f"file {n}\n" * 50)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"c{n}")
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 0, 0, 0))   # 24 rows, 0 columns
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "history", "--progress"], cwd=repo,
                            stdout=subprocess.DEVNULL, stderr=child, stdin=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait() == 0
    os.close(main)
    frames = [f for f in seen.decode().replace("\r", "\n").splitlines() if f.startswith("history:")]
    assert frames and all(f.rstrip().endswith("]") for f in frames), frames   # never cut short
    assert all("object" in f for f in frames)
    percents = [int(m.group(1)) for f in frames for m in [re.search(r"(\d+)%", f)] if m]
    assert percents[-1] == 100 and all(p < 100 for p in percents[:-1]), percents
