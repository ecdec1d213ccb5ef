"""``leakwarden init``: a commented ``.leakwarden.toml`` with the defaults, and the pre-commit snippet."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Every key is commented out: the file documents the defaults without changing them. The keys and
# values are those scanner/config.py accepts (tests/test_init.py loads this file with it).
CONFIG = """\
# leakwarden configuration (https://github.com/OWNER/leakwarden, README "Configuration").
# Every line below is a default, commented out: uncomment to change it.

# Report findings at or above this confidence: low | medium | high.
# min_confidence = "medium"

# Fail the run only for findings at or above this confidence (default: min_confidence;
# the hooks default to "high"); the others are shown as warnings.
# fail_on = "high"

# Fail only for findings at or above this severity: low | medium | high | critical.
# fail_on_severity = "low"

# Paths never scanned (gitignore-style globs).
# exclude_paths = ["tests/fixtures/**", "*.min.js"]

# Rules switched off by id (`leakwarden rules list` shows them).
# disable_rules = []

# Skip matches whose secret matches one of these regular expressions.
# allow_regexes = []

# Known secrets that never fail a run: prefer a baseline (`leakwarden baseline create`).
# baseline = ".leakwarden-baseline.json"

# Files larger than this are scanned in pieces by history and skipped by scan, with a warning.
# max_file_size = "50MB"

# Scan binary files too.
# scan_binary = false

# Look inside archives and office documents (zip, jar, whl, tar.gz, docx, xlsx, ...), with
# bounds on what a hostile archive may cost; one that hits one is "not fully scanned".
# See docs/archives.md.
# scan_archives = true
# archive_max_depth = 3            # archives inside archives
# archive_max_bytes = "256MB"      # decompressed per archive, nesting included
# archive_max_ratio = 100          # decompressed / compressed
# archive_max_members = 100000     # entries per archive, nesting included
"""

SNIPPET = """\
# .pre-commit-config.yaml: pin the commit you reviewed (leakwarden has no release tags yet);
# `pre-commit autoupdate --freeze` moves it to the newest commit and keeps it pinned.
repos:
  - repo: https://github.com/OWNER/leakwarden
    rev: COMMIT_SHA
    hooks:
      - id: leakwarden        # pre-commit: what the commit adds
      - id: leakwarden-push   # pre-push: every commit not yet on the remote
# then: pre-commit install --hook-type pre-commit --hook-type pre-push
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="write a commented .leakwarden.toml and print the pre-commit snippet",
                       description="Write .leakwarden.toml (every default, commented) in --repo, and print the "
                                   ".pre-commit-config.yaml snippet that runs leakwarden's hooks.")
    p.add_argument("--repo", metavar="PATH", default=".", help="where to write it (default: the current directory)")
    p.add_argument("--force", action="store_true", help="replace an existing .leakwarden.toml")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scanner.commands._common import EXIT_CLEAN, warn
    from scanner.errors import UsageError

    target = Path(args.repo) / ".leakwarden.toml"
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise UsageError(f"{target}: exists and is not a regular file; not touching it")
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists; use --force to replace it")
    target.write_text(CONFIG, encoding="utf-8")
    warn(f"wrote {target}")
    sys.stdout.write(SNIPPET)
    return EXIT_CLEAN
