"""Incremental history audits: ``leakwarden history --state FILE``.

The state file records what an audit covered, so the next one scans only what is new: the
tips it reached (ref values), a digest of the rules and settings that decide findings, and
each finding as its fingerprint, rule and places (commit, path, line, blob, author, date).
Never a secret, nor any content. An audit that is interrupted keeps, beside the last complete
state, how far it got (object ids only), and the next run resumes from there.

A later run walks ``REVS --not OLD-TIPS``: the commits and objects that the recorded tips do
not reach. Its findings are "new", or "known" when the state already had the secret. Known
findings not met again are kept while one of their places is still reachable (a force-push
or a deleted ref can take them away), re-read from their blob or message so that they carry
everything a fresh audit would; a finding with no reachable place left is reported as gone.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.errors import UsageError
from scanner.records import field, record

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.engine.core import Engine
    from scanner.finding import Finding
    from scanner.report import Report
    from scanner.sources.history import Progress

VERSION = 1
_PLACE_KEYS = ("commit", "path", "line", "blob", "author", "date")


@record
class State:
    digest: str                          # rules and settings (see ``digest``)
    revs: list[str]                      # what was walked, as given
    tips: list[str]                      # what those revisions named when the last audit completed
    findings: list[dict[str, Any]] = field(default_factory=list)   # fingerprint, rule_id, places
    partial: dict[str, Any] | None = None   # an interrupted run: its tips and how far it got

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, "digest": self.digest, "revs": self.revs, "tips": self.tips,
                "findings": self.findings, "partial": self.partial}


def digest(engine: "Engine", cfg: "Config") -> str:
    """What decides findings: the rules and every setting that filters them. A change forces a
    full audit (the old findings may not be what these rules find)."""
    from scanner import __version__
    from scanner.rules.model import rules_hash

    decisive = [__version__, rules_hash(engine.rules), cfg.min_confidence, sorted(cfg.exclude_paths),
                sorted(cfg.disable_rules), sorted(cfg.allow_regexes), sorted(cfg.allowlist), cfg.max_file_size,
                cfg.max_file_size_set, cfg.scan_binary, repr(cfg.archive_limits())]
    return hashlib.sha256(json.dumps(decisive).encode()).hexdigest()[:32]


def load(path: Path) -> State | None:
    """The state in ``path``; None if there is no such file yet."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the state file: {exc.strerror}") from None
    try:
        doc = json.loads(raw)
        if doc.get("version") != VERSION:
            raise ValueError(f"version {doc.get('version')!r}, expected {VERSION}")
        return State(str(doc["digest"]), list(doc["revs"]), list(doc["tips"]), list(doc["findings"]),
                     doc.get("partial"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path}: not a leakwarden state file ({exc}); remove it to start over") from None


def save(path: Path, state: State) -> None:
    """Write atomically: a reader (or a run killed while writing) sees the old file or the new
    one, never half of one."""
    from scanner.writefile import UnsafeTarget, write_file

    try:
        write_file(path, json.dumps(state.to_json(), indent=1).encode("utf-8"))
    except UnsafeTarget:
        raise
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the state file: {exc.strerror}") from None


@record
class Outcome:
    report: "Report"                     # the history audit's, its findings old and new
    status: dict[str, str]               # fingerprint -> "new" | "known"
    gone: list[dict[str, Any]]           # findings of the state with no reachable place left
    note: str                            # what kind of run this was, for the user


def audit(repo: Path, engine: "Engine", cfg: "Config", revs: list[str], state_path: Path, *,
          progress: bool = False, jobs: int | None = None) -> Outcome:
    """A history audit that reads and writes the state in ``state_path``."""
    from scanner import git
    from scanner.report import Report
    from scanner.sources import history

    current = digest(engine, cfg)
    old = load(state_path)
    tips = git.rev_tips(revs, repo)
    note = "first audit: everything scanned"
    if old is not None and old.digest != current:
        note, old = "the rules or settings changed since the last audit: everything scanned again", None
    elif old is not None and old.revs != revs:
        note, old = (f"the last audit walked {' '.join(old.revs)}, this one {' '.join(revs)}: "
                     "everything scanned again"), None
    elif old is not None:
        note = "incremental: only what the last audit's tips do not reach"
    base_tips = git.existing_objects(old.tips, repo) if old is not None else []
    walk = [*revs, "--not", *base_tips] if base_tips else revs
    if old is not None and sorted(tips) == sorted(old.tips):
        note = "nothing new since the last audit"

    resume = _resumable(old if old is not None else State(current, revs, []), current, tips, state_path)
    partial = State(current, revs, old.tips if old is not None else [], old.findings if old is not None else [])

    def checkpoint(done: "Progress") -> None:
        partial.partial = {"tips": tips, "done": done.done, "last": done.last, "found": sorted(done.found),
                           "gated": sorted(done.gated)}
        save(state_path, partial)

    if old is not None and set(tips) <= set(base_tips):
        report = Report(tool_command="history", stats={"objects": 0, "bytes": 0})   # every tip was audited already
    else:
        report = history.scan(repo, engine, cfg, walk, progress=progress,
                              jobs=jobs if jobs is not None else (1 if base_tips else None), resume=resume,
                              checkpoint=checkpoint)
    return _combine(repo, engine, report, old, tips, current, revs, state_path, note, history.COMMIT_MESSAGE)


def _resumable(old: State, current: str, tips: list[str], state_path: Path) -> "Progress | None":
    """How far an interrupted run over the same tips, rules and settings got."""
    from scanner.sources.history import Progress

    p = old.partial
    # Without "gated", the run was made by a version that did not record which blobs woke a rule
    # that runs only in some files: what it scanned is scanned again.
    if not p or old.digest != current or sorted(p.get("tips", [])) != sorted(tips) or "gated" not in p:
        return None
    return Progress(int(p.get("done", 0)), str(p.get("last", "")), set(p.get("found", [])),
                    set(p.get("gated", [])))


def _combine(repo: Path, engine: "Engine", report: "Report", old: State | None, tips: list[str],
             current: str, revs: list[str], state_path: Path, note: str, message_label: str) -> Outcome:
    """This run's findings, marked new or known; the state's other findings kept while a place
    is still reachable, gone otherwise; and the new state written."""
    from scanner import git

    known = {f["fingerprint"]: f for f in old.findings} if old is not None else {}
    status = {f.fingerprint: ("known" if f.fingerprint in known else "new") for f in report.findings}
    # Which of the state's places are still reachable: all of them, unless a ref was deleted
    # or force-pushed; a tag message's place is its tag object, reachable while a ref names it.
    commits = [p["commit"] for f in known.values() for p in f["places"] if not _is_tag(p)]
    alive = git.reachable(commits, old.tips if old is not None else [], tips, repo) if commits else set()
    refs = set(tips)

    def still(entry: dict[str, Any]) -> list[dict[str, Any]]:
        return [p for p in entry["places"] if (p["commit"] in refs if _is_tag(p) else p["commit"] in alive)]

    gone: list[dict[str, Any]] = []
    left: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for fp, entry in known.items():
        places = still(entry)
        if fp in status:
            i = next(i for i, f in enumerate(report.findings) if f.fingerprint == fp)
            report.findings[i] = _add_places(report.findings[i], places)
        elif places:
            left.append((entry, places))
        else:
            gone.append(entry)
    for (entry, _places), finding in zip(left, _reread(repo, engine, left, message_label), strict=True):
        if finding is None:
            gone.append(entry)
            continue
        status[finding.fingerprint] = "known"
        report.findings.append(finding)
    report.findings.sort(key=lambda f: (f.path, f.line))
    report.stats["findings"] = len(report.findings)
    save(state_path, State(current, revs, tips, [_entry(f) for f in report.findings]))
    return Outcome(report, status, gone, note)


def _is_tag(place: dict[str, Any]) -> bool:
    return str(place["path"]).startswith("<tag message")


def _reread(repo: Path, engine: "Engine", entries: list[tuple[dict[str, Any], list[dict[str, Any]]]],
            message_label: str) -> list["Finding | None"]:
    """Each finding again, from the blob or message of its oldest reachable place: a full
    finding (secret included, for --show-secrets), with its places; None where it is not
    found there any more."""
    from scanner import git

    if not entries:
        return []
    out: list[Finding | None] = []
    reader = git.ObjectReader(repo)
    try:
        wanted = [places[0].get("blob") or places[0]["commit"] for _, places in entries]
        for (entry, places), (_, kind, _, raw) in zip(entries, reader.read(wanted), strict=True):
            first = places[0]
            if not isinstance(raw, bytes):
                found = []
            elif kind == "blob":
                found = engine.scan(raw, first["path"]).findings
            elif kind == "commit":
                found = engine.scan(git.parse_commit(first["commit"], raw).message, message_label,
                                    by_path=False).findings
            else:
                found = engine.scan(git.parse_tag(first["commit"], raw).message, first["path"], by_path=False).findings
            match = next((f for f in found if f.fingerprint == entry["fingerprint"]), None)
            out.append(None if match is None else match.with_places([dict(p) for p in places]))
    finally:
        reader.close()
    return out


def _add_places(finding: "Finding", places: list[dict[str, Any]]) -> "Finding":
    """A known secret met again: its earlier places still count, and the oldest speaks for it."""
    seen = {(o["commit"], o["path"], o["line"]) for o in finding.occurrences}
    earlier = [p for p in places if (p["commit"], p["path"], p["line"]) not in seen]
    return finding.with_places([*earlier, *finding.occurrences]) if earlier else finding


def _entry(f: "Finding") -> dict[str, Any]:
    places = f.occurrences or [{"commit": f.commit, "path": f.path, "line": f.line, "blob": f.blob}]
    return {"fingerprint": f.fingerprint, "rule_id": f.rule_id,
            "places": [{k: p[k] for k in _PLACE_KEYS if k in p} for p in places]}

