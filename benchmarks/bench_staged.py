"""``leakwarden staged``: a one-line change in a large repository (the pre-commit hook path).

The repository is a checkout of git/git when the benchmark has it (``corpus.real_repo``), else
the synthetic history's checkout. Beside the git floor, the floor of any Python hook that
loads hyperscan: an interpreter that imports hyperscan and exits. The hook is reported as a
ratio to that floor, by wall time and by CPU time (CPU moves less when other work shares
the machine).

``LEAKWARDEN_BENCH_COMPARE=/path/to/another/checkout`` adds that checkout's ``staged`` to the
same interleaved rounds (a before/after in one run; compile its bytecode first, with
``python -m compileall -q CHECKOUT/scanner``, since it is run without writing any)."""
from __future__ import annotations

import os
import subprocess

from benchmarks import corpus
from benchmarks._util import PY, SAFE_PATH, Result, bench_env, command_available, leakwarden_cmd, median, run

TARGET_MS = 70.0


def _pick_file(work) -> str:
    """A fixed, ordinary source file of the checkout (5-50 KB), the same on every run."""
    for pattern in ("*.py", "*.c"):
        names = subprocess.run(["git", "ls-files", "-z", "--", pattern], cwd=work, capture_output=True,
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
    compare = os.environ.get("LEAKWARDEN_BENCH_COMPARE", "")
    real = corpus.real_repo(log) if not quick or corpus.real_repo_cached() else None
    repo, info = real if real is not None else corpus.history_repo(log)
    where = "git/git" if real is not None else "the synthetic history"
    work = corpus.worktree_of(repo, log)
    n = repeat or (10 if quick else 21)
    files = int(subprocess.run(["git", "ls-files", "-z"], cwd=work, capture_output=True,
                               check=True).stdout.count(b"\0"))
    name = _pick_file(work)
    try:
        with open(work / name, "a", encoding="utf-8") as fh:
            fh.write("BENCH_TIMEOUT_SECONDS = 30\n")
        subprocess.run(["git", "add", "--", name], cwd=work, check=True)
        # Interleaved, after one warm-up each: load on the machine weighs on all three alike.
        cmds = {"floor": ["git", "diff", "--cached", "-U0"], "python": [PY, *SAFE_PATH, "-c", "import hyperscan"],
                "staged": leakwarden_cmd("staged")}
        envs = {"compare": bench_env(PYTHONPATH=compare, PYTHONDONTWRITEBYTECODE="1")} if compare else {}
        if compare:
            cmds["compare"] = leakwarden_cmd("staged")
        got: dict[str, list] = {k: [] for k in cmds}
        for i in range(n + 1):
            for key, cmd in cmds.items():
                t = run(cmd, cwd=work, env=envs.get(key))
                if i:
                    got[key].append(t)
        floor, python, timings = got["floor"], got["python"], got["staged"]
    finally:
        subprocess.run(["git", "reset", "-q", "--hard", "HEAD"], cwd=work, check=True)
    ms = median(t.wall for t in timings) * 1000
    floor_ms = median(t.wall for t in floor) * 1000
    if any(t.rc != 0 for t in timings):
        res.add("staged", "leakwarden staged, one-line change", ms, "ms", f"< {TARGET_MS:.0f} ms", False,
                note=f"unexpected exit {timings[-1].rc} on a clean change")
        return res
    py_ms = median(t.wall for t in python) * 1000
    cpu_ms, py_cpu_ms = median(t.cpu for t in timings) * 1000, median(t.cpu for t in python) * 1000
    res.add("staged", f"git diff --cached floor ({where}, {files} files tracked)", floor_ms, "ms",
            note=f"median of {n}")
    res.add("staged", "python -c 'import hyperscan' (a Python hook's floor)", py_ms, "ms",
            note=f"CPU {py_cpu_ms:.0f} ms")
    res.add("staged", f"leakwarden staged, one-line change ({where})", ms, "ms", f"<= {TARGET_MS:.0f} ms",
            ms <= TARGET_MS,
            note=f"{ms - py_ms:+.0f} ms over the Python floor; CPU {cpu_ms:.0f} ms; "
                 f"{info['commits']} commits of history; {name}")
    res.add("staged", "leakwarden staged / Python floor", ms / py_ms, "x",
            note=f"wall; by CPU time {cpu_ms / py_cpu_ms:.2f}x")
    if compare:
        other = got["compare"]
        other_ms, other_cpu = median(t.wall for t in other) * 1000, median(t.cpu for t in other) * 1000
        res.add("staged", f"the same, checkout {compare}", other_ms, "ms",
                note=f"{other_ms / py_ms:.2f}x the Python floor (by CPU {other_cpu / py_cpu_ms:.2f}x); CPU {other_cpu:.0f} ms"
                     + ("" if all(t.rc == 0 for t in other) else f"; exit {other[-1].rc}"))
    return res
