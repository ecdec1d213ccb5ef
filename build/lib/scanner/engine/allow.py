"""Allow filters, the engine's last stage: inline markers, allow regexes, allowlisted fingerprints."""
from __future__ import annotations

from dataclasses import dataclass, field

import regex

# leakwarden's own marker, plus those of the tools people migrate from.
INLINE_MARKERS = (b"leakwarden:allow", b"pragma: allowlist secret", b"gitleaks:allow")


@dataclass
class AllowPolicy:
    regexes: list[str] = field(default_factory=list)       # matched against the secret and its line
    fingerprints: dict[str, str] = field(default_factory=dict)  # fingerprint -> reason
    _compiled: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._compiled = [regex.compile(r) for r in self.regexes]

    @staticmethod
    def inline(line: bytes) -> bool:
        return any(m in line for m in INLINE_MARKERS)

    def allows(self, secret: str, line: str, fp: str) -> bool:
        if fp in self.fingerprints:
            return True
        return any(rx.search(secret, timeout=0.1) or rx.search(line, timeout=0.1) for rx in self._compiled)
