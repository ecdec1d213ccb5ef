"""The Rule record and loading of rule packs (TOML), with errors that name file, rule and key."""
from __future__ import annotations

import marshal
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner import records
from scanner.errors import ConfigError
from scanner.records import field, record

SEVERITIES = ("critical", "high", "medium", "low")
CONFIDENCES = ("high", "medium", "low")
REQUIRED = ("id", "name", "type", "description", "severity", "confidence",
            "remediation", "url", "examples", "negative_examples")
# A rule matches content (regex + keywords) or files by name (paths + parser), never both.
CONTENT_KEYS = ("regex", "keywords")
FILE_KEYS = ("paths", "parser")
OPTIONAL = ("entropy", "validator", "multiline", "reach", "tags", "fix", "priority", "prefilter",
            "fields", "context", "advice", "credential", "aliases", "in_files", "pair", "sections")
CONTEXTS = ("credential-file", "config", "dotenv", "ci-workflow", "command-line")
CREDENTIAL_KEYS = ("kind", "grants", "lifetime", "new", "new_url", "revoke", "revoke_method")
REVOKE_METHODS = ("leakwarden-revoke", "api", "settings", "provider")
PAIR_KEYS = ("name", "rule", "regex", "line", "lines")


@record
class Rule:
    """One rule of a pack: a content rule (regex and keywords) or a file rule (paths and parser)."""

    id: str
    name: str
    type: str
    description: str
    severity: str
    confidence: str
    remediation: str
    url: str
    regex: str = ""
    keywords: list[str] = field(default_factory=list)
    examples: list[dict[str, str]] = field(default_factory=list)
    negative_examples: list[Any] = field(default_factory=list)   # strings, or {path, text} for file rules
    entropy: float | None = None
    validator: str | None = None
    multiline: bool = False
    # How far past its keyword hit a multi-line match may end, in bytes (0: the engine's
    # default, for a key block). A pair spread over a few lines needs far less, and every
    # keyword hit costs a regex run over that much text.
    reach: int = 0
    tags: list[str] = field(default_factory=list)
    fix: str = ""
    priority: int = 0
    prefilter: str = ""      # a hyperscan regex that replaces the keywords as the prefilter's hint
    paths: list[str] = field(default_factory=list)   # file rules: globs on the file name or path
    parser: str = ""         # file rules: which parser in scanner.engine.credfiles reads the file
    fields: list[str] = field(default_factory=list)  # file rules: the keys the parser reads (globs)
    context: str = ""        # file rules: details.context of their findings (default credential-file)
    advice: str = ""         # what kind of credential fits better, appended to every fix
    credential: dict[str, str] = field(default_factory=dict)   # what it grants, how to replace and revoke it
    aliases: list[str] = field(default_factory=list)   # other tools' ids for it, e.g. "gitleaks:github-pat"
    in_files: list[str] = field(default_factory=list)  # content rules: only in files matching these globs
    # The id that goes with this secret (one credential, one remediation plan): found by another
    # rule, or not a secret at all and looked for near it (patterns/README.md, "pair").
    pair: dict[str, Any] = field(default_factory=dict)
    # Content rules: names of a section or parent key that name this rule's provider, so that
    # ``api_key = ...`` under ``[mailgun]`` is judged as ``mailgun.api_key = ...`` (engine/sections.py).
    sections: list[str] = field(default_factory=list)
    source: str = ""
    _compiled: Any = field(default=None, repr=False, compare=False)
    _in_files: Any = field(default=None, repr=False, compare=False)

    if not TYPE_CHECKING:   # hidden from mypy, which keeps checking attribute names
        def __getattr__(self, name: str) -> Any:
            """A rule read from the cache carries its documentation (``_DOC_FIELDS``) as one
            marshalled blob, decoded on first use: a commit hook never reads it, and decoding
            every rule's examples was most of the cost of reading the cache."""
            docs = self.__dict__.pop("_docs", None)
            if docs is None:
                raise AttributeError(f"'Rule' object has no attribute {name!r}")
            self.__dict__.update(zip(_DOC_FIELDS, marshal.loads(docs), strict=True))
            return getattr(self, name)

    @property
    def by_path(self) -> bool:
        return bool(self.paths)

    def applies_to(self, path: str) -> bool:
        """Does a content rule run on this path? Only ``in_files`` narrows it (globs on the
        file name, case-insensitive), for rules that mean something only in some formats."""
        if not self.in_files:
            return True
        if self._in_files is None:
            import fnmatch
            import re
            self._in_files = re.compile("|".join(fnmatch.translate(g.lower()) for g in self.in_files))
        return self._in_files.match(path.replace("\\", "/").rpartition("/")[2].lower()) is not None

    @property
    def compiled(self) -> Any:
        # Compiling ~200 patterns costs more than a whole hook run; compile on first hit.
        if self._compiled is None:
            import regex   # not on a commit hook's path unless a rule wakes

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


