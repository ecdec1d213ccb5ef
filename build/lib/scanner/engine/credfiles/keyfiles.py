"""Key files and password stores known by name: SSH identities, PuTTY keys, PKCS#12, KeePass, Firefox.

Several are binary, which the content rules never see; they are reported by name plus a
magic-number check, so a text file that happens to be called ``cert.p12`` is not. An
encrypted key or store is still reported: it can be attacked offline, and it should not
be in a repository at all.
"""
from __future__ import annotations

import json
import re

from scanner.engine import keys
from scanner.engine.credfiles import Hit, Kind

_NEW_KEY = ("Treat the key as compromised: generate a new key pair, replace the public half wherever it is "
            "trusted, delete this file from the repository and add it to .gitignore.")
_KEYS_URL = "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/reviewing-your-ssh-keys"

SSH_IDENTITY = Kind("ssh-private-key-file", "SSH private key file (id_*)", "critical", "high", _NEW_KEY, _KEYS_URL)
PUTTY = Kind("putty-key-file", "PuTTY private key file (.ppk)", "critical", "high", _NEW_KEY, _KEYS_URL)
PKCS12 = Kind("pkcs12-key-store", "PKCS#12 key store (.p12/.pfx)", "critical", "high",
              "Remove the key store from the repository, add it to .gitignore, revoke the certificate and issue a "
              "new key; deliver key stores through a secret manager.",
              "https://datatracker.ietf.org/doc/html/rfc7292")
KEEPASS = Kind("keepass-database", "KeePass password database (.kdbx)", "high", "high",
               "Remove the database from the repository and add it to .gitignore; it can be attacked offline, "
               "so change the master password and the most important entries.",
               "https://keepass.info/help/base/security.html")
FIREFOX_LOGINS = Kind("firefox-logins", "Firefox saved logins (logins.json)", "high", "high",
                      "Remove the browser profile files from the repository; with key4.db they decrypt without a "
                      "password, so change every saved password.",
                      "https://support.mozilla.org/kb/password-manager-remember-delete-edit-logins")
FIREFOX_KEY4 = Kind("firefox-key-database", "Firefox key database (key4.db)", "high", "high",
                    "Remove the browser profile files from the repository; key4.db decrypts logins.json, so change "
                    "every saved password.",
                    "https://support.mozilla.org/kb/password-manager-remember-delete-edit-logins")

_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----.*?-----END \1-----", re.DOTALL)
_PPK = re.compile(rb"PuTTY-User-Key-File-[23]: .*?Private-MAC: [0-9a-fA-F]+", re.DOTALL)
_KDBX_MAGIC = bytes.fromhex("03d9a29a")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _file_level(kind: Kind, data: bytes, what: str, **details) -> Hit:
    # The secret is the whole file, so show a description even with --show-secrets; the
    # fingerprint covers the bytes, so a baseline entry stops matching once the file changes.
    return Hit(kind, 0, 1, "", f"[{what}, {len(data)} bytes]", covers=data,
               details={"file_level": True, **details})


def _key_block(kind: Kind, data: bytes, pattern: re.Pattern) -> list[Hit]:
    hits = []
    for m in pattern.finditer(data):
        block = m.group().decode("utf-8", "replace")
        verdict = keys.check(block)
        if verdict.ok:
            hits.append(Hit(kind, m.start(), m.end(), "private key", block,
                            details={"encrypted": bool(verdict.details.get("encrypted"))}))
    return hits


def ssh_identity(path: str, data: bytes) -> list[Hit]:
    return _key_block(SSH_IDENTITY, data, _BLOCK)


def putty(path: str, data: bytes) -> list[Hit]:
    return _key_block(PUTTY, data, _PPK)


def pkcs12(path: str, data: bytes) -> list[Hit]:
    # PFX ::= SEQUENCE { version INTEGER (3), ... }: 30 82 LL LL 02 01 03 (or a 1- or 3-byte length)
    if len(data) < 8 or data[0] != 0x30 or data[1] not in (0x80, 0x81, 0x82, 0x83):
        return []
    head = 2 if data[1] == 0x80 else 2 + (data[1] & 0x7F)
    if data[head:head + 3] != b"\x02\x01\x03":
        return []
    return [_file_level(PKCS12, data, "PKCS#12 key store")]


def keepass(path: str, data: bytes) -> list[Hit]:
    if not data.startswith(_KDBX_MAGIC) or len(data) < 12:
        return []
    return [_file_level(KEEPASS, data, "KeePass database")]


def firefox_logins(path: str, data: bytes) -> list[Hit]:
    try:
        doc = json.loads(data.decode("utf-8", "replace"))
    except ValueError:
        return []
    logins = doc.get("logins") if isinstance(doc, dict) else None
    if not isinstance(logins, list):
        return []
    saved = [e for e in logins if isinstance(e, dict)
             and (e.get("encryptedPassword") or e.get("encryptedUsername"))]
    if not saved:
        return []
    return [_file_level(FIREFOX_LOGINS, data, f"Firefox logins.json, {len(saved)} saved logins", logins=len(saved))]


def firefox_key4(path: str, data: bytes) -> list[Hit]:
    if not data.startswith(_SQLITE_MAGIC):
        return []
    return [_file_level(FIREFOX_KEY4, data, "Firefox key4.db")]
