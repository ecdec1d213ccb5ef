"""A remediation plan per distinct secret: what it is, where it is, and the ordered steps.

The plan is a plain dict (rendered as JSON for tools, Markdown for people) and never holds a
secret; only the filter-repo expressions file the user asks for does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scanner.finding import SEVERITY_ORDER, Finding, redact
from scanner.records import field, record
from scanner.remediation import pairs
from scanner.remediation.credential_kinds import kind_for

if TYPE_CHECKING:
    from scanner.remediation.pairs import LinesAt

REWRITE_CAVEATS = [
    "Rotate first: rewriting history does not un-leak a secret. Anyone who cloned, forked or cached the "
    "repository still has it, so steps 1-3 for every secret come before any rewrite.",
    "Forks keep the old history; on GitHub, a fork of a public repository is not changed by your rewrite.",
    "Existing clones keep the old commits, and a later push from one brings them back: every collaborator "
    "must re-clone (or hard-reset every branch) after the rewrite.",
    "Pull-request refs (`refs/pull/*`) on GitHub are read-only to you and keep the old commits; ask GitHub "
    "Support to remove cached views and dangling commits.",
    "Caches outside git keep copies: CI logs and caches, build artifacts, package registries, mirrors, "
    "search engines and archives.",
    "Rewriting changes every later commit id: signed commits lose their signatures, and open pull requests, "
    "links to commits and tags need updating; force-push every rewritten branch and tag.",
]


# filter-repo removes the `origin` remote so that nothing is pushed by mistake: put it back first.
AFTER_REWRITE = [
    "git remote add origin URL   # filter-repo removed the remote; use the repository's URL",
    "git push --force --all origin && git push --force --tags origin",
]


@record
class Leak:
    fingerprint: str
    rule_id: str
    type: str
    severity: str
    confidence: str
    redacted: str
    secret: str | None = None
    encodings: set[str] = field(default_factory=set)
    occurrences: list[dict[str, Any]] = field(default_factory=list)
    first_commit: str = ""
    file_level: bool = False   # a whole credential file (.env, credentials.json): removed by path
    parts: list[Leak] = field(default_factory=list)   # the id half of one credential (remediation/pairs.py)


def _occurrence(path: str, line: int, commit: str = "", **extra: Any) -> dict[str, Any]:
    occ = {"path": path, "line": line}
    if commit:
        occ["commit"] = commit
    occ.update({k: v for k, v in extra.items() if v})
    return occ


def _merge(leaks: dict[str, Leak], fp: str, item: dict[str, Any], secret: str | None,
           occurrences: list[dict[str, Any]]) -> None:
    leak = leaks.get(fp)
    if leak is None:
        leak = leaks[fp] = Leak(fp, item["rule_id"], item.get("type", item["rule_id"]), item.get("severity", "high"),
                                item.get("confidence", "medium"), item.get("redacted") or "********")
    if secret is not None:
        leak.secret = secret
    if item.get("encoding"):
        leak.encodings.add(item["encoding"])
    if isinstance(item.get("details"), dict) and item["details"].get("file_level"):
        leak.file_level = True
    if item.get("commit") and not leak.first_commit:
        leak.first_commit = item["commit"]
    seen = {(o.get("commit"), o.get("path"), o.get("line"), o.get("ref")) for o in leak.occurrences}
    for occ in occurrences:
        key = (occ.get("commit"), occ.get("path"), occ.get("line"), occ.get("ref"))
        if key not in seen:
            seen.add(key)
            leak.occurrences.append(dict(occ))


def from_findings(findings: list[Finding]) -> list[Leak]:
    """From live findings (``--history``): the secrets are in memory."""
    leaks: dict[str, Leak] = {}
    for f in findings:
        item = f.as_dict()
        occs = f.occurrences or [_occurrence(f.path, f.line, f.commit)]
        _merge(leaks, f.fingerprint, item, f.secret, occs)
    return list(leaks.values())


def from_report(doc: Any) -> list[Leak]:
    """From a JSON report of ``scan`` or ``history``; secrets only if it was made with --show-secrets."""
    from scanner.errors import UsageError

    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise UsageError("not a leakwarden JSON report (no 'findings' list); make one with --format json")
    leaks: dict[str, Leak] = {}
    for n, item in enumerate(doc["findings"], 1):
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str) or "rule_id" not in item:
            raise UsageError(f"finding {n}: needs at least 'fingerprint' and 'rule_id'")
        occs = item.get("occurrences") or [_occurrence(str(item.get("path", "?")), int(item.get("line", 0)),
                                                       str(item.get("commit", "")))]
        secret = item.get("secret")
        if isinstance(secret, str) and not item.get("redacted"):
            item["redacted"] = redact(secret)
        _merge(leaks, item["fingerprint"], item, secret if isinstance(secret, str) else None, occs)
    return list(leaks.values())


def _introduced(leak: Leak) -> dict[str, Any] | None:
    with_commit = [o for o in leak.occurrences if o.get("commit")]
    if not with_commit:
        return None
    first = next((o for o in with_commit if o["commit"] == leak.first_commit), None)
    if first is None:
        first = min(with_commit, key=lambda o: str(o.get("date", "")))
    return {k: first[k] for k in ("commit", "author", "date", "path", "line") if k in first}


def rewrite_command(leaks: list[Leak], expressions_file: str | None) -> str:
    """One filter-repo run: whole credential files removed by path, every other secret replaced in
    file contents and in commit and tag messages."""
    import shlex

    paths = sorted({str(o.get("path")) for lk in leaks if lk.file_level for o in lk.occurrences if o.get("commit")})
    expr = shlex.quote(expressions_file) if expressions_file else "EXPRESSIONS_FILE"
    removal = "".join(f" --path {shlex.quote(p)}" for p in paths)
    return (f"git filter-repo{' --invert-paths' + removal if paths else ''} "
            f"--replace-text {expr} --replace-message {expr}")


def build(leaks: list[Leak], rules: dict[str, Any], expressions_file: str | None = None,
          lines_at: LinesAt | None = None) -> dict[str, Any]:
    """The plan; ``lines_at`` reads where a secret is, to find the id that goes with it."""
    leaks = pairs.fold(leaks, rules, lines_at)
    ordered = sorted(leaks, key=lambda lk: (-SEVERITY_ORDER.get(lk.severity, 0),
                                            str((_introduced(lk) or {}).get("date", "")), lk.fingerprint))
    secrets = [_secret_plan(lk, rules.get(lk.rule_id)) for lk in ordered]
    in_history = any(s["in_history"] for s in secrets)
    manual = [f"{s['fingerprint'][:12]} ({s['type']}) is stored {', '.join(sorted(s['encodings']))}-encoded; "
              "the expressions file holds only its plain form, so edit those blobs by hand"
              for s in secrets if s["in_history"] and set(s["encodings"]) & {"base64", "percent"}]
    return {
        "schema_version": "1",
        "tool": {"name": "leakwarden", "command": "remediate"},
        "summary": {"secrets": len(secrets), "occurrences": sum(len(s["occurrences"]) for s in secrets),
                    "in_history": sum(1 for s in secrets if s["in_history"])},
        "secrets": secrets,
        "history_rewrite": {
            "needed": in_history,
            "expressions_file": expressions_file,
            "command": rewrite_command(leaks, expressions_file),
            "after": AFTER_REWRITE,
            "caveats": REWRITE_CAVEATS,
            "manual": manual,
        },
    }


def _located(path: str, line: int, advice: str) -> dict[str, Any]:
    """A location with what to do in that kind of place (a workflow, a .env, code, a command line)."""
    from scanner.engine.context import classify, fix_for

    ctx = classify(path)
    return {"path": path, "line": line, "context": ctx, "advice": fix_for(ctx, path, "", advice=advice, generic=True)
            .replace(" Then rotate the credential.", "")}


def _secret_plan(leak: Leak, rule: Any) -> dict[str, Any]:
    kind = kind_for(leak.rule_id, rule)
    in_history = any(o.get("commit") for o in leak.occurrences)
    occurrences = leak.occurrences + [o for half in leak.parts for o in half.occurrences]
    places = sorted({(o.get("path", "?"), o.get("line", 0)) for o in occurrences})
    if in_history:
        rewrite = ("Needed only if the text must disappear from the repository (it is or was public, or "
                   "policy requires it), and only after steps 1-3: remove it with the filter-repo "
                   "expressions file (`--filter-repo-file`) and read the caveats below.")
    else:
        rewrite = ("Not needed as far as this report shows (no commit holds it): delete it from the files "
                   "before committing. If it was ever committed, run `leakwarden remediate --history`.")
    steps = [
        {"step": 1, "action": "create-new", "text": kind.new, "url": kind.new_url},
        {"step": 2, "action": "replace",
         "text": "Put the new credential in place of the old one everywhere it is used: the places below, "
                 "and every deployment, CI secret and service that holds a copy. Read it from a secret "
                 "manager or the environment rather than a file in the repository.",
         "locations": [_located(p, ln, getattr(rule, "advice", "")) for p, ln in places]},
        {"step": 3, "action": "revoke", "method": kind.revoke_method, "text": kind.revoke, "url": kind.new_url},
        {"step": 4, "action": "rewrite-history", "needed": in_history, "text": rewrite},
    ]
    return {
        "fingerprint": leak.fingerprint, "rule_id": leak.rule_id, "type": leak.type, "redacted": leak.redacted,
        "severity": leak.severity, "confidence": leak.confidence, "kind": kind.key, "grants": kind.grants,
        "lifetime": kind.lifetime, "introduced": _introduced(leak), "in_history": in_history,
        "encodings": sorted(leak.encodings), "file_level": leak.file_level,
        "parts": [{"rule_id": h.rule_id, "type": h.type, "redacted": h.redacted, "fingerprint": h.fingerprint}
                  for h in leak.parts],
        "occurrences": sorted(occurrences, key=lambda o: (str(o.get("date", "")), str(o.get("commit", "")),
                                                               str(o.get("path", "")), o.get("line", 0))),
        "steps": steps,
    }
