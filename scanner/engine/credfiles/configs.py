"""Parsers for tools' configuration files that keep a login in them: JSON and XML settings
(FileZilla, JetBrains, DBeaver, SFTP plugins, Robo 3T, Terraform state), ``key=value`` pairs
anywhere on a line (Ansible inventories), and SQL dumps (users created with a password, and
password columns of dumped tables).

Every parser is one linear pass of bounded regexes over the bytes, so a crafted file cannot
stall it; values are judged by ``values.live`` and ``values.hit`` like every credential file's.
"""
from __future__ import annotations

import base64
import binascii
import html
import json
import re
from typing import TYPE_CHECKING

from scanner.engine.credfiles.values import hit, lines, live, unquote, wanted

if TYPE_CHECKING:
    from scanner.engine.credfiles import Hit
    from scanner.rules.model import Rule

_JSON_PAIR = re.compile(rb'"(?P<key>[^"\\\n]{1,80})"\s*:\s*"(?P<value>(?:[^"\\\n]|\\.){0,8192})"')
_XML_ELEMENT = re.compile(rb"<(?P<key>[A-Za-z_][\w.:-]{0,60})(?P<attrs>\s[^<>]{0,300})?>(?P<value>[^<]{1,8192})</(?P=key)\s*>")
_XML_ATTR = re.compile(rb"""\s(?P<key>[A-Za-z_][\w.:-]{0,60})\s*=\s*(?P<q>["'])(?P<value>[^"'<>\n]{1,8192})(?P=q)""")
# A setting named by its name attribute: Hibernate's <property name="connection.password">...</property>,
# FileZilla Server's <Option Name="Pass">...</Option>.
_XML_NAMED = re.compile(rb"""<(?P<tag>[A-Za-z_][\w.:-]{0,60})\s[^<>]{0,300}?\b(?:name|Name|NAME)\s*=\s*(?P<q>["'])(?P<key>[^"'<>]{1,100})(?P=q)"""
                        rb"""[^<>]{0,300}>(?P<value>[^<]{1,8192})</(?P=tag)\s*>""")
_PLIST_PAIR = re.compile(rb"<key>\s*(?P<key>[^<]{1,100}?)\s*</key>\s*<string>(?P<value>[^<]{0,8192})</string>")
_XML_OPTION = re.compile(rb"""(?<![\w-])(?:name|key)\s*=\s*"(?P<key>[^"<>]{1,60})"\s+value\s*=\s*"(?P<value>[^"<>\n]{1,8192})\"""")
_PAIR = re.compile(rb"""(?<![\w.-])(?P<key>[A-Za-z_][\w.-]{0,80})\s*[=:]\s*(?P<value>"[^"\n]*"|'[^'\n]*'|[^\s"',;]+)""")
_BASE64 = re.compile(rb'encoding\s*=\s*"base64"')


