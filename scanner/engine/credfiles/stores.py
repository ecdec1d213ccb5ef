"""Parsers for credential stores and key-value configuration: URLs with user info, token
streams (netrc, msmtp, fetchmail), INI-like files, Docker's auths, .pgpass, user:hash files."""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote as pct_unquote

from scanner.engine.credfiles.values import hit, lines, live, span_of, unquote, wanted
from scanner.engine.placeholders import structural_placeholder

if TYPE_CHECKING:
    from scanner.engine.credfiles import Hit
    from scanner.rules.model import Rule

# Bounded, and starting only where a scheme can start, so that a long run of letters is read once.
CRED_URL = re.compile(rb"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}://(?P<user>[^:@/\s]{0,256})"
                      rb"(?::(?P<password>[^@/\s]{0,1024}))?@[^\s/]{1,256}")
_INI = re.compile(rb"^\s*(?P<key>[A-Za-z0-9_.@-]+)\s*[=:]\s*(?P<value>.*?)\s*$")
_INI_EQ = re.compile(rb"^\s*(?P<key>[^\s=]+)\s*=\s*(?P<value>.*?)\s*$")    # npm keys hold ':' and '/'
_WORD = re.compile(rb'"(?:[^"\\\n]|\\.)*"|\S+')
# CVS's ~/.cvspass: "[/1 ]CVSROOT A<scrambled password>"; the scrambling is a fixed substitution
# (it keeps the length), so it is the password in all but name. "A" alone is an empty password.
_CVSPASS = re.compile(rb"^(?:/1\s+)?(?P<root>:[a-z]{2,12}:\S{1,1024})\s+A(?P<password>\S.{0,1024})$")
_HASH = re.compile(r"^(?:\$(?:apr1|2[abxy]?|1|5|6|y|argon2id?)\$\S{8,}|\{SHA\}[A-Za-z0-9+/=]{27,28}|[./0-9A-Za-z]{13})$")


