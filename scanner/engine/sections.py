"""Which sections enclose a value in a structured file, so that the provider named by a section
can name a value whose own line only says ``api_key``: ``[mailgun]`` above ``api_key = ...``,
``sendgrid:`` above an indented ``api_key:``, ``"algolia": {`` around ``"adminApiKey": ...``,
``<mailgun>`` around ``<apiKey>``, Terraform's ``provider "datadog" {``.

Nothing here finds a value: the engine asks only about the candidates that the generic rules'
regexes found (a value assigned to a name such as ``auth_token``) in files of a kind named in
``_KINDS`` that hold a provider's section name at all (``Gate``), so a file without one never
builds an outline and the prefilter does no more work.
Questions come in the order of the file (the engine sorts them by the name's offset), and each
``Outline`` reads its file forward from where the last question stopped: a file with thousands
of values under thousands of sections is read once, not once per value. ``work`` counts the
bytes read, for tests.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.rules.model import Rule

# How a file's sections are written, by extension. ``.properties`` has none (``datadog.api.key``
# is one name, on the value's line) and neither have ``.env`` files.
_KINDS = {
    "ini": "ini", "cfg": "ini", "conf": "ini", "cnf": "ini", "toml": "ini",
    "yml": "yaml", "yaml": "yaml",
    "json": "brace", "jsonc": "brace", "json5": "brace", "tf": "brace", "hcl": "brace", "tfvars": "brace",
    "xml": "xml", "config": "xml",
}
MAX_DEPTH = 8        # the innermost sections looked at: a provider's block is near its keys
_LABEL = 200         # bytes before a brace that may name it (``"algolia": {``, ``provider "datadog" {``)
_INLINE = 2048       # bytes of the value's line before it that may open inline tables

# A header, not a line of a multi-line TOML array (``  ["a", "b"],``).
_INI_HEADER = re.compile(rb"(?m)^[ \t]*\[\[?[ \t]*([^\[\]\r\n,=]{1,200}?)[ \t]*\]\]?[ \t]*(?:[#;][^\n]*)?\r?$")
# A YAML key that opens a block: nothing after its colon but an anchor or a comment.
_YAML_OPENER = re.compile(
    rb"(?m)^[ \t]*(?:-[ \t]+)*(?P<key>\"[^\"\r\n]{1,100}\"|'[^'\r\n]{1,100}'|[^\s#:'\"\[\]{},&*!|>%@`-][^:#\r\n]{0,100}?)"
    rb"[ \t]*:[ \t]*(?:&[^\s#]+[ \t]*)?(?:#[^\n]*)?\r?$")
# Strings are read whole, so that a brace inside one is not structure.
_BRACE_TOKEN = re.compile(rb'"(?:[^"\\\r\n]|\\.)*"|[{}\[\]]')
# Comments are read whole: a tag in one is not structure.
_TAG = re.compile(rb"<!--.*?-->|<(/?)([A-Za-z_][\w.:-]{0,100})(?:\s[^<>]*?)?(/?)>", re.S)
_WORD = re.compile(rb"[A-Za-z0-9_](?:[A-Za-z0-9_.:-]*[A-Za-z0-9_])?")
_BRACE = re.compile(rb"[{}]")
# The words of a name, for matching a provider's name inside it (``MailgunSettings``,
# ``new_relic``, ``services.pusher``): a provider is named by whole words, never by a part of
# one (``box`` in ``sandbox``).
_PART = re.compile(rb"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def kind_of(path: str) -> str | None:
    """How the file at ``path`` writes its sections, or None when it has none we read."""
    name = path.replace("\\", "/").rpartition("/")[2]
    return _KINDS.get(name.rpartition(".")[2].lower()) if "." in name.lstrip(".") else None


def normalize(name: str) -> str:
    """A provider's section name as a rule declares it, compared without case or separators."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def file_section(path: str) -> bytes:
    """The file's own name is its outermost section: ``datadog.yaml``, ``config/twilio.json``."""
    return path.replace("\\", "/").rpartition("/")[2].rpartition(".")[0].encode("utf-8", "replace")


class Gate:
    """Whether a file holds any provider's section name at all, at the start of a word of a name
    (``twilio``, ``TWILIO_``, ``TwilioSettings``, ``myTwilio``; not ``oci`` in ``associate``): a
    hyperscan database of the names, a few microseconds per file, so that the files with generic
    candidates that name no provider (nearly all) are never outlined. It lets through a little
    more than ``provider_words`` (``twiliox``), which has the last word. Compiling it takes tens
    of milliseconds, so it is cached on disk like the prefilter, with the names it was built for."""

    LAYOUT = 1   # part of the cache key: bump when the expressions change

    def __init__(self, names: list[str]) -> None:
        import hyperscan

        from scanner.engine.hsdb import cached, compile_block
        from scanner.engine.prefilter import escape

        literals = sorted({form.encode() for name in names for form in (name.lower(), normalize(name))})

        def build() -> tuple[bytes, hyperscan.Database]:
            # After a non-letter, in any case; or a capital after a small letter or digit.
            exprs = [b"(?:^|[^A-Za-z0-9])(?:" + b"|".join(escape(lit) for lit in literals) + b")",
                     b"[a-z0-9](?:" + b"|".join(escape(lit[:1].upper() + lit[1:]) for lit in literals) + b")"]
            return b"", compile_block(exprs, [hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH,
                                              hyperscan.HS_FLAG_SINGLEMATCH])

        _, self._db = cached("sections", repr((self.LAYOUT, literals)).encode(), build)
        self._scratch = hyperscan.Scratch(self._db)
        self._stop = hyperscan.ScanTerminated

    def any_in(self, data: bytes) -> bool:
        try:
            self._db.scan(data, match_event_handler=_stop, scratch=self._scratch)
        except self._stop:
            return True
        return False


