"""JSON (one document) and JSON lines (one finding per line). Schema: docs/json-schema.md."""
from __future__ import annotations

import json
from typing import IO

from scanner import __version__
from scanner.report import SCHEMA_VERSION, Report, escape


def _document(report: Report, show_secrets: bool) -> dict:
    findings = []
    for f in report.findings:
        d = f.as_dict(show_secret=show_secrets)
        d["blocking"] = f.fingerprint not in report.warned
        findings.append(d)
    return escape.deep({
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "leakwarden", "version": __version__, "command": report.tool_command},
        "findings": findings,
        "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
        "errors": [{"path": p, "error": e} for p, e in report.errors],
        "stats": report.stats,
    })


def render_json(report: Report, out: IO[str], show_secrets: bool, color: bool) -> None:
    json.dump(_document(report, show_secrets), out, indent=2, ensure_ascii=True)
    out.write("\n")


def render_jsonl(report: Report, out: IO[str], show_secrets: bool, color: bool) -> None:
    for item in _document(report, show_secrets)["findings"]:
        out.write(json.dumps(item, ensure_ascii=True) + "\n")
