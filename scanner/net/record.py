"""The revocation record: one JSON line per result, appended as results arrive. Never a token."""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from scanner.errors import UsageError
from scanner.net.github_api import Outcome, now_iso


class Record:
    def __init__(self, path: str, api_url: str) -> None:
        self.path = Path(path)
        self.api_url = api_url
        self.run = f"{now_iso()}/{os.getpid()}"
        self._fh: TextIO | None = None

    def __enter__(self) -> "Record":
        from scanner.writefile import check_target

        check_target(self.path)   # a symlink or a directory is refused, a device written through
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            raise UsageError(f"cannot open record file {self.path}: {exc.strerror}") from None
        self._fh = os.fdopen(fd, "a", encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh:
            self._fh.close()

    def write(self, o: Outcome, redacted: str) -> None:
        line = {"time": now_iso(), "api_url": self.api_url, "fingerprint": o.fingerprint, "type": o.kind,
                "redacted": redacted, "endpoint": o.endpoint, "status": o.status, "http_status": o.http_status}
        if o.reason:
            line["reason"] = o.reason
        if o.request:
            line["request"] = f"{self.run}#{o.request}"
        assert self._fh is not None
        self._fh.write(json.dumps(line, ensure_ascii=True) + "\n")
        self._fh.flush()   # a run cut short still leaves its results behind

    def recent_requests(self, endpoint: str, window: float = 3600.0) -> int:
        """POST /credentials/revoke requests this file saw in the last hour: they count against GitHub's 60."""
        if not self.path.exists():
            return 0
        since = time.time() - window
        seen = set()
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return 0
        for text in lines:
            try:
                item = json.loads(text)
                when = datetime.strptime(item["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            except (ValueError, KeyError, TypeError):
                continue
            if (item.get("endpoint") == endpoint and item.get("api_url") == self.api_url and item.get("request")
                    and when.timestamp() >= since):
                seen.add(item["request"])
        return len(seen)
