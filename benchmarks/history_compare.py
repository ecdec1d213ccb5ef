"""``leakwarden history`` of several checkouts against the cat-file floor, interleaved.

    python benchmarks/history_compare.py REPO [--rounds N] CHECKOUT [CHECKOUT ...]

Each round runs the floor (``git cat-file --batch-all-objects --batch --unordered``) and then
``history --format json`` of each checkout (``-P``, the checkout first on ``PYTHONPATH``) in
REPO, so that load on a shared machine weighs on all alike. Printed per run: wall and CPU
(whole tree, from ``wait4``), each as a ratio to the floor of the same round, peak PSS and RSS
of the tree and the Python process's own peak (sampled from /proc), CPU and RSS at the tree's
peak by kind of process. The JSON reports are left in ``--out`` (one per checkout, from the
last round), to compare the findings.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._util import PY, bench_env, run  # noqa: E402

FLOOR = ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("checkouts", nargs="+")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--out", default=".", help="folder for the JSON reports and stderr of each checkout")
    args = ap.parse_args()
    out = Path(args.out)
    run(FLOOR, cwd=args.repo)   # warm the page cache
    for r in range(args.rounds):
        floor = run(FLOOR, cwd=args.repo, sample_rss=True)
        print(f"round {r}: floor wall {floor.wall:.1f} s, CPU {floor.cpu:.1f} s, load {os.getloadavg()[0]:.1f}",
              flush=True)
        for checkout in args.checkouts:
            name = Path(checkout).resolve().name
            report = out / f"history-{name}.json"
            t = run([PY, "-P", "-m", "scanner", "history", "--format", "json", "-o", str(report)], cwd=args.repo,
                    env=bench_env(PYTHONPATH=str(Path(checkout).resolve())), stderr=out / f"history-{name}.err",
                    sample_rss=True)
            doc = json.loads(report.read_text()) if report.exists() else {}
            print(f"  {name}: exit {t.rc}, wall {t.wall:.1f} s ({t.wall / floor.wall:.2f}x), CPU {t.cpu:.1f} s "
                  f"({t.cpu / floor.cpu:.2f}x), PSS {t.tree_pss_mb:.0f} MB, RSS sum {t.tree_rss_mb:.0f} MB, "
                  f"own {t.own_rss_mb:.0f} MB, {len(doc.get('findings', []))} findings, "
                  f"{doc.get('stats', {}).get('objects')} objects, load {os.getloadavg()[0]:.1f}", flush=True)
            print("    CPU s:", {k: round(v, 1) for k, v in sorted(t.cpu_by_process.items(), key=lambda kv: -kv[1])})
            print("    RSS MB at the peak:",
                  {k: round(v) for k, v in sorted(t.rss_by_process.items(), key=lambda kv: -kv[1])}, flush=True)


if __name__ == "__main__":
    main()
