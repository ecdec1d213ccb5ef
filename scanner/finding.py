"""The one record every source produces and every consumer reads."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Fixed and public on purpose: fingerprints must be stable across runs, machines and
# tools so baselines and audit logs can match them. The key only stops a fingerprint
# from being a plain SHA-256 that could be looked up in a table of known tokens.
FINGERPRINT_KEY = b"leakwarden/fingerprint/v1"

# How a skip reason says content was only partly scanned (a time budget or an archive bound ran
# out), shared by the engine that writes it and the server policy that rejects such a push.
NOT_FULLY_SCANNED = "not fully scanned"

CONFIDENCE_ORDER = {"low": 0, "medium": 1, "high": 2}
SEVERITY_ORDER = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def fingerprint(secret: bytes) -> str:
    # Imported here: OpenSSL's start-up is a noticeable part of a commit hook that finds nothing.
    import hashlib
    import hmac

    return hmac.new(FINGERPRINT_KEY, secret, hashlib.sha256).hexdigest()


def redact(secret: str, public_prefix: str = "") -> str:
    """Mask the secret, keeping only a prefix the caller knows is public: a token type's fixed
    prefix (``ghp_``, ``xoxb-``) or a key's header, never a guess at where a value's secret
    part starts."""
    if public_prefix and secret.startswith(public_prefix) and len(public_prefix) <= len(secret) // 2:
        return public_prefix + "*" * 8
    return "*" * 8


@dataclass
class Finding:
    """One secret at one place: what found it, how sure, where, and the secret (in memory only)."""

    rule_id: str
    type: str
    confidence: str          # high | medium | low
    basis: str               # checksum | structure | pattern
    severity: str            # critical | high | medium | low
    path: str
    line: int                # 1-based, in the original text
    column: int              # 1-based, in characters of the original text
    secret: str = field(repr=False)
    reason: str = ""         # why we believe it, e.g. "checksum valid"
    fix: str = ""            # one-line fix for where it was found
    url: str = ""
    end_line: int = 0
    encoding: str = ""       # how the secret was wrapped: "", "base64", "escaped", "percent"
    details: dict[str, Any] = field(default_factory=dict)
    # Where in history (set by git sources); empty for plain files.
    commit: str = ""
    blob: str = ""
    occurrences: list[dict[str, Any]] = field(default_factory=list)
    public_prefix: str = ""  # what redaction may show: the rule's fixed prefix, never a guess
    # Inside an archive: the member names from the outermost container in, and ``path`` is
    # ``container!member[!member...]`` (docs/archives.md).
    members: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fingerprint = fingerprint(self.secret.encode("utf-8", "surrogateescape"))

    @property
    def redacted(self) -> str:
        return redact(self.secret, self.public_prefix)

    @property
    def container(self) -> str:
        """The file (or blob) the finding is in: ``path`` without its archive members."""
        if not self.members:
            return self.path
        return self.path[:len(self.path) - len("!".join(self.members)) - 1]

    def placed(self, path: str) -> str:
        """The finding's label were its container at ``path`` (history moves a blob's findings
        to each path the blob has)."""
        return "!".join([path, *self.members])

    def location(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    def as_dict(self, show_secret: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "type": self.type,
            "confidence": self.confidence,
            "basis": self.basis,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line or self.line,
            "redacted": self.redacted,
            "fingerprint": self.fingerprint,
            "reason": self.reason,
            "fix": self.fix,
            "url": self.url,
        }
        if self.encoding:
            out["encoding"] = self.encoding
        if self.details:
            out["details"] = self.details
        if self.members:
            out["container"] = self.container
            out["members"] = list(self.members)
        if self.commit:
            out["commit"] = self.commit
        if self.blob:
            out["blob"] = self.blob
        if self.occurrences:
            out["occurrences"] = self.occurrences
        if show_secret:
            out["secret"] = self.secret
        return out
