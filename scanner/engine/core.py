"""The engine: bytes in, findings out.

Order of work, cheapest first: the hyperscan prefilter over the whole buffer, then the
rule's regex on a small window around each keyword hit, then validators, entropy,
placeholder checks and allow filters on each candidate.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from scanner.config import DEFAULT_FILE_BUDGET
# The later stages (decode, placeholders, validators, context) and the archive readers are
# imported where first used: a commit hook whose change wakes no rule never loads them.
from scanner.engine import credfiles
from scanner.engine.archive_kinds import DEFAULT_LIMITS, Limits, detect
from scanner.engine.allow import AllowPolicy
from scanner.engine.entropy import shannon
from scanner.engine.prefilter import Prefilter, unpack
from scanner.engine.text import LineIndex, is_binary, prepare, utf8_chars
from scanner.finding import BINARY, CONFIDENCE_ORDER, NOT_FULLY_SCANNED, Finding
from scanner.records import field, record
from scanner.rules.model import Rule

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from scanner.engine import sections

LINE_WINDOW = 2048          # bytes either side of a keyword on one (possibly minified) line
MULTILINE_WINDOW = 1 << 16  # how far a multi-line match (a key block) may reach
NAME_REACH = 256            # how far before its keyword a rule's match may start (``db_password = ...``)
REGEX_TIMEOUT = 1.0         # seconds per window: a guard against pathological user rules
_BASIS_RANK = {"checksum": 2, "structure": 1, "pattern": 0}


@record
class Candidate:
    rule: Rule
    start: int          # offset of the secret in the scanned buffer
    end: int
    secret: bytes
    encoding: str = ""
    name: bytes = b""    # what the secret is assigned to, for rules that capture it
    name_at: int = -1    # where that name starts in the buffer (-1: unknown, or in decoded text)
    section: bytes = b""  # the section that named the provider of a generic rule's candidate


@record
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    skipped: str = ""    # why the input was not scanned, or not fully (a budget, a rule that timed out)
    # Text scanned without a path woke a rule that runs only in some files (``in_files``), which
    # was not run: at a path that rule admits, the same text may hold more (history's first pass).
    path_gated: bool = False


@record
class _Pass:
    """One scan's clock and the reasons it did not finish everything."""
    deadline: float | None
    notes: list[str] = field(default_factory=list)
    out_of_time: bool = False
    path_gated: bool = False   # see ScanResult

    def timeout(self) -> float:
        """The regex timeout for the next window: never past the file's budget."""
        if self.deadline is None:
            return REGEX_TIMEOUT
        return max(0.0, min(REGEX_TIMEOUT, self.deadline - time.monotonic()))

    def expired(self) -> bool:
        if not self.out_of_time and self.deadline is not None and time.monotonic() >= self.deadline:
            self.out_of_time = True
        return self.out_of_time

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


