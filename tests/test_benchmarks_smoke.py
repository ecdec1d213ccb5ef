"""The benchmark scripts still run (no timing assertions: numbers belong in benchmarks/README.md)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_startup_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    env = {**os.environ, "LEAKWARDEN_BENCH_CACHE": str(tmp_path / "bench-cache")}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--only", "startup",
                           "--repeat", "1",
                           "--json", str(out)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "| startup |" in proc.stdout
    rows = json.loads(out.read_text())["results"]["startup"]["rows"]
    metrics = {r["metric"]: r for r in rows}
    scan = metrics["leakwarden scan FILE (in a git repo, warm cache)"]
    assert scan["value"] > 0 and scan["unit"] == "ms" and scan["passed"] in (True, False)
    assert all(r["value"] is not None for r in rows), rows
    assert (tmp_path / "bench-cache" / "small").is_dir()  # inputs went to the cache it was given


def test_archives_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    env = {**os.environ, "LEAKWARDEN_BENCH_CACHE": str(tmp_path / "bench-cache")}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--only", "archives",
                           "--repeat", "1", "--json", str(out)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "| archives |" in proc.stdout
    rows = {r["metric"]: r for r in json.loads(out.read_text())["results"]["archives"]["rows"]}
    ratio = rows["CLI: wheel time / unpacked time (wall)"]
    assert ratio["value"] > 0 and ratio["unit"] == "x" and ratio["passed"] in (True, False)
    assert all(r["value"] is not None for r in rows.values()), rows
    # The same findings inside the wheel as unpacked: nothing was left out.
    [wheel] = [r for m, r in rows.items() if "as a wheel" in m]
    assert "not fully scanned: nothing" in wheel["note"]