def _stop(*_: object) -> bool:
    return True   # the first match answers the question: stop the scan


def provider_words(name: bytes, known: dict[str, list[Rule]], most: int = 3) -> list[bytes]:
    """The runs of up to ``most`` whole words of ``name`` that are keys of ``known`` (normalized),
    each as written in ``name`` (``NewRelic`` in ``NewRelicSettings``)."""
    parts = [(m.start(), m.end(), m.group().lower()) for m in _PART.finditer(name)]
    out = []
    for i in range(len(parts)):
        joined = b""
        for j in range(i, min(len(parts), i + most)):
            joined += parts[j][2]
            if joined.decode("ascii") in known:
                out.append(name[parts[i][0]:parts[j][1]])
    return out


class Outline:
    """The enclosing sections of offsets of one file, asked in increasing order.

    Each kind keeps a stack of the sections open where reading stopped: the last INI header
    (its dotted parts), the YAML keys that open a block (with their columns), the JSON and HCL
    braces (with the words before each), the XML elements."""

    def __init__(self, data: bytes, kind: str, path: str = "") -> None:
        self.data = data
        self.kind = kind
        self.file_section = file_section(path)
        self.pos = 0        # how far the file has been read
        self.stack: list[tuple[int, list[bytes]]] = []   # open sections: (indent or depth, names)
        self.work = 0       # bytes read, over every question
        self.words: dict[bytes, list[bytes]] = {}   # provider_words of each section name met

    def enclosing(self, line_start: int, at: int) -> list[bytes]:
        """Names of the sections that enclose ``at`` (a key's first byte, on the line that starts
        at ``line_start``), innermost first."""
        if (line_start if self.kind in ("ini", "yaml") else at) < self.pos:
            # Asked out of order (not the engine's way): read again from the start.
            self.pos, self.stack = 0, []
        names = getattr(self, "_" + self.kind)(line_start, at)[:MAX_DEPTH]
        return names + [self.file_section] if self.file_section else names

    def _inline(self, line_start: int, at: int) -> list[bytes]:
        self.work += min(at - line_start, _INLINE)
        return _inline(self.data, line_start, at)

    def _advance(self, to: int) -> None:
        self.work += max(0, to - self.pos)
        self.pos = max(self.pos, to)

    def _ini(self, line_start: int, at: int) -> list[bytes]:
        header = None
        for m in _INI_HEADER.finditer(self.data, self.pos, line_start):
            header = m.group(1)
        if header is not None:
            # ``[tool.mailgun]``, ``[[servers.twilio]]``, ``[remote "origin"]``: each part a section.
            self.stack = [(0, _WORD.findall(header.replace(b".", b" ")))]
        self._advance(line_start)
        return self._inline(line_start, at) + [n for _, names in reversed(self.stack) for n in reversed(names)]

    def _yaml(self, line_start: int, at: int) -> list[bytes]:
        stack = self.stack
        for m in _YAML_OPENER.finditer(self.data, self.pos, line_start):
            indent = m.start("key") - m.start()
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, [m.group("key").strip(b"\"'")]))
        self._advance(line_start)
        # The key's own column closes every block at or right of it: lines from here on are
        # below it or beside it, so those blocks enclose nothing that follows either.
        column = len(self.data[line_start:at]) - len(self.data[line_start:at].lstrip(b" \t-"))
        while stack and stack[-1][0] >= column:
            stack.pop()
        return self._inline(line_start, at) + [names[0] for _, names in reversed(stack)]

    def _brace(self, line_start: int, at: int) -> list[bytes]:
        data, stack = self.data, self.stack
        boundary = end = self.pos
        for m in _BRACE_TOKEN.finditer(data, self.pos, at):
            end = m.end()
            tok = data[m.start()]
            if tok == 0x22:          # a string: part of a label, not a boundary
                continue
            if tok in b"{[":
                # The label is what precedes the brace since the last brace, comma or line end.
                lo = max(boundary, m.start() - _LABEL)
                lo = max(lo, data.rfind(b",", lo, m.start()) + 1, data.rfind(b"\n", lo, m.start()) + 1)
                stack.append((len(stack), _WORD.findall(data, lo, m.start())))
            elif stack:
                stack.pop()
            boundary = end
        # Read again from the last whole token: a string cut at ``at`` is read whole next time.
        self._advance(end)
        return [n for _, names in reversed(stack) for n in reversed(names)]

    def _xml(self, line_start: int, at: int) -> list[bytes]:
        data, stack = self.data, self.stack
        end = self.pos
        for m in _TAG.finditer(data, self.pos, at):
            end = m.end()
            closing, name, empty = m.groups()
            if name is None or empty:
                continue
            if not closing:
                stack.append((len(stack), [name]))
                continue
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][1][0] == name:
                    del stack[i:]
                    break
        self._advance(end)
        # An attribute (``<mailgun apiKey="...">``) sits in its element's still open tag.
        lt = data.rfind(b"<", line_start, at)
        own = []
        if lt != -1 and data.find(b">", lt, at) == -1:
            word = _WORD.match(data, lt + 1, at)
            if word:
                own = [word.group()]
        return own + [names[0] for _, names in reversed(stack)]