def _json_value(raw: bytes) -> str:
    try:
        value = json.loads(b'"' + raw + b'"')
    except ValueError:
        return raw.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def json_keys(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """``"key": "value"`` pairs at any depth, in JSON with or without comments (Sublime's
    sftp-config.json has them), for the rule's fields."""
    is_field = wanted(rule)
    hits = []
    for m in _JSON_PAIR.finditer(data):
        key = m.group("key").decode("utf-8", "replace")
        if not is_field(key):
            continue
        value = _json_value(m.group("value"))
        if live(value):
            hits.append(hit(m.start("value"), m.end("value"), key, value))
    return hits


def _decoded(raw: str) -> str:
    try:
        return base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return raw


def xml_fields(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """An XML setting named by one of the rule's fields, in any of its usual shapes: an element
    (``<Pass encoding="base64">...</Pass>``), an element named by its ``name`` attribute
    (Hibernate's ``<property name="connection.password">...</property>``), an attribute
    (``password="..."``), or a name and a value (JetBrains' ``<option name="password" value="..."/>``,
    NuGet's ``<add key="ClearTextPassword" value="..."/>``)."""
    is_field = wanted(rule)
    hits = []
    seen: set[int] = set()
    for pattern in (_XML_ELEMENT, _XML_NAMED, _XML_OPTION, _XML_ATTR):
        for m in pattern.finditer(data):
            key = m.group("key").decode("utf-8", "replace")
            if not is_field(key) or m.start("value") in seen:
                continue
            seen.add(m.start("value"))
            value = m.group("value").decode("utf-8", "replace").strip()
            attrs = m.groupdict().get("attrs") or b""
            # FileZilla keeps passwords base64-encoded: judge the password, report the text.
            plain = _decoded(value) if _BASE64.search(attrs) else value
            if live(plain):
                hits.append(hit(m.start("value"), m.end("value"), key, value, plain))
    return hits


def plist(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """``<key>password</key><string>...</string>`` in an XML property list (Sequel Pro's and
    Sequel Ace's favourites); a favourite whose password is in the keychain has no such pair."""
    is_field = wanted(rule)
    hits = []
    for m in _PLIST_PAIR.finditer(data):
        key = m.group("key").decode("utf-8", "replace")
        value = html.unescape(m.group("value").decode("utf-8", "replace"))
        if is_field(key) and live(value):
            hits.append(hit(m.start("value"), m.end("value"), key, value))
    return hits


def pairs(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """``key=value`` (or ``key: value``) anywhere on a line, several per line, as in an Ansible
    inventory (``web1 ansible_host=10.0.0.5 ansible_password=...``) or its group_vars."""
    is_field = wanted(rule)
    hits = []
    for off, line in lines(data):
        if line.lstrip().startswith((b"#", b";")):
            continue
        for m in _PAIR.finditer(line):
            key = m.group("key").decode("utf-8", "replace")
            raw = m.group("value").decode("utf-8", "replace")
            if is_field(key) and live(raw) and not raw.startswith(("!", "|", ">")):
                value = unquote(raw)
                start = off + m.start("value") + (1 if raw[:1] in "\"'" else 0)
                hits.append(hit(start, start + len(value.encode()), key, value))
    return hits


# -- SQL dumps ---------------------------------------------------------------------------------
_SQL_STRING = rb"'(?:[^'\\]|\\.|''){0,8192}'"
_SQL_PASSWORD = re.compile(
    rb"(?i)(?:\bIDENTIFIED(?:\s+WITH\s+[\w'\"`]{1,40})?\s+BY(?:\s+PASSWORD)?|\bPASSWORD\s*=?|=\s*PASSWORD\s*\()"
    rb"\s*(?P<value>" + _SQL_STRING + rb")")
_SQL_STATEMENT = re.compile(rb"(?i)\b(?:CREATE|ALTER)\s+(?:USER|ROLE|LOGIN)\b|\bGRANT\b|\bSET\s+PASSWORD\b")
_CREATE_TABLE = re.compile(rb"(?i)CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<table>[\w.`\"\[\]]{1,128})\s*\(")
_COLUMN = re.compile(rb"^\s*[`\"\[]?(?P<col>[A-Za-z_][\w$]{0,63})[`\"\]]?\s+[A-Za-z]")
_INSERT = re.compile(rb"(?i)INSERT\s+INTO\s+(?P<table>[\w.`\"\[\]]{1,128})\s*(?:\((?P<cols>[^()]{1,4096})\))?\s*VALUES\s*")
_COPY = re.compile(rb"(?im)^COPY\s+(?P<table>[\w.\"]{1,128})\s*\((?P<cols>[^()]{1,4096})\)\s+FROM\s+stdin;\s*$")
_TOKEN = re.compile(_SQL_STRING + rb"|[(),;]|[^\s(),;']+|\s+")


def _name(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip().strip("`\"[]").rpartition(".")[2].strip("`\"[]").lower()


def _sql_string(raw: bytes) -> str:
    return raw[1:-1].decode("utf-8", "replace").replace("''", "'").replace("\\'", "'").replace("\\\\", "\\")


def sql_dump(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """Passwords set in ``CREATE USER ... IDENTIFIED BY '...'`` (and ``ALTER``, ``GRANT``,
    ``SET PASSWORD``, PostgreSQL's ``PASSWORD '...'``, SQL Server's ``PASSWORD = '...'``), and
    the values of password columns (the rule's fields) in ``INSERT`` and ``COPY`` data."""
    hits = sql_passwords(data)
    is_field = wanted(rule)
    tables = _table_columns(data)
    for m in _INSERT.finditer(data):
        cols = [_name(c) for c in m.group("cols").split(b",")] if m.group("cols") else \
            tables.get(_name(m.group("table")), [])
        wanted_at = {i: c for i, c in enumerate(cols) if is_field(c)}
        if wanted_at:
            hits.extend(_tuples(data, m.end(), wanted_at))
    for m in _COPY.finditer(data):
        cols = [_name(c) for c in m.group("cols").split(b",")]
        wanted_at = {i: c for i, c in enumerate(cols) if is_field(c)}
        if wanted_at:
            hits.extend(_copy_rows(data, m.end(), wanted_at))
    return hits


def sql_passwords(data: bytes) -> list[Hit]:
    """Passwords that statements set (``IDENTIFIED BY '...'``, ``PASSWORD '...'``), in a dump or
    in a client's history."""
    hits = []
    for m in _SQL_PASSWORD.finditer(data):
        # The statement's start, looked for in a bounded window so that many matches stay linear.
        lo = max(0, m.start() - 1024)
        head = data[max(lo, data.rfind(b";", lo, m.start()) + 1):m.start()]
        if _SQL_STATEMENT.search(head):
            value = _sql_string(m.group("value"))
            if live(value):
                hits.append(hit(m.start("value") + 1, m.end("value") - 1, "password", value))
    return hits


def _table_columns(data: bytes) -> dict[str, list[str]]:
    """Column order of each ``CREATE TABLE``, for dumps whose INSERTs have no column list."""
    out = {}
    for m in _CREATE_TABLE.finditer(data):
        end = data.find(b";", m.end())
        body = data[m.end():end if end != -1 else len(data)]
        out[_name(m.group("table"))] = [c.group("col").decode().lower() for c in map(_COLUMN.match, body.split(b"\n"))
                                        if c and c.group("col").upper() not in (b"PRIMARY", b"KEY", b"UNIQUE",
                                                                                  b"CONSTRAINT", b"INDEX", b"FOREIGN")]
    return out


def _tuples(data: bytes, pos: int, wanted_at: dict[int, str]) -> list[Hit]:
    hits = []
    depth, column = 0, 0
    for t in _TOKEN.finditer(data, pos):
        tok = t.group()
        if tok == b"(":
            depth += 1
            column = 0
        elif tok == b")":
            depth -= 1
        elif tok == b",":
            column += depth == 1
        elif tok == b";" and depth == 0:
            break
        elif depth == 1 and column in wanted_at and tok[:1] == b"'":
            value = _sql_string(tok)
            if live(value):
                hits.append(hit(t.start() + 1, t.end() - 1, wanted_at[column], value))
        if depth < 0:
            break
    return hits


def _copy_rows(data: bytes, pos: int, wanted_at: dict[int, str]) -> list[Hit]:
    hits = []
    for off, line in lines(data[pos:]):
        if line == b"\\.":
            break
        start = pos + off
        for i, cell in enumerate(line.split(b"\t")):
            if i in wanted_at:
                value = cell.decode("utf-8", "replace")
                if value != "\\N" and live(value):
                    hits.append(hit(start, start + len(cell), wanted_at[i], value))
            start += len(cell) + 1
    return hits
