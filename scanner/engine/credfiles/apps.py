"""Parsers for application configuration with well-known secret slots: PHP ``define()``
constants (WordPress), WordPress salts, a bare hex key (Rails), YAML keys."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scanner.engine.credfiles import Hit
from scanner.engine.credfiles.values import hit, lines, live, unquote, wanted
from scanner.engine.placeholders import structural_placeholder

if TYPE_CHECKING:
    from scanner.rules.model import Rule

_DEFINE = re.compile(rb"""define\s*\(\s*(['"])(?P<name>[A-Za-z_]+)\1\s*,\s*(['"])(?P<value>(?:(?!\3).)*)\3""")
_WP_SAMPLE = "put your unique phrase here"
_HEX32 = re.compile(rb"^\s*([0-9a-f]{32})\s*$")
# Every credential of a kubeconfig sits under its top-level "users:" list.
_KUBE_USERS = re.compile(rb"(?m)^users:[ \t]*(?:#[^\n]*)?\r?$")
_YAML_KEY = re.compile(rb"^(?P<indent>\s*)(?:-\s+)?(?P<key>:?[A-Za-z_][A-Za-z0-9_.-]*)\s*:\s*(?P<value>.*?)\s*(?:\s#.*)?$")


def _defines(rule: Rule, data: bytes) -> list[tuple[str, str, int, int]]:
    is_field = wanted(rule)
    return [(m.group("name").decode(), m.group("value").decode("utf-8", "replace"), m.start("value"), m.end("value"))
            for m in _DEFINE.finditer(data) if is_field(m.group("name").decode())]


def php_define(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """``define('DB_PASSWORD', '...')`` for the rule's fields."""
    return [hit(start, end, name, value) for name, value, start, end in _defines(rule, data) if live(value)]


def wp_salts(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """WordPress keys and salts, one finding for the set: changing one logs everyone out anyway."""
    # Salts are random printable text, often starting with '$' or '<', so live() would reject them.
    salts = [s for s in _defines(rule, data)
             if s[1] != _WP_SAMPLE and len(s[1]) >= 32 and not structural_placeholder(s[1])]
    if not salts:
        return []
    names = [s[0] for s in salts]
    covers = "\n".join(sorted(f"{n}={v}" for n, v, _, _ in salts)).encode()
    return [Hit(salts[0][2], salts[-1][3], "", f"[wp-config.php: {', '.join(names)}]",
                covers=covers, details={"file_level": True, "keys": names})]


def hex32(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """A file that is one 128-bit hex key (Rails' master.key)."""
    m = _HEX32.match(data)
    if not m or structural_placeholder(m.group(1).decode()):
        return []
    return [Hit(m.start(1), m.end(1), "key", m.group(1).decode())]


def yaml_key(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """``key: value`` lines of a YAML file whose key is one of the rule's fields, at any depth."""
    is_field = wanted(rule)
    hits = []
    for off, line in lines(data):
        m = _YAML_KEY.match(line)
        if not m or not is_field(m.group("key").decode()):
            continue
        value = m.group("value").decode("utf-8", "replace")
        if live(value) and value[:1] not in ("|", ">", "&", "*", "!"):
            start = off + m.start("value")
            plain = unquote(value)
            hits.append(hit(start, start + len(value.encode()), m.group("key").decode(), plain))
    return hits


def kubeconfig(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """A kubeconfig's user credentials; a file named only ``config`` counts when it is one."""
    return yaml_key(rule, path, data) if _KUBE_USERS.search(data) else []
