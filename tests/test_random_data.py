"""Random high-entropy text is not a credential: no high-confidence rule may fire on it.

A high-confidence rule must rest on its full structure (a fixed prefix with boundaries, or a
checksum); anything a stretch of random base64, hex or UUIDs can satisfy belongs at medium or
low confidence. The inputs are laid out the way random data appears in real files: long
base64 lines (certificates, data URIs), 76-column MIME lines, hex dumps and UUID lists.
"""
from __future__ import annotations

import base64
import uuid

import pytest

from conftest import rng

from scanner.config import Config
from scanner.engine.factory import build_engine

SIZE = 1 << 20   # per layout; four layouts make a few MB


def _base64_long(r) -> bytes:
    return base64.b64encode(r.randbytes(SIZE * 3 // 4))


def _base64_mime(r) -> bytes:
    return base64.encodebytes(r.randbytes(SIZE * 3 // 4))


def _base64url_quoted(r) -> bytes:
    # One value per line, quoted, as in JSON fixtures and lock files.
    lines = (b'"' + base64.urlsafe_b64encode(r.randbytes(r.randrange(12, 90))).rstrip(b"=") + b'",'
             for _ in range(SIZE // 64))
    return b"\n".join(lines)


def _base64_tokens(r) -> bytes:
    # Random strings of random length, one per line: every line start and end is a boundary.
    alphabets = (base64.b64encode, base64.urlsafe_b64encode)
    return b"\n".join(r.choice(alphabets)(r.randbytes(r.randrange(15, 90))).rstrip(b"=")
                      for _ in range(SIZE // 70))


def _hex(r) -> bytes:
    return b"\n".join(r.randbytes(r.choice((16, 20, 32, 64))).hex().encode() for _ in range(SIZE // 64))


def _uuids(r) -> bytes:
    return b"\n".join(str(uuid.UUID(int=r.getrandbits(128), version=4)).encode() for _ in range(SIZE // 37))


LAYOUTS = [_base64_long, _base64_mime, _base64url_quoted, _base64_tokens, _hex, _uuids]


@pytest.mark.parametrize("layout", LAYOUTS, ids=[f.__name__.lstrip("_") for f in LAYOUTS])
def test_random_data_yields_no_high_confidence_finding(layout):
    engine = build_engine(Config(), min_confidence="high")
    data = layout(rng())
    found = engine.scan_text(data, "random.txt", by_path=False)
    assert [(f.rule_id, f.line) for f in found] == []
