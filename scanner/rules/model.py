"""The Rule record and loading of rule packs (TOML), with errors that name file, rule and key."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import regex

from scanner.errors import ConfigError

SEVERITIES = ("critical", "high", "medium", "low")
CONFIDENCES = ("high", "medium", "low")
REQUIRED = ("id", "name", "type", "description", "regex", "keywords", "severity", "confidence",
            "remediation", "url", "examples", "negative_examples")
OPTIONAL = ("entropy", "validator", "multiline", "tags", "fix", "priority", "prefilter")


@dataclass
class Rule:
    id: str
    name: str
    type: str
    description: str
    regex: str
    keywords: list[str]
    severity: str
    confidence: str
    remediation: str
    url: str
    examples: list[dict[str, str]] = field(default_factory=list)
    negative_examples: list[str] = field(default_factory=list)
    entropy: float | None = None
    validator: str | None = None
    multiline: bool = False
    tags: list[str] = field(default_factory=list)
    fix: str = ""
    priority: int = 0
    prefilter: str = ""      # a hyperscan regex that replaces the keywords as the prefilter's hint
    source: str = ""
    _compiled: Any = field(default=None, repr=False, compare=False)

    @property
    def compiled(self) -> Any:
        # Compiling ~200 patterns costs more than a whole hook run; compile on first hit.
        if self._compiled is None:
            flags = regex.DOTALL if self.multiline else 0
            self._compiled = regex.compile(self.regex.encode("utf-8"), flags)
        return self._compiled


def builtin_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    installed = here / "patterns"          # inside a wheel
    return installed if installed.is_dir() else here.parent / "patterns"


def builtin_files() -> list[Path]:
    return sorted(builtin_dir().glob("*.toml"))


def _where(path: Path, text: str, needle: str) -> str:
    idx = text.find(needle)
    line = text.count("\n", 0, idx) + 1 if idx >= 0 else 0
    return f"{path}:{line}" if line else str(path)


def parse_rules(items: Any, path: Path, text: str) -> list[Rule]:
    from scanner.engine.validators import VALIDATORS

    if not isinstance(items, list):
        raise ConfigError(f"{path}: 'rules' must be an array of tables ([[rules]])")
    rules = []
    for n, item in enumerate(items, 1):
        rid = item.get("id", f"#{n}") if isinstance(item, dict) else f"#{n}"
        where = _where(path, text, f'"{rid}"') if isinstance(rid, str) else str(path)
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: rule {rid} is not a table")
        missing = [k for k in REQUIRED if k not in item]
        unknown = [k for k in item if k not in REQUIRED and k not in OPTIONAL]
        if missing:
            raise ConfigError(f"{where}: rule {rid}: missing key(s) {', '.join(missing)}")
        if unknown:
            raise ConfigError(f"{where}: rule {rid}: unknown key(s) {', '.join(unknown)}")
        if item["severity"] not in SEVERITIES:
            raise ConfigError(f"{where}: rule {rid}: key 'severity' must be one of {', '.join(SEVERITIES)}")
        if item["confidence"] not in CONFIDENCES:
            raise ConfigError(f"{where}: rule {rid}: key 'confidence' must be one of {', '.join(CONFIDENCES)}")
        if not isinstance(item["keywords"], list) or not item["keywords"] or not all(
                isinstance(k, str) and k for k in item["keywords"]):
            raise ConfigError(f"{where}: rule {rid}: key 'keywords' must be a non-empty list of strings")
        if item.get("validator") and item["validator"] not in VALIDATORS:
            raise ConfigError(f"{where}: rule {rid}: key 'validator': unknown validator {item['validator']!r}")
        try:
            compiled = regex.compile(item["regex"].encode("utf-8"))
        except regex.error as exc:
            raise ConfigError(f"{where}: rule {rid}: key 'regex' does not compile: {exc}") from None
        if item.get("prefilter"):
            _check_prefilter(item["prefilter"], f"{where}: rule {rid}")
        if "secret" not in compiled.groupindex:
            raise ConfigError(f"{where}: rule {rid}: key 'regex' needs a named group (?P<secret>...)")
        for ex in item["examples"]:
            if not isinstance(ex, dict) or set(ex) != {"text", "secret"}:
                raise ConfigError(f"{where}: rule {rid}: each of 'examples' must be {{ text = ..., secret = ... }}")
        rules.append(Rule(**item, source=str(path)))
    return rules


def _check_prefilter(pattern: object, where: str) -> None:
    import hyperscan

    if not isinstance(pattern, str):
        raise ConfigError(f"{where}: key 'prefilter' must be a string")
    try:
        hyperscan.Database().compile(expressions=[pattern.encode()], ids=[0], elements=1, flags=[0])
    except hyperscan.error as exc:
        raise ConfigError(f"{where}: key 'prefilter' is not a hyperscan pattern: {exc}") from None


def load_pack(path: Path) -> list[Rule]:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_rules(data.get("rules", []), path, text)


def load_builtin() -> list[Rule]:
    """The built-in packs, validated once and then served from the cache: validating means
    compiling every regex, which costs more than a whole commit-hook run."""
    from scanner import __version__
    from scanner.cache import cache_dir, write_atomic

    files = builtin_files()
    stamp = repr([(str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files] + [__version__])
    cached = cache_dir() / f"rules-{hashlib.sha256(stamp.encode()).hexdigest()[:32]}.json"
    try:
        return [Rule(**item) for item in json.loads(cached.read_bytes())]
    except (OSError, ValueError, TypeError):
        pass
    rules: list[Rule] = []
    for path in files:
        rules.extend(load_pack(path))
    fields = [f.name for f in dataclasses.fields(Rule) if not f.name.startswith("_")]
    write_atomic(cached, json.dumps([{k: getattr(r, k) for k in fields} for r in rules]).encode())
    return rules


def check_unique(rules: list[Rule]) -> None:
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise ConfigError(f"rule id {rule.id!r} is defined twice ({seen[rule.id]} and {rule.source})")
        seen[rule.id] = rule.source


def rules_hash(rules: list[Rule]) -> str:
    h = hashlib.sha256()
    for r in rules:
        h.update(repr((r.id, r.regex, tuple(r.keywords), r.multiline, r.confidence, tuple(r.tags),
                       r.prefilter)).encode())
    return h.hexdigest()[:32]
