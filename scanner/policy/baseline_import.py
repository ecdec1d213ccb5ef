"""Import other tools' baselines and ignore lists into a leakwarden baseline.

Other tools record a secret by position (gitleaks) or by a plain SHA-1 (detect-secrets).
A leakwarden baseline matches by value, so every entry is resolved to a secret by scanning
the recorded place with leakwarden; entries that cannot be resolved are reported, not guessed.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.errors import UsageError
from scanner.finding import Finding
from scanner.records import field, record, replace

if TYPE_CHECKING:
    from scanner import git
    from scanner.engine.core import Engine

FORMATS = ("detect-secrets", "gitleaks-json", "gitleaksignore")
_DS_STATUS = {True: "true-positive", False: "false-positive"}
# detect-secrets 1.x hashes what its regex yields: for private keys the BEGIN marker, and for
# GitHub tokens the first capture group (the ``ghp`` prefix), not the token itself.
_DS_KEY_MARKER = re.compile(r"BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?|PuTTY-User-Key-File-2")
_IGNORE_LINE = re.compile(r"^(?:(?P<commit>[0-9a-f]{40}|[0-9a-f]{64}):)?(?P<file>.+):(?P<rule>[^:]+):(?P<line>\d+)$")


@record
class Mapped:
    finding: Finding
    status: str
    note: str


@record(frozen=True)
class PositionalEntry:
    """One gitleaks finding or .gitleaksignore line: a secret recorded by its place."""
    where: str                  # how the entry is named in messages
    commit: str                 # "" for the working tree
    file: str
    rule: str                   # gitleaks' rule id
    line: int | None
    secret: str | None          # None when the report was redacted or never had it


@record
class ImportResult:
    mapped: list[Mapped] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)    # one human-readable reason per entry


def detect_format(path: Path, text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("results"), dict):
        return "detect-secrets"
    if isinstance(data, list) and all(isinstance(d, dict) and "RuleID" in d for d in data):
        return "gitleaks-json"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if data is None and all(_IGNORE_LINE.match(ln) for ln in lines):
        return "gitleaksignore"
    raise UsageError(f"{path}: cannot tell the format; give --format ({', '.join(FORMATS)})")


def import_file(path: Path, fmt: str | None, repo: Path, engine: Engine) -> ImportResult:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    fmt = fmt or detect_format(path, text)
    resolver = _Resolver(repo, engine)
    try:
        if fmt == "detect-secrets":
            return _detect_secrets(path, text, resolver)
        entries = _gitleaks_json(path, text) if fmt == "gitleaks-json" else _gitleaksignore(text)
        result = ImportResult()
        for e in entries:
            f, why = resolver.positional(e.commit, e.file, e.line, e.rule, e.secret)
            if f is None:
                result.unmapped.append(f"{e.where}: {why}")
            else:
                result.mapped.append(Mapped(f, "unaudited", f"imported from {fmt} ({e.rule})"))
        return result
    finally:
        resolver.close()


def _load_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{path}: invalid JSON: {exc}") from None


def _detect_secrets(path: Path, text: str, resolver: "_Resolver") -> ImportResult:
    data = _load_json(path, text)
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise UsageError(f"{path}: not a detect-secrets baseline (no 'results')")
    result = ImportResult()
    for filename, items in data["results"].items():
        for item in items if isinstance(items, list) else []:
            line, hashed = item.get("line_number"), str(item.get("hashed_secret", ""))
            kind = str(item.get("type", "?"))
            where = f"{filename}:{line} ({kind})"
            if not isinstance(line, int):
                result.unmapped.append(f"{where}: no line number")
                continue
            findings, why = resolver.at(None, filename, line)
            matches = {f.fingerprint: f for f in findings if hashed in _ds_hashes(f)}
            if len(matches) == 1:
                status = _DS_STATUS.get(item.get("is_secret"), "unaudited")
                result.mapped.append(Mapped(next(iter(matches.values())), status,
                                            f"imported from detect-secrets ({kind})"))
            elif matches:
                result.unmapped.append(f"{where}: {len(matches)} secrets there match; cannot tell which")
            else:
                result.unmapped.append(f"{where}: {why or 'leakwarden finds no secret with that hash there'}")
    return result


def _ds_hashes(f: Finding) -> set[str]:
    def sha1(s: str) -> str:
        return hashlib.sha1(s.encode("utf-8", "surrogateescape")).hexdigest()

    out = {sha1(f.secret)}
    if f.rule_id.startswith("github-") and "_" in f.secret:
        out.add(sha1(f.secret.split("_", 1)[0]))
    out.update(sha1(m.group(0)) for m in _DS_KEY_MARKER.finditer(f.secret))
    return out


def _gitleaks_json(path: Path, text: str) -> list[PositionalEntry]:
    data = _load_json(path, text)
    if not isinstance(data, list):
        raise UsageError(f"{path}: not a gitleaks JSON report (expected a list of findings)")
    out = []
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise UsageError(f"{path}: finding {n} is not an object")
        file, line, rule = str(item.get("File", "")), item.get("StartLine"), str(item.get("RuleID", "?"))
        secret = item.get("Secret") or None
        if secret == "REDACTED":    # gitleaks --redact
            secret = None
        out.append(PositionalEntry(f"finding {n} {file}:{line}", str(item.get("Commit") or ""), file, rule,
                                   line if isinstance(line, int) else None, secret))
    return out


def _gitleaksignore(text: str) -> list[PositionalEntry]:
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        ln = raw.strip()
        if not ln or ln.startswith("#"):
            continue
        m = _IGNORE_LINE.match(ln)
        if m is None:
            out.append(PositionalEntry(f"line {n}", "", "", "?", None, None))
            continue
        out.append(PositionalEntry(f"line {n} {m['file']}:{m['line']}", m["commit"] or "", m["file"], m["rule"],
                                   int(m["line"]), None))
    return out


class _Resolver:
    """Scans a recorded place (a blob at a commit, or a working-tree file) once, then answers by line."""

    def __init__(self, repo: Path, engine: Engine) -> None:
        self.repo, self.engine = repo, engine
        self.cache: dict[tuple[str, str], tuple[list[Finding], str]] = {}
        self.catfile: git.ObjectReader | None = None

    def close(self) -> None:
        if self.catfile is not None:
            self.catfile.close()

    def at(self, commit: str | None, file: str, line: int) -> tuple[list[Finding], str]:
        findings, why = self._scan(commit or "", file)
        return [f for f in findings if f.line <= line <= (f.end_line or f.line)], why

    def positional(self, commit: str, file: str, line: int | None, rule: str,
                   secret: str | None) -> tuple[Finding | None, str]:
        if not file or line is None:
            return None, "not a recognised entry (expected commit:file:rule-id:line or file:rule-id:line)"
        found, why = self.at(commit, file, line)
        if not found:
            return None, why or "leakwarden finds no secret on that line"
        if secret is not None:
            found = [f for f in found if f.secret == secret or secret in f.secret or f.secret in secret]
            if not found:
                return None, "leakwarden finds a different secret on that line"
        by_fp = {f.fingerprint: f for f in found}
        if len(by_fp) > 1:
            # A rule's aliases name the gitleaks rules that find the same secrets.
            ours = {r.id for r in self.engine.rules if f"gitleaks:{rule}" in r.aliases}
            by_fp = {fp: f for fp, f in by_fp.items() if f.rule_id in ours}
        if len(by_fp) != 1:
            return None, f"{len(found)} secrets on that line; cannot tell which one {rule} meant"
        return next(iter(by_fp.values())), ""

    def _scan(self, commit: str, file: str) -> tuple[list[Finding], str]:
        key = (commit, file)
        if key not in self.cache:
            self.cache[key] = self._read_and_scan(commit, file)
        return self.cache[key]

    def _read_and_scan(self, commit: str, file: str) -> tuple[list[Finding], str]:
        from scanner import git

        if commit:
            if "\n" in file:
                return [], "a path with a newline cannot be read from a commit"
            if self.catfile is None:
                self.catfile = git.ObjectReader(self.repo)
            obj = self.catfile.get(f"{commit}:{file}")
            if obj is None or obj[0] != "blob":
                return [], f"{file} is not in commit {commit[:12]}"
            return [replace(f, commit=commit) for f in self.engine.scan(obj[1], file).findings], ""
        target = self.repo / file
        try:
            raw = target.read_bytes()
        except OSError as exc:
            return [], f"cannot read {file}: {exc.strerror}"
        return self.engine.scan(raw, str(target)).findings, ""
