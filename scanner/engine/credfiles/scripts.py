"""Parsers for configuration written as code, and for shell histories.

PHP, Ruby and Python applications keep their database password, session secret or OAuth client
secret in a source file with a well-known name (MediaWiki's ``LocalSettings.php``, phpMyAdmin's
``config.inc.php``, Joomla's ``configuration.php``, Rails' initializers, Django's ``settings.py``).
Only a literal that is the whole right-hand side counts: ``$x = 'abc' . $y;``, ``getenv(...)``,
``ENV[...]`` and interpolated strings are code, not a stored credential.

A shell, MySQL or psql history keeps every command typed, with the passwords given on the
command line: ``mysql -pSECRET``, ``sshpass -p``, ``curl -u user:pass``, ``PGPASSWORD=... psql``,
``ALTER USER ... IDENTIFIED BY '...'``. Each shape is a bounded regex run once per line.
"""
from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING, Callable

from scanner.engine.credfiles.configs import sql_passwords
from scanner.engine.credfiles.dotenv import ABOUT
from scanner.engine.credfiles.stores import CRED_URL
from scanner.engine.credfiles.values import hit, live, wanted

if TYPE_CHECKING:
    from scanner.engine.credfiles import Hit
    from scanner.rules.model import Rule

# -- PHP and Ruby --------------------------------------------------------------------------------
_SQ = rb"'(?:[^'\\\n]|\\.){0,1024}'"
_DQ = rb'"(?:[^"\\\n]|\\.){0,1024}"'
_LITERAL = rb"(?P<value>" + _SQ + rb"|" + _DQ + rb")"
# The literal ends the expression: no concatenation (`.`, `+`) or method call follows it.
_PHP_END = rb"(?=\s*(?:[;,)\]]|$|//|#|\?>))"
_INDEX = rb"\s*\[\s*(?:'[^'\n]{0,80}'|\"[^\"\n]{0,80}\"|\$?\w{1,40})\s*\]"
_PHP_ASSIGN = re.compile(
    rb"(?m)(?:(?<![\w$])(?:(?:public|private|protected|var|static|const)\s+){1,3}\$?(?P<prop>[A-Za-z_]\w{0,80})"
    rb"|\$(?P<var>[A-Za-z_]\w{0,80})(?P<index>(?:" + _INDEX + rb"){0,6}))\s*=\s*" + _LITERAL + _PHP_END)
_PHP_ENTRY = re.compile(rb"""(?m)(?P<q>['"])(?P<key>[A-Za-z_][\w.-]{0,80})(?P=q)\s*=>\s*""" + _LITERAL + _PHP_END)
_PHP_DEFINE = re.compile(rb"""\bdefine\s*\(\s*(?P<q>['"])(?P<key>\w{1,80})(?P=q)\s*,\s*""" + _LITERAL + rb"\s*\)")
# mysqli_connect('host', 'user', 'password', ...), new mysqli(...), new PDO($dsn, 'user', 'password').
_PHP_CONNECT = re.compile(rb"(?i)(?P<conn>\bmysqli?_p?connect|\bnew\s+mysqli|\bnew\s+PDO)\s*\(\s*(?:" + _SQ + rb"|" + _DQ
                          + rb"|\$\w{1,40})\s*,\s*(?:" + _SQ + rb"|" + _DQ + rb"|\$\w{1,40})\s*,\s*" + _LITERAL + rb"(?=\s*[,)])")
_LAST_INDEX = re.compile(rb"""\[\s*['"]?\$?(?P<key>[\w.-]{1,80})['"]?\s*\]\s*$""")
_INTERPOLATED = re.compile(r"\$[A-Za-z_{]|\{\$|#\{")
_NOT_A_VALUE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z]+(?:_[a-z]+)+|(?:application|text|image)/[\w.+-]+")
_VALIDATION = re.compile(r"[a-z_]+(?:[:\[][^|]*)?(?:\|[a-z_]+(?:[:\[][^|]*)?)+")
_CODE_COMMENT = (b"//", b"#", b"*", b"/*", b"<!--")
_INDENT = re.compile(rb"[ \t]*")

