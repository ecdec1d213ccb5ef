"""Inputs crafted to make a scanner slow: each is a function of a size in bytes.

Shared by the linear-time test (two sizes, a ratio measured in one run) and the fuzzing
corpus; none holds a secret, every one is built from repeated fragments."""
from __future__ import annotations

from typing import Callable


def _repeat(fragment: bytes, size: int) -> bytes:
    return (fragment * (size // len(fragment) + 1))[:size]


def _lines(fragment: bytes, size: int) -> bytes:
    return _repeat(fragment + b"\n", size)


ADVERSARIAL: dict[str, Callable[[int], bytes]] = {
    # base64 that decodes to more base64-looking text; one hit every few bytes
    "base64-QUFB": lambda n: _repeat(b"QUFB", n),
    "base64-alphabet": lambda n: _repeat(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", n),
    "base64-ghp-spelling": lambda n: _repeat(b"Z2hwX", n),
    # keyword prefixes with nothing after them, on one line
    "keyword-prefixes": lambda n: _repeat(b"ghp_gho_AKIAxoxb-sk-glpat-", n),
    "keyword-prefix-run": lambda n: _repeat(b"ghp", n),
    # thousands of overlapping keyword hits, each looking like an assignment
    "overlapping-assignments": lambda n: _repeat(b"password=token=secret=api_key=", n),
    "assignment-values": lambda n: _repeat(b"token=\"ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" ", n),
    # PEM headers with no end, on one line and one per line
    "pem-headers-one-line": lambda n: _repeat(b"-----BEGIN RSA PRIVATE KEY-----", n),
    "pem-headers-lines": lambda n: _lines(b"-----BEGIN OPENSSH PRIVATE KEY-----", n),
    "pem-header-then-body": lambda n: b"-----BEGIN PRIVATE KEY-----\n" + _repeat(b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", n),
    # escapes: nested backslashes and escaped keyword spellings
    "nested-escapes": lambda n: _repeat(b"\\\\\\\\\\\\\\u0067", n),
    "escaped-keywords": lambda n: _repeat(b"ghp\\u005fghp\\x5f\\u0022token\\u0022: \\\"", n),
    "percent-keywords": lambda n: _repeat(b"ghp%5Fgho%5F%25%32", n),
    # a minified line of code with keywords in it
    "minified-line": lambda n: _repeat(b"var a={token:b.c,password:d(e),key:\"f\"};function g(h){return h.secret||i}", n),
    # every line a name that opens a value below it, so each window also takes the next line
    "openings-on-every-line": lambda n: _lines(b"<datadogApiKey>", n),
    "yaml-keys-on-every-line": lambda n: _lines(b"  stripe_secret_key:", n),
}
