"""The path-aware stage: files whose *name* says they hold credentials.

A ``.env`` file, ``.git-credentials``, ``~/.aws/credentials`` or a ``.p12`` key store is a
leak by what it is, whatever the regex rules make of its content. These are rules like any
other (``patterns/credential-files.toml``): each names the files it applies to (``paths``),
the parser that reads them (``parser``) and the keys that parser looks at (``fields``).
Parsers are code (``PARSERS``); choosing them, and everything said about a finding, is data.
For a file no rule names, this stage costs one dict lookup, a suffix test and one regex.
Parsers receive the bytes the engine was given (raw bytes for binary files, which the
content rules skip) and return :class:`Hit`s; :class:`FileRules` turns them into
``Finding``s and applies the engine's confidence floor and allow filters.
"""
from __future__ import annotations

import fnmatch
import importlib
import re
from typing import TYPE_CHECKING, Any, Callable

from scanner import records
from scanner.engine.allow import AllowPolicy
from scanner.engine.text import LineIndex
from scanner.finding import CONFIDENCE_ORDER, Finding, fingerprint
from scanner.records import record

if TYPE_CHECKING:
    from scanner.rules.model import Rule


@record
class Hit:
    start: int            # byte offset of the value (or of the file's first secret line)
    end: int
    field: str            # the key or field holding the secret, e.g. "aws_secret_access_key"
    secret: str           # the value, or for file-level findings a value-free description
    covers: bytes | None = None   # what the fingerprint is computed from, when ``secret`` is a description
    details: dict[str, Any] = records.field(default_factory=dict)
    confidence: str = ""  # overrides the rule's confidence


Parse = Callable[["Rule", str, bytes], list[Hit]]

# parser name -> "module:function" in this package, imported on first use: most runs meet no
# credential file, and the hook's start-up time is a product feature.
PARSERS = {
    "url-userinfo": "stores:url_userinfo",
    "words": "stores:words",
    "ini": "stores:ini",
    "ini-equals": "stores:ini_equals",
    "docker-auths": "stores:docker_auths",
    "pgpass": "stores:pgpass",
    "cvspass": "stores:cvspass",
    "user-pass-lines": "stores:user_pass_lines",
    "user-hash": "stores:user_hash",
    "key-block": "keyfiles:key_block",
    "putty": "keyfiles:putty",
    "pkcs12": "keyfiles:pkcs12",
    "keepass": "keyfiles:keepass",
    "firefox-logins": "keyfiles:firefox_logins",
    "sqlite": "keyfiles:sqlite",
    "php-define": "apps:php_define",
    "wp-salts": "apps:wp_salts",
    "hex32": "apps:hex32",
    "yaml-key": "apps:yaml_key",
    "kubeconfig": "apps:kubeconfig",
    "dotenv": "dotenv:detect",
    "json-keys": "configs:json_keys",
    "xml": "configs:xml_fields",
    "pairs": "configs:pairs",
    "sql": "configs:sql_dump",
    "plist": "configs:plist",
    "php": "scripts:php",
    "ruby": "scripts:ruby",
    "python": "scripts:python",
    "shell-history": "scripts:shell_history",
    "rdp": "keyfiles:rdp",
    "jenkins-secret": "keyfiles:jenkins_secret",
    "java-keystore": "keyfiles:java_keystore",
    "token-file": "keyfiles:token_file",
    "password-store": "keyfiles:password_store",
    "bitlocker": "keyfiles:bitlocker",
}


def parser(name: str) -> Parse:
    module, _, func = PARSERS[name].partition(":")
    parse: Parse = getattr(importlib.import_module(f"scanner.engine.credfiles.{module}"), func)
    return parse


def _split(path: str) -> tuple[str, str]:
    norm = path.replace("\\", "/")
    return norm, norm.rpartition("/")[2]