_RB_END = rb"(?=\s*(?:$|#|;|,|\)|\}|\bif\b|\bunless\b))"
_RB_ASSIGN = re.compile(
    rb"(?m)(?<![\w:.])(?P<lhs>[A-Za-z_][\w:]{0,120}(?:\.[A-Za-z_]\w{0,80}){0,6}"
    rb"(?:\[\s*(?::\w{1,80}|'[\w.-]{1,80}'|\"[\w.-]{1,80}\")\s*\])?)\s*(?:\|\|)?=(?![=~>])\s*"
    # `ENV['SECRET_TOKEN'] || '...'`: the fallback is the secret whenever the variable is unset.
    rb"(?:ENV\[[^\]\n]{1,80}\]\s*\|\|\s*)?" + _LITERAL + _RB_END)
_RB_PAIR = re.compile(rb"""(?m)(?:(?<![\w:]):(?P<k1>\w{1,80})\s*=>|(?<![\w:])(?P<k2>\w{1,80}):\s|(?P<q>['"])(?P<k3>[\w.-]{1,80})(?P=q)\s*=>)\s*"""
                      + _LITERAL + _RB_END)
# OmniAuth's `provider :github, 'client id', 'client secret'` (and Devise's `config.omniauth`).
_RB_PROVIDER = re.compile(rb"(?m)(?<!\w)(?P<key>provider|omniauth)\s*\(?\s*:(?P<name>\w{1,60})\s*,\s*(?:" + _SQ + rb"|"
                          + _DQ + rb")\s*,\s*" + _LITERAL + rb"(?=\s*(?:$|,|\)|#))")
# Python: the same assignments as Ruby's (`EMAIL_HOST_PASSWORD = '...'`), and dict items ('PASSWORD': '...').
_PY_PAIR = re.compile(rb"""(?m)(?P<q>['"])(?P<k3>[\w.-]{1,80})(?P=q)\s*:\s*""" + _LITERAL + _RB_END)
_RB_LHS_KEY = re.compile(rb"""(?:\.|^|::)(?P<key>\w+)$|\[\s*:?['"]?(?P<idx>[\w.-]+)['"]?\s*\]$""")


def _literal(raw: bytes) -> str | None:
    """The text of a quoted literal, or None for what is not a stored credential: an
    interpolated string (code), a message or label (words with spaces), a flag (``0``), a
    validation rule (``required|min:8``), the name of an environment variable or a variable
    (``next_token``), a MIME type."""
    text = raw[1:-1].decode("utf-8", "replace")
    if raw[:1] == b'"' and _INTERPOLATED.search(text) or " " in text.strip() or len(text) < 3 \
            or _VALIDATION.fullmatch(text) or _NOT_A_VALUE.fullmatch(text):
        return None
    return re.sub(r"\\([\\'\"])", r"\1", text)


def _code_hits(rule: Rule, data: bytes, shapes: list[re.Pattern[bytes]],
               key_of: Callable[[re.Match[bytes]], str]) -> list[Hit]:
    is_field = wanted(rule)
    hits = []
    seen: set[int] = set()
    commented: dict[int, bool] = {}    # line start -> does the line start with a comment marker?
    for pattern in shapes:
        start = searched = 0     # the line start of the last match, and how far back it was looked for
        for m in pattern.finditer(data):
            key = key_of(m)
            if not key or m.start("value") in seen or not is_field(key):
                continue
            seen.add(m.start("value"))
            # Matches come in order: look for the newline only since the last one (linear in the file).
            start = max(start, data.rfind(b"\n", searched, m.start()) + 1)
            searched = m.start()
            if start not in commented:
                indent = _INDENT.match(data, start)
                commented[start] = data.startswith(_CODE_COMMENT, indent.end() if indent else start)
            value = None if commented[start] else _literal(m.group("value"))
            if value is not None and live(value):
                details = {"provider": m.group("name").decode()} if "name" in m.re.groupindex else {}
                hits.append(hit(m.start("value") + 1, m.end("value") - 1, key, value, **details))
    return sorted(hits, key=lambda h: h.start)


