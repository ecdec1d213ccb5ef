"""Human output. Colour only on a terminal and never with NO_COLOR; content is always escaped."""
from __future__ import annotations

from typing import IO

from scanner.engine import text
from scanner.report import Report, escape

_COLORS = {"critical": "\033[1;31m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m"}
_RESET, _DIM, _BOLD = "\033[0m", "\033[2m", "\033[1m"
MAX_PLACES = 10
_ENCODINGS = {"base64": "found inside base64", "escaped": "found inside string escapes", "percent": "found percent-encoded"}


def printable(value: str) -> str:
    return text.printable(escape.text(value))


def render(report: Report, out: IO[str], show_secrets: bool, color: bool) -> None:
    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    for f in report.findings:
        level = "warning" if f.fingerprint in report.warned else f.severity
        where = printable(f.location())
        if f.commit:
            where = f"{f.commit[:12]}:{where}"
        value = f.secret if show_secrets else f.redacted
        out.write(f"{c(_BOLD, where)}: {c(_COLORS.get(f.severity, ''), level)} {f.rule_id}\n")
        out.write(f"    type:   {f.type}\n")
        out.write(f"    secret: {printable(value)}\n")
        why = f.reason + (f" ({_ENCODINGS.get(f.encoding, f.encoding)})" if f.encoding else "")
        out.write(f"    why:    {why}; confidence {f.confidence}\n")
        if f.details.get("verification"):
            out.write(f"    live:   {printable(str(f.details['verification']))}\n")
        if f.occurrences:
            out.write(f"    seen:   {len(f.occurrences)} place{'s' if len(f.occurrences) != 1 else ''}"
                      f"{', first in ' + f.commit[:12] if f.commit else ''}\n")
            for occ in f.occurrences[:MAX_PLACES]:
                commit = str(occ.get("commit", ""))[:12] or "-"
                who = " ".join(str(occ.get(k, "")) for k in ("author", "date") if occ.get(k))
                out.write(f"            {commit} {printable(str(occ.get('path', '')))}:{occ.get('line', '')}"
                          f"{'  ' + printable(who) if who else ''}\n")
            if len(f.occurrences) > MAX_PLACES:
                out.write(f"            … and {len(f.occurrences) - MAX_PLACES} more (--format json lists all)\n")
        out.write(f"    fix:    {printable(f.fix)}\n")
        if f.url:
            out.write(f"    {c(_DIM, 'see:')}    {f.url}\n")
    for path, why in report.skipped:
        out.write(c(_DIM, f"skipped {printable(path)}: {why}") + "\n")
    for path, what in report.errors:
        out.write(f"error: {printable(path)}: {printable(what)}\n")
    n = len(report.findings)
    warned = sum(1 for f in report.findings if f.fingerprint in report.warned)
    if n:
        summary = f"{n} finding{'s' if n != 1 else ''}"
        if warned:
            summary += f" ({warned} warning{'s' if warned != 1 else ''})"
        out.write(c(_BOLD, summary) + "\n")


# What each command's stats call the units it scanned.
_UNITS = (("commits_scanned", "commit"), ("files_scanned", "file"), ("objects", "object"))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(report: Report, seconds: float) -> str:
    """One line for stderr: what was scanned, how long it took, what was found and skipped."""
    stats = report.stats
    scanned = [_plural(int(stats[key]), unit) for key, unit in _UNITS if key in stats]
    if "bytes" in stats:
        scanned.append(f"{int(stats['bytes']) / 1e6:.1f} MB")
    what = f"scanned {', '.join(scanned)}" if scanned else f"{report.tool_command} done"
    warned = sum(1 for f in report.findings if f.fingerprint in report.warned)
    blocking = len(report.findings) - warned
    found = (f"{_plural(len(report.findings), 'finding')} ({blocking} blocking, {_plural(warned, 'warning')}"
             f", {int(stats.get('baselined', 0))} in baseline)")
    tail = f"{len(report.skipped)} skipped" + (f", {_plural(len(report.errors), 'error')}" if report.errors else "")
    return f"{what} in {seconds:.2f} s: {found}; {tail}"
