"""``leakwarden staged``: a one-line change in a large repository (the pre-commit hook path)."""
from __future__ import annotations

import subprocess

from benchmarks import corpus
from benchmarks._util import Result, command_available, leakwarden_cmd, median, repeated

TARGET_MS = 150.0


def _pick_file(work) -> str:
    """A fixed, ordinary Python file of the checkout (5-50 KB), the same on every run."""
    names = subprocess.run(["git", "ls-files", "-z", "--", "*.py"], cwd=work, capture_output=True,
                           check=True).stdout.split(b"\0")
    for name in sorted(n.decode("utf-8", "surrogateescape") for n in names if n):
        if 5_000 <= (work / name).stat().st_size <= 50_000:
            return name
    raise RuntimeError("no suitable file in the checkout")


def run_bench(quick: bool, log=print, repeat: int | None = None) -> Result:
    res = Result()
    if not command_available("staged"):
        res.add("staged", "leakwarden staged", None, "", note="skipped: command not available")
        return res
    if quick and not corpus.history_cached():
        res.add("staged", "leakwarden staged", None, "",
                note="skipped in --quick: history repository not built yet (run the full suite once)")
        return res
    repo, info = corpus.history_repo(log)
    work = corpus.worktree_of(repo, log)
    n = repeat or (10 if quick else 21)
    files = int(subprocess.run(["git", "ls-files", "-z"], cwd=work, capture_output=True,
                               check=True).stdout.count(b"\0"))
    name = _pick_file(work)
    try:
        with open(work / name, "a", encoding="utf-8") as fh:
            fh.write("BENCH_TIMEOUT_SECONDS = 30\n")
        subprocess.run(["git", "add", "--", name], cwd=work, check=True)
        floor = repeated(["git", "diff", "--cached", "-U0"], n, cwd=work)
        timings = repeated(leakwarden_cmd("staged"), n, cwd=work)
    finally:
        subprocess.run(["git", "reset", "-q", "--hard", "HEAD"], cwd=work, check=True)
    ms = median(t.wall for t in timings) * 1000
    floor_ms = median(t.wall for t in floor) * 1000
    if any(t.rc != 0 for t in timings):
        res.add("staged", "leakwarden staged, one-line change", ms, "ms", f"< {TARGET_MS:.0f} ms", False,
                note=f"unexpected exit {timings[-1].rc} on a clean change")
        return res
    res.add("staged", f"git diff --cached floor ({files} files tracked)", floor_ms, "ms", note=f"median of {n}")
    res.add("staged", "leakwarden staged, one-line change", ms, "ms", f"< {TARGET_MS:.0f} ms", ms < TARGET_MS,
            note=f"{ms / floor_ms:.1f}x the floor; CPU {median(t.cpu for t in timings) * 1000:.0f} ms; "
                 f"{info['commits']} commits of history")
    return res
