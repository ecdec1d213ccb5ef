"""Findings as they leave a worker and as the result cache keeps them: the secret replaced by
its redaction, the fingerprint kept, so that merging, baselines and reports work unchanged
and no secret crosses the wire or reaches the disk. ``--show-secrets`` alone sends findings
whole (and then the cache is neither read nor given them in full)."""
from __future__ import annotations

from typing import Any

from scanner import records
from scanner.finding import Finding
from scanner.records import record


@record(frozen=True, slots=True)
class RedactedFinding(Finding):
    """``secret`` holds the redaction; the fingerprint is the real secret's."""

    def __post_init__(self) -> None:
        # Never one of the redaction: a cache entry without the fingerprint is a miss (ValueError).
        if not self.fingerprint:
            raise ValueError("a redacted finding keeps its secret's fingerprint")

    @property
    def redacted(self) -> str:
        return self.secret


def redacted(finding: Finding) -> RedactedFinding:
    if isinstance(finding, RedactedFinding):
        return finding
    values = {f.name: getattr(finding, f.name) for f in records.fields(Finding)}
    values["secret"] = finding.redacted
    return RedactedFinding(**values)


def outgoing(findings: list[Finding], show_secrets: bool) -> list[Finding]:
    return list(findings) if show_secrets else [redacted(f) for f in findings]


def to_json(finding: Finding) -> dict[str, Any]:
    return records.asdict(redacted(finding))


def from_json(data: dict[str, Any]) -> RedactedFinding:
    return RedactedFinding(**data)
