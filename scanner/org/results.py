"""The result cache: one JSON file per repository under ``CACHE/results``, holding the key of
the run that produced it (ref tips and settings, hashed) and its findings, redacted. A file
that cannot be read or parsed is a miss: the repository is scanned again."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.cache import write_atomic
from scanner.org import wire
from scanner.records import record

if TYPE_CHECKING:
    from scanner.finding import Finding
    from scanner.org.repos import RepoSpec


@record
class Cached:
    key: str
    findings: list[Finding]
    skipped: list[tuple[str, str]]


def _path(cache: Path, spec: RepoSpec) -> Path:
    return cache / "results" / f"{spec.ident}.json"


def load(cache: Path, spec: RepoSpec) -> Cached | None:
    try:
        data = json.loads(_path(cache, spec).read_text(encoding="utf-8"))
        return Cached(data["key"], [wire.from_json(d) for d in data["findings"]],
                      [(str(p), str(r)) for p, r in data["skipped"]])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(cache: Path, spec: RepoSpec, key: str, findings: list[Finding], skipped: list[tuple[str, str]]) -> None:
    data = {"repository": spec.name, "key": key, "findings": [wire.to_json(f) for f in findings], "skipped": skipped}
    write_atomic(_path(cache, spec), json.dumps(data).encode())