class Engine:
    def __init__(self, rules: list[Rule], *, min_confidence: str = "medium",
                 allow: AllowPolicy | None = None, scan_binary: bool = False,
                 file_budget: float | None = DEFAULT_FILE_BUDGET,
                 archive_limits: Limits | None = DEFAULT_LIMITS) -> None:
        self.rules = rules
        # Content rules go through the prefilter; file rules are looked up by the path.
        self.content_rules = [r for r in rules if not r.by_path]
        self.files = credfiles.FileRules([r for r in rules if r.by_path])
        # Keyword-anchored generic rules: a file-level finding (``.env``) already says what they would.
        self.generic_ids = frozenset(r.id for r in self.content_rules if "generic" in r.tags)
        # The provider rules that list the sections naming their provider (``sections``): a generic
        # rule's candidate under ``[mailgun]`` is looked at by the Mailgun rules (engine/sections.py).
        # Indexed, with the gate, when a scan first has such a candidate: a commit hook whose
        # change holds none never loads engine/sections.py.
        self.section_rules = [r for r in self.content_rules if r.sections]
        self._by_id = {r.id: r for r in self.content_rules}
        self._sections: tuple[dict[str, list[Rule]], sections.Gate] | None = None
        self.min_confidence = min_confidence
        self.min_rank = CONFIDENCE_ORDER[min_confidence]
        self.allow = allow or AllowPolicy()
        self.scan_binary = scan_binary
        self.file_budget = file_budget
        self.archives = archive_limits     # None: archives are scanned as the binary files they are
        self.prefilter = Prefilter(self.content_rules)

    def __reduce__(self):
        # For worker processes started without fork: a hyperscan database does not pickle, but
        # the prefilter reloads it from the on-disk cache in about a millisecond.
        return _rebuild, (self.rules, self.min_confidence, self.allow, self.scan_binary, self.file_budget,
                          self.archives)

    # -- public -------------------------------------------------------------------------
    def deadline(self) -> float | None:
        """When a file started now must be done: ``file_budget`` seconds of wall time from now."""
        return None if self.file_budget is None else time.monotonic() + self.file_budget

    def scan(self, raw: bytes, path: str, *, first_line: int = 1, by_path: bool = True,
             deadline: float | None = None, inside: bool = True) -> ScanResult:
        """``by_path=False`` when ``path`` is only a label (a blob id, a commit message): the
        checks that go by file name (.env, key stores) have nothing to go on. An archive is
        scanned member by member (``archives.py``); ``inside=False`` scans the bytes as they are."""
        kind = detect(raw, path) if inside and self.archives is not None and first_line == 1 else None
        if kind is not None:
            from scanner.engine import archives

            return archives.scan(self, raw, path, kind, deadline)
        prepared = prepare(raw)
        if prepared.binary and not self.scan_binary:
            # Key stores (.p12, .kdbx) are binary: the path stage sees them even when content rules do not.
            found = self._by_path(raw, path, first_line) if by_path else []
            return ScanResult(findings=found, skipped="" if found else BINARY)
        return self._scan_text(prepared.data, path, first_line=first_line, by_path=by_path, deadline=deadline)

    def scan_chunks(self, chunks: Iterable[tuple[bytes, int, int]], path: str, *,
                    by_path: bool = True) -> ScanResult:
        """A file or blob too large to hold at once, as overlapping line-aligned chunks of
        (bytes, offset, first line; ``sources.files.stream_chunks``): one budget for the whole
        file, each finding once, and columns counted from the real start of a line that began
        in an earlier chunk. ``by_path`` as for ``scan``."""
        deadline = self.deadline()
        seen: set[tuple[str, int, int]] = set()
        out = ScanResult()
        prev, prev_offset, prev_col = b"", 0, 1
        chunks = iter(chunks)
        for chunk, offset, first_line in chunks:
            if offset == 0 and self.archives is not None and detect(chunk, path):
                from scanner.engine import archives

                return archives.scan_chunked(self, chunk, chunks, path)
            if offset == 0 and is_binary(chunk) and not self.scan_binary:
                return ScanResult(skipped=BINARY)
            col = _column_at(prev, prev_offset, prev_col, offset)
            part = self._scan_text(chunk, path, first_line=first_line, first_column=col, by_path=by_path,
                                   deadline=deadline)
            prev, prev_offset, prev_col = chunk, offset, col
            for f in part.findings:
                key = (f.rule_id, f.line, f.column)
                if key not in seen:
                    seen.add(key)
                    out.findings.append(f)
            out.path_gated |= part.path_gated
            if part.skipped and part.skipped not in out.skipped:
                out.skipped = "; ".join(p for p in (out.skipped, part.skipped) if p)
        return out

    def scan_many(self, texts: list[bytes], label: str) -> dict[int, list[Finding]]:
        """Findings in many small texts (commit messages), by index: one prefilter pass over
        them all, then a full scan of just the few it wakes."""
        out = {}
        for i in self.prefilter.woken(texts):
            found = self.scan(texts[i], label, by_path=False).findings
            if found:
                out[i] = found
        return out

    def scan_text(self, data: bytes, path: str, *, first_line: int = 1, by_path: bool = True) -> list[Finding]:
        """The findings in prepared text (UTF-8 bytes), for callers that judge text they made."""
        return self._scan_text(data, path, first_line=first_line, by_path=by_path).findings

    def _scan_text(self, data: bytes, path: str, *, first_line: int = 1, first_column: int = 1,
                   by_path: bool = True, deadline: float | None = None) -> ScanResult:
        """``first_column``: the column of ``data[0]`` (a chunk may start inside a long line)."""
        run = _Pass(deadline if deadline is not None else self.deadline())
        named = self._by_path(data, path, first_line) if by_path else []
        candidates = self._candidates(data, path, 1, run)
        if candidates and self.section_rules:
            candidates = self._by_sections(candidates, data, path)
        findings: list[Finding] = []
        if candidates:
            index = LineIndex(data, first_line, first_column)
            judged = _Judging(index)
            findings = _resolve_overlaps(candidates, lambda c: self._judge(c, data, index, path, judged))
        if self.allow.timed_out:
            for source in self.allow.take_timeouts():
                run.note(f"allow_regexes entry {source!r} timed out; findings it was judging are kept")
        if run.out_of_time:
            run.note(f"{NOT_FULLY_SCANNED}: the file time budget ({self.file_budget:g} s) ran out")
        return ScanResult(findings=credfiles.merge(named, findings, self.generic_ids, self._names) if candidates else named,
                          skipped="; ".join(run.notes) if run.notes else "", path_gated=run.path_gated)

    def _by_path(self, data: bytes, path: str, first_line: int) -> list[Finding]:
        return self.files.scan(path, data, first_line=first_line, min_rank=self.min_rank, allow=self.allow)

    def _names(self, finding: Finding, field: str) -> bool:
        """Whether the rule of ``finding`` takes ``field`` for its value's name: its regex finds
        the value in ``field=value`` with a name before it (a rule that knows a value by its
        form alone matches the value only)."""
        rule = self._by_id.get(finding.rule_id)
        if rule is None or not field:
            return False
        head = f"{field}=".encode("utf-8", "surrogateescape")
        text = head + finding.secret.encode("utf-8", "surrogateescape")
        try:
            return any(m.span("secret") == (len(head), len(text)) and m.start() < len(head)
                       for m in rule.compiled.finditer(text, timeout=REGEX_TIMEOUT))
        except TimeoutError:
            return False

    # -- stages -------------------------------------------------------------------------
    def _candidates(self, data: bytes, path: str, decode_depth: int, run: _Pass) -> list[Candidate]:
        by_rule, decode_at = self.prefilter.hits(data)
        out: list[Candidate] = []
        seen: set[tuple[str, int, int]] = set()
        for ridx, hits in by_rule.items():
            rule = self.content_rules[ridx]
            if rule.in_files and not rule.applies_to(path):
                # Without a path, say so (its regex is not run: that is left to a scan at a path
                # it admits); with one, the rule does not apply here.
                run.path_gated = run.path_gated or not path
                continue
            for ws, we, inside in _windows(data, rule, hits):
                if run.expired():
                    return out
                for cand in self._confirm(rule, data, ws, we, inside, run):
                    key = (rule.id, cand.start, cand.end)
                    if key not in seen:
                        seen.add(key)
                        out.append(cand)
        if decode_depth and decode_at:
            out.extend(self._decoded(data, path, decode_at, seen, run))
        return out

    def _by_sections(self, candidates: list[Candidate], data: bytes, path: str) -> list[Candidate]:
        """A generic rule's candidate (with the name it is assigned to) under a section that names
        a provider becomes that provider rule's candidate (engine/sections.py), which then wins
        over the generic ones on the same bytes."""
        from scanner.engine import sections

        kind = sections.kind_of(path)
        if kind is None:
            return candidates
        if self._sections is None:
            by_name = _section_index(self.section_rules)
            self._sections = by_name, sections.Gate(list(by_name))
        by_section, gate = self._sections
        if not (gate.any_in(data) or sections.provider_words(sections.file_section(path), by_section)):
            return candidates
        outline = None
        named: dict[tuple[int, int, int], tuple[Rule, bytes] | None] = {}
        index = LineIndex(data)
        extra = []
        # The outline is read forward, so it is asked in the order of the names.
        # A name on another line than its value (a Kubernetes env entry) is not the value's key.
        for cand in sorted((c for c in candidates
                            if c.name_at >= 0 and "generic" in c.rule.tags and not c.rule.multiline),
                           key=lambda c: c.name_at):
            key = (cand.name_at, cand.start, cand.end)
            if key not in named:
                outline = outline or sections.Outline(data, kind, path)
                named[key] = sections.provider_rule(outline, by_section, data, index.line_bounds(cand.start),
                                                    cand.name_at, cand.name, (cand.start, cand.end), REGEX_TIMEOUT)
            found = named[key]
            if found is not None:
                extra.append(Candidate(found[0], cand.start, cand.end, cand.secret, cand.encoding, cand.name,
                                       cand.name_at, found[1]))
        return candidates + extra

    def _confirm(self, rule: Rule, data: bytes, ws: int, we: int, hits: list[int],
                 run: _Pass) -> list[Candidate]:
        from scanner.engine import decode

        window = data[ws:we]
        found, stuck = self._run(rule, window, ws, None, "", run)
        if stuck and len(hits) > 1:
            # The regex gave up somewhere in a merged window: try it again near each keyword on
            # its own, so a pathological stretch early on a line cannot hide a match after it.
            found = []
            for hit in hits:
                ks, ke = unpack(hit)
                lo, hi = max(ws, ks - NAME_REACH), min(we, ke + _reach(rule))
                part, _ = self._run(rule, data[lo:hi], lo, None, "", run)
                found.extend(part)
        for variant, enc in ((decode.unescape(window), "escaped"), (decode.unpercent(window), "percent")):
            if variant is not None:
                text, offsets = variant
                found.extend(self._run(rule, text, ws, offsets, enc, run)[0])
        if not found and not rule.multiline and "generic" not in rule.tags:
            # ``- name: DD_APP_KEY`` / ``value: ...``: the generic rules have their own
            # multi-line rule for such pairs, which only takes names that say "secret".
            pair = decode.name_value(data, ws, we)
            if pair is not None:
                found.extend(self._run(rule, pair[0], 0, pair[1], "", run)[0])
        return found

    def _run(self, rule: Rule, text: bytes, base: int, offsets: list[int] | None, enc: str,
             run: _Pass) -> tuple[list[Candidate], bool]:
        """Candidates of ``rule`` in ``text``, and whether the regex ran out of time on it."""
        out: list[Candidate] = []
        if run.expired():
            return out, True
        try:
            for m in rule.compiled.finditer(text, timeout=run.timeout()):
                s, e = m.span("secret")
                if s < 0 or e <= s:
                    continue
                name = m.group("name") if "name" in rule.compiled.groupindex else b""
                if offsets is None:
                    out.append(Candidate(rule, base + s, base + e, m.group("secret"), "", name or b"",
                                         base + m.start("name") if name else -1))
                else:
                    out.append(Candidate(rule, base + offsets[s], base + offsets[e - 1] + 1,
                                         m.group("secret"), enc, name or b""))
        except TimeoutError:
            if not run.expired():
                run.note(f"rule {rule.id} timed out on part of a line ({REGEX_TIMEOUT:g} s); "
                         "that part was not fully checked by it")
            return out, True
        return out, False

    def _decoded(self, data: bytes, path: str, decode_at: list[int], seen: set, run: _Pass) -> list[Candidate]:
        from scanner.engine import decode

        out = []
        for rs, re_ in decode.base64_runs(data, [at - 1 for at in decode_at]):
            if run.expired():
                break
            plain = decode.decode_base64(data[rs:re_])
            if not plain:
                continue
            for cand in self._candidates(plain, path, 0, run):
                key = (cand.rule.id, rs, re_)
                if key in seen:
                    continue
                seen.add(key)
                cand.start, cand.end, cand.encoding = rs, re_, "base64"
                out.append(cand)
        return out

    def _judge(self, cand: Candidate, data: bytes, index: LineIndex, path: str,
               judged: _Judging) -> Finding | None:
        from scanner.engine import context
        from scanner.engine.placeholders import (echoes_name, generic_placeholder, not_a_secret_name,
                                                 structural_placeholder)
        from scanner.engine.validators import KEEP_AS_LOW, VALIDATORS

        rule = cand.rule
        secret = cand.secret.decode("utf-8", "replace")
        line_start, line_end = index.line_bounds(cand.start)
        if judged.inline(data, line_start, line_end):
            return None
        generic = "generic" in rule.tags
        name = cand.name.decode("utf-8", "replace")
        # The name first: a few searches on a short string settle most candidates in real code
        # (``"input_token": "NextToken"``) before the value's many checks.
        if name and (not_a_secret_name(name) or echoes_name(name, secret)):
            return None
        # A value named by its section is held to the generic rules' placeholder checks as well:
        # its own line says only ``api_key``.
        if structural_placeholder(secret) or ((generic or cand.section) and generic_placeholder(secret, name=name)):
            return None
        if rule.entropy is not None and shannon(secret) < rule.entropy:
            return None
        confidence, basis, reason, details = rule.confidence, "pattern", "pattern match", {}
        if rule.validator:
            verdict = VALIDATORS[rule.validator](secret)
            if verdict.ok:
                basis, reason, details = verdict.basis, verdict.reason, verdict.details
            elif rule.validator in KEEP_AS_LOW:
                confidence, reason = "low", verdict.reason
            else:
                return None
        elif rule.entropy is not None:
            reason = f"pattern match, entropy {shannon(secret):.1f}"
        if cand.section:
            reason += f", named by its section {cand.section.decode('utf-8', 'replace')!r}"
        if generic and context.is_prose(path):
            confidence, reason = "low", reason + ", in documentation (most likely an example)"
        if CONFIDENCE_ORDER[confidence] < self.min_rank:
            return None
        line_no, col = index.position(cand.start)
        end_line, _ = index.position(max(cand.start, cand.end - 1))
        if rule.multiline and cand.end > line_end:
            end_line_start, end_line_end = index.line_bounds(cand.end - 1)
            if AllowPolicy.inline(data[end_line_start:end_line_end]):
                return None
        # The place a secret sits in is judged from the text around it, not from a whole
        # minified line: thousands of findings on a 10 MB line must not read it thousands of times.
        # It is judged before the finding is made, so that the finding is made once, whole.
        near = data[max(line_start, cand.start - LINE_WINDOW):min(line_end, cand.end + LINE_WINDOW)]
        place = context.classify(path, near.decode("utf-8", "replace"), secret)
        finding = Finding(rule_id=rule.id, type=rule.type, confidence=confidence, basis=basis,
                          severity=rule.severity, path=path, line=line_no, column=col, secret=secret,
                          reason=reason, url=rule.url, end_line=end_line, encoding=cand.encoding,
                          fix=context.fix_for(place, path, rule.fix or rule.remediation, advice=rule.advice,
                                              generic=generic),
                          details={**details, "context": place, **({"section": cand.section.decode("utf-8", "replace")}
                                                                   if cand.section else {})},
                          public_prefix=_public_prefix(rule, secret))
        if finding.fingerprint in self.allow.fingerprints or self.allow.allows_text(secret) \
                or judged.allowed_line(self.allow, data, line_start, line_end):
            return None
        return finding


