"""Is a private-key block real? Cheap checks on its body (base64, DER lengths, magic bytes), no crypto library."""
from __future__ import annotations

import base64
import binascii
import re

from scanner.records import field, record

_HEADER = re.compile(r"-{4,5} ?BEGIN ([A-Z0-9 ]+?) ?-{4,5}")
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*): ?(.*)$")
_B64 = re.compile(r"^[A-Za-z0-9+/=]+$")
MIN_BODY = 40


@record
class KeyVerdict:
    ok: bool
    reason: str
    details: dict = field(default_factory=dict)


_COMMENT = re.compile(r"^(?:#+|//+|\*|;+|--(?!-))\s*")


def _lines(block: str) -> list[str]:
    """Undo the wrappings keys live in: ``\\n`` escapes, quotes, indentation, comment markers."""
    block = block.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\r", "")
    lines = [line.strip().strip("\"',").strip() for line in block.split("\n")]
    # A comment marker is one only when it starts every line: a base64 line may itself begin
    # with '//' (one body line in 4,096 does).
    marks = {m.group(0).strip() if (m := _COMMENT.match(line)) else "" for line in lines if line}
    if len(marks) != 1 or "" in marks:
        return lines
    return [_COMMENT.sub("", line, count=1) for line in lines]


def _der_ok(raw: bytes) -> bool:
    """A SEQUENCE whose DER length is exactly the rest of the body: truncations fail."""
    if len(raw) < 2 or raw[0] != 0x30:
        return False
    n = raw[1]
    if n < 0x80:
        return n + 2 == len(raw)
    width = n & 0x7F
    if width == 0 or width > 3 or len(raw) < 2 + width:
        return False
    return int.from_bytes(raw[2:2 + width], "big") + 2 + width == len(raw)


def _der_inner(raw: bytes) -> bytes:
    n = raw[1]
    return raw[2:] if n < 0x80 else raw[2 + (n & 0x7F):]


def _decode(body: str) -> bytes | None:
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def crc24(data: bytes) -> int:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def check(block: str) -> KeyVerdict:
    if block.lstrip("\"' ").startswith("PuTTY-User-Key-File-"):
        return _check_putty(_lines(block))
    m = _HEADER.search(block)
    if not m:
        return KeyVerdict(False, "no key header")
    kind = m.group(1).strip()
    lines = _lines(block[m.end():])
    headers: dict[str, str] = {}
    body: list[str] = []
    for line in lines:
        if "END " in line and line.startswith("-"):
            break
        fm = _FIELD.match(line)
        if fm and not body:
            headers[fm.group(1).lower()] = fm.group(2)
            continue
        if line.endswith("\\") and not body:  # SSH2 continued header line
            continue
        if line:
            body.append(line)
    if kind == "PGP PRIVATE KEY BLOCK":
        return _check_pgp(body)
    text = "".join(body)
    if not _B64.match(text or "!"):
        return KeyVerdict(False, "body is not base64")
    raw = _decode(text)
    if raw is None or len(raw) < MIN_BODY:
        return KeyVerdict(False, "body does not decode to a key")
    details: dict = {"format": kind.lower()}
    if "ENCRYPTED" in headers.get("proc-type", ""):
        details["encrypted"] = True
        return KeyVerdict(True, "encrypted PEM body", details)
    if kind == "OPENSSH PRIVATE KEY":
        magic = b"openssh-key-v1\0"
        if not raw.startswith(magic) or len(raw) < len(magic) + 8:
            return KeyVerdict(False, "no openssh-key-v1 magic")
        nlen = int.from_bytes(raw[len(magic):len(magic) + 4], "big")
        cipher = raw[len(magic) + 4:len(magic) + 4 + nlen]
        details["encrypted"] = cipher != b"none"
        return KeyVerdict(True, "openssh-key-v1 body", details)
    if kind == "SSH2 ENCRYPTED PRIVATE KEY":
        if raw[:4] != bytes.fromhex("3f6ff9eb"):
            return KeyVerdict(False, "no SSH2 magic")
        details["encrypted"] = True
        return KeyVerdict(True, "SSH2 key body", details)
    if not _der_ok(raw):
        return KeyVerdict(False, "DER length does not match the body")
    inner = _der_inner(raw)
    if kind == "ENCRYPTED PRIVATE KEY":
        details["encrypted"] = True
        return KeyVerdict(inner[:1] == b"\x30", "encrypted PKCS#8 structure", details)
    version = {"RSA PRIVATE KEY": (b"\x02\x01\x00",), "EC PRIVATE KEY": (b"\x02\x01\x01",),
               "DSA PRIVATE KEY": (b"\x02\x01\x00",), "PRIVATE KEY": (b"\x02\x01\x00", b"\x02\x01\x01")}
    expected = version.get(kind, (b"\x02\x01",))
    if not inner.startswith(expected):
        return KeyVerdict(False, "unexpected DER version")
    details["encrypted"] = False
    return KeyVerdict(True, "DER structure valid", details)


def _check_pgp(body: list[str]) -> KeyVerdict:
    checksum = None
    if body and body[-1].startswith("="):
        checksum = body.pop()[1:]
    raw = _decode("".join(body))
    if raw is None or len(raw) < MIN_BODY or not raw[0] & 0x80:
        return KeyVerdict(False, "body is not OpenPGP packets")
    if checksum:
        expected = _decode(checksum)
        if expected is None or int.from_bytes(expected, "big") != crc24(raw):
            return KeyVerdict(False, "armor CRC-24 mismatch")
    return KeyVerdict(True, "OpenPGP secret-key packets", {"format": "pgp private key block"})


def _check_putty(lines: list[str]) -> KeyVerdict:
    fields: dict[str, str] = {}
    private: list[str] = []
    want = -1
    for line in lines:
        if want > 0:
            private.append(line)
            want -= 1
            continue
        fm = _FIELD.match(line)
        if not fm:
            continue
        key, value = fm.group(1), fm.group(2).strip()
        fields[key] = value
        if key == "Private-Lines":
            if not value.isdigit():
                return KeyVerdict(False, "Private-Lines is not a number")
            want = int(value)
        elif key == "Private-MAC":
            break
    version = next((k[-1] for k in fields if k.startswith("PuTTY-User-Key-File-")), "")
    mac = fields.get("Private-MAC", "")
    mac_len = {"2": 40, "3": 64}.get(version)
    if want != 0 or not private or mac_len is None:
        return KeyVerdict(False, "incomplete PuTTY key")
    if len(mac) != mac_len or not re.fullmatch(r"[0-9a-fA-F]+", mac):
        return KeyVerdict(False, "Private-MAC has the wrong form")
    raw = _decode("".join(private))
    if raw is None or len(raw) < 16:
        return KeyVerdict(False, "private lines are not base64")
    encrypted = fields.get("Encryption", "none") != "none"
    return KeyVerdict(True, f"PuTTY v{version} key", {"format": f"putty v{version}", "encrypted": encrypted})
