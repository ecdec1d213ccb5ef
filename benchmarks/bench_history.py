"""``leakwarden history`` over a >= 50k-commit repository vs ``git cat-file --batch-all-objects``."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from benchmarks import corpus
from benchmarks._util import Result, command_available, leakwarden_cmd, median, run

TARGET_RATIO = 1.5
TARGET_RSS_MB = 300.0


def _last_line(path: Path) -> str:
    from scanner.engine.text import printable

    lines = path.read_text("utf-8", "replace").strip().splitlines()
    return printable(lines[-1]) if lines else ""


def run_bench(quick: bool, log=print, repeat: int | None = None) -> Result:
    res = Result()
    if not command_available("history"):
        res.add("history", "leakwarden history", None, "", note="skipped: command not available")
        return res
    if quick and not corpus.history_cached():
        res.add("history", "leakwarden history", None, "",
                note="skipped in --quick: history repository not built yet (run the full suite once)")
        return res
    repo, info = corpus.history_repo(log)
    runs = repeat or (1 if quick else 3)
    floor = [run(["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"], cwd=repo, sample_rss=True)
             for _ in range(runs + 1)][1:]  # the first run warms the page cache for both
    with tempfile.TemporaryDirectory(prefix="lw-bench-history-") as tmp:
        out, err = Path(tmp) / "history.json", Path(tmp) / "stderr"
        lw = [run(leakwarden_cmd("history", "--format", "json", "-o", str(out)), cwd=repo, stderr=err,
                  sample_rss=True)
              for _ in range(runs)]
        failure = _last_line(err)
        findings = len(json.loads(out.read_text()).get("findings", [])) if out.exists() else 0
    commits = info["commits"]
    floor_wall = median(t.wall for t in floor)
    if any(t.rc not in (0, 1) for t in lw):
        res.add("history", f"leakwarden history ({commits} commits)", None, "", f"<= {TARGET_RATIO}x floor", False,
                note=f"failed: exit {lw[-1].rc}: {failure}")
        return res
    wall = median(t.wall for t in lw)
    own = max(t.own_rss_mb or 0 for t in lw)
    tree = max(t.tree_rss_mb or 0 for t in lw)
    anon = max(t.tree_anon_mb or 0 for t in lw)
    res.add("history", f"git cat-file --batch-all-objects floor ({commits} commits)", floor_wall, "s",
            note=f"peak RSS {max(t.tree_rss_mb or 0 for t in floor):.0f} MB; {info['count_objects'].get('size-pack')} KiB pack")
    res.add("history", "leakwarden history", wall, "s", note=f"{median(t.cpu for t in lw):.1f} s CPU, "
            f"{findings} findings, {commits / wall:.0f} commits/s")
    res.add("history", "history time / cat-file floor", wall / floor_wall, "x", f"<= {TARGET_RATIO}x",
            wall / floor_wall <= TARGET_RATIO)
    res.add("history", "history peak RSS, whole process tree", tree, "MB", f"<= {TARGET_RSS_MB:.0f} MB",
            tree <= TARGET_RSS_MB, note=f"sum over Python and its git children, sampled from /proc every 20 ms; "
                                         f"of which anonymous (not mapped pack files) {anon:.0f} MB")
    res.add("history", "history peak RSS, the Python process", own, "MB", f"<= {TARGET_RSS_MB:.0f} MB",
            own <= TARGET_RSS_MB, note="VmHWM; the floor's git cat-file alone peaks at "
                                       f"{max(t.tree_rss_mb or 0 for t in floor):.0f} MB, "
                                       f"{max(t.tree_anon_mb or 0 for t in floor):.0f} MB of it anonymous")
    res.details = {"repo": str(repo), **info}
    return res