class _Judging:
    """What the judging stage learns about a line once, for all the candidates on it."""

    def __init__(self, index: LineIndex) -> None:
        self._inline: dict[int, bool] = {}
        self._allowed: dict[int, bool] = {}

    def inline(self, data: bytes, start: int, end: int) -> bool:
        if start not in self._inline:
            self._inline[start] = AllowPolicy.inline(data[start:end])
        return self._inline[start]

    def allowed_line(self, allow: AllowPolicy, data: bytes, start: int, end: int) -> bool:
        if not allow.regexes:
            return False
        if start not in self._allowed:
            self._allowed[start] = allow.allows_text(data[start:end].decode("utf-8", "replace"))
        return self._allowed[start]


def _section_index(rules: list[Rule]) -> dict[str, list[Rule]]:
    """Provider rules by the section names (normalized) that name their provider."""
    from scanner.engine.sections import normalize

    index: dict[str, list[Rule]] = {}
    for rule in rules:
        for section in rule.sections:
            index.setdefault(normalize(section), []).append(rule)
    return index


def _reach(rule: Rule) -> int:
    """How far past a keyword hit the rule's window ends."""
    if rule.multiline:
        return rule.reach or MULTILINE_WINDOW
    return LINE_WINDOW


def _opens(rest: bytes) -> bool:
    """Whether the rest of a keyword's line, after the keyword, is only the rest of a name and
    an opening (``Token>``, ``_key:``, ``"apiKey" =``): its value is then on the next line."""
    rest = rest.rstrip(b" \t\r")
    if not rest:
        return True   # a prefilter pattern's hit ends where its opening does
    if len(rest) > 40 or rest[-1:] not in (b">", b":", b"="):
        return False
    name = rest[:-1].rstrip(b" \t").strip(b"\"'")
    return not name or name.replace(b"_", b"a").replace(b"-", b"a").replace(b".", b"a").isalnum()


