"""Scanning inside archives vs the same files unpacked: a wheel of a large installed package.

The wheel is built here from the package's installed files (what ``pip wheel`` would pack:
every file, deflated), so it needs nothing from the network. The target is on what a user
runs, ``leakwarden scan`` on the wheel vs on the unpacked directory. The engine alone on bytes
already in memory (``Engine.scan`` per file, and once on the wheel) is measured too, with
zipfile's own inflate time: the floor under any scan inside a deflated archive.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from benchmarks._util import ROOT, Result, leakwarden_cmd, median, run

MB = 1_000_000
TARGET_RATIO = 2.0
# Large pure-Python (mostly text) packages that a leakwarden test environment has; the first
# one installed is used. mypy ships its typeshed stubs (thousands of text files) besides its
# compiled modules; pip is in every virtual environment.
PACKAGES = ("mypy", "pip")
QUICK_PACKAGES = ("pip",)


def _package(names: tuple[str, ...]) -> tuple[str, Path]:
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            return name, Path(next(iter(spec.submodule_search_locations)))
    raise RuntimeError(f"none of {', '.join(names)} is installed")


def _files(folder: Path) -> list[tuple[str, bytes]]:
    out = []
    for dirpath, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            path = Path(dirpath, name)
            out.append((path.relative_to(folder.parent).as_posix(), path.read_bytes()))
    return out


def _wheel(files: list[tuple[str, bytes]], path: Path) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            zf.writestr(name, data)
    return path.read_bytes()


def _timed(fn, runs: int) -> tuple[float, float, object]:
    """(median wall seconds, median CPU seconds, the last result), after one warm-up."""
    result = fn()
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return median(walls), median(cpus), result


def run_bench(quick: bool, log=print, repeat: int | None = None) -> Result:
    with tempfile.TemporaryDirectory(prefix="lw-bench-archives-") as tmp:
        return _measure(quick, log, repeat, Path(tmp))


def _measure(quick: bool, log, repeat: int | None, tmp: Path) -> Result:
    sys.path.insert(0, str(ROOT))
    from scanner.config import Config
    from scanner.engine.factory import build_engine

    res = Result()
    name, folder = _package(QUICK_PACKAGES if quick else PACKAGES)
    files = _files(folder)
    wheel_path = tmp / f"{name}-0-py3-none-any.whl"
    wheel = _wheel(files, wheel_path)
    size = sum(len(d) for _, d in files)
    log(f"archives: {name}, {len(files)} files, {size / MB:.1f} MB, wheel {len(wheel) / MB:.1f} MB")
    engine = build_engine(Config())
    runs = repeat or (1 if quick else 5)

    def unpacked():
        return [f for path, data in files for f in engine.scan(data, path).findings]

    def packed():
        return engine.scan(wheel, wheel_path.name)

    def inflate():   # the floor of any scan inside the wheel: zipfile decompressing every member
        with zipfile.ZipFile(wheel_path) as zf:
            for info in zf.infolist():
                zf.read(info)

    plain_wall, plain_cpu, plain_found = _timed(unpacked, runs)
    zip_wall, zip_cpu, zipped = _timed(packed, runs)
    _, inflate_cpu, _ = _timed(inflate, runs)
    res.add("archives", f"{name}: {len(files)} files unpacked ({size / MB:.1f} MB), engine in-process",
            size / MB / plain_wall, "MB/s", note=f"{plain_wall:.3f} s wall, {plain_cpu:.3f} s CPU")
    res.add("archives", f"{name}: the same files as a wheel ({len(wheel) / MB:.1f} MB deflated), in-process",
            size / MB / zip_wall, "MB/s", note=f"{zip_wall:.3f} s wall, {zip_cpu:.3f} s CPU; findings "
                                              f"{len(zipped.findings)} (unpacked {len(plain_found)}); not fully "
                                              f"scanned: {zipped.skipped or 'nothing'}")
    res.add("archives", "in-process: wheel CPU / unpacked CPU", zip_cpu / plain_cpu, "x",
            note=f"of which zipfile inflating every member alone: {inflate_cpu:.3f} s CPU = "
                 f"{inflate_cpu / plain_cpu:.2f}x the unpacked scan (the engine scans code faster than zlib inflates it)")

    # What a user runs: `leakwarden scan` on the unpacked directory (read from disk, on every core
    # when there are 512 files or more) and on the wheel (one file, one process), start-up included.
    folder_copy = tmp / "unpacked"
    with zipfile.ZipFile(wheel_path) as zf:
        zf.extractall(folder_copy)   # the benchmark's own archive, just built: no hostile names
    dir_cmd = leakwarden_cmd("scan", "--no-ignore", "--format", "json", "-o", str(tmp / "d.json"), str(folder_copy))
    whl_cmd = leakwarden_cmd("scan", "--format", "json", "-o", str(tmp / "w.json"), str(wheel_path))
    run(dir_cmd, cwd=tmp)
    run(whl_cmd, cwd=tmp)   # warm-ups
    cli_dir, cli_whl = [], []
    for _ in range(max(runs, 3)):   # interleaved: load on the shared machine hits both alike
        cli_dir.append(run(dir_cmd, cwd=tmp))
        cli_whl.append(run(whl_cmd, cwd=tmp))
    if any(t.rc not in (0, 1) for t in cli_dir + cli_whl):
        raise RuntimeError("leakwarden scan failed")
    d_wall, w_wall = median(t.wall for t in cli_dir), median(t.wall for t in cli_whl)
    d_cpu, w_cpu = median(t.cpu for t in cli_dir), median(t.cpu for t in cli_whl)
    res.add("archives", "CLI: leakwarden scan DIR (unpacked)", size / MB / d_wall, "MB/s",
            note=f"{d_wall:.2f} s wall, {d_cpu:.2f} s CPU")
    res.add("archives", "CLI: leakwarden scan WHEEL", size / MB / w_wall, "MB/s",
            note=f"{w_wall:.2f} s wall, {w_cpu:.2f} s CPU, peak RSS {max(t.max_rss_mb for t in cli_whl):.0f} MB")
    res.add("archives", "CLI: wheel time / unpacked time (wall)", w_wall / d_wall, "x", f"<= {TARGET_RATIO:g}x",
            w_wall / d_wall <= TARGET_RATIO, note=f"CPU {w_cpu / d_cpu:.2f}x; start-up included in both")
    res.details = {"package": name, "files": len(files), "bytes": size, "wheel_bytes": len(wheel)}
    return res
