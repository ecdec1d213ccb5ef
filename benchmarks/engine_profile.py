"""Where the engine's time goes on the real-code corpus: prefilter vs the later stages, and
which rules' keywords fire most often (each hit costs a window, a regex run and Python work).

    python benchmarks/engine_profile.py [--cprofile]

CPU time (``time.process_time``), so other load on the machine matters less. Prints counts
and rule ids only, never matched text.
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import corpus  # noqa: E402
from benchmarks._util import ROOT  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cprofile", action="store_true", help="also print the top functions of Engine.scan_text")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    from scanner.config import load
    from scanner.engine.core import _windows
    from scanner.engine.factory import build_engine
    from scanner.engine.text import prepare

    engine = build_engine(load(None))
    texts = []
    for dirpath, _dirs, names in os.walk(corpus.tree().path):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as fh:
                prepared = prepare(fh.read())
            if not prepared.binary:
                texts.append(prepared.data)
    mb = sum(map(len, texts)) / 1e6

    hits: collections.Counter[str] = collections.Counter()
    t0 = time.process_time()
    for data in texts:
        by_rule, _decode_at = engine.prefilter.hits(data)
        for ridx, found in by_rule.items():
            hits[engine.content_rules[ridx].id] += len(found)
    prefilter = time.process_time() - t0

    t0 = time.process_time()
    windows = 0
    for data in texts:
        by_rule, _ = engine.prefilter.hits(data)
        for ridx, found in by_rule.items():
            windows += len(_windows(data, engine.content_rules[ridx], found))
    window_cpu = time.process_time() - t0 - prefilter

    t0 = time.process_time()
    for data in texts:
        engine.scan_text(data, "x")
    total = time.process_time() - t0

    print(f"text: {len(texts)} files, {mb:.0f} MB")
    print(f"prefilter only (hyperscan):   {prefilter:6.2f} s CPU  {mb / prefilter:7.0f} MB/s")
    print(f"windows (after merging):      {windows} (computing them: {window_cpu:.2f} s)")
    print(f"whole Engine.scan_text:       {total:6.2f} s CPU  {mb / total:7.0f} MB/s")
    print(f"share after the prefilter:    {(total - prefilter) / total:.0%}")
    print(f"keyword hits: {sum(hits.values())}; by rule:")
    for rule_id, n in hits.most_common(15):
        print(f"  {n:8d}  {rule_id}")
    if args.cprofile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for data in texts:
            engine.scan_text(data, "x")
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
