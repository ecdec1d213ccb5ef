"""The server's audit log: one JSON object per line for every blocked push, every bypass and
every refused bypass attempt.

A record names secrets only by fingerprint (keyed hash), never by value. Each record is one
``write`` to a file opened with O_APPEND, so concurrent pushes never interleave their lines.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from scanner.finding import Finding


def finding_entry(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule_id, "type": f.type, "fingerprint": f.fingerprint, "commit": f.commit,
            "path": f.path, "line": f.line}


def record(*, decision: str, repository: str, pusher: str, pusher_source: str, refs: list[dict[str, str]],
           findings: Sequence[Finding] = (), reason: str = "", via: str = "", message: str = "",
           bypass_refused: str = "") -> dict[str, Any]:
    """One log line. ``pusher_source`` is the variable that named the pusher, or "account" when
    only the account the hook runs as was known; ``bypass_refused`` says why a requested bypass
    was not granted."""
    commits = list(dict.fromkeys(f.commit for f in findings if f.commit))
    out: dict[str, Any] = {
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "repository": repository,
        "pusher": pusher,
        "pusher_source": pusher_source,
        "refs": refs,
        "commits": commits,
        "findings": [finding_entry(f) for f in findings],
        "reason": reason,
        "decision": decision,
    }
    if via:
        out["via"] = via   # GHES: the update came from the web UI or the API, not a git push
    if message:
        out["message"] = message
    if bypass_refused:
        out["bypass_refused"] = bypass_refused
    return out


def append(path: Path, entry: dict[str, Any]) -> None:
    """Append one line; raises OSError when the log cannot be written."""
    line = (json.dumps(entry, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")
    from scanner.writefile import write_file

    write_file(path, line, private=True, append=True)
