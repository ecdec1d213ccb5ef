"""GitHub token checksums: CRC-32/base62 for ghp_/gho_/ghu_/ghs_/ghr_, SHA-256/base32 for github_pat_."""
from __future__ import annotations

import base64
import hashlib
import json
import zlib

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CLASSIC_PREFIXES = ("ghp", "gho", "ghu", "ghs", "ghr")


def public_prefix(token: str) -> str:
    """The fixed, public part of a GitHub token (``ghp_``, ``github_pat_``), for redaction."""
    if token.startswith("github_pat_"):
        return "github_pat_"
    return token[:4] if token[:4] in {p + "_" for p in CLASSIC_PREFIXES} else ""


def base62(n: int, width: int = 6) -> str:
    digits = ""
    while n:
        n, r = divmod(n, 62)
        digits = B62[r] + digits
    return digits.rjust(width, "0")


def classic_checksum(payload: str) -> str:
    """The last 6 characters: base62(CRC-32) of the random payload only, prefix excluded."""
    return base62(zlib.crc32(payload.encode("ascii")))


def classic_valid(token: str) -> bool:
    prefix, _, body = token.partition("_")
    if prefix not in CLASSIC_PREFIXES or len(body) not in (36, 76) or not body.isalnum():
        return False
    if (prefix == "ghr") != (len(body) == 76):
        return False
    return classic_checksum(body[:-6]) == body[-6:]


def fine_grained_checksum(first77: str) -> str:
    return base64.b32encode(hashlib.sha256(first77.encode("ascii")).digest()).decode()[:8]


def fine_grained_valid(token: str) -> bool:
    if len(token) != 93 or not token.startswith("github_pat_") or token[33] != "_":
        return False
    return fine_grained_checksum(token[:77]) == token[77:85]


def _b64url_json(part: str) -> object:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def stateless_valid(token: str) -> tuple[bool, str]:
    """``ghs_<appid>_<JWT>``: no checksum is published, so check the structure only."""
    try:
        prefix, appid, jwt = token.split("_", 2)
    except ValueError:
        return False, "not ghs_<appid>_<jwt>"
    if prefix != "ghs" or not appid.isdigit():
        return False, "app id is not numeric"
    ok, why = jwt_structure(jwt)
    return ok, why


def jwt_structure(jwt: str) -> tuple[bool, str]:
    parts = jwt.split(".")
    if len(parts) != 3 or not all(parts[:2]) or len(parts[2]) < 16:
        return False, "not three base64url parts"
    try:
        header = _b64url_json(parts[0])
        payload = _b64url_json(parts[1])
    except (ValueError, UnicodeDecodeError):
        return False, "header or payload is not base64url JSON"
    if not isinstance(header, dict) or "alg" not in header or not isinstance(payload, dict):
        return False, "header lacks alg"
    if str(header.get("alg", "")).lower() == "none":
        return False, "unsigned JWT"
    return True, "JWT structure valid"