class FileRules:
    """The file rules of one engine, indexed by file name, by extension, and by a name glob."""

    def __init__(self, rules: list[Rule]) -> None:
        self.by_name: dict[str, list[tuple[Rule, str]]] = {}
        self.by_ext: dict[str, list[tuple[Rule, str]]] = {}
        self.by_dir: dict[str, list[tuple[Rule, str]]] = {}
        # (the glob's name part, rule, glob): matched with fnmatchcase, which compiles a glob
        # the first time a name gets past glob_heads (compiling them all cost every run ~1 ms).
        self.globbed: list[tuple[str, Rule, str]] = []
        for rule in rules:
            for glob in rule.paths:
                folder, _, base = glob.rpartition("/")
                if base == "*" and folder and not any(c in folder for c in "*?["):
                    # Every file in a folder ('group_vars/*'): looked up by the folder's name.
                    self.by_dir.setdefault(folder.rpartition("/")[2], []).append((rule, glob))
                elif not any(c in base for c in "*?["):
                    self.by_name.setdefault(base, []).append((rule, glob))
                elif base.startswith("*.") and not any(c in base[2:] for c in "*?["):
                    self.by_ext.setdefault(base[2:].lower(), []).append((rule, glob))
                else:
                    self.globbed.append((base, rule, glob))
        # The globs' literal heads ('.env.', 'application-') answer "could any name glob match?"
        # with one startswith for the files no rule names; a glob without one is always tried.
        heads = tuple(re.split(r"[*?\[]", glob.rpartition("/")[2], maxsplit=1)[0] for _, _, glob in self.globbed)
        self.glob_heads: tuple[str, ...] | None = heads if all(heads) else None

    def rules_for(self, path: str) -> list[Rule]:
        norm, name = _split(path)
        found = list(self.by_name.get(name, ()))
        if self.by_dir and "/" in norm:
            found.extend(self.by_dir.get(norm.rpartition("/")[0].rpartition("/")[2], ()))
        if "." in name:
            # Extensions may have two parts ('*.tfvars.json', '*.tfstate.backup').
            parts = name.lower().rsplit(".", 2)
            found.extend(self.by_ext.get(parts[-1], ()))
            if len(parts) == 3:
                found.extend(self.by_ext.get(f"{parts[1]}.{parts[2]}", ()))
        if self.globbed and (self.glob_heads is None or name.startswith(self.glob_heads)):
            found.extend((rule, glob) for base, rule, glob in self.globbed if fnmatch.fnmatchcase(name, base))
        # A glob with a folder ('.aws/credentials') must match the end of the path.
        out: list[Rule] = []
        for rule, glob in found:
            if rule not in out and ("/" not in glob or fnmatch.fnmatchcase("/" + norm, "*/" + glob.lstrip("/"))):
                out.append(rule)
        return out

    def context_of(self, path: str) -> str | None:
        """``dotenv``, ``credential-file`` or ``config`` for a file a rule knows by name."""
        rules = self.rules_for(path)
        return (rules[0].context or "credential-file") if rules else None

    def scan(self, path: str, data: bytes, *, first_line: int, min_rank: int, allow: AllowPolicy) -> list[Finding]:
        rules = self.rules_for(path)
        if not rules:
            return []
        index = LineIndex(data, first_line)
        lines: dict[int, tuple[bool, str]] = {}
        out = []
        for rule in rules:
            for hit in parser(rule.parser)(rule, path, data):
                finding = _finding(rule, hit, path, data, index, min_rank, allow, lines)
                if finding is not None:
                    out.append(finding)
        return out


def _finding(rule: Rule, hit: Hit, path: str, data: bytes, index: LineIndex, min_rank: int,
             allow: AllowPolicy, lines: dict[int, tuple[bool, str]]) -> Finding | None:
    """``lines`` caches, per line start, whether the line carries an inline allow marker and its
    text: many values on one long line (minified settings) would otherwise copy it for each."""
    confidence = hit.confidence or rule.confidence
    if CONFIDENCE_ORDER[confidence] < min_rank:
        return None
    ls, le = index.line_bounds(min(hit.start, max(len(data) - 1, 0)))
    if ls not in lines:
        line = data[ls:le]
        lines[ls] = (AllowPolicy.inline(line), line.decode("utf-8", "replace"))
    marked, text = lines[ls]
    if marked:
        return None
    line_no, col = index.position(hit.start)
    end_line, _ = index.position(max(hit.start, hit.end - 1))
    reason = f"credential file by name ({hit.field})" if hit.field else "credential file by name"
    if hit.details.get("weak"):
        reason += "; a weak password, but a real one"
    details = {"field": hit.field, **hit.details} if hit.field else dict(hit.details)
    # The rule's remediation is written for this file, so only the context is recorded.
    details["context"] = rule.context or "credential-file"
    finding = Finding(rule_id=rule.id, type=rule.type, confidence=confidence, basis="structure",
                      severity=rule.severity, path=path, line=line_no, column=col, secret=hit.secret,
                      reason=reason, fix=" ".join(p for p in (rule.fix or rule.remediation, rule.advice) if p),
                      url=rule.url, end_line=end_line, details=details,
                      fingerprint=fingerprint(hit.covers) if hit.covers is not None else "")
    if allow.allows(finding.secret, text, finding.fingerprint):
        return None
    return finding


