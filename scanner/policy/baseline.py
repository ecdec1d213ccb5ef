"""``.leakwarden-baseline.json``: known secrets, by keyed hash only, that no longer fail a run.

Matching is by value (fingerprint), never by position: a different secret on a baselined
line still fails. An entry holds the fingerprint, the rule, where the secret was first
seen, an audit status and a note; never the secret.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable

from scanner.errors import ConfigError, UsageError
from scanner.finding import Finding
from scanner.records import field, record

DEFAULT_NAME = ".leakwarden-baseline.json"
FORMAT_VERSION = 1
STATUSES = ("unaudited", "true-positive", "false-positive", "used-in-tests")
# Short and spelled-out forms people type for a status.
STATUS_ALIASES = {"t": "true-positive", "true": "true-positive", "tp": "true-positive",
                  "f": "false-positive", "false": "false-positive", "fp": "false-positive",
                  "u": "used-in-tests", "tests": "used-in-tests", "test": "used-in-tests",
                  **{s: s for s in STATUSES}}
_HEX64 = re.compile(r"[0-9a-f]{64}")


def parse_status(text: str) -> str:
    status = STATUS_ALIASES.get(text.strip().lower())
    if status is None:
        raise UsageError(f"unknown status {text!r} (one of: {', '.join(STATUSES)})")
    return status


@record
class Baseline:
    """A baseline file's entries, by fingerprint."""

    path: Path
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)   # fingerprint -> entry

    def __contains__(self, finding: Finding) -> bool:
        return finding.fingerprint in self.entries

    def filter(self, findings: list[Finding]) -> list[Finding]:
        return [f for f in findings if f not in self]

    def add(self, findings: Iterable[Finding], source: str = "scan") -> list[dict[str, Any]]:
        """Add an entry for each secret not yet listed; existing entries (status, note) are kept."""
        added = []
        for f in findings:
            if f.fingerprint not in self.entries:
                self.entries[f.fingerprint] = entry_for(f, self.path.parent, source)
                added.append(self.entries[f.fingerprint])
        return added

    def lookup(self, prefix: str) -> dict[str, Any]:
        """The one entry whose fingerprint starts with ``prefix``."""
        prefix = prefix.strip().lower()
        if len(prefix) < 4 or not re.fullmatch(r"[0-9a-f]+", prefix):
            raise UsageError(f"{prefix!r}: give at least 4 hex digits of a fingerprint")
        hits = [e for fp, e in self.entries.items() if fp.startswith(prefix)]
        if not hits:
            raise UsageError(f"no baseline entry has a fingerprint starting with {prefix}")
        if len(hits) > 1:
            raise UsageError(f"{len(hits)} baseline entries start with {prefix}; give more digits")
        return hits[0]

    def save(self) -> None:
        """Write atomically (temp file + rename; see scanner.writefile), entries in a stable order for readable diffs."""
        ordered = sorted(self.entries.values(),
                         key=lambda e: (e.get("location", {}).get("path", ""), e.get("location", {}).get("line", 0),
                                        e["fingerprint"]))
        doc = {"version": FORMAT_VERSION, "tool": "leakwarden", "entries": ordered}
        import json

        from scanner.writefile import write_file

        write_file(self.path, (json.dumps(doc, indent=2, ensure_ascii=True) + "\n").encode("ascii"))


def entry_for(f: Finding, base: Path, source: str) -> dict[str, Any]:
    location: dict[str, Any] = {"path": relative_path(f.path, base, in_history=bool(f.commit)), "line": f.line}
    if f.commit:
        location["commit"] = f.commit
    return {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "type": f.type, "redacted": f.redacted,
            "location": location, "status": "unaudited", "note": "", "source": source}


def relative_path(path: str, base: Path, in_history: bool = False) -> str:
    """Paths in git history are already repository-relative; paths on disk become relative to the baseline."""
    if in_history or path == "<stdin>":
        return path
    try:
        rel = os.path.relpath(os.path.abspath(path), base.resolve())
    except ValueError:
        return path
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def load(path: Path) -> Baseline:
    import json   # here, not at the top: a commit hook without a baseline file never needs it

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
        if not isinstance(fp, str) or not _HEX64.fullmatch(fp):
            raise ConfigError(f"{path}: entry {n}: key 'fingerprint' must be a 64-hex keyed hash")
        if entry.setdefault("status", "unaudited") not in STATUSES:
            raise ConfigError(f"{path}: entry {n}: key 'status' must be one of {', '.join(STATUSES)}")
        entry.setdefault("note", "")
        entries[fp] = entry
    return Baseline(path, entries)


def default_path(explicit: str | None, cfg, start: Path, top: Path | None = None) -> tuple[Path, bool]:
    """(where the baseline is, whether the user named it). Order: --baseline, the config key
    ``baseline`` (relative to the config file), then .leakwarden-baseline.json at the top of
    the repository (or the folder) being scanned; ``top`` is that top when the caller knows it."""
    if explicit:
        return Path(explicit), True
    if cfg.baseline:
        base = cfg.path.parent if cfg.path is not None else Path.cwd()
        return base / cfg.baseline, True
    from scanner import git

    folder = start if start.is_dir() else start.parent
    top = top or git.toplevel(folder)
    return (top or folder) / DEFAULT_NAME, False
