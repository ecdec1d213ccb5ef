"""``.env`` and ``.env.*`` files: one finding per file that assigns live secret values.

GitHub's guidance: a ``.env`` file may hold credentials only if it is encrypted, and it is
never pushed. So the file itself is the finding, even when no value matches a provider
rule; provider tokens inside it still get their own findings from the content rules.

The finding's ``secret`` is a description naming the keys, never the values: the file's
secret is every value together, and printing them all on one line (even with
``--show-secrets``) would dump the whole file where one key's value is what a reader
needs. Its fingerprint is an HMAC of the sorted ``KEY=value`` pairs, so a baseline entry
matches exactly this content and stops matching once any value changes.
"""
from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.engine.credfiles import Hit
from scanner.engine.credfiles.values import encrypted, lines, live
from scanner.engine.entropy import shannon

if TYPE_CHECKING:
    from scanner.rules.model import Rule

_EXAMPLE_PARTS = {"example", "examples", "sample", "samples", "template", "templates", "tmpl", "tpl", "dist",
                  "default", "defaults", "schema", "skel", "stub", "in", "orig"}
_ASSIGN = re.compile(rb"^[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*(?P<rest>.*)$")
_SECRET_NAME = re.compile(r"pass(?:word|wd|phrase)?|pwd|secret|token|api_?key|apikey|access_?key|private_?key|"
                          r"auth|credential|salt|signing_?key|encryption_?key|master_?key|(?:^|_)key$|webhook",
                          re.IGNORECASE)
# Settings *about* a secret rather than the secret: its id, user, where it lives, how long it lasts.
ABOUT = re.compile(r"(?:^|_)(?:id|user|username|name|email|url|uri|host|hostname|port|file|path|dir|ttl|"
                    r"expiry|expires|expiration|timeout|length|len|type|algorithm|alg|region|enabled|enable|"
                    r"header|prefix|version|endpoint|issuer|audience|scopes?|provider|mode|method)$", re.IGNORECASE)
# Public by design, or encryption metadata (sops, dotenvx).
_PUBLIC = re.compile(r"public|publishable|^sops_", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^:@/\s]*:(?P<password>[^@/\s]+)@")
_GIT_CRYPT_MAGIC = b"\x00GITCRYPT\x00"


def is_example(name: str) -> bool:
    """``.env.example``, ``.env.local.sample``, ``.env.dist``, ...: templates meant to be committed."""
    return any(part.lower() in _EXAMPLE_PARTS for part in name.split(".")[2:])


def parse(data: bytes) -> list[tuple[str, str, int, int]]:
    """(key, value, start offset of the line, end offset of the value's last line)."""
    out = []
    it = iter(lines(data))
    for off, line in it:
        m = _ASSIGN.match(line)
        if not m:
            continue
        rest = m.group("rest").decode("utf-8", "replace")
        end = off + len(line)
        if rest[:1] in ("'", '"', "`"):
            quote = rest[0]
            close = rest.find(quote, 1)
            if close == -1 and quote == '"':
                # A double-quoted value may span lines (a PEM key, a JSON blob).
                parts = [rest[1:]]
                for more_off, more in it:
                    text = more.decode("utf-8", "replace")
                    end = more_off + len(more)
                    idx = text.find('"')
                    parts.append(text if idx == -1 else text[:idx])
                    if idx != -1:
                        break
                value = "\n".join(parts)
            else:
                value = rest[1:close] if close != -1 else rest[1:]
        else:
            value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
        out.append((m.group("key").decode(), value, off, end))
    return out


def _strong(value: str, bits: float) -> bool:
    return len(value) >= 16 and shannon(value) >= bits


def holds_secret(key: str, value: str, example: bool) -> bool:
    if not value or encrypted(value) or key.lower().endswith("_unencrypted") or _PUBLIC.search(key):
        return False
    url = _URL_PASSWORD.match(value)
    if url:
        return live(url.group("password"))
    if not live(value) or len(value) < 6 or value.isdigit():
        return False
    if example:
        # Example files are committed on purpose; only a value that looks generated is a leak there.
        return _strong(value, 4.0)
    if _SECRET_NAME.search(key) and not ABOUT.search(key):
        return True
    return len(value) >= 20 and shannon(value) >= 4.2


def git_crypt_marked(path: str) -> bool:
    """Does a ``.gitattributes`` from the file's folder up to the work tree's root put it
    through git-crypt? Only meaningful for files on disk; a blob path is not looked up."""
    try:
        file = Path(path).resolve()
        if not file.is_file():
            return False
    except OSError:
        return False
    for folder in file.parents:
        attrs = folder / ".gitattributes"
        if attrs.is_file():
            rel = file.relative_to(folder).as_posix()
            for line in attrs.read_text(encoding="utf-8", errors="replace").splitlines():
                parts = line.split()
                if len(parts) < 2 or parts[0].startswith("#") or "filter=git-crypt" not in parts[1:]:
                    continue
                pattern = parts[0].lstrip("/")
                target = rel if "/" in parts[0].rstrip("/") else file.name
                if fnmatch.fnmatchcase(target, pattern):
                    return True
        if (folder / ".git").exists():
            break
    return False


def detect(rule: Rule, path: str, data: bytes) -> list[Hit]:
    # Whole-file encryption: ansible-vault, or a git-crypt blob as stored in the repository.
    if data.startswith((b"$ANSIBLE_VAULT;", _GIT_CRYPT_MAGIC)):
        return []
    name = path.replace("\\", "/").rpartition("/")[2]
    example = is_example(name)
    found = [(k, v, s, e) for k, v, s, e in parse(data) if holds_secret(k, v, example)]
    if not found or git_crypt_marked(path):
        return []
    keys = list(dict.fromkeys(k for k, _, _, _ in found))
    covers = "\n".join(sorted(f"{k}={v}" for k, v, _, _ in found)).encode("utf-8", "surrogateescape")
    strong = any(_strong(v, 3.5) for _, v, _, _ in found)
    return [Hit(found[0][2], found[-1][3], "", f"[{name}: {', '.join(keys)}]", covers=covers,
                details={"file_level": True, "keys": keys}, confidence="high" if strong else "")]