def _php_key(m: re.Match[bytes]) -> str:
    groups = m.groupdict()
    if "conn" in groups:
        return "connect_password"
    if groups.get("prop"):
        return m.group("prop").decode()
    if groups.get("var"):
        last = _LAST_INDEX.search(m.group("index") or b"")
        return (last.group("key") if last else m.group("var")).decode()
    return m.group("key").decode()


def php(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """PHP settings for the rule's fields: ``$wgDBpassword = "...";``, ``$cfg['Servers'][$i]
    ['password'] = '...';`` (the last index names it), ``public $password = '...';``,
    ``'password' => '...',`` in an array, ``define('DB_PASS', '...')``, and the password argument
    of ``mysqli_connect``, ``new mysqli`` and ``new PDO`` (field ``connect_password``)."""
    return _code_hits(rule, data, [_PHP_ASSIGN, _PHP_ENTRY, _PHP_DEFINE, _PHP_CONNECT], _php_key)


def _ruby_key(m: re.Match[bytes]) -> str:
    groups = m.groupdict()
    if "lhs" in groups:
        last = _RB_LHS_KEY.search(m.group("lhs"))
        return (last.group("key") or last.group("idx")).decode() if last else ""
    if "name" in groups:
        return "omniauth_provider"     # a call, not a hash key named `provider`
    for name in ("k1", "k2", "k3"):
        if groups.get(name):
            return m.group(name).decode()
    return ""


def ruby(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """Ruby settings for the rule's fields: ``config.secret_key_base = '...'`` (the last name
    of the receiver chain, or ``knife[:key]``'s index), hash pairs (``aws_secret_access_key:
    '...'``, ``:password => '...'``), and OmniAuth's ``provider :github, 'id', 'secret'`` (and
    Devise's ``config.omniauth``), whose field is ``omniauth_provider``."""
    return _code_hits(rule, data, [_RB_ASSIGN, _RB_PAIR, _RB_PROVIDER], _ruby_key)


def python(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """Python settings for the rule's fields: ``EMAIL_HOST_PASSWORD = '...'`` and dict items
    (Django's ``DATABASES = {'default': {'PASSWORD': '...'}}``); an f-string is code."""
    return _code_hits(rule, data, [_RB_ASSIGN, _PY_PAIR], _ruby_key)


# -- Shell, MySQL and psql histories -------------------------------------------------------------
_ARG = rb"""(?P<value>'[^'\n]{0,1024}'|"(?:[^"\\\n]|\\.){0,1024}"|\$\([^)\n]{0,400}\)|`[^`\n]{0,400}`|(?:[^\s'"`;|&<>()\\]|\\.){1,1024})"""
_CMD = rb"(?<![\w.-])(?:"
_REST = rb")\b[^\n;|&]{0,400}?[ \t]"
# (field, pattern): the commands that take a password as an option value.
_HISTORY_SHAPES = [
    # mysql -pSECRET: the value is glued to -p (a lone -p asks for it; -P is the port).
    ("mysql -p", re.compile(_CMD + rb"mysql\w{0,12}|mariadb[\w-]{0,12}" + _REST + rb"-p" + _ARG)),
    ("sshpass -p", re.compile(_CMD + rb"sshpass" + _REST + rb"-p[ \t]*" + _ARG)),
    ("-p", re.compile(_CMD + rb"(?:docker|podman|buildah|skopeo|helm(?:[ \t]+registry)?)[ \t]+login|mongo(?:sh|dump|restore|export|import)?"
                      + _REST + rb"-p[ \t]+(?!-)" + _ARG)),
    ("-a", re.compile(_CMD + rb"redis-cli" + _REST + rb"-a[ \t]+(?!-)" + _ARG)),
    ("-P", re.compile(_CMD + rb"sqlcmd|bcp|isql" + _REST + rb"-P[ \t]*(?!-)" + _ARG)),
    ("-w", re.compile(_CMD + rb"ldap(?:search|modify|add|delete|passwd|whoami|compare|modrdn)" + _REST + rb"-w[ \t]*(?!-)" + _ARG)),
    ("/p", re.compile(_CMD + rb"xfreerdp|wlfreerdp|sdl-freerdp" + _REST + rb"/p:" + _ARG)),
    ("-storepass", re.compile(rb"(?<![\w-])-(?P<opt>(?:src|dest|new)?(?:store|key)pass)[ \t]+(?!-)(?:pass:)?" + _ARG)),
    ("-passin", re.compile(rb"(?<![\w-])-pass(?:in|out)?[ \t]+pass:" + _ARG)),
    ("--password", re.compile(
        rb"(?<![\w-])--(?P<opt>[\w-]{0,40}?(?:password|passwd|pass|pwd|secret|token|api-key|api_key|apikey))"
        rb"(?:=|[ \t]+(?!-))" + _ARG)),
    # A password piped to a command that reads it from stdin: sudo -S, --password-stdin, passwd --stdin.
    ("stdin", re.compile(rb"(?<![\w.-])(?:echo|printf)(?:[ \t]+-[neE]{1,3})?[ \t]+" + _ARG + rb"[ \t]*\|[ \t]*"
                         rb"(?:sudo\b[^\n;|&]{0,80}?[ \t]-[A-Za-z]{0,5}S\b|[^\n;|&]{0,200}?(?:--password-stdin|passwd[ \t]+--stdin)\b)")),
    # redis-cli's history: AUTH [user] password; the mongo shell's: db.auth(user, pwd), createUser({pwd: ...}).
    ("AUTH", re.compile(rb"(?im)^[ \t]*AUTH[ \t]+(?:[^\s'\"]{1,100}[ \t]+)?" + _ARG + rb"[ \t\r]*$")),
    ("db.auth", re.compile(rb"""\bdb\.auth\s*\(\s*(['"])[^'"\n]{0,100}\1\s*,\s*(?P<value>'[^'\n]*'|"[^"\n]*")""")),
    ("pwd", re.compile(rb"""(?<![\w$])pwd\s*:\s*(?P<value>'[^'\n]*'|"[^"\n]*")""")),
]
_USER_PASS = re.compile(_CMD + rb"curl|wget|http|https|lftp|smbclient|rpcclient" + _REST
                        + rb"(?:-[A-Za-z]{0,5}[uU][ \t]*|--user(?:=|[ \t]+))" + _ARG)
_HTPASSWD = re.compile(_CMD + rb"htpasswd)[ \t]+(?P<args>[^\n;|&]{1,400})")
_ENV_ASSIGN = re.compile(rb"(?m)(?:^|[ \t;&|(])(?:export[ \t]+|set[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_]{0,80})=" + _ARG)
_PASS_NAME = re.compile(r"(?:^|_)(?:[a-z]{0,12}pass(?:word|wd)|pass|sshpass|pwd|[a-z]{0,12}secret|secret_?key|token|"
                        r"api_?key|apikey|access_?key|private_?key|credentials?)(?:_|$)", re.IGNORECASE)
_EXPANSION = re.compile(rb"\$[\w{(@*#?$!-]|`")
_WORDS = re.compile(rb"""'[^'\n]{0,1024}'|"(?:[^"\\\n]|\\.){0,1024}"|\S{1,1024}""")
_OCTAL_SPACE = b"\\040"   # libedit's mysql client writes spaces in its history as \040


def _unquoted(raw: bytes) -> tuple[str, int]:
    """(the shell word's text, how many bytes its opening quote takes)."""
    text = raw.decode("utf-8", "replace")
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1], 1
    return text.replace("\\", ""), 0


def _expanded(raw: bytes) -> bool:
    """Does the shell replace the word (``$VAR``, ``$(cmd)``, backticks)? Not in single quotes."""
    return not raw.startswith(b"'") and bool(_EXPANSION.search(raw))


def _word_hit(start: int, raw: bytes, field: str) -> Hit | None:
    value, quote = _unquoted(raw)
    if _expanded(raw) or not live(value):
        return None
    return hit(start + quote, start + quote + len(value.encode()), field, value)


def _htpasswd_password(args: bytes) -> tuple[int, bytes] | None:
    """htpasswd -b[cBmsdp] [-C cost] FILE USER PASSWORD (with -n there is no FILE)."""
    words = [(m.start(), m.group()) for m in _WORDS.finditer(args)]
    flags = "".join(w[1:].decode("utf-8", "replace") for _, w in words if w.startswith(b"-"))
    if "b" not in flags:
        return None
    rest, skip = [], False
    for at, w in words:
        if skip:
            skip = False
        elif w.startswith(b"-"):
            skip = w in (b"-C", b"-r")     # they take a number
        else:
            rest.append((at, w))
    need = 2 if "n" in flags else 3
    return rest[need - 1] if len(rest) >= need else None


def _history_hits(data: bytes) -> list[Hit]:
    """Every shape over the whole history; the patterns stay within a line."""
    out: list[Hit] = []
    for field, pattern in _HISTORY_SHAPES:
        for m in pattern.finditer(data):
            name = m.group("opt").decode() if "opt" in pattern.groupindex else field
            found = _word_hit(m.start("value"), m.group("value"), name)
            if found:
                out.append(found)
    for m in _USER_PASS.finditer(data):
        value, quote = _unquoted(m.group("value"))
        if _expanded(m.group("value")):
            continue
        user, sep, password = value.partition(":") if ":" in value else value.partition("%")
        if sep and user and live(password):
            start = m.start("value") + quote + len(user.encode()) + 1
            out.append(hit(start, start + len(password.encode()), "user:password", password))
    for m in _HTPASSWD.finditer(data):
        word = _htpasswd_password(m.group("args"))
        found = _word_hit(m.start("args") + word[0], word[1], "htpasswd -b") if word else None
        if found:
            out.append(found)
    for m in _ENV_ASSIGN.finditer(data):
        name = m.group("name").decode()
        if _PASS_NAME.search(name) and not ABOUT.search(name):
            found = _word_hit(m.start("value"), m.group("value"), name)
            if found:
                out.append(found)
    for m in CRED_URL.finditer(data):
        if m.group("password"):
            found = _word_hit(m.start("password"), m.group("password"), "url")
            if found:
                out.append(found)
    return out


def shell_history(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """Passwords typed on a command line and kept in a history file: options of clients that
    take them (``mysql -p…``, ``sshpass -p``, ``docker login -p``, ``--password=…``, ``curl -u
    user:pass``, ``htpasswd -b``), secret-named environment assignments (``PGPASSWORD=…
    psql``, ``export API_TOKEN=…``), URLs with a password, and SQL that sets one."""
    spaces: list[int] = []
    if _OCTAL_SPACE in data:
        # Read the commands with their spaces back, and map offsets to the file's own bytes.
        parts = data.split(_OCTAL_SPACE)
        pos = 0
        for part in parts[:-1]:
            pos += len(part)
            spaces.append(pos)
            pos += 1
        data = b" ".join(parts)
    hits = _history_hits(data)
    hits.extend(sql_passwords(data))
    # One value may fit two shapes (`--password=` of mysql also reads as an option): keep the first.
    unique = {(h.start, h.end): h for h in reversed(hits)}
    out = sorted(unique.values(), key=lambda h: h.start)
    for h in out:
        # Each \040 before an offset was read as one byte: add back the other three.
        h.start, h.end = h.start + 3 * bisect.bisect_left(spaces, h.start), h.end + 3 * bisect.bisect_left(spaces, h.end)
    return out