def parse_rules(items: Any, path: Path, text: str, credentials: dict[str, Any] | None = None) -> list[Rule]:
    """``credentials`` are the pack's shared ``[credentials.NAME]`` tables, which a rule may name
    with ``credential = "NAME"`` instead of writing its own (every private-key rule shares one)."""
    if not isinstance(items, list):
        raise ConfigError(f"{path}: 'rules' must be an array of tables ([[rules]])")
    rules = []
    for n, item in enumerate(items, 1):
        rid = item.get("id", f"#{n}") if isinstance(item, dict) else f"#{n}"
        where = _where(path, text, f'"{rid}"') if isinstance(rid, str) else str(path)
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: rule {rid} is not a table")
        item = dict(item)
        if isinstance(item.get("credential"), str):
            name = item["credential"]
            if name not in (credentials or {}):
                raise ConfigError(f"{where}: rule {rid}: key 'credential': no [credentials.{name}] in this pack")
            item["credential"] = dict((credentials or {})[name])
        _check_item(item, f"{where}: rule {rid}")
        rules.append(Rule(**item, source=str(path)))
    return rules


def _check_item(item: dict[str, Any], where: str) -> None:
    import regex

    from scanner.engine.credfiles import PARSERS
    from scanner.engine.validators import VALIDATORS

    by_path = "paths" in item or "parser" in item
    required = REQUIRED + (FILE_KEYS if by_path else CONTENT_KEYS)
    missing = [k for k in required if k not in item]
    allowed = set(REQUIRED + OPTIONAL + CONTENT_KEYS + FILE_KEYS)
    unknown = [k for k in item if k not in allowed]
    if missing:
        raise ConfigError(f"{where}: missing key(s) {', '.join(missing)}")
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    if by_path and any(k in item for k in (*CONTENT_KEYS, "in_files", "sections")):
        raise ConfigError(f"{where}: a rule has either 'regex' and 'keywords' or 'paths' and 'parser', not both")
    if item["severity"] not in SEVERITIES:
        raise ConfigError(f"{where}: key 'severity' must be one of {', '.join(SEVERITIES)}")
    if item["confidence"] not in CONFIDENCES:
        raise ConfigError(f"{where}: key 'confidence' must be one of {', '.join(CONFIDENCES)}")
    for key in ("keywords", "paths", "fields", "aliases", "tags", "in_files", "sections"):
        if key in item and (not isinstance(item[key], list) or not all(isinstance(k, str) and k for k in item[key])
                            or (key in ("keywords", "paths") and not item[key])):
            raise ConfigError(f"{where}: key '{key}' must be a non-empty list of strings")
    if any(not any(c.isalnum() for c in name) for name in item.get("sections", [])):
        raise ConfigError(f"{where}: key 'sections' must name sections (letters or digits)")
    if "reach" in item and (not isinstance(item["reach"], int) or isinstance(item["reach"], bool)
                            or not 0 < item["reach"] <= 1 << 16 or not item.get("multiline")):
        raise ConfigError(f"{where}: key 'reach' must be a number of bytes from 1 to 65536, in a multiline rule")
    if item.get("validator") and item["validator"] not in VALIDATORS:
        raise ConfigError(f"{where}: key 'validator': unknown validator {item['validator']!r}")
    if by_path and item["parser"] not in PARSERS:
        raise ConfigError(f"{where}: key 'parser': unknown parser {item['parser']!r} "
                          f"(one of {', '.join(sorted(PARSERS))})")
    if item.get("context", "credential-file") not in CONTEXTS:
        raise ConfigError(f"{where}: key 'context' must be one of {', '.join(CONTEXTS)}")
    cred = item.get("credential", {})
    if not isinstance(cred, dict) or any(k not in CREDENTIAL_KEYS or not isinstance(v, str) for k, v in cred.items()) \
            or (cred and cred.get("revoke_method", "provider") not in REVOKE_METHODS):
        raise ConfigError(f"{where}: key 'credential' must be a table of strings with keys among "
                          f"{', '.join(CREDENTIAL_KEYS)}; revoke_method one of {', '.join(REVOKE_METHODS)}")
    if "pair" in item:
        _check_pair(item["pair"], where)
    if not by_path:
        try:
            compiled = regex.compile(item["regex"].encode("utf-8"))
        except regex.error as exc:
            raise ConfigError(f"{where}: key 'regex' does not compile: {exc}") from None
        if item.get("prefilter"):
            _check_prefilter(item["prefilter"], where)
        if "secret" not in compiled.groupindex:
            raise ConfigError(f"{where}: key 'regex' needs a named group (?P<secret>...)")
    # Examples of rules that go by the path (file rules, in_files) say which path they are at.
    example_keys = ({"path", "text"}, {"path", "text", "secret"}) if by_path else \
        ({"text", "secret"}, {"path", "text", "secret"})
    for ex in item["examples"]:
        if not isinstance(ex, dict) or set(ex) not in example_keys:
            shape = "{ path = ..., text = ..., secret = ... } (secret optional)" if by_path else \
                "{ text = ..., secret = ... } (and path = ..., optional)"
            raise ConfigError(f"{where}: each of 'examples' must be {shape}")
    for neg in item["negative_examples"]:
        table = isinstance(neg, dict) and set(neg) == {"path", "text"}
        if not (table if by_path else isinstance(neg, str) or table):
            shape = "{ path = ..., text = ... }" if by_path else "a string or { path = ..., text = ... }"
            raise ConfigError(f"{where}: each of 'negative_examples' must be {shape}")


