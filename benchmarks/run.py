"""Run the leakwarden benchmarks and print a results table (Markdown).

    python benchmarks/run.py [--quick] [--only NAME[,NAME]] [--repeat N] [--json OUT]

Inputs are built from real code on this machine and cached in ~/.cache/leakwarden-bench/
(see benchmarks/corpus.py). Exit status: 0 when every benchmark ran (whether or not it met
its target), 1 when one crashed.
"""
from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._util import Result, machine  # noqa: E402

BENCHMARKS = ("startup", "scan", "archives", "history", "history_git", "staged", "pre_receive", "org")


def _log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def _value(v: float | None, unit: str) -> str:
    if v is None:
        return "-"
    if unit in ("findings",):
        return f"{v:.0f}"
    return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"


def table(results: dict[str, Result]) -> str:
    lines = ["| benchmark | metric | value | target | result | notes |", "|---|---|---|---|---|---|"]
    for name, res in results.items():
        for r in res.rows:
            verdict = "" if r.passed is None else ("pass" if r.passed else "**FAIL**")
            value = f"{_value(r.value, r.unit)} {r.unit}".strip()
            lines.append(f"| {name} | {r.metric} | {value} | {r.target} | {verdict} | {r.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="leakwarden benchmarks (see benchmarks/README.md)")
    p.add_argument("--quick", action="store_true", help="fewer repetitions and a smaller detect-secrets subset")
    p.add_argument("--only", metavar="NAME", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    p.add_argument("--repeat", type=int, metavar="N", help="repetitions of each timed command (overrides the mode)")
    p.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    args = p.parse_args(argv)
    names = BENCHMARKS
    if args.only:
        names = tuple(n.strip().replace("-", "_") for n in args.only.split(","))
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            p.error(f"unknown benchmark(s): {', '.join(unknown)}")

    results: dict[str, Result] = {}
    crashed = False
    started = time.perf_counter()
    load_start = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    for name in names:
        _log(f"running {name} ...")
        t0 = time.perf_counter()
        module = importlib.import_module(f"benchmarks.bench_{name}")
        try:
            results[name] = module.run_bench(args.quick, log=_log, repeat=args.repeat)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            crashed = True
            traceback.print_exc()
            res = Result()
            res.add(name, "crashed", None, "", note=f"{type(exc).__name__}: {exc}")
            results[name] = res
        _log(f"{name} done in {time.perf_counter() - t0:.1f} s")

    info = machine()
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"leakwarden benchmarks, {'quick' if args.quick else 'full'} mode, {stamp}")
    print(f"machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}; {info['git']}; "
          f"detect-secrets {info['detect_secrets']}; leakwarden at {info['leakwarden_commit']}; "
          f"load average at start {load_start:.2f}, at end {info['loadavg_1min']:.2f}")
    print(f"total benchmark time: {time.perf_counter() - started:.0f} s\n")
    print(table(results))
    startup = results.get("startup")
    if startup and startup.details.get("importtime_top_ms"):
        print("\nslowest imports of `leakwarden scan FILE` (python -X importtime, cumulative ms):")
        for mod, ms in startup.details["importtime_top_ms"]:
            print(f"  {ms:7.1f}  {mod}")
    if args.json:
        Path(args.json).write_text(json.dumps({"mode": "quick" if args.quick else "full", "date": stamp,
                                               "machine": info,
                                               "results": {k: v.to_json() for k, v in results.items()}},
                                              indent=2))
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
