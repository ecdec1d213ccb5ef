"""Where verify and revoke get their tokens: a scan of paths, a report with secrets, or history."""
from __future__ import annotations

import json
from pathlib import Path

from scanner.errors import UsageError
from scanner.finding import Finding
from scanner.net.github_api import token_kind
from scanner.report import Report

_FIELDS = ("rule_id", "type", "confidence", "basis", "severity", "path", "line", "column")


def github_tokens(report: Report) -> Report:
    """The report, keeping only the GitHub token findings to act on (and what it skipped or failed on)."""
    report.findings = [f for f in report.findings if is_github_token(f)]
    return report


def is_github_token(f: Finding) -> bool:
    # A low-confidence GitHub finding failed its checksum: not a token GitHub could have issued.
    return f.rule_id.startswith("github-") and token_kind(f.secret) is not None and f.confidence != "low"


def by_fingerprint(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Distinct tokens in first-seen order, each with every finding of it: one request per token."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.fingerprint, []).append(f)
    return out


def load_report(path: Path) -> list[Finding]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read report {path}: {exc.__class__.__name__}") from None
    items = _parse(text, path)
    if items and not all(isinstance(d, dict) and isinstance(d.get("secret"), str) for d in items):
        raise UsageError(f"{path}: the report holds no secrets (only redacted values and fingerprints), so "
                         "its tokens cannot be checked; write it with `leakwarden scan --format json "
                         "--show-secrets`, or give the paths to scan instead")
    out = []
    for n, d in enumerate(items, 1):
        missing = [k for k in _FIELDS if k not in d]
        if missing:
            raise UsageError(f"{path}: finding {n} lacks {', '.join(missing)}")
        out.append(Finding(**{k: d[k] for k in _FIELDS}, secret=d["secret"], reason=d.get("reason", ""),
                           fix=d.get("fix", ""), url=d.get("url", ""), end_line=d.get("end_line", 0),
                           encoding=d.get("encoding", ""), details=dict(d.get("details") or {}),
                           commit=d.get("commit", ""), blob=d.get("blob", ""),
                           occurrences=list(d.get("occurrences") or []),
                           # The report's own: a credential file's finding is fingerprinted by the
                           # bytes it covers, not by its secret alone.
                           fingerprint=d["fingerprint"] if isinstance(d.get("fingerprint"), str) else ""))
    return out


def _parse(text: str, path: Path) -> list:
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("findings"), list):
        return doc["findings"]
    if isinstance(doc, dict):
        return [doc]   # JSON lines with a single finding
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError:
        # The message must not quote the line: it may hold a secret.
        raise UsageError(f"{path}: not a leakwarden JSON or JSON-lines report") from None