def _check_pair(pair: object, where: str) -> None:
    """``pair = { name = ..., rule = ID }`` or ``{ name = ..., regex = '...(?P<id>...)...' }``, with
    optional ``line`` (a regex the secret's own line must match) and ``lines`` (how near, 1-20)."""
    import regex

    shape = (f"{where}: key 'pair' must be a table with 'name' and one of 'rule' (a rule id) or 'regex' "
             f"(with a group (?P<id>...)); optional 'line' (a regex) and 'lines' (1-20)")
    if not isinstance(pair, dict) or any(k not in PAIR_KEYS for k in pair) or not isinstance(pair.get("name"), str) \
            or ("rule" in pair) == ("regex" in pair) \
            or not all(isinstance(pair[k], str) and pair[k] for k in ("name", "rule", "regex", "line") if k in pair) \
            or not (isinstance(pair.get("lines", 3), int) and 1 <= pair.get("lines", 3) <= 20):
        raise ConfigError(shape)
    for key in ("regex", "line"):
        if key in pair:
            try:
                compiled = regex.compile(pair[key])
            except regex.error as exc:
                raise ConfigError(f"{where}: key 'pair.{key}' does not compile: {exc}") from None
            if key == "regex" and "id" not in compiled.groupindex:
                raise ConfigError(shape)


def _check_prefilter(pattern: object, where: str) -> None:
    import hyperscan

    if not isinstance(pattern, str):
        raise ConfigError(f"{where}: key 'prefilter' must be a string")
    try:
        hyperscan.Database().compile(expressions=[pattern.encode()], ids=[0], elements=1, flags=[0])
    except hyperscan.error as exc:
        raise ConfigError(f"{where}: key 'prefilter' is not a hyperscan pattern: {exc}") from None


def load_pack(path: Path) -> list[Rule]:
    from scanner.config import read_toml

    text, data = read_toml(path)
    credentials = data.get("credentials", {})
    if not isinstance(credentials, dict) or not all(isinstance(v, dict) for v in credentials.values()):
        raise ConfigError(f"{path}: 'credentials' must be tables ([credentials.NAME])")
    return parse_rules(data.get("rules", []), path, text, credentials)


