"""Scan what a change adds: the new blob is scanned whole (so a multi-line key is seen as one),
and only findings that touch an added line are kept (inside an archive: only secrets that the
archive did not hold before)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scanner import git
from scanner.records import record
from scanner.report import Report, Skip
from scanner.sources.blobs import Blob, scan_blobs
from scanner.sources.files import excluded

if TYPE_CHECKING:
    from scanner.engine.core import Engine
    from scanner.finding import Finding

_REGULAR = ("100644", "100755", "100664")


@record
class Target:
    """A path whose content changed, and what it was in each base (parent) it is compared with.

    ``bases`` holds the old blob id per base, or None where the file is new there; a line
    counts as added only if it is added against every base (so a merge reports only what the
    merge itself introduced)."""
    path: str
    new_oid: str
    new_mode: str
    bases: list[str | None]


def targets(changes_per_base: list[list[git.Change]]) -> tuple[list[Target], list[tuple[str, str]]]:
    """The paths to scan, given the diff against each base; plus submodules and symlinks skipped."""
    if not changes_per_base:
        return [], []
    per_base = [{c.path: c for c in changes if c.status != "D"} for changes in changes_per_base]
    out: list[Target] = []
    skipped: list[tuple[str, str]] = []
    for path, first in per_base[0].items():
        if any(path not in other for other in per_base[1:]):
            continue  # unchanged against some parent: nothing new in this commit
        if first.new_mode == git.SYMLINK_MODE:
            skipped.append((path, Skip.SYMLINK))
            continue
        bases: list[str | None] = []
        for base in per_base:
            change = base[path]
            if change.status in "RC" and change.old_oid == change.new_oid:
                bases = []
                break  # a pure rename or copy adds no content
            old_is_file = change.status not in "A" and change.old_mode in _REGULAR
            bases.append(change.old_oid if old_is_file else None)
        if bases:
            out.append(Target(path, first.new_oid, first.new_mode, bases))
    return out, skipped


def scan_targets(items: list[Target], engine: Engine, reader: git.ObjectReader, cwd: Path, report: Report, *,
                 excludes: list[str], max_size: int | None, commit: str = "", where: str = "") -> None:
    """Scan the new blob of each target into ``report``, keeping the findings on added lines.
    ``where`` prefixes the paths of skips (``commit:`` in a range of commits)."""
    target_of = {Blob(t.new_oid, t.path, commit, t.new_mode): t for t in items if not excluded(t.path, excludes)}
    for done in scan_blobs(engine, reader, list(target_of), max_size):
        if done.skipped:
            report.skip(where + done.blob.path, done.skipped)
        else:
            report.count(done.size)
        if not done.findings:
            continue
        target = target_of[done.blob]
        added = _added(target, cwd)
        held = _held_before(target, engine, cwd, max_size) if any(f.members for f in done.findings) else set()
        report.findings.extend(f for f in done.findings if _is_added(f, added, held))


def _is_added(f: Finding, added: set[int] | None, held: set[str]) -> bool:
    if f.members:
        return f.fingerprint not in held
    return added is None or any(n in added for n in range(f.line, (f.end_line or f.line) + 1))


def _held_before(target: Target, engine: Engine, cwd: Path, max_size: int | None) -> set[str]:
    """The secrets (fingerprints) the archive already held in any base: a finding inside an
    archive is added by the change only if no base had it. The diff's lines are the archive's
    bytes, not its members' lines, so they cannot say."""
    olds = [Blob(old, target.path) for old in target.bases if old is not None]
    if not olds:
        return set()
    with git.ObjectReader(cwd) as reader:
        return {f.fingerprint for done in scan_blobs(engine, reader, olds, max_size) for f in done.findings}


def _added(target: Target, cwd: Path) -> set[int] | None:
    """Lines added against every base; None means every line (a new file)."""
    added: set[int] | None = None
    for old in target.bases:
        if old is None:
            continue
        lines = git.added_lines(old, target.new_oid, cwd)
        added = lines if added is None else added & lines
    return added
