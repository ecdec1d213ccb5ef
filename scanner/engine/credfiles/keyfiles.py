"""Key files and password stores known by name: SSH identities, PuTTY keys, PKCS#12, KeePass, Firefox,
Jenkins' encryption keys, Remote Desktop files with a saved password.

Several are binary, which the content rules never see; they are reported by name plus a
magic-number check, so a text file that happens to be called ``cert.p12`` is not. An
encrypted key or store is still reported: it can be attacked offline, and it should not
be in a repository at all.
"""
from __future__ import annotations

import json
import re

from scanner.engine import keys
from typing import TYPE_CHECKING, Any

from scanner.engine.credfiles import Hit
from scanner.engine.credfiles.values import live, wanted
from scanner.engine.placeholders import structural_placeholder

if TYPE_CHECKING:
    from scanner.rules.model import Rule

_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----.*?-----END \1-----", re.DOTALL)
_PPK = re.compile(rb"PuTTY-User-Key-File-[23]: .*?Private-MAC: [0-9a-fA-F]+", re.DOTALL)
_KDBX_MAGIC = bytes.fromhex("03d9a29a")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _file_level(data: bytes, what: str, **details: Any) -> Hit:
    # The secret is the whole file, so show a description even with --show-secrets; the
    # fingerprint covers the bytes, so a baseline entry stops matching once the file changes.
    return Hit(0, 1, "", f"[{what}, {len(data)} bytes]", covers=data,
               details={"file_level": True, **details})


def _key_blocks(data: bytes, pattern: re.Pattern[bytes]) -> list[Hit]:
    hits = []
    for m in pattern.finditer(data):
        block = m.group().decode("utf-8", "replace")
        verdict = keys.check(block)
        if verdict.ok:
            hits.append(Hit(m.start(), m.end(), "private key", block,
                            details={"encrypted": bool(verdict.details.get("encrypted"))}))
    return hits


