"""``[tool.leakwarden]`` in pyproject.toml, or ``.leakwarden.toml``: found from the scanned repository."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Callable

from scanner.engine.archive_kinds import DEFAULT_LIMITS, Limits
from scanner.errors import ConfigError
from scanner.finding import CONFIDENCE_ORDER, SEVERITY_ORDER
from scanner.records import field, record

DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024
DEFAULT_FILE_BUDGET = 30.0      # seconds of engine time per file (key file_time_budget)
_KEYS: dict[str, type | tuple[type, ...]] = {
    "min_confidence": str, "fail_on": str, "fail_on_severity": str, "exclude_paths": list,
    "disable_rules": list, "allow_regexes": list, "allowlist": list, "rules": list, "rule_files": list,
    "max_file_size": (int, str), "baseline": str, "scan_binary": bool, "server": dict,
    "file_time_budget": (int, float), "scan_archives": bool, "archive_max_depth": int,
    "archive_max_bytes": (int, str), "archive_max_ratio": (int, float), "archive_max_members": int,
}
_SIZE = re.compile(r"^\s*(\d+)\s*(?:([kmg])i?)?b?\s*$", re.IGNORECASE)
MAX_FILE_BUDGET = 24 * 3600.0   # a larger budget is a typo, and ``inf`` would turn the guard off
# Past these an archive limit guards nothing (a depth of 1,000 is a recursion, a ratio of a
# million lets a 42 KB bomb fill memory): values above are typos, and errors.
MAX_ARCHIVE_DEPTH = 32
MAX_ARCHIVE_RATIO = 100_000.0


@record
class Config:
    """The settings of a run: the configuration file's keys, with their defaults."""

    path: Path | None = None
    min_confidence: str = "medium"
    fail_on: str | None = None          # confidence that fails a run; default: min_confidence
    fail_on_severity: str = "low"
    exclude_paths: list[str] = field(default_factory=list)
    disable_rules: list[str] = field(default_factory=list)
    allow_regexes: list[str] = field(default_factory=list)
    allowlist: dict[str, str] = field(default_factory=dict)   # fingerprint -> reason
    extra_rules: list[Any] = field(default_factory=list)       # Rule objects
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # Whether the user asked for the skip: ``scan`` streams larger files in chunks unless so.
    max_file_size_set: bool = False
    baseline: str | None = None
    scan_binary: bool = False
    server: dict[str, Any] = field(default_factory=dict)
    file_time_budget: float = DEFAULT_FILE_BUDGET   # seconds of engine time per file
    scan_archives: bool = True                      # look inside zip, tar, gzip, ... (docs/archives.md)
    archive_max_depth: int = DEFAULT_LIMITS.max_depth
    archive_max_bytes: int = DEFAULT_LIMITS.max_bytes
    archive_max_ratio: float = DEFAULT_LIMITS.max_ratio
    archive_max_members: int = DEFAULT_LIMITS.max_members

    def archive_limits(self) -> Limits | None:
        """The engine's archive limits; None when archives are not looked into."""
        if not self.scan_archives:
            return None
        return Limits(max_depth=self.archive_max_depth, max_bytes=self.archive_max_bytes,
                      max_ratio=self.archive_max_ratio, max_members=self.archive_max_members)


def _line_of(text: str, key: str) -> int:
    m = re.search(rf"(?m)^[ \t]*\[*[ \t]*(?:tool\.leakwarden\.)?{re.escape(key)}\b", text)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def parse_size(value: object, where: str, key: str = "max_file_size") -> int:
    """A positive size: 0, a negative number, ``inf`` or a unit we do not know would turn
    scanning off (every file "too large"), so each is an error naming the key, never a default."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigError(f"{where}: key {key!r}: expected bytes or a size like '50MB', got {value!r}")
    if isinstance(value, int):
        size = value
    else:
        m = _SIZE.match(value)
        if not m:
            raise ConfigError(f"{where}: key {key!r}: expected bytes or a size like '50MB', got {value!r}")
        mult = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[(m.group(2) or "").lower()]
        size = int(m.group(1)) * mult
    if size <= 0:
        raise ConfigError(f"{where}: key {key!r} must be a positive size (it was {value!r}, "
                          "which would skip every file)")
    return size


def _whole(value: object, where: str, key: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ConfigError(f"{where}: key {key!r} must be a whole number {bounds}, got {value!r}")
    return value


def parse_ratio(value: object, where: str) -> float:
    """At least 1 (a ratio below would cut short plain stored files) and finite: ``inf`` or
    ``nan`` would turn the zip-bomb guard off."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= MAX_ARCHIVE_RATIO:
        raise ConfigError(f"{where}: key 'archive_max_ratio' must be a number from 1 to {MAX_ARCHIVE_RATIO:g}, "
                          f"got {value!r}")
    return float(value)