def _windows(data: bytes, rule: Rule, hits: list[int]) -> list[tuple[int, int, list[int]]]:
    """Merged windows around the keyword hits, each with the hits inside it.

    Hits are taken in order, and a hit inside the window being built only extends its end,
    searching for a newline from where the last search stopped: every byte is searched once,
    however many hits a line has (repeated PEM headers, a keyword thousands of times)."""
    reach = _reach(rule)
    n = len(data)
    merged: list[tuple[int, int, list[int]]] = []
    ws = we = -1
    inside: list[int] = []
    for hit in sorted(hits):
        ks, ke = unpack(hit)
        if ks <= we:
            inside.append(hit)
            if ke + reach > we and we < n:
                if rule.multiline:
                    we = min(n, ke + reach)
                elif ke > we or data[we] != 10:
                    # The window ends at a cap, not a newline, and no newline lies before it.
                    nl = data.find(b"\n", max(ke, we), ke + reach)
                    we = max(we, nl if nl != -1 else min(n, ke + reach))
            continue
        if inside:
            merged.append((ws, we, inside))
        lo = max(0, ks - reach)
        ws = max(data.rfind(b"\n", lo, ks) + 1, lo)
        if rule.multiline:
            we = min(n, ke + reach)
        else:
            nl = data.find(b"\n", ke, ke + reach)
            if nl != -1 and _opens(data[ke:nl]):
                # The line ends in an opening (``<apiKey>``, ``api_key:``) and the value is on
                # the next line: the window takes that line too.
                nl = data.find(b"\n", nl + 1, ke + reach)
            we = nl if nl != -1 else min(n, ke + reach)
        inside = [hit]
    if inside:
        merged.append((ws, we, inside))
    return merged


