"""``leakwarden org-audit`` of 24 generated repositories on a 2-worker LocalCluster against a
serial loop of ``leakwarden history``, both measured in one run; the cluster's start-up is
inside the org-audit time (a fresh --cache each run, so nothing is skipped as unchanged).

Run alone with ``python benchmarks/bench_org.py`` or through ``benchmarks/run.py --only org``."""
from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._util import Result, command_available, leakwarden_cmd, median, run

REPOS = 24
COMMITS = 300          # per repository
WORKERS = 2
TARGET_SPEEDUP = 1.7
_WORDS = ("user", "config", "value", "result", "items", "index", "client", "server", "request", "payload",
          "handler", "cache", "token_count", "buffer", "offset", "record", "session", "logger", "parser")


def _line(r: random.Random) -> str:
    a, b, c = r.choice(_WORDS), r.choice(_WORDS), r.choice(_WORDS)
    return f"    {a}_{r.randrange(100)} = {b}.get('{c}', {r.randrange(10_000)})  # {c} for {a}\n"


def _repository(path: Path, number: int) -> None:
    """A few hundred commits of code-like text over 20 files, a secret in some repositories
    (two share one), built by one ``git fast-import``."""
    from scanner.rules.templates import expand

    r = random.Random(f"bench-org/{number}")
    files: dict[str, list[str]] = {f"src/module_{i}.py": [f"def module_{i}():\n"] for i in range(20)}
    stream: list[bytes] = []
    when = 1_700_000_000 + number * 100_000
    for n in range(COMMITS):
        name = f"src/module_{n % 20}.py"
        files[name].extend(_line(r) for _ in range(40))
        if n == COMMITS // 2 and number % 4 == 0:
            files[name].append(f"    TOKEN = '{expand('{{github:ghp}}', f'bench-org/{number % 8}')}'\n")
        data = "".join(files[name]).encode()
        who = f"Dev <dev@example.invalid> {when + n * 60} +0000"
        message = f"change {n}".encode()
        stream.append(b"commit refs/heads/main\n" + f"author {who}\ncommitter {who}\n".encode() +
                      b"data %d\n%s\n" % (len(message), message) +
                      f"M 100644 inline {name}\n".encode() + b"data %d\n%s\n" % (len(data), data))
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True)


def _findings(path: Path) -> list[dict]:
    return json.loads(path.read_text())["findings"] if path.exists() else []


def run_bench(quick: bool, log=print, repeat: int | None = None) -> Result:
    res = Result()
    if not command_available("org-audit"):
        res.add("org", "org-audit", None, "", note="skipped: command not available")
        return res
    try:
        import distributed  # noqa: F401
    except ImportError:
        res.add("org", "org-audit", None, "", note="skipped: pip install 'leakwarden[org]'")
        return res
    runs = repeat or 1
    with tempfile.TemporaryDirectory(prefix="lw-bench-org-") as tmp:
        top = Path(tmp)
        log(f"org: building {REPOS} repositories of {COMMITS} commits")
        repos = [top / f"repo{i:02d}.git" for i in range(REPOS)]
        for i, path in enumerate(repos):
            _repository(path, i)
        run(leakwarden_cmd("history", "--repo", str(repos[0]), "--format", "json"), cwd=top)   # warm the rule cache
        serial, org = [], []
        serial_found: set[str] = set()
        for attempt in range(runs):
            times = []
            for path in repos:
                out = top / f"{path.name}.json"
                times.append(run(leakwarden_cmd("history", "--repo", str(path), "--format", "json", "-o", str(out)),
                                 cwd=top))
                serial_found |= {f["fingerprint"] for f in _findings(out)}
            serial.append(sum(t.wall for t in times))
            out = top / "org.json"
            timing = run(leakwarden_cmd("org-audit", *map(str, repos), "--workers", str(WORKERS), "--format", "json",
                                        "--cache", str(top / f"cache{attempt}"), "-o", str(out)), cwd=top)
            if timing.rc not in (0, 1):
                res.add("org", "org-audit", None, "", f">= {TARGET_SPEEDUP}x", False, note=f"failed: exit {timing.rc}")
                return res
            org.append(timing.wall)
            org_found = {f["fingerprint"] for f in _findings(out)}
    same = org_found == serial_found
    speedup = median(serial) / median(org)
    res.add("org", f"serial loop of leakwarden history ({REPOS} repositories, {COMMITS} commits each)",
            median(serial), "s")
    res.add("org", f"leakwarden org-audit, LocalCluster of {WORKERS} workers, start-up included", median(org), "s",
            note=f"{len(org_found)} distinct secrets, {'the same' if same else 'NOT the same'} as the serial loop")
    res.add("org", "speed-up of org-audit over the serial loop", speedup, "x", f">= {TARGET_SPEEDUP}x",
            speedup >= TARGET_SPEEDUP and same)
    return res


if __name__ == "__main__":
    import os

    result = run_bench(False, log=lambda m: print(f"# {m}", file=sys.stderr, flush=True))
    print(f"load average {os.getloadavg()[0]:.2f}")
    for row in result.rows:
        print(f"{row.metric}: {row.value if row.value is None else round(row.value, 2)} {row.unit} "
              f"{row.target} {'' if row.passed is None else ('pass' if row.passed else 'FAIL')} {row.note}")
