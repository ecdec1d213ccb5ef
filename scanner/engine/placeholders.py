"""Values that look like a secret's slot rather than a secret.

The sequential-string, templated, dollar-prefixed and indirect-reference checks follow
detect-secrets' heuristic filters (``detect_secrets/filters/heuristic.py``). They are
re-implemented here because importing detect-secrets costs ~130 ms, more than the
whole budget of a commit hook.
"""
from __future__ import annotations

import base64
import binascii
import functools
import operator
import re
import string
from urllib.parse import unquote

_SEQUENCES = (
    string.ascii_uppercase + string.ascii_uppercase,
    string.digits + string.ascii_uppercase + string.ascii_uppercase,
    string.hexdigits.upper() + string.hexdigits.upper(),
    string.ascii_uppercase + "=/",
    "1234567890" * 2,
    "qwertyuiopasdfghjklzxcvbnm",
)
_TEMPLATED = re.compile(
    r"""^(?:\$\{\{?.*\}\}?$|\{\{.*\}\}$|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$|%[A-Za-z_][A-Za-z0-9_]*%$|<[^<>]{1,80}>$|\[[^\[\]]{1,80}\]$|@[A-Za-z_]+@$|\(\(.*\)\)$|\$\([^)]*\)$|`[^`]*`$)"""
)
_EMBEDDED_TEMPLATE = re.compile(r"\{\{.*?\}\}|\$\{[^}]*\}|\$\([^)]*\)|%\([a-z_]+\)s")
_ENV_REF = re.compile(
    # ...plus values encrypted at rest: dotenvx "encrypted:..." and sops "ENC[AES256_GCM,...]".
    r"""(?:os\.environ|os\.getenv|getenv|process\.env|ENV\[|System\.getenv|Environment\.GetEnvironmentVariable|secrets\.|vault:|env\(|^encrypted:|^ENC\[)""",
    re.IGNORECASE,
)
_WORDS = re.compile(
    r"(?:x{4,}|\*{3,}|\.{3}|\u2026|example|sample|placeholder|changeme|change[_-]?me|your[_-]|my[_-]?(?:secret|token|key|pass)|"
    r"dummy|fake|redacted|replace[_-]?me|insert[_-]?|todo|fixme|^test$|^none$|^null$|^true$|^false$|"
    r"pass(?:word|wd)|secret|token|api[_-]?key|credential|^pass$|^pwd$|^secret$|^token$|^user(?:name)?$|^admin$|^root$|lorem|ipsum|\bfoo\b|\bbar\b|notreal|not[_-]a[_-]real|0{8,}|1234567)",
    re.IGNORECASE,
)
# Names, paths and URLs are what keyword-anchored values most often turn out to be.
# A dotted path of identifiers (``self.config.token``, ``Name.Builtin.Pseudo``) is code.
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]+)+$")
_LETTERS = re.compile(r"^_*[A-Za-z][A-Za-z_.-]*[0-9]{0,4}$")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_LEET = str.maketrans("0@4$5371!", "oaassetii")
_SEPARATORS = re.compile(r"[_.:-]+")
_LEADING = string.punctuation + " \u00a0\u2019"
_PART = re.compile(r"^[A-Za-z]+[0-9]{0,4}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Many providers issue UUIDs as API keys (Heroku, Snyk, Postmark, Opsgenie); elsewhere a UUID is
# an id (``LifecycleActionToken``, a KMS key id). Under a key's or token's own name it is the key.
_KEY_NAME = re.compile(r"api[_.-]?key|apikey|secret[_.-]?key|(?:admin|app|write|master)[_.-]?key"
                       r"|(?:api|auth|access)[_.-]?token|(?:^|[_.-])token$", re.IGNORECASE)
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "zyxwvutsrqponmlkjihgfedcba", "0123456789", "9876543210", "qwertyuiop", "asdfghjkl")
# ... and URNs, and relative paths of at least three lower-case parts (``contrib/credential/osxkeychain``):
# random base64 has slashes too, but never only lower-case letters between them. An e-mail
# address is a login or, for anonymous FTP, the conventional non-secret password.
_PATHLIKE = re.compile(r"^(?:arn:[a-z-]+:\S*|urn:[A-Za-z0-9-]+:\S+|[a-z][a-z0-9+.-]*://\S+|(?:/|\./|~/)(?:[a-z0-9_.-]+/)*[a-z0-9_.-]+|"
                       r"(?:[a-z0-9_.-]+/){2,}[a-z0-9_.-]+|[A-Za-z]:\\.*)$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_HOME_ROW = b"asdfghjkl"
_NOT_DIGIT = bytes(c for c in range(256) if not 48 <= c <= 57)
_NOT_LOWER = bytes(c for c in range(256) if not 97 <= c <= 122)
_INDIRECT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*(?:\(.*\)|\[.*\])$")


def is_sequential(value: str) -> bool:
    upper = value.upper()
    return len(upper) >= 6 and any(upper in seq for seq in _SEQUENCES)


def is_repeated(value: str) -> bool:
    """``aaaa…``, ``abab…``, or a value made mostly of one character."""
    if not value:
        return True
    for period in (1, 2, 3, 4):
        unit = value[:period]
        if len(value) >= 3 * period and (unit * (len(value) // period + 1))[: len(value)] == value:
            return True
    most = max(value.count(c) for c in set(value))
    return len(value) >= 8 and most / len(value) > 0.6


def looks_like_identifier(value: str) -> bool:
    """Names made of words (``tokenStartLine``, ``ABPersonViewController``, ``bearer_token_v2``),
    as opposed to random letters, in which one-letter "words" keep turning up inside camel case.
    A one-letter part between separators is a word of its own (``a-git-token``, ``i-am-the-worst``);
    parts may end in a version (``google_oauth2_credentials``, ``xs:unsignedByte``). A leading
    dot makes a relative module path (``.get_credential_globals``), other leading punctuation
    a word of a vocabulary or a message (``-American``, ``(arguments``, ``/Desktop``)."""
    value = value.lstrip(_LEADING)
    if _DOTTED.match(value):
        return True
    if _LETTERS.match(value):
        parts = _SEPARATORS.split(value.rstrip("0123456789"))
    else:
        parts = _SEPARATORS.split(value)
        if len(parts) < 2 or not all(_PART.match(p) for p in parts):
            return False
        parts = [p.rstrip("0123456789") for p in parts]
    return all(len(w) >= 2 for part in parts if len(part) > 1 for w in _WORD.findall(part))


@functools.lru_cache(maxsize=4096)   # the same values come back (a key in every file of a package)
def structural_placeholder(value: str) -> bool:
    """Placeholders for any rule, prefixed tokens included (``ghp_xxxx…``, ``sk_live_****``)."""
    body = re.sub(r"^[A-Za-z0-9]{2,12}[_-](?:[A-Za-z0-9]{2,8}[_-])?", "", value)
    body = body or value
    if is_repeated(body) or is_sequential(body):
        return True
    return bool(re.search(r"x{6,}|X{6,}|\*{3,}|\.{3}|\u2026|0{10,}|(?:abcdef|123456){2}", body))


def is_ordered(value: str) -> bool:
    """Made-up values that count up through their digits and letters (``abcd1234efgh5678``,
    ``a123b45c6d78e9f0...``): in a random value about one neighbour in ten is the next
    character, in these three in four or more are, once digits and letters are read apart."""
    if len(value) < 12:
        return False
    lowered = value.lower().encode("ascii", "ignore")
    pairs = steps = 0
    for seq in (lowered.translate(None, _NOT_DIGIT), lowered.translate(None, _NOT_LOWER)):
        if len(seq) > 1:
            pairs += len(seq) - 1
            steps += sum(map((1).__eq__, map(operator.sub, seq[1:], seq[:-1])))
    return pairs >= 10 and steps >= 0.75 * pairs


def is_keyboard_mash(value: str) -> bool:
    """Values typed by running fingers over the home row (``sdf0o9823sjdfsdf``, ``lsdajfh923874``):
    random letters fall on it about one time in three (hex is left alone: half its letters are there)."""
    letters = value.lower().encode("ascii", "ignore").translate(None, _NOT_LOWER)
    if len(letters) < 7 or not letters.translate(None, b"abcdef"):
        return False
    return len(letters) - len(letters.translate(None, _HOME_ROW)) >= 0.85 * len(letters)


def is_prose_text(value: str) -> bool:
    """Mostly non-ASCII, or a word with accented letters (``-Zélande``, ``veröffentlichung``): a
    human language (a translated message, a vocabulary), not a generated secret."""
    if value.isascii():
        return False
    return value.lstrip(_LEADING).isalpha() or len(value.encode("ascii", "ignore")) < 0.75 * len(value)


def _decoded_text(value: str) -> str | None:
    """The printable text a base64 value encodes (``YS1naXQtdG9rZW4=``), or ``None``."""
    if len(value) < 8 or len(value) % 4 or not _BASE64.match(value):
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return text if text.isprintable() else None


def _unleet(value: str) -> str:
    """``P@ssw0rd`` as ``Password``: the words of ``_WORDS`` spelled with digits and symbols.
    Only where a symbol stands for a letter: read as letters, the digits of hex would spell words."""
    if "%" in value:
        value = unquote(value)
    return value.translate(_LEET) if any(c in value for c in "@$!") else value


@functools.lru_cache(maxsize=4096)
def generic_placeholder(value: str, line: str = "", *, decode: bool = True, name: str = "") -> bool:
    """Stricter checks for keyword-anchored rules, where the value has no format of its own.
    A value that is base64 of a placeholder (``user:secret-passwd``) is one too. ``name`` is what
    the value is assigned to, when the rule captured it."""
    stripped = value.strip("\"'` ")
    if structural_placeholder(stripped):
        return True
    if _TEMPLATED.match(stripped) or stripped.startswith(("$", "%", "{", "<", "@", "#")):
        return True
    if _EMBEDDED_TEMPLATE.search(stripped):
        return True
    if _WORDS.search(stripped) or _WORDS.search(_unleet(stripped)):
        return True
    if _INDIRECT.match(stripped) and not stripped.isalnum():
        return True
    if looks_like_identifier(stripped) or _PATHLIKE.match(stripped) or _EMAIL.match(stripped):
        return True
    if _UUID.match(stripped) and not _KEY_NAME.search(name):
        return True
    lowered = stripped.lower()
    if any(run[i:i + 6] in lowered for run in _RUNS for i in range(len(run) - 5)):
        return True
    if _ENV_REF.search(stripped):
        return True
    if not any(c.isalnum() for c in stripped):
        return True
    # Rarer shapes last: the checks above settle most candidates in real code.
    if is_ordered(stripped) or is_keyboard_mash(stripped) or is_prose_text(stripped):
        return True
    if decode:
        text = _decoded_text(stripped)
        if text is not None and generic_placeholder(text.rpartition(":")[2], decode=False):
            return True
    return False


# Names that hold something about a secret rather than the secret: pagination and request
# tokens (``NextToken``, ``ClientRequestToken``, ``CopyProductToken``), metadata (``PasswordLastUsed``,
# ``token_type``, ``SESSION_TOKEN_PREFIX``), CloudFormation type names (``AWS::IAM::AccessKey``),
# text processing (``hf_tokenizer_name``, ``tokenize.options``, a vocabulary's ``token_bytes``).
_NAME_BEFORE = re.compile(
    r"(?:next|page|change|request|output|input|continuation|idempotency|sync|cancel|csrf|xsrf|resume|"
    r"pagination|start|end|last|first|cursor|reset|forgot|confirm|new|old|current|verify|verification|"
    r"client[_.-]?(?=token)|import|export|update|upload|download|lock|lease|share|invite|invitation|registration|"
    r"activation|unsubscribe|tracking|notification|callback|continue|marker|hash|hashed|copy|::)"
    r"[a-z0-9_.:-]{0,20}(?:password|passwd|passphrase|secret|token|api[_.-]?key|apikey|access[_.-]?key|"
    r"auth[_.-]?key|credential)")
_NAME_AFTER = re.compile(
    r"(?:password|passwd|passphrase|secret|token|key|credentials?)[_.-]?"
    r"(?:last|used|polic|reset|length|len|min|max|field|prompt|type|name|id|ids|url|uri|endpoint|path|file|"
    r"dir|header|expir|ttl|count|hint|label|placeholder|pattern|regex|validator|required|enabled|change|"
    r"hash|digest|salt|rounds|algorithm|format|mode|manager|provider|store|backend|source|helper|class|"
    r"kind|ref|env|var|param|arn|version|age|strength|visible|input|error|message|msg|status|location|"
    r"request|response|limit|timeout|lifetime|duration|rotat|storage|getter|setter|factory|builder|"
    r"service|util|handler|loader|reader|writer|cache|data|prefix|suffix|bytes|iz|is(?:e|ing|ation))")
# A name with a file's extension is a file name in a list (``semanticTokens.js``), not a variable.
_FILE_NAME = re.compile(r"\.(?:m?js|cjs|jsx|ts|tsx|py|pyi|json|ya?ml|toml|rb|go|java|kt|cs|php|html?|css|md|rst|txt|"
                        r"xml|map|sh|c|h|cc|cpp|hpp|rs|swift)$")


@functools.lru_cache(maxsize=4096)
def not_a_secret_name(name: str) -> bool:
    """Whether ``name`` holds something about a secret: a ``tokenizer`` is not a token either."""
    lowered = name.lower()
    return bool(_NAME_BEFORE.search(lowered) or _NAME_AFTER.search(lowered) or _FILE_NAME.search(lowered))


def echoes_name(name: str, value: str) -> bool:
    """``credentials._private_key_pem = private_key_pem``: a value that repeats (part of) its
    own name is a variable passed along, not a literal."""
    def squash(text: str) -> str:
        return "".join(c for c in text.lower() if c.isalnum())
    bare = squash(value)
    return len(bare) >= 6 and bare in squash(name)
