"""Which findings fail a run (exit 1, or block a hook) and which are only warnings."""
from __future__ import annotations


from scanner.finding import CONFIDENCE_ORDER, SEVERITY_ORDER, Finding
from scanner.records import record


@record(frozen=True)
class FailPolicy:
    """Which findings fail a run: at or above this confidence and this severity."""

    confidence: str = "medium"
    severity: str = "low"

    def blocks(self, f: Finding) -> bool:
        return (CONFIDENCE_ORDER[f.confidence] >= CONFIDENCE_ORDER[self.confidence]
                and SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[self.severity])


# Hooks block only what is near-certain: checksum-valid GitHub tokens, plausible private
# keys and high-confidence provider tokens. Everything else is shown as a warning.
HOOK_DEFAULT = FailPolicy(confidence="high", severity="low")