def _column_at(prev: bytes, prev_offset: int, prev_col: int, offset: int) -> int:
    """The column of byte ``offset`` of a stream, given the chunk before it (which holds it)."""
    if not prev:
        return 1
    head = prev[:offset - prev_offset]
    nl = head.rfind(b"\n")
    return 1 + utf8_chars(head[nl + 1:]) if nl != -1 else prev_col + utf8_chars(head)


_KEY_HEADERS = ("-----BEGIN ", "---- BEGIN ", "PuTTY-User-Key-File-")


def _public_prefix(rule: Rule, secret: str) -> str:
    """What a redacted form may show: a key's header line, or the keyword a token starts with
    (``ghp_``, ``AKIA``); nothing at all for keyword-anchored generic secrets."""
    if "generic" in rule.tags:
        return ""
    if secret.startswith(_KEY_HEADERS):
        return secret.replace("\\n", "\n").split("\n", 1)[0].rstrip("\r")
    lowered = secret.lower()
    for kw in sorted(rule.keywords, key=len, reverse=True):
        if lowered.startswith(kw.lower()):
            return secret[:len(kw)]
    return ""


def _priority(cand: Candidate) -> tuple:
    rule = cand.rule
    return (CONFIDENCE_ORDER[rule.confidence], "generic" not in rule.tags, rule.priority,
            rule.validator is not None, cand.end - cand.start, cand.encoding == "")


