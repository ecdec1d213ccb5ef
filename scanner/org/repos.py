"""Repositories named on the command line or in a list file, and their copies on the workers.

A local path (bare or not) is read where it is. A clone URL is mirror-cloned into the cache
directory the first time and fetched after that, with GitPython: the cache must therefore be
a path the workers can write (the same disk for a LocalCluster; shared storage, or one cache
per worker machine, for a remote cluster).
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from scanner.errors import UsageError
from scanner.records import record

# scheme://... or scp-like user@host:path (git's own rule: a colon before any slash).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^[^/:]+@[^/:]+:")


class RepoError(Exception):
    """A repository that cannot be cloned, fetched or read: reported in ``errors``."""


@record(frozen=True)
class RepoSpec:
    name: str        # as the user wrote it: how reports name the repository
    location: str    # an absolute path, or the clone URL
    remote: bool

    @property
    def ident(self) -> str:
        """Stable across runs: names the mirror and the cached results."""
        return hashlib.sha256(self.location.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def parse(name: str, base: Path) -> RepoSpec:
    if _URL.match(name):
        parts = urlsplit(name) if "://" in name else None
        if parts is not None and parts.password is not None:
            # It would reach every worker and the mirror's git config in the cache.
            raise UsageError(f"{parts.scheme}://{parts.hostname}/...: a clone URL must not hold a password; "
                             "use a git credential helper or SSH keys")
        return RepoSpec(name, name, True)
    return RepoSpec(name, str((base / name).absolute()), False)


def from_file(path: Path) -> list[str]:
    """One repository a line; ``#`` starts a comment (a URL's fragment cannot matter to git)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the repository list: {exc}") from None
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def specs(names: list[str], base: Path) -> list[RepoSpec]:
    """Each repository once, in the order first named."""
    out: dict[str, RepoSpec] = {}
    for name in names:
        spec = parse(name, base)
        out.setdefault(spec.location, spec)
    return list(out.values())


def materialise(spec: RepoSpec, cache: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """The repository's git directory on this machine: a local path as it is, a URL as a
    mirror in the cache, cloned (into a scratch name, renamed when whole, so that a worker
    killed mid-clone leaves nothing half-made) or fetched."""
    import git as gitpython

    if not spec.remote:
        try:
            return Path(gitpython.Repo(spec.location).git_dir)
        except (gitpython.exc.NoSuchPathError, gitpython.exc.InvalidGitRepositoryError):
            raise RepoError("not a git repository") from None
    mirror = cache / "mirrors" / f"{spec.ident}.git"
    try:
        if mirror.is_dir():
            gitpython.Repo(mirror).git.fetch("--prune", "--quiet", "origin")
            return mirror
        scratch = mirror.with_name(f"{mirror.name}.partial-{os.getpid()}")
        shutil.rmtree(scratch, ignore_errors=True)
        gitpython.Repo.clone_from(spec.location, scratch, mirror=True,
                                  progress=_progress_reporter(progress) if progress else None)
        os.replace(scratch, mirror)
        return mirror
    except gitpython.exc.GitCommandError as exc:
        raise RepoError(_git_message(exc)) from None


def _git_message(exc: Any) -> str:
    lines = [ln.strip() for ln in str(exc.stderr or "").splitlines() if ln.strip()]
    lines = [ln.removeprefix("stderr: ").strip("'\" ") for ln in lines]
    return lines[-1] if lines else f"git {exc.command[1] if len(exc.command) > 1 else ''} failed ({exc.status})"


def _progress_reporter(report: Callable[[int, int], None]) -> Any:
    import git as gitpython

    class Progress(gitpython.RemoteProgress):
        """GitPython's clone progress: objects received so far, of how many."""

        def update(self, op_code: int, cur_count: Any, max_count: Any = None, message: str = "") -> None:
            if op_code & self.RECEIVING:
                report(int(cur_count or 0), int(max_count or 0))

    return Progress()


def tips(git_dir: Path) -> list[str]:
    """Every ref and where it points (and HEAD): what a re-run compares to skip the repository."""
    import git as gitpython

    repo = gitpython.Repo(git_dir)
    try:
        refs = repo.git.for_each_ref("--format=%(objectname) %(refname)").splitlines()
        head = repo.git.rev_parse("--verify", "--quiet", "HEAD", with_exceptions=False)
    except gitpython.exc.GitCommandError as exc:
        raise RepoError(_git_message(exc)) from None
    return sorted(refs) + ([f"{head} HEAD"] if head else [])


def ranges(git_dir: Path, split_commits: int) -> list[list[str]]:
    """rev-list arguments that cut the history into parts of about ``split_commits`` commits.

    With cut commits c1..cK taken along the oldest-first topological order, part k is what
    ``ck`` reaches and c1..c(k-1) do not, and the last part is ``--all`` minus them all: every
    commit is in exactly one part, and no part holds a descendant of a later part's commit,
    so the parts can be merged in order. One part (``--all``) when the history is small."""
    import git as gitpython

    repo = gitpython.Repo(git_dir)
    try:
        count = int(repo.git.rev_list("--count", "--all") or 0)
        if count <= split_commits:
            return [["--all"]]
        parts = -(-count // split_commits)
        order = repo.git.rev_list("--topo-order", "--reverse", "--all").split()
    except gitpython.exc.GitCommandError as exc:
        raise RepoError(_git_message(exc)) from None
    cuts = [order[len(order) * k // parts - 1] for k in range(1, parts)]
    return [[cut, *(f"^{c}" for c in cuts[:k])] for k, cut in enumerate(cuts)] + [["--all", *(f"^{c}" for c in cuts)]]
