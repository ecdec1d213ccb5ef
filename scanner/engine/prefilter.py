"""One hyperscan database over every rule's keywords, cached on disk by a hash of the rules."""
from __future__ import annotations

import bisect
import marshal
import re
import hyperscan

from scanner.engine.hsdb import cached, compile_block
from scanner.rules.model import Rule, rules_key


def base64_spellings(keyword: bytes) -> set[bytes]:
    """The parts of base64(keyword) that do not depend on the bytes around it, at each of 3 alignments."""
    import base64   # only when the database is built

    out = set()
    for shift in range(3):
        enc = base64.b64encode(b"\0" * shift + keyword)
        start = -(-shift * 8 // 6)
        end = (shift + len(keyword)) * 8 // 6
        core = enc[start:end]
        if len(core) >= 4:
            out.add(core)
    return out


def encoded_spellings(keyword: bytes) -> set[bytes]:
    """``ghp_`` as it appears percent-encoded (``ghp%5F``) or in string escapes (``ghp\\u005f``);
    the window around such a hit is decoded before the rule's regex runs."""
    out = set()
    for fmt in (b"%%%02X", b"\\u%04x", b"\\x%02x"):
        out.add(b"".join(keyword[i:i + 1] if keyword[i:i + 1].isalnum() else fmt % keyword[i]
                         for i in range(len(keyword))))
    out.discard(keyword)
    return out


def name_spellings(keyword: bytes) -> set[bytes]:
    """A variable's name as configuration formats and code write it: ``dd_api_key`` is also
    ``dd.api.key`` (Java properties, Spring), ``dd-api-key`` (YAML keys, command-line flags) and
    ``ddApiKey`` (JavaScript, JSON; literals are matched without case, so the joined spelling).
    For names of three parts or more only: ``secret_key`` or ``bot_token`` spelled with a dot
    or a dash, or joined, are everywhere in code and prose, and would wake their rules
    thousands of times (a dotted one only before an assignment: ``dotted_assignment``)."""
    # Patterns, not compiled at import: only a database being built asks (not a commit hook).
    if not re.fullmatch(rb"[A-Za-z0-9]+(?:[_.-][A-Za-z0-9]+){2,}", keyword):
        return {keyword}
    return {re.sub(rb"[_.-]", sep, keyword) for sep in (b"_", b"-", b".", b"")} | {keyword}


def dotted_assignment(keyword: bytes) -> bytes | None:
    """A hyperscan expression for a two-part name written with a dot where a key is assigned
    (``azure.openai.api-key=``, ``vault.token: `` in ``.properties`` or flattened YAML), or None
    for a keyword that is not a name of two parts. The dotted spelling alone (``client.secret``,
    ``secret.key``) is everywhere in code: only a key-ish tail of a few parts and ``=`` or ``:``
    after it make it worth waking a rule."""
    if not re.fullmatch(rb"[A-Za-z0-9]+[_.-][A-Za-z0-9]+", keyword):
        return None
    head, tail = re.split(rb"[_.-]", keyword)
    return (b"(?i)" + escape(head) + rb"\." + escape(tail)
            + rb"""(?:[.-][A-Za-z0-9]{1,20}){0,3}["']?[ \t]{0,3}[:=]""")


HIT_SHIFT = 16   # a keyword hit's length fits in the low bits (keywords are short literals)


def unpack(hit: int) -> tuple[int, int]:
    """(start, end) of a packed keyword hit."""
    start = hit >> HIT_SHIFT
    return start, start + (hit & ((1 << HIT_SHIFT) - 1))


class Prefilter:
    """Maps a buffer to (rule index, keyword start, keyword end) hits, plus base64 decode triggers.

    The compiled database is cached on disk (``hsdb.cached``) under the rules' text and this
    layout."""

    # Bump when the way literals are derived from rules, or the cache file's layout, changes:
    # it is part of the cache key.
    LAYOUT = 7

    def __init__(self, rules: list[Rule]) -> None:
        key = f"{self.LAYOUT}/{marshal.version}/{rules_key(rules)}".encode()
        meta, self.db = cached("prefilter", key, lambda: self._build(rules))
        # The literal -> rule map travels with the database, so a warm start derives nothing.
        self.targets, self.lengths = marshal.loads(meta)
        self.n_literals = len(self.targets)
        self.scratch = hyperscan.Scratch(self.db)

    @staticmethod
    def _build(rules: list[Rule]) -> tuple[bytes, hyperscan.Database]:
        keywords: dict[bytes, list[int]] = {}
        spellings: set[bytes] = set()
        patterns: list[tuple[bytes, int]] = []
        assigned: dict[bytes, list[int]] = {}   # dotted two-part names before an assignment
        for idx, rule in enumerate(rules):
            if rule.prefilter:
                # A short or common keyword ("pat") would wake the rule on every "path"; its own
                # hyperscan pattern says much more precisely where a match can be.
                patterns.append((rule.prefilter.encode("utf-8"), idx))
            for kw in rule.keywords:
                raw = kw.encode("utf-8")
                # Only distinctive token prefixes are worth finding inside base64 blobs.
                if rule.confidence == "high" and "generic" not in rule.tags and len(raw) >= 4:
                    spellings |= base64_spellings(raw)
                if not rule.prefilter:
                    names = name_spellings(raw) if rule.confidence != "high" else {raw}
                    for spelling in {*(n.lower() for n in names), *(s.lower() for s in encoded_spellings(raw))}:
                        keywords.setdefault(spelling, []).append(idx)
                    form = dotted_assignment(raw.lower()) if rule.confidence != "high" else None
                    if form is not None and idx not in assigned.get(form, []):
                        assigned.setdefault(form, []).append(idx)
        literals = sorted(keywords)
        # Ids: literals first, then rule patterns and dotted names before an assignment (a hit
        # is where the pattern ends, length 1), then the base64 spellings that trigger decoding.
        dotted = sorted(assigned)
        targets = [keywords[k] for k in literals] + [[idx] for _, idx in patterns] + [assigned[d] for d in dotted]
        lengths = [len(k) for k in literals] + [1] * (len(patterns) + len(dotted))
        exprs = ([escape(lit) for lit in literals] + [p for p, _ in patterns] + dotted
                 + [escape(sp) for sp in sorted(spellings)])
        flags = ([hyperscan.HS_FLAG_CASELESS] * len(literals) + [0] * (len(patterns) + len(dotted))
                 + [0] * len(spellings))
        return marshal.dumps((targets, lengths)), compile_block(exprs, flags)

    def hits(self, data: bytes) -> tuple[dict[int, list[int]], list[int]]:
        """Per rule index, its keyword hits packed as ``start << HIT_SHIFT | length`` (see
        ``unpack``); plus the offsets where a base64 spelling ends.

        Plain ints, not (start, end) tuples: ints are not tracked by the garbage collector, and
        millions of tracked tuples (a line of repeated keywords) made its passes superlinear."""
        by_rule: dict[int, list[int]] = {}
        decode_at: list[int] = []
        n_lit = self.n_literals
        targets, lengths = self.targets, self.lengths

        def on_match(eid: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            if eid >= n_lit:
                decode_at.append(to)
                return
            length = lengths[eid]
            hit = (to - length) << HIT_SHIFT | length
            for ridx in targets[eid]:
                if ridx in by_rule:
                    by_rule[ridx].append(hit)
                else:
                    by_rule[ridx] = [hit]

        if data:
            self.db.scan(data, match_event_handler=on_match, scratch=self.scratch)
        return by_rule, decode_at

    def woken(self, buffers: list[bytes]) -> list[int]:
        """Indexes of the buffers in which any pattern matched, from one scan of them joined:
        for many small buffers (commit messages), one call instead of one each.

        A newline joins them, so line-anchored patterns still see each buffer's first line. A
        match across a join only costs a needless full scan of a buffer; every match inside one
        is reported, since hyperscan reports every match, overlapping or not."""
        starts, pos = [], 0
        for buf in buffers:
            starts.append(pos)
            pos += len(buf) + 1
        hit: set[int] = set()

        def on_match(_eid: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            hit.add(bisect.bisect_right(starts, max(to - 1, 0)) - 1)

        if buffers:
            self.db.scan(b"\n".join(buffers), match_event_handler=on_match, scratch=self.scratch)
        return sorted(hit)


def escape(literal: bytes) -> bytes:
    """A literal as a hyperscan expression: every byte as ``\\xNN``, so no byte is syntax."""
    return b"".join(b"\\x%02x" % b for b in literal)
