"""``.leakwarden-baseline.json``: known secrets, by keyed hash only, that no longer fail a run.

Matching is by value (fingerprint), never by position: a different secret on a baselined
line still fails.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.errors import ConfigError
from scanner.finding import Finding

DEFAULT_NAME = ".leakwarden-baseline.json"
FORMAT_VERSION = 1
STATUSES = ("unaudited", "true-positive", "false-positive", "used-in-tests")


@dataclass
class Baseline:
    path: Path
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)   # fingerprint -> entry

    def __contains__(self, finding: Finding) -> bool:
        return finding.fingerprint in self.entries

    def filter(self, findings: list[Finding]) -> list[Finding]:
        return [f for f in findings if f not in self]


def load(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline not found (create one with 'leakwarden baseline create')") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a leakwarden baseline: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ConfigError(f"{path}: not a leakwarden baseline (no 'entries' list)")
    entries = {}
    for n, entry in enumerate(data["entries"], 1):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str) or len(fp) != 64:
            raise ConfigError(f"{path}: entry {n}: key 'fingerprint' must be a 64-hex keyed hash")
        entries[fp] = entry
    return Baseline(path, entries)
