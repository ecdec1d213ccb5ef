"""Where a ``leakwarden staged`` run's own CPU goes, step by step (imports, rules, engine, git).

    python benchmarks/staged_phases.py REPO [--repeat N] [--checkout PATH]

REPO is a work tree with something staged. Each of N fresh interpreters (``-P``, bytecode
cached as the benchmark runs it) times the steps of the hook in order with
``time.process_time`` (CPU of the process itself: git's children and the interpreter's own
start are not included); the minimum and the median over the runs are printed, in ms. A step
that imports a module pays for whatever that module imports first. ``--checkout`` measures
another checkout (one from before ``sources.staged.Index`` included), without writing its
bytecode: compile it first (``python -m compileall -q CHECKOUT/scanner``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._util import PY, ROOT, SAFE_PATH  # noqa: E402

# Runs in the measured interpreter: prints [[step, ms], ...] as JSON.
_PROBE = r'''
import time, sys, io, contextlib
clock = time.process_time
marks, t0 = [], clock()
def mark(name):
    marks.append((name, clock()))
import argparse; mark("import argparse")
import scanner.cli as cli; mark("import scanner.cli")
import dataclasses; mark("import dataclasses")
import typing; mark("import typing")
import scanner.finding; mark("import scanner.finding")
import scanner.commands.staged; mark("import scanner.commands.staged")
args = cli.build_parser(["staged"]).parse_args(["staged"]); mark("argparse: build the parser, parse")
import subprocess; mark("import subprocess")
import scanner.git; mark("import scanner.git")
from scanner.sources import staged; mark("import scanner.sources.staged")
import hyperscan; mark("import hyperscan")
from scanner.engine import factory; mark("import scanner.engine.factory")
from pathlib import Path
from scanner.commands._common import apply_baseline, load_config, summarize
cfg = load_config(args, Path(".").resolve()); mark("load the configuration")
rules = factory.active_rules(cfg); mark("the rules (from the cache)")
from scanner.engine.allow import AllowPolicy
from scanner.engine.core import Engine
engine = Engine(rules, min_confidence=cfg.min_confidence, allow=AllowPolicy(cfg.allow_regexes, dict(cfg.allowlist)),
                scan_binary=cfg.scan_binary, file_budget=cfg.file_time_budget); mark("Engine(): prefilter, file rules")
from scanner.policy.threshold import HOOK_DEFAULT; mark("import scanner.policy.threshold")
if hasattr(staged, "Index"):
    index = staged.Index(Path("."))
    report = staged.scan(Path("."), engine, cfg, index)
    top = index.result()[0].top
else:
    report, top = staged.scan(Path("."), engine, cfg), None
mark("scan the index (git, the engine)")
apply_baseline(args, cfg, report, Path(".").resolve(), **({"top": top} if top else {})); mark("baseline")
with contextlib.redirect_stderr(io.StringIO()):
    summarize(report)
mark("summary line")
out, prev = [], t0
for name, t in marks:
    out.append((name, (t - prev) * 1000))
    prev = t
out.append(("total", (prev - t0) * 1000))
import json; print(json.dumps(out))
'''


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("repo", help="a work tree with a staged change")
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--checkout", default=str(ROOT), help="the leakwarden checkout to measure (default: this one)")
    args = p.parse_args()
    env = {**os.environ, "PYTHONPATH": args.checkout, "NO_COLOR": "1"}
    if Path(args.checkout).resolve() == ROOT:
        env.pop("PYTHONDONTWRITEBYTECODE", None)   # bytecode cached, as users run it
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"       # someone else's checkout: compile it first (compileall)
    runs = []
    for _ in range(args.repeat + 1):   # the first run warms the caches and writes bytecode
        proc = subprocess.run([PY, *SAFE_PATH, "-c", _PROBE], cwd=args.repo, env=env, capture_output=True, text=True,
                              check=True, stdin=subprocess.DEVNULL)
        runs.append(json.loads(proc.stdout))
    runs = runs[1:]
    print(f"{'min':>7} {'median':>7}  step (ms of the process's own CPU, {args.repeat} runs)")
    for i, (name, _) in enumerate(runs[0]):
        values = [r[i][1] for r in runs]
        print(f"{min(values):7.2f} {statistics.median(values):7.2f}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
