"""Reporters turn findings into text, JSON, JSON lines, SARIF or a self-contained HTML page."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Callable

from scanner.finding import Finding

SCHEMA_VERSION = "1"


@dataclass
class Report:
    findings: list[Finding]
    tool_command: str = "scan"
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (path, why)
    errors: list[tuple[str, str]] = field(default_factory=list)    # (path, what went wrong)
    warned: set[str] = field(default_factory=set)   # fingerprints shown as warnings, not failures
    stats: dict = field(default_factory=dict)
    # Findings a baseline accepted, each with its baseline entry (status, note): not failures,
    # but the HTML report lists them with their triage status.
    baselined: list[tuple[Finding, dict]] = field(default_factory=list)


def renderer(fmt: str) -> Callable[[Report, IO[str], bool, bool], None]:
    if fmt == "text":
        from scanner.report.text import render
    elif fmt in ("json", "jsonl"):
        from scanner.report.json import render_json, render_jsonl
        render = render_json if fmt == "json" else render_jsonl
    elif fmt == "sarif":
        from scanner.report.sarif import render
    elif fmt == "html":
        from scanner.report.html import render
    else:
        raise ValueError(fmt)
    return render
