"""Helpers for the credential-file and context tests: random live-looking values, CLI runs on a folder."""
from __future__ import annotations

import base64
import json
import string
from pathlib import Path

from conftest import leakwarden, rand_text

ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    """A fresh random value: live-looking, never committed."""
    return rand_text(n, alphabet)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def scan_json(root: Path, *args: str, cwd: Path | None = None) -> tuple[int, dict, str]:
    """Run ``leakwarden scan --format json`` on ``root``: (exit code, document, raw stdout+stderr)."""
    proc = leakwarden("scan", "--format", "json", *args, str(root), cwd=cwd)
    out = proc.stdout.decode()
    return proc.returncode, json.loads(out), out + proc.stderr.decode()


def scan_text(root: Path, *args: str, cwd: Path | None = None) -> tuple[int, str]:
    proc = leakwarden("scan", "--no-color", *args, str(root), cwd=cwd)
    return proc.returncode, proc.stdout.decode() + proc.stderr.decode()