def parse_budget(value: object, where: str) -> float:
    """Seconds, finite and positive: a budget of 0 would leave every file unscanned, ``inf``
    or ``nan`` would let one crafted file hold a hook for ever."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_FILE_BUDGET:
        raise ConfigError(f"{where}: key 'file_time_budget' must be a number of seconds above 0 and at most "
                          f"{MAX_FILE_BUDGET:g}, got {value!r}")
    return float(value)


def _archive_keys(cfg: Config, data: dict[str, Any], where: Callable[[str], str]) -> None:
    cfg.scan_archives = bool(data.get("scan_archives", True))
    if "archive_max_depth" in data:
        cfg.archive_max_depth = _whole(data["archive_max_depth"], where("archive_max_depth"), "archive_max_depth",
                                       1, MAX_ARCHIVE_DEPTH)
    if "archive_max_members" in data:
        cfg.archive_max_members = _whole(data["archive_max_members"], where("archive_max_members"),
                                         "archive_max_members", 1)
    if "archive_max_bytes" in data:
        cfg.archive_max_bytes = parse_size(data["archive_max_bytes"], where("archive_max_bytes"), "archive_max_bytes")
    if "archive_max_ratio" in data:
        cfg.archive_max_ratio = parse_ratio(data["archive_max_ratio"], where("archive_max_ratio"))


def discover(start: Path) -> Path | None:
    start = start if start.is_dir() else start.parent
    for folder in (start, *start.parents):
        for name in (".leakwarden.toml", "pyproject.toml"):
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or b"[tool.leakwarden" in candidate.read_bytes()):
                return candidate
        if (folder / ".git").exists():
            break
    return None


def read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """A TOML file's text and data (configuration or a rule pack); invalid TOML is a ConfigError.
    The parser is imported here: a commit hook in a repository without configuration, with its
    rules served from the cache, never parses TOML."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    text = read_toml_text(path)
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def read_toml_text(path: Path) -> str:
    """A TOML file's text (configuration or a rule pack): an unreadable, binary or non-UTF-8
    file is a ConfigError with a clear message, never a decoding traceback."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror}") from None
    if b"\0" in raw:
        raise ConfigError(f"{path}: configuration is a binary file, not TOML")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: configuration is not UTF-8 text (invalid byte at offset {exc.start}); "
                          "TOML files are UTF-8") from None
    return text


def load(path: Path | None) -> Config:
    if path is None:
        return Config()
    text, data = read_toml(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("leakwarden", {})
    return _build(path, text, data)


def _build(path: Path, text: str, data: dict[str, Any]) -> Config:
    from scanner.rules.model import load_pack, parse_rules

    cfg = Config(path=path)

    def where(key: str) -> str:
        return f"{path}:{_line_of(text, key)}"

    for key, value in data.items():
        if key not in _KEYS:
            raise ConfigError(f"{where(key)}: unknown key {key!r} (known: {', '.join(sorted(_KEYS))})")
        if not isinstance(value, _KEYS[key]):
            raise ConfigError(f"{where(key)}: key {key!r} has the wrong type ({type(value).__name__})")
    for key in ("min_confidence", "fail_on"):
        if key in data and data[key] not in CONFIDENCE_ORDER:
            raise ConfigError(f"{where(key)}: key {key!r} must be one of {', '.join(CONFIDENCE_ORDER)}")
        if key in data:
            setattr(cfg, key, data[key])
    if "fail_on_severity" in data:
        if data["fail_on_severity"] not in SEVERITY_ORDER:
            raise ConfigError(f"{where('fail_on_severity')}: key 'fail_on_severity' must be one of "
                              f"{', '.join(SEVERITY_ORDER)}")
        cfg.fail_on_severity = data["fail_on_severity"]
    for key in ("exclude_paths", "disable_rules", "allow_regexes", "rule_files"):
        items = data.get(key, [])
        if not all(isinstance(i, str) for i in items):
            raise ConfigError(f"{where(key)}: key {key!r} must be a list of strings")
    cfg.exclude_paths = list(data.get("exclude_paths", []))
    cfg.disable_rules = list(data.get("disable_rules", []))
    cfg.allow_regexes = list(data.get("allow_regexes", []))
    import regex

    from scanner.rules.backtrack import catastrophic

    for rx in cfg.allow_regexes:
        try:
            compiled = regex.compile(rx)
        except regex.error as exc:
            raise ConfigError(f"{where('allow_regexes')}: key 'allow_regexes': {rx!r} does not compile: {exc}") from None
        slow = catastrophic(compiled, [])
        if slow:
            raise ConfigError(f"{where('allow_regexes')}: key 'allow_regexes': {rx!r} {slow}")
    for entry in data.get("allowlist", []):
        if not isinstance(entry, dict) or not re.fullmatch(r"[0-9a-f]{64}", str(entry.get("fingerprint", ""))):
            raise ConfigError(f"{where('allowlist')}: key 'allowlist': each entry needs a 64-hex 'fingerprint'")
        if not str(entry.get("reason", "")).strip():
            raise ConfigError(f"{where('allowlist')}: key 'allowlist': entry {entry['fingerprint'][:12]}… needs a 'reason'")
        cfg.allowlist[entry["fingerprint"]] = entry["reason"]
    if "rules" in data:
        cfg.extra_rules.extend(parse_rules(data["rules"], path, text))
    for name in data.get("rule_files", []):
        rule_path = (path.parent / name)
        if not rule_path.is_file():
            raise ConfigError(f"{where('rule_files')}: key 'rule_files': no such file {name!r}")
        cfg.extra_rules.extend(load_pack(rule_path))
    for rule in cfg.extra_rules:
        # A user rule that can stall the engine is refused before any scan, as `rules check` does.
        slow = catastrophic(rule.compiled, rule.keywords)
        if slow:
            raise ConfigError(f"{where('rules' if 'rules' in data else 'rule_files')}: rule {rule.id}: regex {slow}")
    if "max_file_size" in data:
        cfg.max_file_size = parse_size(data["max_file_size"], where("max_file_size"))
        cfg.max_file_size_set = True
    if "file_time_budget" in data:
        cfg.file_time_budget = parse_budget(data["file_time_budget"], where("file_time_budget"))
    _archive_keys(cfg, data, where)
    cfg.baseline = data.get("baseline")
    cfg.scan_binary = bool(data.get("scan_binary", False))
    cfg.server = dict(data.get("server", {}))
    return cfg
