"""Offline validators, by the name a rule gives in its ``validator`` field."""
from __future__ import annotations

import base64
import binascii
from typing import Callable

from scanner.engine import github, keys
from scanner.engine.placeholders import generic_placeholder
from scanner.records import field, record


@record
class Verdict:
    ok: bool
    basis: str       # checksum | structure
    reason: str
    details: dict = field(default_factory=dict)


def _classic(secret: str) -> Verdict:
    if github.classic_valid(secret):
        return Verdict(True, "checksum", "CRC-32 checksum valid")
    return Verdict(False, "checksum", "CRC-32 checksum does not match")


def _fine_grained(secret: str) -> Verdict:
    if github.fine_grained_valid(secret):
        return Verdict(True, "checksum", "SHA-256 checksum valid")
    return Verdict(False, "checksum", "SHA-256 checksum does not match")


def _stateless(secret: str) -> Verdict:
    ok, why = github.stateless_valid(secret)
    return Verdict(ok, "structure", why)


def _jwt(secret: str) -> Verdict:
    ok, why = github.jwt_structure(secret)
    return Verdict(ok, "structure", why)


def _private_key(secret: str) -> Verdict:
    v = keys.check(secret)
    reason = v.reason
    if v.ok:
        reason += ", encrypted" if v.details.get("encrypted") else ", not encrypted"
    return Verdict(v.ok, "structure", reason, v.details)


def _basic_auth(secret: str) -> Verdict:
    try:
        user, sep, password = base64.b64decode(secret, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, ValueError):
        return Verdict(False, "structure", "not base64 of user:password")
    if not sep or not password.isprintable() or generic_placeholder(password):
        return Verdict(False, "structure", "no real password after the colon")
    return Verdict(True, "structure", "decodes to user:password", {"user": user})


VALIDATORS: dict[str, Callable[[str], Verdict]] = {
    "github-classic": _classic,
    "github-fine-grained": _fine_grained,
    "github-stateless": _stateless,
    "jwt": _jwt,
    "private-key": _private_key,
    "basic-auth": _basic_auth,
}

# A GitHub-shaped string with a bad checksum is still worth a low-confidence look
# (a typo'd or truncated real token); other rejected matches are noise.
KEEP_AS_LOW = {"github-classic", "github-fine-grained"}
