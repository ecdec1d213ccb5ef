"""Running and timing commands, and the shape of a benchmark result."""
from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

# The leakwarden checkout being measured: this one, or LEAKWARDEN_BENCH_CHECKOUT (to measure a
# branch before it is merged).
ROOT = Path(os.environ.get("LEAKWARDEN_BENCH_CHECKOUT") or Path(__file__).resolve().parent.parent).resolve()
PY = sys.executable                               # the interpreter itself, never a pyenv shim


@dataclass
class Timing:
    wall: float          # seconds
    cpu: float           # user + sys seconds of the process and the children it waited for
    max_rss_mb: float    # wait4's ru_maxrss: an upper bound only (it includes the forking parent's RSS)
    rc: int
    own_rss_mb: float | None = None   # sampled: the peak of the process itself (VmHWM)
    tree_rss_mb: float | None = None  # sampled: the peak sum over the process and its descendants
    tree_anon_mb: float | None = None  # sampled: the same for anonymous memory (no mapped files)
    tree_pss_mb: float | None = None   # sampled: the peak sum of proportional set sizes (shared pages split)
    cpu_by_process: dict[str, float] = field(default_factory=dict)  # sampled: CPU seconds by kind of process
    rss_by_process: dict[str, float] = field(default_factory=dict)  # sampled: MB by kind, at the tree's peak


