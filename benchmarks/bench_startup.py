"""Start-up: ``leakwarden scan FILE`` on one small file with a warm cache, interpreter start included."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks import corpus
from benchmarks._util import PY, ROOT, Result, bench_env, leakwarden_cmd, median, repeated

TARGET_MS = 150.0


def _ms(timings) -> float:
    return median(t.wall for t in timings) * 1000


def import_times(cmd: list[str], cwd: Path, top: int = 12) -> list[tuple[str, float]]:
    """The slowest imports (cumulative microseconds) under ``python -X importtime``, top-level names."""
    proc = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], cwd=cwd, env=bench_env(),
                          capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(3)) <= 3:  # depth 0 and 1: what the command asked for, and its direct imports
            rows.append(("  " * (len(m.group(3)) // 2) + m.group(4), int(m.group(2)) / 1000))
    rows.sort(key=lambda r: r[1], reverse=True)
    return rows[:top]


def run_bench(quick: bool, log=print, repeat: int | None = None) -> Result:
    res = Result()
    n = repeat or (10 if quick else 21)
    small = corpus.small_file()
    repo = Path(tempfile.mkdtemp(prefix="lw-bench-startup-"))
    try:
        # A one-file repository: the normal place for `leakwarden scan FILE` (gitignore lookup included).
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        target = repo / small.name
        shutil.copyfile(small, target)
        bare = _ms(repeated([PY, "-c", "pass"], n, cwd=repo))
        imp = _ms(repeated([PY, "-c", "import scanner.cli"], n, cwd=repo))
        parser = _ms(repeated([PY, "-c", "import scanner.cli as c; c.build_parser()"], n, cwd=repo))
        scan_cmd = leakwarden_cmd("scan", target.name)
        timings = repeated(scan_cmd, n, cwd=repo)
        scan = _ms(timings)
        outside = _ms(repeated(leakwarden_cmd("scan", str(small)), n, cwd=small.parent))
        # Without site's .pth hooks (this machine has an editable install and a sandbox CA hook
        # that import ~35 ms of modules in every interpreter); site-packages stays importable.
        site = subprocess.run([PY, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        env = bench_env(PYTHONPATH=f"{ROOT}{os.pathsep}{site}")
        bare_s = _ms(repeated([PY, "-S", "-c", "pass"], n, cwd=repo, env=env))
        scan_s = _ms(repeated([PY, "-S", "-m", "scanner", "scan", target.name], n, cwd=repo, env=env))
        if any(t.rc != 0 for t in timings):
            raise RuntimeError(f"leakwarden scan exited {timings[-1].rc} on a clean file")
        res.add("startup", "python -c pass", bare, "ms", note=f"median of {n}")
        res.add("startup", "python -c 'import scanner.cli'", imp, "ms", note=f"+{imp - bare:.0f} ms over bare python")
        res.add("startup", "import scanner.cli + build_parser()", parser, "ms",
                note=f"+{parser - imp:.0f} ms: every command module registers")
        res.add("startup", "leakwarden scan FILE (in a git repo, warm cache)", scan, "ms", f"< {TARGET_MS:.0f} ms",
                scan < TARGET_MS, note=f"{small.stat().st_size} byte file; +{scan - parser:.0f} ms for the scan itself")
        res.add("startup", "leakwarden scan FILE (outside git)", outside, "ms", f"< {TARGET_MS:.0f} ms",
                outside < TARGET_MS)
        res.add("startup", "python -S -c pass (no .pth hooks)", bare_s, "ms")
        res.add("startup", "leakwarden scan FILE, python -S (no .pth hooks)", scan_s, "ms", f"< {TARGET_MS:.0f} ms",
                scan_s < TARGET_MS, note="as a plain (non-editable) install without sandbox hooks would start")
        res.details["importtime_top_ms"] = import_times(scan_cmd, repo)
    finally:
        shutil.rmtree(repo, ignore_errors=True)
    return res
