"""Values that look like a secret's slot rather than a secret.

The sequential-string, templated, dollar-prefixed and indirect-reference checks follow
detect-secrets' heuristic filters (``detect_secrets/filters/heuristic.py``). They are
re-implemented here because importing detect-secrets costs ~130 ms, more than the
whole budget of a commit hook.
"""
from __future__ import annotations

import re
import string

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
    r"pass(?:word|wd)|secret|token|api[_-]?key|^pass$|^pwd$|^secret$|^token$|^user(?:name)?$|^admin$|^root$|lorem|ipsum|\bfoo\b|\bbar\b|notreal|not[_-]a[_-]real|0{8,}|1234567)",
    re.IGNORECASE,
)
# Names, paths and URLs are what keyword-anchored values most often turn out to be.
# A dotted path of identifiers (``self.config.token``, ``Name.Builtin.Pseudo``) is code.
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]+)+$")
_LETTERS = re.compile(r"^_*[A-Za-z][A-Za-z_.-]*[0-9]{0,4}$")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "zyxwvutsrqponmlkjihgfedcba", "0123456789", "9876543210", "qwertyuiop", "asdfghjkl")
_PATHLIKE = re.compile(r"^(?:arn:[a-z-]+:\S*|[a-z][a-z0-9+.-]*://\S+|(?:/|\./|~/)(?:[a-z0-9_.-]+/)*[a-z0-9_.-]+|[A-Za-z]:\\.*)$")
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
    as opposed to random letters, in which one-letter "words" keep turning up."""
    if _DOTTED.match(value):
        return True
    if not _LETTERS.match(value):
        return False
    return all(len(w) >= 2 for w in _WORD.findall(value.rstrip("0123456789")))


def structural_placeholder(value: str) -> bool:
    """Placeholders for any rule, prefixed tokens included (``ghp_xxxx…``, ``sk_live_****``)."""
    body = re.sub(r"^[A-Za-z0-9]{2,12}[_-](?:[A-Za-z0-9]{2,8}[_-])?", "", value)
    body = body or value
    if is_repeated(body) or is_sequential(body):
        return True
    return bool(re.search(r"x{6,}|X{6,}|\*{3,}|\.{3}|\u2026|0{10,}|(?:abcdef|123456){2}", body))


def generic_placeholder(value: str, line: str = "") -> bool:
    """Stricter checks for keyword-anchored rules, where the value has no format of its own."""
    stripped = value.strip("\"'` ")
    if structural_placeholder(stripped):
        return True
    if _TEMPLATED.match(stripped) or stripped.startswith(("$", "%", "{", "<", "@", "#")):
        return True
    if _EMBEDDED_TEMPLATE.search(stripped):
        return True
    if _WORDS.search(stripped):
        return True
    if _INDIRECT.match(stripped) and not stripped.isalnum():
        return True
    if looks_like_identifier(stripped) or _PATHLIKE.match(stripped) or _UUID.match(stripped):
        return True
    lowered = stripped.lower()
    if any(run[i:i + 6] in lowered for run in _RUNS for i in range(len(run) - 5)):
        return True
    if _ENV_REF.search(stripped):
        return True
    if not any(c.isalnum() for c in stripped):
        return True
    return False


# Names that hold something about a secret rather than the secret: pagination and request
# tokens (``NextToken``, ``ClientRequestToken``), metadata (``PasswordLastUsed``,
# ``token_type``), CloudFormation type names (``AWS::IAM::AccessKey``).
_NAME_BEFORE = re.compile(
    r"(?:next|page|change|request|output|input|continuation|idempotency|sync|cancel|csrf|xsrf|resume|"
    r"pagination|start|end|last|first|cursor|reset|forgot|confirm|new|old|current|verify|verification|"
    r"client[_.-]?(?=token)|import|export|update|upload|download|lock|lease|share|invite|invitation|registration|"
    r"activation|unsubscribe|tracking|notification|callback|continue|marker|hash|hashed|::)"
    r"[a-z0-9_.:-]{0,20}(?:password|passwd|passphrase|secret|token|api[_.-]?key|apikey|access[_.-]?key|"
    r"auth[_.-]?key|credential)")
_NAME_AFTER = re.compile(
    r"(?:password|passwd|passphrase|secret|token|key|credentials?)[_.-]?"
    r"(?:last|used|polic|reset|length|len|min|max|field|prompt|type|name|id|ids|url|uri|endpoint|path|file|"
    r"dir|header|expir|ttl|count|hint|label|placeholder|pattern|regex|validator|required|enabled|change|"
    r"hash|digest|salt|rounds|algorithm|format|mode|manager|provider|store|backend|source|helper|class|"
    r"kind|ref|env|var|param|arn|version|age|strength|visible|input|error|message|msg|status|location|"
    r"request|response|limit|timeout|lifetime|duration|rotat|storage|getter|setter|factory|builder|"
    r"service|util|handler|loader|reader|writer|cache|data)")


def not_a_secret_name(name: str) -> bool:
    lowered = name.lower()
    return bool(_NAME_BEFORE.search(lowered) or _NAME_AFTER.search(lowered))
