"""``leakwarden history`` on a real history (a clone of git/git) against the cat-file floor,
and where the CPU goes.

Real projects are unlike the synthetic history repository: long-lived files with hundreds of
versions, deep trees, many merges. The input is a ``git clone --bare --no-local`` of the
git/git snapshot at ``corpus.GIT_MIRROR``; without it the benchmark is skipped, never failed.

Floor and history runs alternate (floor, history, floor, history, ...) so that other load on
the machine weighs on both alike. Where the CPU goes is sampled from /proc while history runs
(each git process by its subcommand, the main Python process, the workers); the engine's
share is measured by running it alone over every blob (``process_time`` in a process of its
own, blobs already read). The workers' and main process's CPU beyond the engine is Python
overhead: reading pipes, parsing the walk, hand-offs.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import corpus
from benchmarks._util import Result, bench_env, command_available, leakwarden_cmd, median, run

TARGET_RATIO = 1.5
TARGET_RSS_MB = 300.0
FLOOR = ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"]


def run_bench(quick: bool, log=print, repeat: int | None = None) -> Result:
    res = Result()
    if not command_available("history"):
        res.add("history_git", "leakwarden history on git/git", None, "", note="skipped: command not available")
        return res
    if quick and not corpus.real_repo_cached():
        res.add("history_git", "leakwarden history on git/git", None, "",
                note="skipped in --quick: git/git not cloned yet (run the full suite once)")
        return res
    got = corpus.real_repo(log)
    if got is None:
        res.add("history_git", "leakwarden history on git/git", None, "",
                note=f"skipped: no git/git snapshot at {corpus.GIT_MIRROR} (set LEAKWARDEN_BENCH_GIT_MIRROR)")
        return res
    repo, info = got
    runs = repeat or (1 if quick else 3)
    if os.environ.get("LEAKWARDEN_BENCH_STATE_ONLY"):
        # Only the re-audit (minutes less: no floor, no full history, no engine alone).
        reaudit(repo, res, runs, log)
        return res
    load = [os.getloadavg()[0]]
    run(FLOOR, cwd=repo)   # warm the page cache for both
    floor, lw = [], []
    with tempfile.TemporaryDirectory(prefix="lw-bench-history-git-") as tmp:
        out, err = Path(tmp) / "history.json", Path(tmp) / "stderr"
        for _ in range(runs):
            floor.append(run(FLOOR, cwd=repo, sample_rss=True))
            lw.append(run(leakwarden_cmd("history", "--format", "json", "-o", str(out)), cwd=repo, stderr=err,
                          sample_rss=True))
            load.append(os.getloadavg()[0])
        report = json.loads(out.read_text()) if out.exists() else {}
        failure = err.read_text("utf-8", "replace").strip().splitlines()[-1:] if err.exists() else []
    what = (f"{info['commits']} commits on {info['refs']} refs, {info['blobs']} blobs, "
            f"{info['blob_bytes'] / 1e9:.2f} GB of blob content, {info['count_objects'].get('size-pack')} KiB pack")
    if any(t.rc not in (0, 1) for t in lw):
        res.add("history_git", "leakwarden history on git/git", None, "", f"<= {TARGET_RATIO}x floor", False,
                note=f"failed: exit {lw[-1].rc}: {' '.join(failure)}")
        return res
    floor_wall, wall = median(t.wall for t in floor), median(t.wall for t in lw)
    floor_cpu, cpu = median(t.cpu for t in floor), median(t.cpu for t in lw)
    ratios = sorted(h.wall / f.wall for f, h in zip(floor, lw, strict=True))
    tree = max(t.tree_rss_mb or 0 for t in lw)
    loads = f"load average {min(load):.1f}-{max(load):.1f}"
    res.add("history_git", "git cat-file --batch-all-objects floor (git/git)", floor_wall, "s",
            note=f"{what}; CPU {floor_cpu:.1f} s; peak RSS {max(t.tree_rss_mb or 0 for t in floor):.0f} MB")
    res.add("history_git", "leakwarden history (git/git)", wall, "s",
            note=f"CPU {cpu:.1f} s (whole process tree); {len(report.get('findings', []))} findings; "
                 f"{report.get('stats', {}).get('objects', 0)} objects scanned")
    res.add("history_git", "history time / cat-file floor (git/git)", wall / floor_wall, "x", f"<= {TARGET_RATIO}x",
            wall / floor_wall <= TARGET_RATIO,
            note=f"{runs} interleaved pairs, pairwise {ratios[0]:.2f}-{ratios[-1]:.2f}x; CPU ratio "
                 f"{cpu / floor_cpu:.2f}x; {loads}")
    pss = max(t.tree_pss_mb or 0 for t in lw)
    at_peak = ", ".join(f"{kind} {mb:.0f}" for kind, mb in sorted(lw[-1].rss_by_process.items(), key=lambda kv: -kv[1]))
    res.add("history_git", "history peak memory, whole process tree, PSS (git/git)", pss, "MB",
            f"<= {TARGET_RSS_MB:.0f} MB", pss <= TARGET_RSS_MB,
            note="sum of proportional set sizes sampled from /proc every 20 ms: a page shared by n processes "
                 "(a forked worker's inherited pages, a pack index mapped by several git processes) counts once")
    res.add("history_git", "history peak RSS summed over the tree (git/git)", tree, "MB",
            note=f"counts shared pages once per process; at the peak (MB): {at_peak}; the Python process alone "
                 f"peaks at {max(t.own_rss_mb or 0 for t in lw):.0f} MB")
    # Where the CPU goes, from /proc as history ran (the last run): each kind of process, and
    # the engine alone over the same blobs, timed in a process of its own.
    parts = lw[-1].cpu_by_process
    for kind, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        res.add("history_git", f"CPU: {kind}", seconds, "s", note=f"{seconds / max(sum(parts.values()), 1e-9):.0%}"
                f" of the sampled {sum(parts.values()):.1f} s")
    if not quick:
        engine = engine_alone(repo, log)
        if engine is not None:
            python = parts.get("main process", 0.0) + parts.get("worker processes", 0.0)
            res.add("history_git", "CPU: the engine alone, every blob (of which the hyperscan prefilter)", engine[1],
                    "s", note=f"prefilter {engine[0]:.1f} s; {info['blob_bytes'] / 1e6 / engine[1]:.0f} MB per "
                              f"CPU-second; in a process of its own, blobs already read")
            res.add("history_git", "CPU: Python overhead (main and workers, minus the engine)", python - engine[1],
                    "s", note="reading pipes, parsing the walk, hand-offs between processes, start-up")
    if not quick:
        reaudit(repo, res, runs, log)
    res.details = {"repo": str(repo), **info, "cpu_by_process": parts}
    return res


NEW_COMMITS = 100


def reaudit(repo: Path, res: Result, runs: int, log=print) -> None:
    """``history --state`` after about NEW_COMMITS new commits: a repository that borrows
    git/git's objects (alternates) with one branch, audited at an older commit of master,
    then moved to master. Every re-audit starts from the same state file."""
    tip = subprocess.run(["git", "rev-parse", "master"], cwd=repo, capture_output=True, text=True,
                         check=True).stdout.strip()
    back = 1
    while int(subprocess.run(["git", "rev-list", "--count", f"{tip}~{back}..{tip}"], cwd=repo, capture_output=True,
                             text=True, check=True).stdout) < NEW_COMMITS:
        back += 1
    base = f"{tip}~{back}"
    new = int(subprocess.run(["git", "rev-list", "--count", f"{base}..{tip}"], cwd=repo, capture_output=True,
                             text=True, check=True).stdout)
    with tempfile.TemporaryDirectory(prefix="lw-bench-reaudit-") as tmp:
        clone = Path(tmp) / "repo.git"
        subprocess.run(["git", "init", "-q", "--bare", str(clone)], check=True)
        (clone / "objects" / "info" / "alternates").write_text(str(repo / "objects") + "\n")
        subprocess.run(["git", "symbolic-ref", "HEAD", "refs/heads/master"], cwd=clone, check=True)
        state, saved = Path(tmp) / "state.json", Path(tmp) / "state.first.json"
        cmd = leakwarden_cmd("history", "--state", str(state), "--format", "json", "-o", str(Path(tmp) / "out.json"))
        subprocess.run(["git", "update-ref", "refs/heads/master", base], cwd=clone, check=True)
        log(f"history_git: first audit with --state at master~{back} ...")
        first = run(cmd, cwd=clone)
        shutil.copyfile(state, saved)
        subprocess.run(["git", "update-ref", "refs/heads/master", tip], cwd=clone, check=True)
        again = []
        for _ in range(runs + 1):
            shutil.copyfile(saved, state)
            again.append(run(cmd, cwd=clone))
        again = again[1:]   # the first warms the page cache
        objects = json.loads((Path(tmp) / "out.json").read_text()).get("stats", {}).get("objects", 0)
    wall = median(t.wall for t in again)
    res.add("history_git", f"history --state: re-audit after {new} new commits (git/git master)", wall, "s", "< 1 s",
            wall < 1.0, note=f"CPU {median(t.cpu for t in again):.2f} s; {objects} objects scanned; the first "
                             f"audit at master~{back} took {first.wall:.1f} s; median of {runs}")


def engine_alone(repo: Path, log=print) -> tuple[float, float] | None:
    """(prefilter, whole engine) CPU seconds of Engine.scan over every blob, read in pack order."""
    log("history_git: the engine alone over every blob ...")
    proc = subprocess.run([sys.executable, "-P", "-c", _ENGINE_ONLY, str(repo)], check=False, env=bench_env(),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        log(f"history_git: engine timing failed: {proc.stderr.strip().splitlines()[-1:]}")
        return None
    prefilter, total = map(float, proc.stdout.split())
    return prefilter, total


# Every blob through Engine.scan in one process; prints CPU seconds of the prefilter and of the
# whole engine (this process only: cat-file's CPU is measured above).
_ENGINE_ONLY = """
import sys, time
from scanner import git
from scanner.config import load
from scanner.engine.factory import build_engine
engine = build_engine(load(None))
hits, spent = engine.prefilter.hits, [0.0]
def timed(data):
    t = time.process_time()
    try:
        return hits(data)
    finally:
        spent[0] += time.process_time() - t
engine.prefilter.hits = timed
import tempfile
with tempfile.NamedTemporaryFile() as listing:
    oids = list(git.blobs_in_pack_order(listing, sys.argv[1]))
reader = git.ObjectReader(sys.argv[1])
total = 0.0
for i in range(0, len(oids), 4096):
    for _, _, _, data in reader.read(oids[i:i + 4096]):
        t = time.process_time()
        engine.scan(data, "blob")
        total += time.process_time() - t
reader.close()
print(spent[0], total)
"""


if __name__ == "__main__":
    started = time.perf_counter()
    print(json.dumps(run_bench("--quick" in sys.argv).to_json(), indent=2))
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