def key_block(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """PEM-style private key blocks (an ``id_rsa``), each checked by the private-key validator."""
    return _key_blocks(data, _BLOCK)


def putty(rule: Rule, path: str, data: bytes) -> list[Hit]:
    return _key_blocks(data, _PPK)


def pkcs12(rule: Rule, path: str, data: bytes) -> list[Hit]:
    # PFX ::= SEQUENCE { version INTEGER (3), ... }: 30 82 LL LL 02 01 03 (or a 1- or 3-byte length)
    if len(data) < 8 or data[0] != 0x30 or data[1] not in (0x80, 0x81, 0x82, 0x83):
        return []
    head = 2 if data[1] == 0x80 else 2 + (data[1] & 0x7F)
    if data[head:head + 3] != b"\x02\x01\x03":
        return []
    return [_file_level(data, "PKCS#12 key store")]


def keepass(rule: Rule, path: str, data: bytes) -> list[Hit]:
    if not data.startswith(_KDBX_MAGIC) or len(data) < 12:
        return []
    return [_file_level(data, "KeePass database")]


def firefox_logins(rule: Rule, path: str, data: bytes) -> list[Hit]:
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
    return [_file_level(data, f"Firefox logins.json, {len(saved)} saved logins", logins=len(saved))]


def sqlite(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """A SQLite database under a credential store's name (Firefox's key4.db)."""
    if not data.startswith(_SQLITE_MAGIC):
        return []
    return [_file_level(data, f"SQLite database {path.replace(chr(92), '/').rpartition('/')[2]}")]


_RDP_SETTING = re.compile(r"^(?P<key>[^:\r\n]{1,60}):(?P<type>[isb]):(?P<value>[^\r\n]{1,8192})\r?$", re.MULTILINE)
_HEX_BLOB = re.compile(r"[0-9A-Fa-f]{64,}")


def rdp(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """A Remote Desktop connection file's ``password 51:b:<hex>``: the password encrypted with
    DPAPI, which the saving user's Windows profile decrypts. mstsc writes the file as UTF-16."""
    wide = data.startswith(b"\xff\xfe") or data[1:40:2].count(0) > 10
    text = data.decode("utf-16-le" if wide else "utf-8", "replace")
    is_field = wanted(rule)
    hits = []
    for m in _RDP_SETTING.finditer(text):
        key, kind, value = m.group("key").strip(), m.group("type"), m.group("value").strip()
        if not is_field(key) or not (_HEX_BLOB.fullmatch(value) if kind == "b" else live(value)):
            continue
        # Byte offsets of the value: two bytes a character in UTF-16 (a BOM is a character too).
        start, end = m.start("value"), m.start("value") + len(value)
        if wide:
            start, end = 2 * start, 2 * end
        else:
            start, end = len(text[:start].encode()), len(text[:end].encode())
        hits.append(Hit(start, end, key, value, details={"encrypted": "DPAPI"} if kind == "b" else {}))
    return hits


_HEX_KEY = re.compile(rb"^\s*([0-9a-fA-F]{64,1024})\s*$")


def jenkins_secret(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """Jenkins' ``secrets/master.key`` (hex) and ``secrets/hudson.util.Secret`` (AES blocks):
    together they decrypt every credential in the instance's ``credentials.xml`` and job configs."""
    name = path.replace("\\", "/").rpartition("/")[2]
    if name == "master.key":
        m = _HEX_KEY.match(data)
        if not m or structural_placeholder(m.group(1).decode()):
            return []
        return [Hit(m.start(1), m.end(1), "master key", m.group(1).decode())]
    if 32 <= len(data) <= 4096 and len(data) % 16 == 0 and len(set(data)) > 32:
        return [_file_level(data, "Jenkins hudson.util.Secret")]
    return []


_JKS_MAGIC = (b"\xfe\xed\xfe\xed", b"\xce\xce\xce\xce")


def java_keystore(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """A Java key store: JKS or JCEKS by their magic number, or PKCS#12 (keytool's default since Java 9).
    Android's ``debug.keystore`` is left alone: the SDK makes one per machine, with the published
    password ``android``, and it signs nothing that ships (project templates commit one)."""
    if path.replace("\\", "/").rpartition("/")[2] == "debug.keystore":
        return []
    if data.startswith(_JKS_MAGIC) and len(data) >= 12:
        return [_file_level(data, "Java key store (JKS)" if data[0] == 0xFE else "Java key store (JCEKS)")]
    return pkcs12(rule, path, data)


_TOKEN_FILE = re.compile(rb"^\s*([\x21-\x7e]{16,512})\s*$")


def token_file(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """A file that is one token and nothing else (the Vault CLI's ``~/.vault-token``)."""
    m = _TOKEN_FILE.match(data)
    if not m or not live(m.group(1).decode()):
        return []
    return [Hit(m.start(1), m.end(1), "token", m.group(1).decode())]


# Password Safe v3, a macOS keychain, a KDE wallet: every password in them behind one master password.
_STORE_MAGIC = {b"PWS3": "Password Safe database", b"kych": "macOS keychain", b"KWALLET\n\r\x00\r\n": "KDE wallet"}


def password_store(rule: Rule, path: str, data: bytes) -> list[Hit]:
    for magic, what in _STORE_MAGIC.items():
        if data.startswith(magic) and len(data) > len(magic) + 8:
            return [_file_level(data, what)]
    return []


# BitLocker's recovery password: eight groups of six digits, each a multiple of 11 below 720,896
# (11 times a 16-bit word), which is its checksum.
_RECOVERY_PASSWORD = re.compile(r"(?<![\d-])\d{6}(?:-\d{6}){7}(?![\d-])")


def _recovery_password(value: str) -> bool:
    return all(int(g) % 11 == 0 and int(g) < 720896 for g in value.split("-"))


def _bek(data: bytes) -> bool:
    """A BitLocker startup key (.BEK): a 48-byte header (size, version 1, header size 48) and
    then an external key entry (value type 9), as libbde documents the format (which is not
    sure of the header's copy of the size, so that is not relied on)."""
    if len(data) < 56:
        return False
    size, version, header = (int.from_bytes(data[i:i + 4], "little") for i in range(0, 12, 4))
    return version == 1 and header == 48 and 56 <= size <= len(data) and int.from_bytes(data[52:54], "little") == 9


def bitlocker(rule: Rule, path: str, data: bytes) -> list[Hit]:
    """A BitLocker startup key file (binary, by its header), or the text file Windows saves a
    recovery key in: its recovery password. That file is UTF-16 with a byte-order mark, which
    the engine has already decoded to UTF-8 (``text.prepare``) before a file rule reads it."""
    if _bek(data):
        return [_file_level(data, "BitLocker startup key (.BEK)")]
    text = data.decode("utf-8", "replace")
    hits = []
    for m in _RECOVERY_PASSWORD.finditer(text):
        if _recovery_password(m.group()) and not structural_placeholder(m.group()) and len(set(m.group().split("-"))) > 1:
            start = len(text[:m.start()].encode())
            hits.append(Hit(start, start + len(m.group()), "recovery password", m.group()))
    return hits
