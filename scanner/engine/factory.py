"""Build the engine a command needs from the built-in rules and the user's configuration."""
from __future__ import annotations

from scanner.config import Config
from scanner.engine.allow import AllowPolicy
from scanner.engine.core import Engine
from scanner.errors import ConfigError
from scanner.rules.model import Rule, check_unique, load_builtin


def active_rules(cfg: Config) -> list[Rule]:
    rules = load_builtin() + list(cfg.extra_rules)
    check_unique(rules)
    known = {r.id for r in rules}
    unknown = [rid for rid in cfg.disable_rules if rid not in known]
    if unknown:
        where = cfg.path or "configuration"
        raise ConfigError(f"{where}: key 'disable_rules': unknown rule id(s) {', '.join(unknown)}")
    return [r for r in rules if r.id not in set(cfg.disable_rules)]


def build_engine(cfg: Config, min_confidence: str | None = None) -> Engine:
    return Engine(active_rules(cfg), min_confidence=min_confidence or cfg.min_confidence,
                  allow=AllowPolicy(cfg.allow_regexes, dict(cfg.allowlist)), scan_binary=cfg.scan_binary,
                  file_budget=cfg.file_time_budget, archive_limits=cfg.archive_limits())