class _RssSampler(threading.Thread):
    """Poll /proc every 20 ms: the process's own high-water mark and the RSS of its whole tree
    (the Python process and its git children together are what a server has to fit)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.own_kb, self.tree_kb, self.anon_kb, self.pss_kb = pid, 0, 0, 0, 0
        self.done = threading.Event()
        self.cpu: dict[int, tuple[str, float]] = {}   # pid -> (kind, CPU seconds when last seen)
        self.rss_at_peak: dict[str, float] = {}       # kind -> MB, summed, when the tree was at its peak

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    todo.extend(int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
            except OSError:
                pass
        return pids

    @staticmethod
    def _status(pid: int) -> dict[str, int]:
        out = {}
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(("VmHWM:", "VmRSS:", "RssAnon:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0])
            # Pss: a page shared by n processes (a forked worker's inherited pages, a pack file
            # mapped by several git processes) counts 1/n in each, so the sum counts it once.
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    out["Pss"] = int(line.split()[1])
                    break
        except (OSError, ValueError):
            pass
        return out

    def _cpu(self, pid: int) -> None:
        """Remember the CPU time of ``pid`` so far, and what kind of process it is."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            seconds = (int(fields[11]) + int(fields[12])) / _TICKS   # utime, stime
            kind = self.cpu[pid][0] if pid in self.cpu else _kind(pid, pid == self.pid)
        except (OSError, ValueError, IndexError):
            return
        self.cpu[pid] = (kind, seconds)

    def cpu_by_kind(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for kind, seconds in self.cpu.values():
            out[kind] = out.get(kind, 0.0) + seconds
        return out

    def run(self) -> None:
        while not self.done.wait(0.02):
            tree = self._tree()
            for pid in tree:
                self._cpu(pid)
            stats = [self._status(p) for p in tree]
            if stats:
                self.own_kb = max(self.own_kb, stats[0].get("VmHWM", 0))
            total = sum(s.get("VmRSS", 0) for s in stats)
            if total > self.tree_kb:
                self.rss_at_peak = {}
                for pid, st in zip(tree, stats, strict=True):
                    kind = self.cpu[pid][0] if pid in self.cpu else "?"
                    self.rss_at_peak[kind] = self.rss_at_peak.get(kind, 0.0) + st.get("VmRSS", 0) / 1024
            self.tree_kb = max(self.tree_kb, total)
            self.anon_kb = max(self.anon_kb, sum(s.get("RssAnon", 0) for s in stats))
            self.pss_kb = max(self.pss_kb, sum(s.get("Pss", 0) for s in stats))


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _kind(pid: int, root: bool) -> str:
    """A name for what a process of the measured tree does, from its command line."""
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    if root:
        return "main process"
    if args[0].endswith(b"git"):
        words = [a.decode("utf-8", "replace") for a in args[1:] if not a.startswith(b"-") and b"=" not in a]
        sub = words[0] if words else "git"
        if sub == "log":
            sub += " --raw" if b"--raw" in args else " (messages)"
        return f"git {sub}"
    return "worker processes"


@dataclass
class Row:
    """One reported number: the measured value, its target and whether it passed (None: no target)."""
    bench: str
    metric: str
    value: float | None
    unit: str
    target: str = ""
    passed: bool | None = None
    note: str = ""


@dataclass
class Result:
    rows: list[Row] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def add(self, *args, **kwargs) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row

    def to_json(self) -> dict:
        return {"rows": [asdict(r) for r in self.rows], "details": self.details}


# -P (3.11+): don't put the current directory first on sys.path. The console script doesn't
# either, and the corpus and the history checkout contain a copy of the standard library
# that would otherwise shadow the real one.
SAFE_PATH = ["-P"] if sys.version_info >= (3, 11) else []


def leakwarden_cmd(*args: str) -> list[str]:
    return [PY, *SAFE_PATH, "-m", "scanner", *args]


def bench_env(**extra: str) -> dict[str, str]:
    """The environment every measured command gets: this checkout first on the path, no colour."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["NO_COLOR"] = "1"
    if os.environ.get("LEAKWARDEN_BENCH_CHECKOUT"):
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave someone else's checkout as it was
    else:
        # Measure start-up as users see it, with compiled bytecode cached (a shell that sets
        # PYTHONDONTWRITEBYTECODE would otherwise make every run compile every module: +50 ms).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                "GIT_QUARANTINE_PATH", "GIT_ALTERNATE_OBJECT_DIRECTORIES"):
        env.pop(var, None)
    env.update(extra)
    return env


def run(cmd: list[str], *, cwd: Path | str | None = None, stdin: Path | None = None,
        stdout: Path | None = None, env: dict | None = None, stderr: Path | None = None,
        sample_rss: bool = False) -> Timing:
    """Run cmd with files (never pipes) for its streams, and time it with wait4's rusage.

    ``sample_rss`` (Linux) also polls /proc for the process's own peak and its tree's peak sum;
    the polling costs a little CPU, so only long runs use it."""
    # Closed in the finally below (a with statement per stream would nest three deep).
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL  # noqa: SIM115
    fout = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    ferr = open(stderr, "wb") if stderr else subprocess.DEVNULL  # noqa: SIM115
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=fin, stdout=fout, stderr=ferr,
                                env=env if env is not None else bench_env())
        sampler = _RssSampler(proc.pid) if sample_rss and os.path.isdir("/proc") else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if sampler:
            sampler.done.set()
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        for fh in (fin, fout, ferr):
            if hasattr(fh, "close"):
                fh.close()
    timing = Timing(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)
    if sampler:
        # Not max()ed with wait4's ru_maxrss: on Linux a child's ru_maxrss starts from the RSS
        # of the process that forked it (this benchmark), so it can exceed anything the child used.
        timing.own_rss_mb = sampler.own_kb / 1024
        timing.tree_rss_mb = sampler.tree_kb / 1024
        timing.tree_anon_mb = sampler.anon_kb / 1024
        timing.tree_pss_mb = sampler.pss_kb / 1024
        timing.cpu_by_process = sampler.cpu_by_kind()
        timing.rss_by_process = sampler.rss_at_peak
    return timing


def repeated(cmd: list[str], n: int, **kwargs) -> list[Timing]:
    run(cmd, **kwargs)  # warm-up: page cache, rule cache, prefilter database
    return [run(cmd, **kwargs) for _ in range(n)]


def median(values) -> float:
    return statistics.median(values)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = subprocess.run(["git", "--version"], check=False, capture_output=True, text=True).stdout.strip()
    try:
        from importlib.metadata import version
        ds = version("detect-secrets")
    except Exception:  # noqa: BLE001 - reported, not required
        ds = "not installed"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    return {"cpu": cpu, "cores": os.cpu_count(), "loadavg_1min": round(os.getloadavg()[0], 2), "python": platform.python_version(),
            "platform": platform.platform(), "git": git, "detect_secrets": ds, "leakwarden_commit": commit}


def command_available(name: str) -> bool:
    """Whether this checkout has ``leakwarden <name>`` (commands land on main one by one)."""
    return (ROOT / "scanner" / "commands" / f"{name.replace('-', '_')}.py").exists()


def warm_files(folder: Path) -> None:
    """Read every file once so both tools start from the same (warm) page cache."""
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            try:
                with open(os.path.join(dirpath, name), "rb") as fh:
                    while fh.read(1 << 20):
                        pass
            except OSError:
                pass
