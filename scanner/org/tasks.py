"""What workers run. Each returns plain data: findings redacted unless ``show_secrets``."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.org import repos, wire
from scanner.records import field, record

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.engine.core import Engine
    from scanner.finding import Finding


@record
class Prepared:
    """A repository ready to scan on the workers' disk, or known unchanged since the cached run."""
    git_dir: str
    key: str                                   # its ref tips and the settings, hashed
    parts: list[list[str]] = field(default_factory=list)   # rev-list arguments, oldest part first; [] if unchanged


@record
class Part:
    """What one commit range of one repository holds."""
    findings: list[Finding]
    skipped: list[tuple[str, str]]
    stats: dict[str, int]
    times: dict[str, int]    # commit or tag id -> its time, for ordering places across parts


def prepare(spec: repos.RepoSpec, cache: str, settings: str, split_commits: int, cached_key: str | None) -> Prepared:
    """Clone or fetch (a URL), read the ref tips, and unless they match the cached run's, cut
    the history into commit ranges."""
    import hashlib

    from distributed import get_worker

    worker = get_worker()   # GitPython reports from a thread of its own, where get_worker() cannot see it

    def progress(done: int, total: int) -> None:
        worker.log_event("leakwarden-clone", {"repo": spec.name, "done": done, "total": total})

    git_dir = repos.materialise(spec, Path(cache), progress)
    key = hashlib.sha256("\n".join([settings, *repos.tips(git_dir)]).encode()).hexdigest()
    if key == cached_key:
        return Prepared(str(git_dir), key)
    return Prepared(str(git_dir), key, repos.ranges(git_dir, split_commits))


def scan_part(engine: Engine, git_dir: str, rev_args: list[str], cfg: Config, show_secrets: bool) -> Part:
    """One commit range through the history audit, in this worker process (no pool of its own:
    the cluster is the pool)."""
    from scanner.errors import UsageError
    from scanner.sources import history

    try:
        report = history.scan(Path(git_dir), engine, cfg, rev_args, jobs=1)
    except UsageError as exc:   # what git said about this repository or range
        raise repos.RepoError(str(exc)) from None
    return Part(wire.outgoing(report.findings, show_secrets), report.skipped, report.stats,
                _times(Path(git_dir), report.findings))


def _times(repo: Path, findings: list[Finding]) -> dict[str, int]:
    """Committer time of each commit (tagger time of each tag) where a finding occurs: the
    order history uses to say which place introduced a secret."""
    from datetime import datetime

    from scanner import git

    out: dict[str, int] = {}
    places = {str(o.get("commit", "")): str(o.get("date", "")) for f in findings for o in f.occurrences}
    with git.ObjectReader(repo) as cat:
        for oid, date in places.items():
            if not oid:   # a blob whose adding commit lies outside the range: history puts it last
                out[oid] = sys.maxsize
                continue
            got = cat.get(oid)
            if got is not None and got[0] == "commit":
                out[oid] = git.parse_commit(oid, got[1]).timestamp
            else:
                out[oid] = int(datetime.fromisoformat(date).timestamp()) if date else 0
    return out


def describe(exc: BaseException) -> str:
    """An error as the report shows it: never a traceback (it could carry scanned content)."""
    if isinstance(exc, repos.RepoError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


