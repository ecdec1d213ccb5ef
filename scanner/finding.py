"""The one record every source produces and every consumer reads.

A ``Finding`` is immutable (a frozen record): its fingerprint is set once, when it is made,
and nothing assigns to a finding afterwards. A layer with something to add makes a new finding
with ``records.replace``, in the one place it does so; there are two kinds:

* placing it: the blob step stamps commit and blob (``sources/blobs.py``; commit and tag
  fields in ``sources/meta.py``, a baseline's commit in ``policy/baseline_import.py``), the
  archive reader its ``container!member`` path (``engine/archives.py``), and history's
  one-finding-per-secret puts it at its oldest place with every place listed
  (``with_places``, in ``sources/history.py`` and ``state.py``; ``org/merge.py`` joins the
  places of commit ranges and repositories);
* annotating it: ``annotated`` adds to ``details`` (the credential file a token sits in, in
  ``engine/credfiles``; ``verification`` in ``verify``; new/known ``history`` under
  ``history --state``; the ``repositories`` of ``org-audit``).

The engine judges all it can before making a finding (its place's ``context`` and the fix that
fits it, the fingerprint of the bytes a credential file's finding covers), so the many it makes
are each made once.

The lists and the dict a finding holds are never changed in place either: they are replaced.
"""
from __future__ import annotations

from typing import Any

from scanner.records import field, record, replace

# Fixed and public on purpose: fingerprints must be stable across runs, machines and
# tools so baselines and audit logs can match them. The key only stops a fingerprint
# from being a plain SHA-256 that could be looked up in a table of known tokens.
FINGERPRINT_KEY = b"leakwarden/fingerprint/v1"

# How a skip reason says content was only partly scanned (a time budget or an archive bound ran
# out), shared by the engine that writes it and the server policy that rejects such a push.
NOT_FULLY_SCANNED = "not fully scanned"
# The engine's word for content it does not scan as text (report.Skip.BINARY is the same word).
BINARY = "binary"

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


@record(frozen=True, slots=True)
class Finding:
    """One secret at one place: what found it, how sure, where, and the secret (in memory only).
    Never changed once made: see the module docstring for how later layers add to one."""

    rule_id: str
    type: str
    confidence: str          # high | medium | low
    basis: str               # checksum | structure | pattern
    severity: str            # critical | high | medium | low
    path: str
    line: int                # 1-based, in the original text
    column: int              # 1-based, in characters of the original text
    secret: str = field(repr=False)
    # Set once, at construction: of ``secret`` unless the maker names another basis (a
    # credential file's finding is fingerprinted by the bytes it covers; a redacted finding
    # keeps the real secret's).
    fingerprint: str = ""
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
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", fingerprint(self.secret.encode("utf-8", "surrogateescape")))

    def annotated(self, **notes: Any) -> Finding:
        """This finding with ``notes`` added to its ``details``: how a later layer says more
        about a finding without changing it."""
        return replace(self, details={**self.details, **notes})

    def with_places(self, places: list[dict[str, Any]]) -> Finding:
        """This finding where history puts it: at its oldest place, ``places[0]`` (commit, path,
        line, blob), with every place in ``occurrences``."""
        first = places[0]
        return replace(self, path=first["path"], line=first["line"], commit=first["commit"],
                       blob=first.get("blob", ""), occurrences=places)

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