def _rebuild(rules: list[Rule], min_confidence: str, allow: AllowPolicy, scan_binary: bool,
             file_budget: float | None, limits: Limits | None) -> Engine:
    return Engine(rules, min_confidence=min_confidence, allow=allow, scan_binary=scan_binary,
                  file_budget=file_budget, archive_limits=limits)


def _resolve_overlaps(cands: list[Candidate], judge: Callable[[Candidate], Finding | None]) -> list[Finding]:
    """Where rules overlap on the same bytes, the most specific one speaks (a ghp_ token
    assigned to ``token=`` is a GitHub token, not a generic secret). Candidates are judged in
    that order: the findings ``judge`` makes, in the order of the text."""
    # Only candidates in one cluster of overlapping spans can compete, so the greedy choice
    # runs per cluster: thousands of candidates on one line stay n log n, not n squared.
    kept: list[Finding] = []
    cluster: list[Candidate] = []
    reach = -1
    for cand in sorted(cands, key=lambda c: c.start):   # stable: ties keep the order found
        if cluster and cand.start >= reach:
            kept.extend(_greedy(cluster, judge))
            cluster = []
        reach = max(reach, cand.end) if cluster else cand.end
        cluster.append(cand)
    kept.extend(_greedy(cluster, judge))
    return kept


def _greedy(cluster: list[Candidate], judge: Callable[[Candidate], Finding | None]) -> list[Finding]:
    """The best candidate of each overlap that its judge keeps. A generic rule that rejects a
    value speaks only for its own floor and forms (``generic-env-assignment`` wants more entropy
    than ``generic-config-assignment``), so the next candidate on those bytes is judged in its
    place; a specific rule that rejects one (a placeholder, a bad checksum) has said what the
    bytes are, and nothing below it speaks for them."""
    kept: list[tuple[Candidate, Finding]] = []
    settled: list[Candidate] = []
    order = {id(c): i for i, c in enumerate(cluster)}
    for cand in sorted(cluster, key=lambda c: (_priority(c), -order[id(c)]), reverse=True):
        if any(cand.start < k.end and k.start < cand.end for k in settled):
            continue
        finding = judge(cand)
        if finding is not None:
            kept.append((cand, finding))
            settled.append(cand)
        elif "generic" not in cand.rule.tags:
            settled.append(cand)
    kept.sort(key=lambda pair: pair[0].start)
    return [finding for _, finding in kept]
