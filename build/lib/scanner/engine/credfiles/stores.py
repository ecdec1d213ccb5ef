"""Per-user credential stores that end up committed: git, netrc, npm, PyPI, Docker, PostgreSQL, s3cmd, AWS, htpasswd."""
from __future__ import annotations

import json
import re
from urllib.parse import unquote as pct_unquote

from scanner.engine.credfiles import Hit, Kind
from scanner.engine.credfiles.values import lines, live, span_of, unquote
from scanner.engine.placeholders import structural_placeholder

_REMOVE = "Remove the file from the repository (git rm --cached), add it to .gitignore, and rotate the credential"

GIT_CREDENTIALS = Kind("git-credentials-file", "git credential store (.git-credentials)", "critical", "high",
                       f"{_REMOVE}; store credentials with a credential helper (git credential-manager, osxkeychain, libsecret) instead.",
                       "https://git-scm.com/docs/git-credential-store")
NETRC = Kind("netrc-password", "netrc password", "high", "high",
             f"{_REMOVE}; a .netrc belongs in your home directory with mode 0600, never in a repository.",
             "https://everything.curl.dev/usingcurl/netrc.html")
NPMRC = Kind("npmrc-auth-token", "npm registry credential (.npmrc)", "critical", "high",
             f"{_REMOVE} (npm token revoke); reference it as ${{NPM_TOKEN}} in the project's .npmrc instead.",
             "https://docs.npmjs.com/revoking-access-tokens")
PYPIRC = Kind("pypirc-password", "PyPI upload credential (.pypirc)", "critical", "high",
              f"{_REMOVE}; use trusted publishing or a keyring, and an API token scoped to one project.",
              "https://packaging.python.org/en/latest/specifications/pypirc/")
DOCKER = Kind("docker-config-auth", "Docker registry credential (config.json auths)", "high", "high",
              f"{_REMOVE}; let a docker credential helper (credsStore) keep it instead.",
              "https://docs.docker.com/reference/cli/docker/login/#credential-stores")
PGPASS = Kind("pgpass-password", "PostgreSQL password file (.pgpass)", "high", "high",
              f"{_REMOVE}; change the database password (ALTER ROLE ... PASSWORD).",
              "https://www.postgresql.org/docs/current/libpq-pgpass.html")
S3CFG = Kind("s3cfg-secret-key", "s3cmd configuration secret key (.s3cfg)", "critical", "high",
             f"{_REMOVE}; deactivate the access key and create a new one.",
             "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html")
AWS = Kind("aws-credentials-file", "AWS shared credentials file", "critical", "high",
           f"{_REMOVE}; deactivate the access key in IAM, create a new one, and prefer short-lived credentials (aws sso login, roles).",
           "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html")
HTPASSWD = Kind("htpasswd-hash", "Apache password hash (.htpasswd)", "medium", "high",
                f"{_REMOVE}; hashes can be cracked offline, so change these users' passwords.",
                "https://httpd.apache.org/docs/current/programs/htpasswd.html")

_CRED_URL = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*://(?P<user>[^:@/\s]*)(?::(?P<password>[^@/\s]*))?@[^\s/]+")
_INI = re.compile(rb"^\s*(?P<key>[A-Za-z0-9_.@-]+)\s*[=:]\s*(?P<value>.*?)\s*$")
_INI_EQ = re.compile(rb"^\s*(?P<key>[^\s=]+)\s*=\s*(?P<value>.*?)\s*$")    # npm keys hold ':' and '/'
_NPM_FIELDS = ("_authToken", "_password", "_auth")
_HASH = re.compile(r"^(?:\$(?:apr1|2[abxy]?|1|5|6)\$\S{8,}|\{SHA\}[A-Za-z0-9+/=]{27,28}|[./0-9A-Za-z]{13})$")


