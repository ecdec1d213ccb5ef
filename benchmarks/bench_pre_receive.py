"""``leakwarden pre-receive`` run the way git runs it: cwd = the bare repository, ``old new ref``
on stdin, the pushed objects already present and the ref still at its old value.

No quarantine directory is involved (the objects are in the main store), so this measures the
hook's own work: resolving the new commits, diffing them, scanning what they add.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks import corpus
from benchmarks._util import Result, bench_env, command_available, leakwarden_cmd, median, run

TARGET_ONE_MS = 250.0
TARGET_BUDGET_S = 4.0
REF = "refs/heads/main"


def _bare_clone(repo: Path, log) -> Path:
    dest = repo.parent / "server.git"
    if not (dest / "bench-complete").exists():
        shutil.rmtree(dest, ignore_errors=True)
        log(f"cloning {repo} into {dest} (bare, objects hard-linked) ...")
        subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(dest)], check=True)
        (dest / "bench-complete").write_text("")
    return dest


def _git(server: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=server, capture_output=True, text=True, check=True).stdout.strip()


def _push(server: Path, tip: str, commits: int, runs: int, tmp: Path) -> tuple[list, list, str]:
    """Time the hook for a push of the last ``commits`` commits (ref moved back first)."""
    old = _git(server, "rev-parse", f"{tip}~{commits}")
    _git(server, "update-ref", REF, old)
    stdin = tmp / f"stdin-{commits}"
    stdin.write_text(f"{old} {tip} {REF}\n")
    err = tmp / f"stderr-{commits}"
    env = bench_env(GIT_DIR=".")  # what receive-pack sets for its hooks
    try:
        floor = [run(["git", "log", "-p", "--format=%H", f"{old}..{tip}"], cwd=server, env=env)
                 for _ in range(runs + 1)][1:]
        hook = [run(leakwarden_cmd("pre-receive"), cwd=server, stdin=stdin, stderr=err, env=env)
                for _ in range(runs + 1)][1:]
    finally:
        _git(server, "update-ref", REF, tip)
    return hook, floor, err.read_text("utf-8", "replace")


def run_bench(quick: bool, log=print, repeat: int | None = None) -> Result:
    res = Result()
    if not command_available("pre-receive"):
        res.add("pre-receive", "leakwarden pre-receive", None, "", note="skipped: command not available")
        return res
    if quick and not corpus.history_cached():
        res.add("pre-receive", "leakwarden pre-receive", None, "",
                note="skipped in --quick: history repository not built yet (run the full suite once)")
        return res
    repo, _info = corpus.history_repo(log)
    server = _bare_clone(repo, log)
    tip = _git(server, "rev-parse", REF)
    tmp = Path(tempfile.mkdtemp(prefix="lw-bench-prerecv-"))
    try:
        for commits, runs, target, limit in ((1, repeat or (5 if quick else 15), f"< {TARGET_ONE_MS:.0f} ms", TARGET_ONE_MS / 1000),
                                             (1000, repeat or (1 if quick else 3), f"< {TARGET_BUDGET_S:.0f} s budget",
                                              TARGET_BUDGET_S)):
            hook, floor, stderr = _push(server, tip, commits, runs, tmp)
            wall = median(t.wall for t in hook)
            floor_wall = median(t.wall for t in floor)
            timed_out = "time budget" in stderr
            bad = [t.rc for t in hook if t.rc not in (0, 1)]
            note = f"{wall / floor_wall:.1f}x `git log -p` ({floor_wall * 1000:.0f} ms); exit {hook[-1].rc}"
            if timed_out:
                note += "; the hook reported its time budget ran out"
            elif bad:
                note += "; the hook did not finish its scan"
            res.add("pre-receive", f"{commits}-commit push", wall * 1000, "ms", target,
                    wall < limit and not timed_out and not bad, note=note)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res
