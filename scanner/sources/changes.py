"""Scan what a change adds: the new blob is scanned whole (so a multi-line key is seen as one),
and only findings that touch an added line are kept."""
from __future__ import annotations

from dataclasses import dataclass, field

from scanner import git
from scanner.finding import Finding
from scanner.sources.files import excluded

LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
_REGULAR = ("100644", "100755", "100664")


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (path, why)


@dataclass
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
        if first.new_mode == git.GITLINK_MODE:
            skipped.append((path, "submodule (gitlink), not scanned"))
            continue
        if first.new_mode == git.SYMLINK_MODE:
            skipped.append((path, "symlink, not followed"))
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


def scan_targets(items: list[Target], engine, cat: git.CatFile, cwd, *, excludes: list[str],
                 max_size: int, commit: str = "") -> Outcome:
    outcome = Outcome()
    for target in items:
        if excluded(target.path, excludes):
            continue
        got = cat.get_within(target.new_oid, max_size)
        if got is None:
            outcome.skipped.append((target.path, "object missing (shallow or partial clone)"))
            continue
        _, size, data = got
        if data is None:
            outcome.skipped.append((target.path, f"larger than max_file_size ({size} bytes)"))
            continue
        if data.startswith(LFS_POINTER):
            outcome.skipped.append((target.path, "Git LFS pointer, content not fetched"))
            continue
        result = engine.scan(data, target.path)
        if result.skipped:
            outcome.skipped.append((target.path, result.skipped))
        if not result.findings:
            continue
        added = _added(target, cwd)
        for f in result.findings:
            if added is None or any(n in added for n in range(f.line, (f.end_line or f.line) + 1)):
                f.commit, f.blob = commit, target.new_oid
                outcome.findings.append(f)
    return outcome


def _added(target: Target, cwd) -> set[int] | None:
    """Lines added against every base; None means every line (a new file)."""
    added: set[int] | None = None
    for old in target.bases:
        if old is None:
            continue
        lines = git.added_lines(old, target.new_oid, cwd)
        added = lines if added is None else added & lines
    return added


def scan_message(engine, message: bytes, where: str, commit: str) -> list[Finding]:
    """Commit and tag messages are history too: a token pasted there is as public as a file."""
    findings = engine.scan(message, where).findings if message else []
    for f in findings:
        f.commit = commit
    return findings