def _inline(data: bytes, line_start: int, at: int) -> list[bytes]:
    """Keys of the inline tables still open on the line before ``at``, innermost first:
    ``mailgun = { api_key = ...`` (TOML), ``pusher: { secret: ...`` (YAML flow style)."""
    lo = max(line_start, at - _INLINE)
    opened: list[int] = []
    for m in _BRACE.finditer(data, lo, at):
        if m.group() == b"{":
            opened.append(m.start())
        elif opened:
            opened.pop()
    out = []
    for brace in reversed(opened):
        # The key is the last word between the brace and the brace or comma before it.
        start = max(data.rfind(b"{", lo, brace), data.rfind(b",", lo, brace), lo)
        words = _WORD.findall(data, start, brace)
        if words:
            out.append(words[-1])
    return out


# A key's name that says key, token or secret (``adminKey``, ``write_key``, ``access_token``), not
# password: under a provider's section such a value is one of that provider's keys.
_KEYISH = re.compile(rb"(?i)(?:key|token|secret)$")
# A rule's example that assigns its secret to a name (``TWILIO_AUTH_TOKEN={{secret}}``).
_EXAMPLE_NAME = re.compile(r"^(?:export\s+)?([A-Za-z][\w.-]*)\s*[:=]\s*[\"']?\{\{secret\}\}[\"']?\s*$")
_example_names: dict[tuple[str, str], bytes | None] = {}


def example_name(rule: Rule) -> bytes | None:
    """The name the rule's first such example assigns its secret to: a name the rule's regex
    takes, to try a value's shape with (``provider_rule``)."""
    key = (rule.id, rule.regex)
    if key not in _example_names:
        found = (_EXAMPLE_NAME.match(ex["text"].strip()) for ex in rule.examples if "secret" in ex)
        _example_names[key] = next((m.group(1).encode() for m in found if m), None)
    return _example_names[key]


def _takes(rule: Rule, text: bytes, want: tuple[int, int], timeout: float) -> bool:
    try:
        return any(m.span("secret") == want for m in rule.compiled.finditer(text, timeout=timeout))
    except TimeoutError:
        return False


def provider_rule(outline: Outline, index: dict[str, list[Rule]], data: bytes, line: tuple[int, int],
                  name_at: int, name: bytes, span: tuple[int, int], timeout: float) -> tuple[Rule, bytes] | None:
    """The provider rule that a section around a value names, and that section; or None.

    The value is judged as if its key were written with the provider's name before it, on its
    own line: ``mailgun.api_key = ...`` for ``api_key = ...`` under ``[mailgun]``, first with the
    sections between them (``hetzner.dns.api_token``), then without (``okta.token`` under
    ``okta: client:``, where the provider's rule leaves only a short gap). The provider rule's own
    regex must then find exactly this value: its key names and the value's shape decide, as
    they do on one line. A key ``name`` the provider's rules do not spell (``adminKey``,
    ``app_key`` under ``[algolia]``) that says key, token or secret is then tried by shape: the
    first of the provider's name-anchored rules whose regex takes the value under the name of
    its own example (``TWILIO_AUTH_TOKEN=value``) names it."""
    line_start, line_end = line
    lo, hi = max(line_start, name_at - _LABEL), min(line_end, span[1] + _LABEL)
    names = outline.enclosing(line_start, name_at)
    value = data[span[0]:span[1]]
    for depth, section in enumerate(names):
        words = outline.words.get(section)
        if words is None:
            words = outline.words[section] = provider_words(section, index)
        for word in words:
            rules = index[normalize(word.decode("ascii"))]
            inner = b".".join(reversed(names[:depth]))
            for prefix in ([word + b"." + inner + b"."] if inner else []) + [word + b"."]:
                text = data[lo:name_at] + prefix + data[name_at:hi]
                want = (span[0] - lo + len(prefix), span[1] - lo + len(prefix))
                for rule in rules:
                    if _takes(rule, text, want, timeout):
                        return rule, section
            if not _KEYISH.search(name):
                continue
            for rule in rules:
                # A high-confidence rule knows its value by its form: found on its own already.
                own = example_name(rule) if rule.confidence != "high" else None
                if own is not None and _takes(rule, own + b"=" + value, (len(own) + 1, len(own) + 1 + len(value)),
                                              timeout):
                    return rule, section
    return None