_BUILTIN: FileRules | None = None


def builtin() -> FileRules:
    """The built-in file rules, for callers that judge a path without an engine (the history
    walk, the remediation plan)."""
    global _BUILTIN
    if _BUILTIN is None:
        from scanner.rules.model import load_builtin
        _BUILTIN = FileRules([r for r in load_builtin() if r.by_path])
    return _BUILTIN


def detector_for(path: str) -> Rule | None:
    """The first built-in rule that knows this path by name, or None (the common case)."""
    rules = builtin().rules_for(path)
    return rules[0] if rules else None


def context_of(path: str) -> str | None:
    return builtin().context_of(path)


def _specific(f: Finding, field: Finding, generic: frozenset[str], names: Callable[[Finding, str], bool]) -> bool:
    """Whether content finding ``f`` says more than the file ``field`` finding on its lines: a
    checksum or structure confirmed, or a high-confidence format, always does. In a
    configuration format whose fields are any name that says secret (Spring's ``*.token``,
    ``gradle.properties``), so does a provider rule that knows the field's own name as its
    provider's (``twilio.auth.token``: ``names``); a tool's own credential store
    (``.aws/credentials``, ``.pgpass``) says as much as that, and a rule that knows a value by its
    form alone (a bcrypt hash in a SQL dump) no more. A keyword-anchored generic match says less."""
    if f.basis != "pattern" or f.confidence == "high":
        return True
    return (f.rule_id not in generic and field.details.get("context") == "config"
            and names(f, field.details.get("field", "")))


def merge(by_path: list[Finding], by_content: list[Finding], generic: frozenset[str],
          names: Callable[[Finding, str], bool]) -> list[Finding]:
    """One finding per secret. Credential stores hold one value per line (a key block spans its
    lines), so a content finding on the same lines as a field finding is the same secret, maybe
    decoded. A specific content finding (``_specific``: a ``ghp_`` token in ``.git-credentials``,
    the key in ``id_rsa``, a Twilio auth token in ``application.properties``) is kept, told which
    field held it, and as sure as the field finding was (a secret in a credential file's field is
    one whatever its shape); a generic one gives way to the field finding.
    File-level findings (``.env``, key stores) describe the whole file and are always kept; they
    cover every value in it, so the matches of the keyword-anchored generic rules (``generic``,
    their ids) there would only repeat them, while a provider rule's finding names what the value
    is and where to revoke it, and stays."""
    if not by_path:
        return by_content
    kept: list[Finding] = []
    dropped: set[int] = set()
    told: dict[int, Finding] = {}   # content findings annotated with their file, by id of the original
    for pf in by_path:
        if pf.details.get("file_level"):
            kept.append(pf)
            dropped.update(id(cf) for cf in by_content if cf.rule_id in generic)
            continue
        twins = [cf for cf in by_content
                 if cf.line <= (pf.end_line or pf.line) and pf.line <= (cf.end_line or cf.line)]
        special = [cf for cf in twins if _specific(cf, pf, generic, names)]
        if special:
            for cf in special:
                confidence = max(cf.confidence, pf.confidence, key=CONFIDENCE_ORDER.__getitem__)
                told[id(cf)] = records.replace(cf, confidence=confidence, details={
                    **cf.details, "file_kind": pf.rule_id, "field": pf.details.get("field", "")})
        else:
            kept.append(pf)
        dropped.update(id(cf) for cf in twins if not _specific(cf, pf, generic, names))
    kept.extend(told.get(id(cf), cf) for cf in by_content if id(cf) not in dropped)
    return sorted(kept, key=lambda f: (f.line, f.column))
