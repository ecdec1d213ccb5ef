"""SARIF 2.1.0, in the shape GitHub code scanning accepts."""
from __future__ import annotations

import json
from typing import IO

from scanner import __version__
from scanner.report import Report

_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def render(report: Report, out: IO[str], show_secrets: bool, color: bool) -> None:
    rules: dict[str, dict] = {}
    results = []
    for f in report.findings:
        if f.rule_id not in rules:
            rules[f.rule_id] = {
                "id": f.rule_id,
                "name": "".join(part.capitalize() for part in f.rule_id.split("-")),
                "shortDescription": {"text": f.type},
                "fullDescription": {"text": f.type},
                "helpUri": f.url or "https://github.com/",
                "help": {"text": f"{f.fix}\n{f.url}", "markdown": f"{f.fix}\n\nSee {f.url}"},
                "defaultConfiguration": {"level": _LEVEL[f.severity]},
                "properties": {"tags": ["security", "secret"], "security-severity": _SCORE[f.severity],
                               "precision": {"high": "very-high", "medium": "high", "low": "medium"}[f.confidence]},
            }
        shown = f.secret if show_secrets else f.redacted
        location = {"physicalLocation": {
            "artifactLocation": {"uri": f.path.replace("\\", "/")},
            "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line or f.line},
        }}
        result = {
            "ruleId": f.rule_id,
            "level": _LEVEL[f.severity],
            "message": {"text": f"{f.type} ({f.reason}): {shown}"},
            "locations": [location],
            "partialFingerprints": {"leakwardenSecret/v1": f.fingerprint},
            "properties": {"confidence": f.confidence, "basis": f.basis},
        }
        if f.commit:
            result["properties"]["commit"] = f.commit
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "leakwarden", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://pypi.org/project/leakwarden/",
                                "rules": list(rules.values())}},
            "results": results,
        }],
    }
    json.dump(doc, out, indent=2, ensure_ascii=True)
    out.write("\n")
