"""Allow filters, the engine's last stage: inline markers, allow regexes, allowlisted fingerprints."""
from __future__ import annotations

from scanner.records import field, record


# leakwarden's own marker, plus those of the tools people migrate from.
INLINE_MARKERS = (b"leakwarden:allow", b"pragma: allowlist secret", b"gitleaks:allow")
ALLOW_TIMEOUT = 0.1   # seconds per search: an allow regex only ever looks at one secret or one line


@record
class AllowPolicy:
    """What the configuration allows: regexes on a secret or its line, and fingerprints."""

    regexes: list[str] = field(default_factory=list)       # matched against the secret and its line
    fingerprints: dict[str, str] = field(default_factory=dict)  # fingerprint -> reason
    _compiled: list = field(default_factory=list, repr=False)
    # Allow regexes that ran out of time since the engine last asked: the finding they were
    # judging is kept (an allow filter that cannot finish allows nothing) and the run says so.
    timed_out: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        if self.regexes:   # most runs have none: the regex module then waits for a rule that wakes
            import regex

            self._compiled = [regex.compile(r) for r in self.regexes]

    @staticmethod
    def inline(line: bytes) -> bool:
        return any(m in line for m in INLINE_MARKERS)

    def allows(self, secret: str, line: str, fp: str) -> bool:
        return fp in self.fingerprints or self.allows_text(secret) or self.allows_text(line)

    def allows_text(self, text: str) -> bool:
        """Whether an allow regex matches ``text`` (a secret or the line it is on)."""
        for source, rx in zip(self.regexes, self._compiled, strict=True):
            try:
                if rx.search(text, timeout=ALLOW_TIMEOUT):
                    return True
            except TimeoutError:
                self.timed_out.add(source)
        return False

    def take_timeouts(self) -> list[str]:
        out = sorted(self.timed_out)
        self.timed_out.clear()
        return out