def load_builtin() -> list[Rule]:
    """The built-in packs, validated once and then served from the cache: validating means
    compiling every regex, which costs more than a whole commit-hook run. The cache holds the
    rules as marshalled tuples (reading them back is a few times faster than JSON and needs
    neither a TOML parser nor the regex module), with a stamp that changes with any pack's
    path, size, modification time or content (a CRC-32 of its bytes: a reproducible build
    keeps sizes and times), the version and the record's fields."""
    from scanner import __version__
    from scanner.cache import cache_dir, read_sealed, write_sealed

    files = builtin_files()
    stamp = repr([(str(p), st.st_mtime_ns, st.st_size, zlib.crc32(p.read_bytes())) for p in files for st in (p.stat(),)]
                 + [__version__, marshal.version, _CORE_FIELDS, _DOC_FIELDS, _key_text.__code__.co_code])
    # The name only spreads stamps over files; the stamp inside the file is what is compared.
    cached = cache_dir() / f"rules-{zlib.crc32(stamp.encode()):08x}.marshal"
    rules = _from_cache(read_sealed(cached, 1), stamp)
    if rules is not None:
        return rules
    rules = []
    for path in files:
        rules.extend(load_pack(path))
    records = [{**{k: getattr(r, k) for k in _CORE_FIELDS}, "_docs": marshal.dumps(tuple(getattr(r, k) for k in _DOC_FIELDS)),
                "_compiled": None, "_in_files": None, "_key": _key_text(r)} for r in rules]
    write_sealed(cached, marshal.dumps((stamp, records)))
    return rules


# A rule's record in the cache: the fields the engine reads, then the documentation (what
# `rules list/show/check`, docs/rules.md and remediation plans read) as one blob.
_DOC_FIELDS = ("name", "description", "examples", "negative_examples", "credential", "aliases")
_CORE_FIELDS = tuple(f.name for f in records.fields(Rule) if not f.name.startswith("_") and f.name not in _DOC_FIELDS)
_RECORD_SIZE = len(_CORE_FIELDS) + 4   # and _docs, _compiled, _in_files, _key: see load_builtin


def _from_cache(parts: list[bytes] | None, stamp: str) -> list[Rule] | None:
    """The rules of a sealed cache file's one part, or None when it is missing or of another stamp."""
    if parts is None:
        return None
    rules = []
    try:
        got, records = marshal.loads(parts[0])
        if got != stamp:
            return None
        new = Rule.__new__
        for record in records:
            # Every field is in the record, which becomes the rule's __dict__ as it is: __init__
            # would only fill in defaults, and copying 23 fields into each of ~500 rules cost
            # a few ms of every commit hook.
            if not isinstance(record, dict) or len(record) != _RECORD_SIZE:
                return None
            rule = new(Rule)
            rule.__dict__ = record
            rules.append(rule)
    except (ValueError, EOFError, TypeError):   # written by another Python's marshal, or not records
        return None
    return rules


def check_unique(rules: list[Rule]) -> None:
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise ConfigError(f"rule id {rule.id!r} is defined twice ({seen[rule.id]} and {rule.source})")
        seen[rule.id] = rule.source


def _key_text(r: Rule) -> str:
    """Everything about one rule that what it matches depends on, as text (see ``rules_key``).
    A rule read from the cache carries it (``_key``), written by this function: its code is
    part of the cache's stamp, so a change here rebuilds the cache."""
    return repr((r.id, r.regex, tuple(r.keywords), r.multiline, r.reach, r.confidence, tuple(r.tags), r.prefilter,
                 tuple(r.paths), r.parser, tuple(r.fields), tuple(r.in_files)))


def rules_key(rules: list[Rule]) -> str:
    """Everything about ``rules`` that what they match depends on, as text: the prefilter's
    cache compares it whole, and ``rules_hash`` digests it. Built-in rules bring their part from
    the rules cache (computing it for ~500 rules was a few ms of every commit hook)."""
    return "".join(r.__dict__.get("_key") or _key_text(r) for r in rules)


def rules_hash(rules: list[Rule]) -> str:
    """A short digest of every field of ``rules`` that decides what they find and what a finding
    says (not only ``rules_key``'s: an entropy floor, a validator or a priority changes findings
    too), for state files and settings digests: any such change means a full audit. Not where
    a pack was read from."""
    import hashlib   # not on a commit hook's path

    digest = hashlib.sha256()
    for rule in rules:
        digest.update(repr(tuple(getattr(rule, k) for k in _CORE_FIELDS if k != "source")).encode())
    return digest.hexdigest()[:32]
