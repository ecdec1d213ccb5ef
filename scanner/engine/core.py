"""The engine: bytes in, findings out.

Order of work, cheapest first: the hyperscan prefilter over the whole buffer, then the
rule's regex on a small window around each keyword hit, then validators, entropy,
placeholder checks and allow filters on each candidate.
"""
from __future__ import annotations

from dataclasses import dataclass, field


from scanner.engine import context, credfiles, decode
from scanner.engine.allow import AllowPolicy
from scanner.engine.entropy import shannon
from scanner.engine.placeholders import generic_placeholder, not_a_secret_name, structural_placeholder
from scanner.engine.prefilter import Prefilter
from scanner.engine.text import LineIndex, prepare
from scanner.engine.validators import KEEP_AS_LOW, VALIDATORS
from scanner.finding import CONFIDENCE_ORDER, Finding
from scanner.rules.model import Rule, rules_hash

LINE_WINDOW = 2048          # bytes either side of a keyword on one (possibly minified) line
MULTILINE_WINDOW = 1 << 16  # how far a multi-line match (a key block) may reach
REGEX_TIMEOUT = 1.0         # seconds per window: a guard against pathological user rules
_BASIS_RANK = {"checksum": 2, "structure": 1, "pattern": 0}


@dataclass
class Candidate:
    rule: Rule
    start: int          # offset of the secret in the scanned buffer
    end: int
    secret: bytes
    encoding: str = ""
    name: bytes = b""    # what the secret is assigned to, for rules that capture it


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    skipped: str = ""    # why the input was not scanned, if it was not