def _ini(data: bytes, wanted: dict[str, str], pattern: re.Pattern = _INI) -> list[tuple[str, str, int]]:
    """(field, value, offset) for ``key = value`` lines whose key is in ``wanted`` (lower-cased)."""
    out = []
    for off, line in lines(data):
        if line.lstrip().startswith((b"#", b";")):
            continue
        m = pattern.match(line)
        if not m:
            continue
        key = m.group("key").decode("utf-8", "replace")
        field = wanted.get(key.lower()) or next((f for suffix, f in wanted.items()
                                                  if suffix.startswith(":") and key.lower().endswith(suffix)), None)
        value = m.group("value").decode("utf-8", "replace")
        if field and live(value):
            value = unquote(value)
            out.append((key, value, off + m.start("value")))
    return out


def _hits(kind: Kind, data: bytes, found: list[tuple[str, str, int]]) -> list[Hit]:
    hits = []
    for field, value, off in found:
        start, end = span_of(data, value, off)
        hits.append(Hit(kind, start, end, field, value))
    return hits


def git_credentials(path: str, data: bytes) -> list[Hit]:
    hits = []
    for off, line in lines(data):
        for m in _CRED_URL.finditer(line):
            group = "password" if m.group("password") else "user"
            value = pct_unquote(m.group(group).decode("utf-8", "replace"))
            if live(value):
                hits.append(Hit(GIT_CREDENTIALS, off + m.start(group), off + m.end(group), group, value))
    return hits


def netrc(path: str, data: bytes) -> list[Hit]:
    # netrc is a stream of whitespace-separated tokens: "password" may end one line and its value start the next.
    hits = []
    words = [(m.start(), m.group().decode("utf-8", "replace")) for m in re.finditer(rb"\S+", data)]
    for (_, word), (off, value) in zip(words, words[1:]):
        if word == "password" and live(value):
            hits.append(Hit(NETRC, off, off + len(value.encode()), word, unquote(value)))
    return hits


def npmrc(path: str, data: bytes) -> list[Hit]:
    # Keys are either bare ("_auth") or scoped to a registry ("//host/:_authToken").
    wanted = {name.lower(): name for name in _NPM_FIELDS}
    wanted.update({":" + name.lower(): name for name in _NPM_FIELDS})
    return _hits(NPMRC, data, _ini(data, wanted, _INI_EQ))


def pypirc(path: str, data: bytes) -> list[Hit]:
    return _hits(PYPIRC, data, _ini(data, {"password": "password"}))


def s3cfg(path: str, data: bytes) -> list[Hit]:
    return _hits(S3CFG, data, _ini(data, {"secret_key": "secret_key", "access_token": "access_token"}))


def aws_credentials(path: str, data: bytes) -> list[Hit]:
    return _hits(AWS, data, _ini(data, {"aws_secret_access_key": "aws_secret_access_key",
                                        "aws_session_token": "aws_session_token"}))


def docker_config(path: str, data: bytes) -> list[Hit]:
    try:
        doc = json.loads(data.decode("utf-8", "replace"))
    except ValueError:
        return []
    if not isinstance(doc, dict):
        return []
    # config.json nests registries under "auths"; the legacy .dockercfg is the registry map itself.
    registries = doc.get("auths") if isinstance(doc.get("auths"), dict) else doc
    hits = []
    for registry, entry in registries.items():
        if not isinstance(entry, dict):
            continue
        for field in ("auth", "identitytoken", "password"):
            value = entry.get(field)
            if isinstance(value, str) and live(value):
                start, end = span_of(data, value, max(0, data.find(json.dumps(registry).encode()[1:-1])))
                hits.append(Hit(DOCKER, start, end, f"auths.{registry}.{field}", value))
    return hits


def pgpass(path: str, data: bytes) -> list[Hit]:
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
            hits.append(Hit(PGPASS, start, off + len(line), "password", value,
                            details={"user": fields[3].decode("utf-8", "replace")}))
    return hits


def htpasswd(path: str, data: bytes) -> list[Hit]:
    hits = []
    for off, line in lines(data):
        user, sep, digest = line.decode("utf-8", "replace").partition(":")
        digest = digest.strip()
        # live() would call a "$apr1$..." hash a template, so test hashes for placeholders directly.
        if sep and user and not user.startswith("#") and _HASH.match(digest) and not structural_placeholder(digest):
            start = off + len(line) - len(digest.encode())
            hits.append(Hit(HTPASSWD, start, start + len(digest.encode()), "password hash", digest,
                            details={"user": user}))
    return hits
