"""Start-up: ``leakwarden scan FILE`` on one small file with a warm cache, interpreter start included."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks import corpus
from benchmarks._util import PY, ROOT, SAFE_PATH, Result, bench_env, leakwarden_cmd, median, repeated

TARGET_MS = 150.0


def _ms(timings) -> float:
    return median(t.wall for t in timings) * 1000


def _cpu(timings) -> str:
    # CPU time moves less than wall time when other jobs share the machine.
    return f"CPU {median(t.cpu for t in timings) * 1000:.0f} ms, fastest {min(t.wall for t in timings) * 1000:.0f} ms"


def import_times(cmd: list[str], cwd: Path, top: int = 12) -> list[tuple[str, float]]:
    """The slowest imports (cumulative microseconds) under ``python -X importtime``, top-level names."""
    proc = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], check=False, cwd=cwd, env=bench_env(),
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
    py = [PY, *SAFE_PATH]
    # Without site's .pth hooks (this machine has an editable install and a sandbox CA hook that
    # import ~35 ms of modules in every interpreter); site-packages stays importable.
    site = subprocess.run([PY, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    no_pth = bench_env(PYTHONPATH=f"{ROOT}{os.pathsep}{site}")
    repo = Path(tempfile.mkdtemp(prefix="lw-bench-startup-"))
    try:
        # A one-file repository: the normal place for `leakwarden scan FILE` (gitignore lookup included).
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        target = repo / small.name
        shutil.copyfile(small, target)
        scan_cmd = leakwarden_cmd("scan", target.name)
        bare_t = repeated([*py, "-c", "pass"], n, cwd=repo)
        imp_t = repeated([*py, "-c", "import scanner.cli"], n, cwd=repo)
        parser_t = repeated([*py, "-c", "import scanner.cli as c; c.build_parser()"], n, cwd=repo)
        scan_t = repeated(scan_cmd, n, cwd=repo)
        outside_t = repeated(leakwarden_cmd("scan", str(small)), n, cwd=small.parent)
        bare_s_t = repeated([PY, "-S", *SAFE_PATH, "-c", "pass"], n, cwd=repo, env=no_pth)
        scan_s_t = repeated([PY, "-S", *SAFE_PATH, "-m", "scanner", "scan", target.name], n, cwd=repo, env=no_pth)
        if any(t.rc != 0 for t in scan_t + outside_t + scan_s_t):
            raise RuntimeError("leakwarden scan did not exit 0 on a clean file")
        bare, imp, parser, scan = _ms(bare_t), _ms(imp_t), _ms(parser_t), _ms(scan_t)
        res.add("startup", "python -c pass", bare, "ms", note=f"median of {n}; {_cpu(bare_t)}")
        res.add("startup", "python -c 'import scanner.cli'", imp, "ms", note=f"+{imp - bare:.0f} ms over bare python")
        res.add("startup", "import scanner.cli + build_parser()", parser, "ms",
                note=f"+{parser - imp:.0f} ms: every command module registers")
        res.add("startup", "leakwarden scan FILE (in a git repo, warm cache)", scan, "ms", f"< {TARGET_MS:.0f} ms",
                scan < TARGET_MS, note=f"{small.stat().st_size} byte file; +{scan - parser:.0f} ms for the scan "
                                       f"itself; {_cpu(scan_t)}")
        res.add("startup", "leakwarden scan FILE (outside git)", _ms(outside_t), "ms", f"< {TARGET_MS:.0f} ms",
                _ms(outside_t) < TARGET_MS, note=_cpu(outside_t))
        res.add("startup", "python -S -c pass (no .pth hooks)", _ms(bare_s_t), "ms", note=_cpu(bare_s_t))
        res.add("startup", "leakwarden scan FILE, python -S (no .pth hooks)", _ms(scan_s_t), "ms",
                f"< {TARGET_MS:.0f} ms", _ms(scan_s_t) < TARGET_MS,
                note=f"as a plain install without this machine's .pth hooks would start; {_cpu(scan_s_t)}")
        res.details["importtime_top_ms"] = import_times(scan_cmd, repo)
    finally:
        shutil.rmtree(repo, ignore_errors=True)
    return res
