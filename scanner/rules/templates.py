"""Expand ``{{...}}`` templates in rule examples, so no live-looking secret is ever committed."""
from __future__ import annotations

import base64
import hashlib
import random
import re
import zlib

from scanner.engine import github, keys

# No spaces inside the braces: ``{{ jinja_var }}`` in an example stays literal text.
_TEMPLATE = re.compile(r"\{\{([a-z][a-z0-9-]*)(?::([^}\s]*))?\}\}")
_CLASSES = {
    "alnum": "A-Za-z0-9", "hex": "0-9a-f", "HEX": "0-9A-F", "lower": "a-z", "upper": "A-Z",
    "digits": "0-9", "b64": "A-Za-z0-9+/", "b64url": "A-Za-z0-9_-", "base32": "A-Z2-7",
}


def charset(spec: str) -> str:
    spec = _CLASSES.get(spec, spec)
    chars: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            chars.append(spec[i])
            i += 1
    return "".join(dict.fromkeys(chars))


def rand_string(rng: random.Random, n: int, spec: str) -> str:
    alphabet = charset(spec)
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        # A "random" example must not collide with the placeholder filters by chance.
        if n < 8 or len(set(value)) > min(n, len(alphabet)) // 3:
            return value


def github_token(rng: random.Random, prefix: str, valid: bool = True) -> str:
    alnum = charset("alnum")
    if prefix == "github_pat":
        part_a = "11" + rand_string(rng, 7, "A-Z2-7") + "0" + rand_string(rng, 12, alnum)
        first = f"github_pat_{part_a}_{rand_string(rng, 43, alnum)}"
        check = github.fine_grained_checksum(first)
        if not valid:
            check = check[::-1] if check[::-1] != check else "AAAAAAAA"
        return first + check + rand_string(rng, 8, alnum)
    if prefix == "ghs_jwt":
        header = _b64url(b'{"alg":"RS256","typ":"JWT"}')
        claims = _b64url(b'{"iss":"github","iat":%d,"exp":%d,"inst":%d}' % (
            rng.randrange(10**9), rng.randrange(10**9), rng.randrange(10**8)))
        sig = rand_string(rng, 342, "b64url")
        appid = str(rng.randrange(10**5, 10**7))
        if not valid:
            header = "notjson" + header
        return f"ghs_{appid}_{header}.{claims}.{sig}"
    payload = rand_string(rng, 70 if prefix == "ghr" else 30, alnum)
    check = github.classic_checksum(payload)
    if not valid:
        check = github.base62((zlib.crc32(payload.encode()) + 1) & 0xFFFFFFFF)
    return f"{prefix}_{payload}{check}"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _der(body_len: int, version: bytes, rng: random.Random, lead: bytes = b"") -> bytes:
    content = version + lead + bytes(rng.randrange(256) for _ in range(body_len))
    n = len(content)
    length = bytes([n]) if n < 0x80 else (b"\x81" + bytes([n]) if n < 0x100 else b"\x82" + n.to_bytes(2, "big"))
    return b"\x30" + length + content


def _pem(label: str, raw: bytes, headers: str = "") -> str:
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n{headers}" + "\n".join(lines) + f"\n-----END {label}-----"