class Engine:
    def __init__(self, rules: list[Rule], *, min_confidence: str = "medium",
                 allow: AllowPolicy | None = None, scan_binary: bool = False) -> None:
        self.rules = rules
        # Content rules go through the prefilter; file rules are looked up by the path.
        self.content_rules = [r for r in rules if not r.by_path]
        self.files = credfiles.FileRules([r for r in rules if r.by_path])
        self.min_confidence = min_confidence
        self.min_rank = CONFIDENCE_ORDER[min_confidence]
        self.allow = allow or AllowPolicy()
        self.scan_binary = scan_binary
        self.prefilter = Prefilter(self.content_rules, rules_hash(self.content_rules))

    def __reduce__(self):
        # For worker processes started without fork: a hyperscan database does not pickle, but
        # the prefilter reloads it from the on-disk cache in about a millisecond.
        return _rebuild, (self.rules, self.min_confidence, self.allow, self.scan_binary)

    # -- public -------------------------------------------------------------------------
    def scan(self, raw: bytes, path: str, *, first_line: int = 1, by_path: bool = True) -> ScanResult:
        """``by_path=False`` when ``path`` is only a label (a blob id, a commit message): the
        checks that go by file name (.env, key stores) have nothing to go on."""
        prepared = prepare(raw)
        if prepared.binary and not self.scan_binary:
            # Key stores (.p12, .kdbx) are binary: the path stage sees them even when content rules do not.
            found = self._by_path(raw, path, first_line) if by_path else []
            return ScanResult(findings=found, skipped="" if found else "binary")
        findings = self.scan_text(prepared.data, path, first_line=first_line, by_path=by_path)
        return ScanResult(findings=findings)

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
        named = self._by_path(data, path, first_line) if by_path else []
        candidates = self._candidates(data, path, decode_depth=1)
        if not candidates:
            return named
        index = LineIndex(data, first_line)
        findings = []
        for cand in _resolve_overlaps(candidates):
            finding = self._judge(cand, data, index, path)
            if finding is not None:
                findings.append(finding)
        return credfiles.merge(named, findings)

    def _by_path(self, data: bytes, path: str, first_line: int) -> list[Finding]:
        return self.files.scan(path, data, first_line=first_line, min_rank=self.min_rank, allow=self.allow)

    # -- stages -------------------------------------------------------------------------
    def _candidates(self, data: bytes, path: str, decode_depth: int) -> list[Candidate]:
        by_rule, decode_at = self.prefilter.hits(data)
        out: list[Candidate] = []
        seen: set[tuple[str, int, int]] = set()
        for ridx, hits in by_rule.items():
            rule = self.content_rules[ridx]
            if rule.in_files and not rule.applies_to(path):
                continue
            for ws, we in self._windows(data, rule, hits):
                for cand in self._confirm(rule, data, ws, we):
                    key = (rule.id, cand.start, cand.end)
                    if key not in seen:
                        seen.add(key)
                        out.append(cand)
        if decode_depth and decode_at:
            out.extend(self._decoded(data, path, decode_at, seen))
        return out

    def _windows(self, data: bytes, rule: Rule, hits: list[tuple[int, int]]) -> list[tuple[int, int]]:
        spans = []
        for ks, ke in hits:
            lo = max(0, ks - (MULTILINE_WINDOW if rule.multiline else LINE_WINDOW))
            ls = data.rfind(b"\n", lo, ks) + 1 or lo
            if rule.multiline:
                we = min(len(data), ke + MULTILINE_WINDOW)
            else:
                nl = data.find(b"\n", ke, ke + LINE_WINDOW)
                we = nl if nl != -1 else min(len(data), ke + LINE_WINDOW)
            spans.append((max(ls, lo), we))
        spans.sort()
        merged: list[tuple[int, int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        return merged

    def _confirm(self, rule: Rule, data: bytes, ws: int, we: int) -> list[Candidate]:
        window = data[ws:we]
        found = self._run(rule, window, ws, None, "")
        for variant, enc in ((decode.unescape(window), "escaped"), (decode.unpercent(window), "percent")):
            if variant is not None:
                text, offsets = variant
                found.extend(self._run(rule, text, ws, offsets, enc))
        return found

    def _run(self, rule: Rule, text: bytes, base: int, offsets: list[int] | None, enc: str) -> list[Candidate]:
        out = []
        try:
            for m in rule.compiled.finditer(text, timeout=REGEX_TIMEOUT):
                s, e = m.span("secret")
                if s < 0 or e <= s:
                    continue
                name = m.group("name") if "name" in rule.compiled.groupindex else b""
                if offsets is None:
                    out.append(Candidate(rule, base + s, base + e, m.group("secret"), "", name or b""))
                else:
                    out.append(Candidate(rule, base + offsets[s], base + offsets[e - 1] + 1,
                                         m.group("secret"), enc, name or b""))
        except TimeoutError:
            pass  # a rule that cannot finish on this window is a bad rule, not a finding
        return out

    def _decoded(self, data: bytes, path: str, decode_at: list[int], seen: set) -> list[Candidate]:
        out = []
        runs = sorted({decode.base64_run(data, at - 1) for at in decode_at})
        for rs, re_ in runs:
            plain = decode.decode_base64(data[rs:re_])
            if not plain:
                continue
            for cand in self._candidates(plain, path, decode_depth=0):
                key = (cand.rule.id, rs, re_)
                if key in seen:
                    continue
                seen.add(key)
                cand.start, cand.end, cand.encoding = rs, re_, "base64"
                out.append(cand)
        return out

    def _judge(self, cand: Candidate, data: bytes, index: LineIndex, path: str) -> Finding | None:
        rule = cand.rule
        secret = cand.secret.decode("utf-8", "replace")
        line_start, line_end = index.line_bounds(cand.start)
        line = data[line_start:line_end]
        if AllowPolicy.inline(line):
            return None
        generic = "generic" in rule.tags
        if structural_placeholder(secret) or (generic and generic_placeholder(secret)):
            return None
        if cand.name and not_a_secret_name(cand.name.decode("utf-8", "replace")):
            return None
        if rule.entropy is not None and not rule.multiline and shannon(secret) < rule.entropy:
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
        if CONFIDENCE_ORDER[confidence] < self.min_rank:
            return None
        line_no, col = index.position(cand.start)
        end_line, _ = index.position(max(cand.start, cand.end - 1))
        if rule.multiline and cand.end > line_end:
            end_line_start, end_line_end = index.line_bounds(cand.end - 1)
            if AllowPolicy.inline(data[end_line_start:end_line_end]):
                return None
        finding = Finding(rule_id=rule.id, type=rule.type, confidence=confidence, basis=basis,
                          severity=rule.severity, path=path, line=line_no, column=col, secret=secret,
                          reason=reason, fix=rule.fix or rule.remediation, url=rule.url,
                          end_line=end_line, encoding=cand.encoding, details=details,
                          public_prefix=_public_prefix(rule, secret))
        text = line.decode("utf-8", "replace")
        if self.allow.allows(secret, text, finding.fingerprint):
            return None
        context.apply(finding, text, advice=rule.advice, generic=generic)
        return finding


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


def _rebuild(rules: list[Rule], min_confidence: str, allow: AllowPolicy, scan_binary: bool) -> Engine:
    return Engine(rules, min_confidence=min_confidence, allow=allow, scan_binary=scan_binary)


def _resolve_overlaps(cands: list[Candidate]) -> list[Candidate]:
    """Where rules overlap on the same bytes, the most specific one speaks (a ghp_ token
    assigned to ``token=`` is a GitHub token, not a generic secret)."""
    ordered = sorted(cands, key=_priority, reverse=True)
    kept: list[Candidate] = []
    for cand in ordered:
        if any(cand.start < k.end and k.start < cand.end for k in kept):
            continue
        kept.append(cand)
    kept.sort(key=lambda c: c.start)
    return kept
