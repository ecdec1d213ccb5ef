"""The path-aware stage: files whose *name* says they hold credentials.

A ``.env`` file, ``.git-credentials``, ``~/.aws/credentials`` or a ``.p12`` key store is a
leak by what it is, whatever the regex rules make of its content. Each detector is keyed
by file name, so for every other file this stage costs one dict lookup and a suffix test.
Detectors receive the bytes the engine was given (raw bytes for binary files, which the
content rules skip) and return :class:`Hit`s; this module turns them into ``Finding``s and
applies the engine's confidence floor and allow filters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from scanner.engine.allow import AllowPolicy
from scanner.engine.text import LineIndex
from scanner.finding import CONFIDENCE_ORDER, Finding, fingerprint


@dataclass(frozen=True)
class Kind:
    """What a detector reports: the rule a finding names, without a regex."""
    rule_id: str
    type: str
    severity: str
    confidence: str
    remediation: str
    url: str


@dataclass
class Hit:
    kind: Kind
    start: int            # byte offset of the value (or of the file's first secret line)
    end: int
    field: str            # the key or field holding the secret, e.g. "aws_secret_access_key"
    secret: str           # the value, or for file-level findings a value-free description
    covers: bytes | None = None   # what the fingerprint is computed from, when ``secret`` is a description
    details: dict[str, Any] = field(default_factory=dict)
    confidence: str = ""  # overrides kind.confidence


Detect = Callable[[str, bytes], list[Hit]]


@dataclass(frozen=True)
class Detector:
    detect: Detect
    where: Callable[[str], bool] = lambda path: True   # extra test on the full '/'-separated path
    context: str = "credential-file"   # details.context, see scanner.engine.context


def _under(folder: str) -> Callable[[str], bool]:
    return lambda path: f"/{folder}/" in f"/{path}"


def _registry() -> tuple[dict[str, Detector], dict[str, Detector]]:
    from scanner.engine.credfiles import apps, keyfiles, stores

    by_name = {
        ".git-credentials": Detector(stores.git_credentials),
        ".netrc": Detector(stores.netrc), "_netrc": Detector(stores.netrc),
        ".npmrc": Detector(stores.npmrc),
        ".pypirc": Detector(stores.pypirc),
        "config.json": Detector(stores.docker_config, _under(".docker")),
        ".dockercfg": Detector(stores.docker_config),
        ".pgpass": Detector(stores.pgpass),
        ".s3cfg": Detector(stores.s3cfg),
        "credentials": Detector(stores.aws_credentials, _under(".aws")),
        ".htpasswd": Detector(stores.htpasswd),
        "logins.json": Detector(keyfiles.firefox_logins),
        "key4.db": Detector(keyfiles.firefox_key4),
        "wp-config.php": Detector(apps.wp_config, context="config"),
        "master.key": Detector(apps.rails_key, _under("config")),
        "secrets.yml": Detector(apps.rails_secrets, _under("config"), context="config"),
        "database.yml": Detector(apps.rails_database, _under("config"), context="config"),
    }
    for name in ("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"):
        by_name[name] = Detector(keyfiles.ssh_identity)
    by_ext = {
        "ppk": Detector(keyfiles.putty),
        "p12": Detector(keyfiles.pkcs12), "pfx": Detector(keyfiles.pkcs12),
        "kdbx": Detector(keyfiles.keepass),
        "key": Detector(apps.rails_key, _under("config/credentials")),
    }
    return by_name, by_ext


_TABLES: tuple[dict[str, Detector], dict[str, Detector]] | None = None


def detector_for(path: str) -> Detector | None:
    """The detector for this path, or None (the common case, kept to a dict lookup)."""
    global _TABLES
    norm = path.replace("\\", "/")
    name = norm.rpartition("/")[2]
    if name == ".env" or name.startswith(".env."):
        from scanner.engine.credfiles import dotenv
        return Detector(dotenv.detect, context="dotenv")
    if _TABLES is None:
        _TABLES = _registry()
    by_name, by_ext = _TABLES
    det = by_name.get(name)
    if det is None and "." in name:
        det = by_ext.get(name.rpartition(".")[2].lower())
    return det if det is not None and det.where(norm) else None


def context_of(path: str) -> str | None:
    """``dotenv``, ``credential-file`` or ``config`` for a file this stage knows by name."""
    det = detector_for(path)
    return det.context if det is not None else None


def scan(path: str, data: bytes, *, first_line: int, min_rank: int, allow: AllowPolicy) -> list[Finding]:
    det = detector_for(path)
    if det is None:
        return []
    index = LineIndex(data, first_line)
    out = []
    for hit in det.detect(path, data):
        confidence = hit.confidence or hit.kind.confidence
        if CONFIDENCE_ORDER[confidence] < min_rank:
            continue
        ls, le = index.line_bounds(min(hit.start, max(len(data) - 1, 0)))
        line = data[ls:le]
        if AllowPolicy.inline(line):
            continue
        line_no, col = index.position(hit.start)
        end_line, _ = index.position(max(hit.start, hit.end - 1))
        k = hit.kind
        finding = Finding(rule_id=k.rule_id, type=k.type, confidence=confidence, basis="structure",
                          severity=k.severity, path=path, line=line_no, column=col, secret=hit.secret,
                          reason=f"credential file by name ({hit.field})" if hit.field else "credential file by name",
                          fix=k.remediation, url=k.url, end_line=end_line,
                          details={"field": hit.field, **hit.details} if hit.field else dict(hit.details))
        if hit.covers is not None:
            finding.fingerprint = fingerprint(hit.covers)
        text = line.decode("utf-8", "replace")
        if allow.allows(finding.secret, text, finding.fingerprint):
            continue
        # The kind's remediation is already written for this file, so only the context is recorded.
        finding.details["context"] = det.context
        out.append(finding)
    return out


def _specific(f: Finding) -> bool:
    """A provider rule (checksum or structure confirmed, or a high-confidence format) says more
    than the file's field name; a keyword-anchored generic match says less."""
    return f.basis != "pattern" or f.confidence == "high"


def merge(by_path: list[Finding], by_content: list[Finding]) -> list[Finding]:
    """One finding per secret. Credential stores hold one value per line (a key block spans its
    lines), so a content finding on the same lines as a field finding is the same secret, maybe
    decoded. A specific content finding (a ``ghp_`` token in ``.git-credentials``, the key in
    ``id_rsa``) is kept and told which field held it; a generic one gives way to the field finding.
    File-level findings (``.env``, key stores) describe the whole file and are always kept; they
    cover every value in it, so generic matches there would only repeat them."""
    if not by_path:
        return by_content
    kept, dropped = [], set()
    for pf in by_path:
        twins = by_content if pf.details.get("file_level") else [
            cf for cf in by_content
            if cf.line <= (pf.end_line or pf.line) and pf.line <= (cf.end_line or cf.line)]
        special = [cf for cf in twins if _specific(cf)]
        if special and not pf.details.get("file_level"):
            for cf in special:
                cf.details = {**cf.details, "file_kind": pf.rule_id, "field": pf.details.get("field", "")}
        else:
            kept.append(pf)
        dropped.update(id(cf) for cf in twins if not _specific(cf))
    kept.extend(cf for cf in by_content if id(cf) not in dropped)
    return sorted(kept, key=lambda f: (f.line, f.column))
