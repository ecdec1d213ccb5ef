"""Text that travels with the content and can carry a secret just as well: commit and tag
messages, author, committer and tagger names and emails, file paths, ref and tag names.

Each is scanned as text under a label that says which field it is (``<author>``, ``<file
path>``...), never under its own value, and the finding names the commit or tag it is in.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from scanner import git
from scanner.records import record, replace
from scanner.report import COMMIT_MESSAGE, tag_message_label

if TYPE_CHECKING:
    from scanner.engine.core import Engine
    from scanner.finding import Finding

AUTHOR, COMMITTER, TAGGER = "<author>", "<committer>", "<tagger>"
FILE_PATH, REF_NAME = "<file path>", "<ref name>"


@record(frozen=True)
class Field:
    label: str
    text: bytes
    commit: str = ""     # the commit or tag object it belongs to


def commit_fields(info: git.CommitInfo) -> list[Field]:
    return [Field(COMMIT_MESSAGE, info.message, info.oid),
            Field(AUTHOR, info.author.encode("utf-8", "surrogateescape"), info.oid),
            Field(COMMITTER, info.committer.encode("utf-8", "surrogateescape"), info.oid)]


def tag_fields(tag: git.TagInfo, label: str = "") -> list[Field]:
    """``label``: the name the tag is known by (its ref), if not its own ``tag`` header."""
    out = [Field(tag_message_label(label or tag.name), tag.message, tag.oid),
           Field(REF_NAME, (label or tag.name).encode("utf-8", "surrogateescape"), tag.oid)]
    if tag.tagger is not None:
        out.append(Field(TAGGER, tag.tagger.who.encode("utf-8", "surrogateescape"), tag.oid))
    return out


def path_fields(paths: list[str], commit: str) -> list[Field]:
    return [Field(FILE_PATH, p.encode("utf-8", "surrogateescape"), commit) for p in paths]


def ref_fields(refs: list[str], commit: str = "") -> list[Field]:
    return [Field(REF_NAME, r.encode("utf-8", "surrogateescape"), commit) for r in refs]


def scan_fields(engine: Engine, fields: list[Field]) -> list[Finding]:
    """Findings in the fields, each stamped with its commit. One prefilter pass per kind of
    field, then a full scan of just the few fields it wakes."""
    by_label: dict[str, list[Field]] = {}
    for fld in fields:
        if fld.text:
            by_label.setdefault(fld.label, []).append(fld)
    out: list[Finding] = []
    for label, group in by_label.items():
        for i, found in engine.scan_many([fld.text for fld in group], label).items():
            out.extend(replace(f, commit=group[i].commit) for f in found)
    return out
