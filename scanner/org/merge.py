"""Results merged on the client: the commit ranges of one repository into what one unsplit
history audit reports, then the repositories into one report where a secret found in several
repositories is one finding listing every repository, place and introducing commit."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scanner import records

if TYPE_CHECKING:
    from scanner.finding import Finding
    from scanner.org.tasks import Part


def parts(results: list[Part]) -> tuple[list[Finding], list[tuple[str, str]], dict[str, int]]:
    """``results`` in part order (oldest first). Each secret's places from every part, ordered
    as history orders them (older committer time first; on a tie, the older part, then the
    part's own order); the first is the introducing one and its part's finding speaks."""
    if len(results) == 1:
        only = results[0]
        return list(only.findings), list(only.skipped), dict(only.stats)
    places: dict[str, list[tuple[tuple[int, int, int], dict[str, Any], Finding]]] = {}
    for number, part in enumerate(results):
        for finding in part.findings:
            entries = places.setdefault(finding.fingerprint, [])
            entries.extend(((part.times.get(str(o.get("commit", "")), 0), number, i), o, finding)
                           for i, o in enumerate(finding.occurrences))
    findings = []
    for entries in places.values():
        entries.sort(key=lambda e: e[0])
        unique: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
        for _, where, _ in entries:
            unique.setdefault((where.get("commit"), where.get("path"), where.get("line")), where)
        findings.append(records.replace(entries[0][2], occurrences=list(unique.values())))
    findings.sort(key=lambda f: (f.path, f.line))
    skipped = sorted({s for part in results for s in part.skipped})
    stats = {key: sum(part.stats.get(key, 0) for part in results) for key in ("objects", "bytes")}
    stats["findings"] = len(findings)
    return findings, skipped, stats


def repositories(per_repo: list[tuple[str, list[Finding]]]) -> list[Finding]:
    """One finding per secret across repositories (in the order given). Every place names its
    repository; ``details["repositories"]`` gives each repository's introducing place."""
    groups: dict[str, list[tuple[str, Finding]]] = {}
    for name, findings in per_repo:
        for finding in findings:
            groups.setdefault(finding.fingerprint, []).append((name, finding))
    out = []
    for group in groups.values():
        first = group[0][1]
        occurrences = [{"repository": name, **where} for name, f in group for where in f.occurrences]
        introduced = [{"repository": name, "commit": f.commit, "path": f.path, "line": f.line} for name, f in group]
        out.append(records.replace(first, occurrences=occurrences,
                                       details={**first.details, "repositories": introduced}))
    return out