def private_key(rng: random.Random, fmt: str) -> str:
    """A key-shaped block that passes the plausibility checks but is no usable key."""
    if fmt == "rsa":
        return _pem("RSA PRIVATE KEY", _der(600, b"\x02\x01\x00", rng))
    if fmt == "ec":
        return _pem("EC PRIVATE KEY", _der(116, b"\x02\x01\x01", rng))
    if fmt == "dsa":
        return _pem("DSA PRIVATE KEY", _der(440, b"\x02\x01\x00", rng))
    if fmt == "pkcs8":
        return _pem("PRIVATE KEY", _der(60, b"\x02\x01\x00", rng, b"\x30\x05\x06\x03\x2b\x65\x70"))
    if fmt == "pkcs8-encrypted":
        return _pem("ENCRYPTED PRIVATE KEY", _der(180, b"", rng, b"\x30\x4d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x05\x0d"))
    if fmt == "pem-encrypted":
        iv = "".join(rng.choice("0123456789ABCDEF") for _ in range(32))
        raw = bytes(rng.randrange(256) for _ in range(608))
        return _pem("RSA PRIVATE KEY", raw, f"Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,{iv}\n\n")
    if fmt in ("openssh", "openssh-encrypted"):
        cipher, kdf = (b"aes256-ctr", b"bcrypt") if fmt.endswith("encrypted") else (b"none", b"none")
        raw = (b"openssh-key-v1\0" + len(cipher).to_bytes(4, "big") + cipher + len(kdf).to_bytes(4, "big") + kdf
               + bytes(rng.randrange(256) for _ in range(200)))
        return _pem("OPENSSH PRIVATE KEY", raw)
    if fmt == "ssh2":
        raw = bytes.fromhex("3f6ff9eb") + bytes(rng.randrange(256) for _ in range(300))
        body = base64.b64encode(raw).decode()
        lines = "\n".join(body[i:i + 70] for i in range(0, len(body), 70))
        return ("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"example\"\n" + lines
                + "\n---- END SSH2 ENCRYPTED PRIVATE KEY ----")
    if fmt == "pgp":
        raw = b"\x95\x01\xd8" + bytes(rng.randrange(256) for _ in range(300))
        body = base64.b64encode(raw).decode()
        crc = base64.b64encode(keys.crc24(raw).to_bytes(3, "big")).decode()
        lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
        return f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{lines}\n={crc}\n-----END PGP PRIVATE KEY BLOCK-----"
    if fmt in ("putty2", "putty3"):
        v = fmt[-1]
        pub = base64.b64encode(b"\0\0\0\x0bssh-ed25519\0\0\0\x20" + bytes(rng.randrange(256) for _ in range(32))).decode()
        priv = base64.b64encode(bytes(rng.randrange(256) for _ in range(36))).decode()
        mac = "".join(rng.choice("0123456789abcdef") for _ in range(40 if v == "2" else 64))
        return (f"PuTTY-User-Key-File-{v}: ssh-ed25519\nEncryption: none\nComment: example\n"
                f"Public-Lines: 1\n{pub}\nPrivate-Lines: 1\n{priv}\nPrivate-MAC: {mac}")
    raise ValueError(f"unknown key format {fmt!r}")


def expand(text: str, seed: str, secret: str | None = None) -> str:
    rng = random.Random(hashlib.sha256(seed.encode()).digest())

    def one(m: re.Match) -> str:
        name, arg = m.group(1), (m.group(2) or "").strip()
        if name == "secret":
            if secret is None:
                raise ValueError("{{secret}} is only allowed in an example's text")
            return secret
        if name == "rand":
            n, _, spec = arg.partition(":")
            return rand_string(rng, int(n), spec)
        if name in ("github", "github-invalid"):
            return github_token(rng, arg, valid=name == "github")
        if name == "basic-auth":
            user = rand_string(rng, 6, "lower")
            return base64.b64encode(f"{user}:{rand_string(rng, 16, 'alnum')}".encode()).decode()
        if name == "bitlocker-recovery":
            # Eight groups of six digits, each 11 times a 16-bit word: BitLocker's own check.
            return "-".join(f"{rng.randrange(65536) * 11:06d}" for _ in range(8))
        if name == "raw":
            # Bytes a text example cannot hold (a key store's binary header); check encodes
            # examples with surrogateescape, so these come back as the very bytes.
            return bytes.fromhex(arg).decode("utf-8", "surrogateescape")
        if name == "key":
            fmt, _, style = arg.partition(":")
            block = private_key(rng, fmt)
            return block.replace("\n", "\\n") if style == "escaped" else block
        raise ValueError(f"unknown template {{{{{name}}}}}")

    return _TEMPLATE.sub(one, text)
