"""An id and its secret are one credential: one plan, not two (an AWS key id and its secret key,
a Twilio Account SID and its auth token, an OAuth client id and its client secret).

What goes with what is rule data: a secret's rule declares its ``pair`` (patterns/README.md).
Either the id is found by another rule (``rule``: the AWS key id is a finding of its own), and
that finding is folded into the secret's plan; or the id is no secret and has no rule
(``regex``: a Twilio SID, an OAuth client id), and it is looked for in the lines around the
secret, in the blob or file where the secret was found.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.finding import fingerprint, redact
from scanner.records import record

if TYPE_CHECKING:
    from scanner.remediation.plan import Leak
    from scanner.rules.model import Rule

PAIR_LINES = 3      # default: how many lines apart an id and its secret may be
MAX_LINE = 4096     # longer lines (minified files) are not searched for an id: time stays linear
MAX_BYTES = 16 << 20   # a larger blob or file is not read again to look for an id
_TIMEOUT = 0.5      # seconds per line: a rule's id regex never stalls a plan

# The text lines of the blob or file an occurrence is in, or None when it cannot be read.
LinesAt = Callable[[dict[str, Any]], "list[str] | None"]


@record(frozen=True)
class Spec:
    name: str
    rule: str = ""
    regex: str = ""
    line: str = ""
    lines: int = PAIR_LINES


def spec(rule: Rule | None) -> Spec | None:
    return Spec(**rule.pair) if rule is not None and rule.pair else None


def _near(a: Leak, b: Leak, lines: int) -> bool:
    return any(o.get("path") == p.get("path") and o.get("commit") == p.get("commit")
               and abs(int(o.get("line", 0)) - int(p.get("line", 0))) <= lines
               for o in a.occurrences for p in b.occurrences)


def fold(leaks: list[Leak], rules: dict[str, Any], lines_at: LinesAt | None = None) -> list[Leak]:
    """Each secret with its id half: a finding of the pair's rule is folded into the secret (and
    leaves the list); an id that is no finding is looked for near the secret when ``lines_at``
    can read where the secret is."""
    folded: set[str] = set()
    for secret in leaks:
        pair = spec(rules.get(secret.rule_id))
        if pair is None:
            continue
        if pair.rule:
            for half in leaks:
                if half.rule_id == pair.rule and half.fingerprint not in folded and _near(half, secret, pair.lines):
                    folded.add(half.fingerprint)
                    secret.parts.append(half)
        elif lines_at is not None:
            by_fp = {lk.fingerprint: lk for lk in leaks if lk is not secret and lk.fingerprint not in folded}
            for half in _ids_near(secret, pair, lines_at):
                # The id may be a finding too (a generic rule took the SID for an API key): the
                # same value has the same fingerprint, and that finding is this half.
                if half.fingerprint in by_fp:
                    folded.add(half.fingerprint)
                    found, half = half, by_fp[half.fingerprint]
                    half.type = found.type
                secret.parts.append(half)
    return [lk for lk in leaks if lk.fingerprint not in folded]


def _ids_near(secret: Leak, pair: Spec, lines_at: LinesAt) -> list[Leak]:
    """The ids the pair's regex finds within ``pair.lines`` of each place of the secret (whose own
    line must match ``pair.line``, when given), as Leaks with their places; never a secret."""
    import regex

    from scanner.remediation.plan import Leak, _occurrence

    find, own_line = regex.compile(pair.regex), regex.compile(pair.line) if pair.line else None
    found: dict[str, Leak] = {}
    for occ in secret.occurrences:
        lines, at = lines_at(occ), int(occ.get("line", 0))
        if not lines or not 1 <= at <= len(lines):
            continue
        if own_line is not None and not _search(own_line, lines[at - 1]):
            continue
        for n in range(max(1, at - pair.lines), min(len(lines), at + pair.lines) + 1):
            m = _search(find, lines[n - 1])
            if m is None:
                continue
            value = m.group("id")
            half = found.get(value)
            if half is None:
                half = found[value] = Leak(fingerprint(value.encode()), "", pair.name, "", "", redact(value))
            place = _occurrence(str(occ.get("path", "?")), n, str(occ.get("commit", "")),
                                **{k: occ.get(k) for k in ("author", "date", "ref", "blob")})
            if place not in half.occurrences:
                half.occurrences.append(place)
    return list(found.values())


def _search(pattern: Any, line: str) -> Any:
    if len(line) > MAX_LINE:
        return None
    try:
        return pattern.search(line, timeout=_TIMEOUT)
    except TimeoutError:
        return None


@contextmanager
def reader(repo: Path | None, base: Path) -> Iterator[LinesAt]:
    """Where a place is: a blob of ``repo`` (history), or a file under ``base`` (a working-tree
    scan). Each blob or file is read once; what cannot be read is None."""
    from scanner import git

    cache: dict[str, list[str] | None] = {}
    objects: list[git.ObjectReader] = []

    def lines_at(occ: dict[str, Any]) -> list[str] | None:
        path, blob = str(occ.get("path", "")), str(occ.get("blob", ""))
        key = blob or ("" if occ.get("commit") or path.startswith("<") else path)
        if not key:
            return None   # a message, or a commit's file without its blob id
        if key not in cache:
            cache[key] = _read_blob(blob) if blob else _read_file(base / path)
        return cache[key]

    def _read_blob(oid: str) -> list[str] | None:
        if repo is None:
            return None
        try:
            if not objects:
                objects.append(git.ObjectReader(repo))
            (_, kind, _, data), = list(objects[0].read([oid], MAX_BYTES))
        except (git.GitError, OSError):
            return None
        return data.decode("utf-8", "replace").splitlines() if kind == "blob" and isinstance(data, bytes) else None

    try:
        yield lines_at
    finally:
        for r in objects:
            r.close()


def _read_file(path: Path) -> list[str] | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return None
        return path.read_bytes().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