def url_userinfo(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """``scheme://user:password@host`` per line (git's credential store); a bare user is a token.
    A rule with ``fields`` reports only those parts: a remote in ``.git/config`` names its user
    (``https://anna@host``, ``ssh://git@host``) without a secret, so there only a password counts."""
    is_field = wanted(rule) if rule.fields else None
    hits = []
    for off, line in lines(data):
        for m in CRED_URL.finditer(line):
            group = "password" if m.group("password") else "user"
            if is_field is not None and not is_field(group):
                continue
            value = pct_unquote(m.group(group).decode("utf-8", "replace"))
            if live(value):
                hits.append(hit(off + m.start(group), off + m.end(group), group, value))
    return hits


def words(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """A stream of whitespace-separated tokens where a field word is followed by its value
    (netrc's ``password``, msmtp's ``password``, fetchmail's ``pass``, esmtp's ``password =``
    or ``password=...``); the value may start the next line, and may be double-quoted."""
    is_field = wanted(rule)
    hits = []
    found = [(m.start(), m.group().decode("utf-8", "replace")) for m in _WORD.finditer(data)]
    taken = -1    # the last token read as a value: "password password" is a field and its value
    for i, (at, word) in enumerate(found):
        if i <= taken:
            continue
        key, eq, rest = word.partition("=") if word[:1] != '"' else (word, "", "")
        if eq and key and is_field(key):
            # "password=VALUE" in one token, or "password=" and the value after it.
            if rest:
                off, raw = at + len(key.encode()) + 1, rest
            elif i + 1 < len(found):
                taken = i + 1
                off, raw = found[taken]
            else:
                continue
        elif is_field(word) and i + 1 < len(found):
            taken = i + 1 if found[i + 1][1] != "=" or i + 2 >= len(found) else i + 2
            off, raw = found[taken]
        else:
            continue
        if live(raw):
            value = unquote(raw)
            start = off + (1 if raw[:1] == '"' else 0)
            hits.append(hit(start, start + len(value.encode()), key if eq else word, value))
    return hits


def _key_values(rule: Rule, data: bytes, pattern: re.Pattern[bytes]) -> list[Hit]:
    is_field = wanted(rule)
    hits = []
    for off, line in lines(data):
        if line.lstrip().startswith((b"#", b";", b"!")):
            continue
        m = pattern.match(line)
        if not m:
            continue
        key = m.group("key").decode("utf-8", "replace")
        value = m.group("value").decode("utf-8", "replace")
        if is_field(key) and live(value):
            plain = unquote(value)
            start, end = span_of(data, plain, off + m.start("value"))
            hits.append(hit(start, end, key, plain))
    return hits


def ini(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """``key = value`` or ``key: value`` lines (INI, .properties, .pypirc, esmtp)."""
    return _key_values(rule, data, _INI)


def ini_equals(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """``key=value`` lines whose keys may hold ':' and '/' (npm's ``//registry/:_authToken``)."""
    return _key_values(rule, data, _INI_EQ)


def docker_auths(rule: Rule, path: str, data: bytes) -> list[Hit]:
    try:
        doc = json.loads(data.decode("utf-8", "replace"))
    except ValueError:
        return []
    if not isinstance(doc, dict):
        return []
    # config.json nests registries under "auths"; the legacy .dockercfg is the registry map itself.
    auths = doc.get("auths")
    registries: dict[str, Any] = auths if isinstance(auths, dict) else doc
    is_field = wanted(rule)
    hits = []
    for registry, entry in registries.items():
        if not isinstance(entry, dict):
            continue
        for key, value in entry.items():
            if is_field(key) and isinstance(value, str) and live(value):
                start, end = span_of(data, value, max(0, data.find(json.dumps(registry).encode()[1:-1])))
                hits.append(hit(start, end, f"auths.{registry}.{key}", value))
    return hits


def pgpass(rule: Rule, path: str, data: bytes) -> list[Hit]:
    hits = []
    for off, line in lines(data):
        if not line.strip() or line.lstrip().startswith(b"#"):
            continue
        # host:port:database:user:password, with \: and \\ escaping inside fields
        fields = re.split(rb"(?<!\\):", line, maxsplit=4)
        if len(fields) != 5:
            continue
        value = fields[4].decode("utf-8", "replace").replace("\\:", ":").replace("\\\\", "\\")
        if live(value):
            start = off + len(line) - len(fields[4])
            hits.append(hit(start, off + len(line), "password", value, user=fields[3].decode("utf-8", "replace")))
    return hits


def user_hash(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """``user:hash[:...]`` lines (htpasswd, ProFTPd's AuthUserFile): hashes can be cracked offline."""
    from scanner.engine.credfiles import Hit

    hits = []
    for off, line in lines(data):
        user, sep, rest = line.decode("utf-8", "replace").partition(":")
        digest = rest.partition(":")[0].strip()
        # live() would call a "$apr1$..." hash a template, so test hashes for placeholders directly.
        if sep and user and not user.startswith("#") and _HASH.match(digest) and not structural_placeholder(digest):
            start = off + len(user.encode()) + 1 + (len(rest.encode()) - len(rest.lstrip().encode()))
            hits.append(Hit(start, start + len(digest.encode()), "password hash", digest, details={"user": user}))
    return hits


def cvspass(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """``~/.cvspass`` lines: a CVSROOT and the password ``cvs login`` scrambled (reversible)."""
    hits = []
    for off, line in lines(data):
        m = _CVSPASS.match(line)
        if m:
            scrambled = m.group("password").decode("utf-8", "replace")
            # The secret is the whole stored field ("A" and the scrambled text); weakness is
            # judged on the scrambled part, which has the password's length.
            hits.append(hit(off + m.start("password") - 1, off + m.end("password"), "password", "A" + scrambled,
                            scrambled, root=m.group("root").decode("utf-8", "replace")))
    return hits


_INLINE_AUTH = re.compile(rb"<auth-user-pass>[ \t]*\r?\n(?P<body>.{0,1024}?)</auth-user-pass>", re.DOTALL)


def user_pass_lines(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """A file of two lines, a user name and a password: what OpenVPN's ``auth-user-pass FILE``
    reads, or the same two lines inline in a client configuration (``<auth-user-pass>``).
    Anything else under such a name (notes, a list, key=value settings) is not one."""
    inline = _INLINE_AUTH.search(data)
    if inline:
        return _user_pass(inline.group("body"), inline.start("body"))
    return _user_pass(data, 0) if len(data) <= 1024 and b"\0" not in data else []


def _user_pass(data: bytes, base: int) -> list[Hit]:
    text = [(off, line) for off, line in lines(data) if line.strip()]
    if len(text) != 2:
        return []
    (_, user), (off, password) = text
    if (not re.fullmatch(rb"[^\s=:<>#\[\]{}]{1,128}", user.strip())
            or password.lstrip().startswith((b"#", b"-----")) or b"=" in password):
        return []
    value = password.strip().decode("utf-8", "replace")
    if not live(value) or " " in value.strip():
        return []
    start = base + off + len(password) - len(password.lstrip())
    return [hit(start, start + len(value.encode()), "password", value, user=user.strip().decode("utf-8", "replace"))]
