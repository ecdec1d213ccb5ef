"""SARIF 2.1.0, in the shape GitHub code scanning accepts; every output validates against the
official schema (tests/test_sarif_schema.py)."""
from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Any

from scanner import __version__
from scanner.report import Report, escape

if TYPE_CHECKING:
    from scanner.finding import Finding

_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
_PRECISION = {"high": "very-high", "medium": "high", "low": "medium"}


def is_logical(path: str) -> bool:
    """Commit and tag messages and stdin are named ``<...>``: they are not files in the tree."""
    return path.startswith("<") and path.endswith(">")


def _location(f: Finding) -> dict[str, Any]:
    if is_logical(f.path):
        what = escape.text(f.path[1:-1])
        name = f"{what} of {f.commit}" if f.commit else what
        return {"logicalLocations": [{"name": name, "fullyQualifiedName": name, "kind": "git-object"}],
                "message": {"text": f"line {f.line}, column {f.column} of the {what}"}}
    if f.members:
        # The artifact is the archive (the file in the repository); the line and column are the
        # member's, so they go in the message and in properties, not in a region of the archive.
        inside = "!".join(f.members)
        return {"physicalLocation": {"artifactLocation": {"uri": escape.uri(f.container)}},
                "message": {"text": f"line {f.line}, column {f.column} of {inside} inside the archive"},
                "properties": {"members": list(f.members), "line": f.line, "column": f.column,
                               "endLine": f.end_line or f.line}}
    return {"physicalLocation": {
        "artifactLocation": {"uri": escape.uri(f.path)},
        "region": {"startLine": f.line, "startColumn": f.column, "endLine": f.end_line or f.line},
    }}


def _rule(f: Finding) -> dict[str, Any]:
    return {
        "id": f.rule_id,
        "name": "".join(part.capitalize() for part in f.rule_id.split("-")),
        "shortDescription": {"text": f.type},
        "fullDescription": {"text": f.type},
        **({"helpUri": f.url} if f.url else {}),
        "help": {"text": f"{f.fix}\n{f.url}".strip(), "markdown": f"{f.fix}\n\nSee {f.url}" if f.url else f.fix},
        "defaultConfiguration": {"level": _LEVEL[f.severity]},
        "properties": {"tags": ["security", "secret"], "security-severity": _SCORE[f.severity],
                       "precision": _PRECISION[f.confidence]},
    }


def render(report: Report, out: IO[str], show_secrets: bool, color: bool) -> None:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in report.findings:
        rules.setdefault(f.rule_id, _rule(f))
        shown = f.secret if show_secrets else f.redacted
        result: dict[str, Any] = {
            "ruleId": f.rule_id,
            "level": "warning" if f.fingerprint in report.warned else _LEVEL[f.severity],
            "message": {"text": f"{f.type} ({f.reason}): {shown}"},
            "locations": [_location(f)],
            # Code scanning matches results across runs by these: one secret, one alert.
            "partialFingerprints": {"leakwardenSecret/v1": f.fingerprint},
            "properties": {"confidence": f.confidence, "basis": f.basis,
                           "blocking": f.fingerprint not in report.warned},
        }
        if f.commit:
            result["properties"]["commit"] = f.commit
        if f.occurrences:
            result["properties"]["places"] = len(f.occurrences)
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "leakwarden", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://pypi.org/project/leakwarden/",
                                "rules": list(rules.values())}},
            "results": results,
            # What was not scanned (skips, as warnings) or could not be read (errors): never silent.
            "invocations": [{
                "executionSuccessful": not report.errors,
                "toolExecutionNotifications": [
                    {"level": level, "message": {"text": f"{word} {path}: {why}"}}
                    for level, word, items in (("warning", "skipped", report.skipped), ("error", "cannot scan",
                                                                                       report.errors))
                    for path, why in items],
            }],
        }],
    }
    json.dump(escape.deep(doc), out, indent=2, ensure_ascii=True)
    out.write("\n")
