"""Ref updates, as a hook reads them on stdin: pre-push and pre-receive say the same thing
(a ref moves from an old object to a new one) in two layouts."""
from __future__ import annotations

import re

from scanner import git
from scanner.errors import UsageError
from scanner.records import record

_OID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


@record(frozen=True)
class RefUpdate:
    old: str             # what the ref (on the server, or the remote's ref) points to now; zeros if new
    new: str             # what it is to point to; zeros for a deletion
    ref: str             # the ref being updated (on the server / the remote)
    local_ref: str = ""  # pre-push: the local ref being pushed

    @property
    def deleted(self) -> bool:
        return git.is_zero(self.new)


def parse_pre_receive(data: bytes) -> list[RefUpdate]:
    """``<old> SP <new> SP <ref> LF`` per ref (40 or 64 hex digits)."""
    return [RefUpdate(old, new, ref) for old, new, ref in
            _lines(data, 3, (0, 1), "'<old-id> <new-id> <ref>' as git sends to pre-receive")]


def parse_pre_push(data: bytes) -> list[RefUpdate]:
    """``<local-ref> SP <local-oid> SP <remote-ref> SP <remote-oid> LF`` per ref."""
    return [RefUpdate(remote_oid, local_oid, remote_ref, local_ref) for local_ref, local_oid, remote_ref, remote_oid in
            _lines(data, 4, (1, 3), "'<local-ref> <local-id> <remote-ref> <remote-id>' as git sends to pre-push")]


def _lines(data: bytes, count: int, oids: tuple[int, ...], expected: str) -> list[list[str]]:
    # Anything else is refused, not skipped: ids reach git, and a line that is not understood
    # could be a ref that goes unscanned.
    out = []
    for n, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        parts = raw.decode("utf-8", "surrogateescape").split(" ", count - 1)
        if len(parts) != count or not all(parts) or not all(_OID.match(parts[i]) for i in oids):
            raise UsageError(f"stdin line {n}: expected {expected}")
        out.append(parts)
    return out
