"""The one result every source produces and every reporter reads, and the renderers by name."""
from __future__ import annotations

from typing import IO, TYPE_CHECKING, Callable

from scanner.finding import BINARY, NOT_FULLY_SCANNED, Finding
from scanner.records import field, record

if TYPE_CHECKING:
    from scanner.policy.threshold import FailPolicy

SCHEMA_VERSION = "1"

# Where a finding in a commit or tag message is said to be: one label in every source.
COMMIT_MESSAGE = "<commit message>"


def tag_message_label(name: str) -> str:
    return f"<tag message {name}>"


class Skip:
    """Why something was not scanned: one wording per reason, in every source and format."""
    MISSING = "object missing from the repository (shallow or partial clone)"
    LFS = "Git LFS pointer, content not fetched"
    GITLINK = "submodule (gitlink), not scanned"
    SYMLINK = "symlink, not followed"
    NOT_REGULAR = "not a regular file"
    EXCLUDED = "excluded by the configuration (exclude_paths)"
    BINARY = BINARY   # the engine's word for content it does not scan as text
    # The start of every reason for content scanned only in part (a time budget, an archive's
    # limits); at the server such a push is rejected under leakwarden.onError.
    INCOMPLETE = NOT_FULLY_SCANNED

    @staticmethod
    def too_large(size: int) -> str:
        return f"larger than max_file_size ({size} bytes)"


@record
class Report:
    """What a run found (``findings``), what it did not scan and why (``skipped``), what it could
    not read (``errors``, which make the run fail with exit 3), and counts."""
    findings: list[Finding] = field(default_factory=list)
    tool_command: str = "scan"
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (path, why)
    errors: list[tuple[str, str]] = field(default_factory=list)    # (path, what went wrong)
    warned: set[str] = field(default_factory=set)   # fingerprints shown as warnings, not failures
    stats: dict = field(default_factory=dict)
    # Findings a baseline accepted, each with its baseline entry (status, note): not failures,
    # but the HTML report lists them with their triage status.
    baselined: list[tuple[Finding, dict]] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)   # git sources: the new commits scanned, oldest first
    roots: set[str] = field(default_factory=set)       # those of them without a parent

    def judge(self, policy: FailPolicy) -> None:
        """Findings the policy does not block are reported as warnings: the one place that decides."""
        self.warned |= {f.fingerprint for f in self.findings if not policy.blocks(f)}

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.fingerprint not in self.warned]

    @property
    def partial(self) -> list[tuple[str, str]]:
        """Skips of content begun but not finished: the server fails closed on these."""
        return [(path, why) for path, why in self.skipped if Skip.INCOMPLETE in why]

    def count(self, size: int, unit: str = "files_scanned") -> None:
        """One input scanned, of ``size`` bytes: the stats behind the summary's 'scanned N files, X MB'."""
        self.stats[unit] = self.stats.get(unit, 0) + 1
        self.stats["bytes"] = self.stats.get("bytes", 0) + size

    def skip(self, path: str, why: str) -> None:
        """Record a skip once (a gitlink met in many commits is one skip)."""
        if (path, why) not in self.skipped:
            self.skipped.append((path, why))


def renderer(fmt: str) -> Callable[[Report, IO[str], bool, bool], None]:
    if fmt == "text":
        from scanner.report.text import render
    elif fmt in ("json", "jsonl"):
        from scanner.report.json import render_json, render_jsonl
        render = render_json if fmt == "json" else render_jsonl
    elif fmt == "sarif":
        from scanner.report.sarif import render
    elif fmt == "html":
        from scanner.report.html import render
    else:
        raise ValueError(fmt)
    return render
