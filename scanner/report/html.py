"""One self-contained HTML file a security lead opens from disk and forwards.

No network at all: styles, charts (inline SVG) and the table's sort and filter (inline script)
are in the file, and a Content-Security-Policy forbids loading anything else. The table is
rendered here, not by the script, so the report reads the same with scripts off. Every scanned
string is HTML-escaped; secrets appear only with --show-secrets, as in every other output.
"""
from __future__ import annotations

import datetime as _dt
import html
import posixpath
from collections import Counter
from typing import IO, TYPE_CHECKING, Any

from scanner import __version__
from scanner.finding import CONFIDENCE_ORDER
from scanner.report import Report, escape

if TYPE_CHECKING:
    from scanner.finding import Finding

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
_TOP = 10   # bars per chart


def _e(value: Any) -> str:
    return html.escape(escape.text(str(value)), quote=True)


def _intro(f: Finding) -> dict[str, Any]:
    """The place that introduced the secret: the occurrence in its first commit, else the finding."""
    first = next((o for o in f.occurrences if f.commit and o.get("commit") == f.commit), None)
    return first or {"path": f.path, "line": f.line, "commit": f.commit}


def _places(f: Finding) -> list[dict[str, Any]]:
    return f.occurrences or [{"path": f.path, "line": f.line, "commit": f.commit}]


def _repositories(f: Finding) -> list[str]:
    """org-audit: the repositories a secret is in (each place names its repository)."""
    return sorted({str(o["repository"]) for o in f.occurrences if o.get("repository")})


def _directory(path: str) -> str:
    if path.startswith("<"):
        return "(messages)"
    parts = posixpath.dirname(path.replace("\\", "/")).split("/")
    return "/".join(parts[:2]) + "/" if parts != [""] else "(top level)"


def _bars(counts: Counter[str], label: str) -> str:
    """A horizontal bar chart as inline SVG; one ``rect.bar`` per data point."""
    items = counts.most_common(_TOP)
    if not items:
        return f'<p class="empty">No data for {_e(label)}.</p>'
    most, row = items[0][1], 24
    out = [f'<svg class="chart" role="img" aria-label="{_e(label)}" viewBox="0 0 640 {row * len(items) + 4}" '
           f'width="640" height="{row * len(items) + 4}">']
    for i, (name, n) in enumerate(items):
        width = max(2, round(360 * n / most))
        y = i * row + 2
        out.append(f'<text x="0" y="{y + 16}" class="label">{_e(name[:40])}</text>'
                   f'<rect class="bar" data-count="{n}" x="250" y="{y + 3}" width="{width}" height="16">'
                   f'<title>{_e(name)}: {n}</title></rect>'
                   f'<text x="{256 + width}" y="{y + 16}" class="count">{n}</text>')
    out.append("</svg>")
    return "".join(out)


def _timeline(dates: list[str]) -> str:
    """Secrets introduced per month, by the introducing commit's date: a line with a point per month."""
    months = Counter(d[:7] for d in dates if len(d) >= 7)
    if not months:
        return '<p class="empty">No commit dates: this report is not of git history.</p>'
    first, last = min(months), max(months)
    axis, (y, m) = [], map(int, first.split("-"))
    while f"{y:04d}-{m:02d}" <= last:
        axis.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    top, width, height = max(months.values()), 640, 180
    step = (width - 60) / max(1, len(axis) - 1)
    points = [(30 + i * step, height - 30 - (height - 60) * months.get(month, 0) / top, month)
              for i, month in enumerate(axis)]
    out = [f'<svg class="chart" role="img" aria-label="secrets introduced per month" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}"><line x1="30" y1="{height - 30}" x2="{width - 30}" '
           f'y2="{height - 30}" class="axis"/>',
           '<polyline class="line" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points) + '"/>']
    for x, y_, month in points:
        n = months.get(month, 0)
        if n:
            out.append(f'<circle class="point" data-count="{n}" cx="{x:.1f}" cy="{y_:.1f}" r="5">'
                       f'<title>{month}: {n} introduced</title></circle>')
    label_every = max(1, len(axis) // 8)
    out.extend(f'<text x="{x:.1f}" y="{height - 10}" class="tick">{month}</text>'
               for i, (x, _, month) in enumerate(points) if i % label_every == 0 or i == len(points) - 1)
    out.append("</svg>")
    return "".join(out)


def _steps(findings: list[Finding]) -> dict[str, list[str]]:
    """Per fingerprint, the ordered steps of ``leakwarden remediate`` (the plan holds no secret)."""
    from scanner.rules.model import load_builtin
    from scanner.remediation import plan

    # The built-in rules hold the credential prose; a user rule falls back to the plan's generic steps.
    doc = plan.build(plan.from_findings(findings), {r.id: r for r in load_builtin()})
    out: dict[str, list[str]] = {}
    for sec in doc["secrets"]:
        out[sec["fingerprint"]] = [step["text"] + (f" ({step['url']})" if step.get("url") else "")
                                   for step in sec["steps"]]
    return out


def _row(f: Finding, blocking: bool, shown: str, steps: list[str], org: bool) -> str:
    intro, places = _intro(f), _places(f)
    commit, date = str(intro.get("commit") or ""), str(intro.get("date") or "")
    status = "blocking" if blocking else "warning"
    where = f"{intro.get('path', f.path)}:{intro.get('line', f.line)}"
    cells: list[tuple[str, Any, Any]] = [("type", f.type, f.type), ("confidence", f.confidence, CONFIDENCE_ORDER[f.confidence]),
             ("status", status, status), ("secret", shown, shown), ("where", where, where)]
    if org:
        repos = ", ".join(_repositories(f))
        cells.append(("repositories", repos, repos))
    cells += [("commit", commit[:12], commit), ("author", intro.get("author", ""), intro.get("author", "")),
             ("date", date[:10], date), ("places", len(places), f"{len(places):08d}")]
    row = "".join(f'<td class="{name}" data-sort="{_e(key)}">{_e(text)}</td>' for name, text, key in cells)
    place_items = "".join(
        f"<li>{'<b>' + _e(p['repository']) + '</b> ' if p.get('repository') else ''}"
        f"<code>{_e(str(p.get('commit', ''))[:12] or 'working tree')}</code> "
        f"{_e(p.get('path', ''))}:{_e(p.get('line', ''))}"
        f"{' · ' + _e(p.get('author', '')) if p.get('author') else ''}"
        f"{' · ' + _e(p.get('date', '')) if p.get('date') else ''}</li>" for p in places)
    step_items = "".join(f"<li>{_e(s)}</li>" for s in steps)
    return (f'<tbody class="finding" data-confidence="{f.confidence}" data-status="{status}">'
            f'<tr class="summary" tabindex="0">{row}</tr>'
            f'<tr class="details" hidden><td colspan="{len(cells)}">'
            f'<p><b>{_e(f.rule_id)}</b>: {_e(f.reason)}. Fingerprint <code>{f.fingerprint[:16]}</code>.</p>'
            f'<h4>Places ({len(places)})</h4><ul>{place_items}</ul>'
            f'<h4>Remediation</h4><ol>{step_items}</ol></td></tr></tbody>')


def _baselined(accepted: list[tuple[Finding, dict]], show_secrets: bool) -> str:
    """The secrets a baseline accepted, with their triage status and note."""
    if not accepted:
        return ""
    rows = "".join(
        f'<tr><td>{_e(f.type)}</td><td class="secret">{_e(f.secret if show_secrets else f.redacted)}</td>'
        f'<td>{_e(_intro(f).get("path", f.path))}:{_e(_intro(f).get("line", f.line))}</td>'
        f'<td class="triage">{_e(entry.get("status", "unaudited"))}</td><td>{_e(entry.get("note", ""))}</td></tr>'
        for f, entry in accepted)
    return (f'<section id="baseline"><h2>In the baseline ({len(accepted)})</h2><p>Known secrets that do not fail '
            'the run, with their triage status (`leakwarden baseline audit`).</p><table><thead><tr><th>Type</th>'
            f'<th>Secret</th><th>Introduced at</th><th>Status</th><th>Note</th></tr></thead><tbody>{rows}'
            '</tbody></table></section>')


def render(report: Report, out: IO[str], show_secrets: bool, color: bool) -> None:
    findings = report.findings
    blocking = [f for f in findings if f.fingerprint not in report.warned]
    blocks = {f.fingerprint for f in blocking}
    steps = _steps(findings) if findings else {}
    by_conf = Counter(f.confidence for f in findings)
    dirs: Counter[str] = Counter()
    for f in findings:
        dirs.update({_directory(str(p.get("path", ""))) for p in _places(f)})
    stats = report.stats
    scanned = ", ".join(f"{_e(k.replace('_', ' '))}: {_e(v)}" for k, v in stats.items()
                        if k != "rules") or "nothing recorded"
    baseline = stats.get("baselined", 0)
    rules = sorted({f.rule_id for f in findings})
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    # org-audit: a Repositories column and chart, and each place names its repository.
    org = any(_repositories(f) for f in findings)
    by_repo = Counter(r for f in findings for r in _repositories(f))
    rows = "".join(_row(f, f.fingerprint in blocks, f.secret if show_secrets else f.redacted, steps.get(f.fingerprint, []),
                        org)
                   for f in sorted(findings, key=lambda f: str(_intro(f).get("date") or "")))
    notes = "".join(f"<li>skipped {_e(p)}: {_e(why)}</li>" for p, why in report.skipped)
    notes += "".join(f'<li class="error">error {_e(p)}: {_e(what)}</li>' for p, what in report.errors)
    out.write(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leakwarden {_e(report.tool_command)} report</title>
<style>{_STYLE}</style></head><body>
<header><h1>leakwarden {_e(report.tool_command)} report</h1>
<p>Generated {now} by leakwarden {_e(__version__)}.
{'<strong class="danger">Secrets are shown in full (--show-secrets): handle this file as a secret.</strong>'
 if show_secrets else 'Secrets are redacted.'}</p></header>
<section id="summary"><h2>Summary</h2><dl>
<dt>Scanned</dt><dd>{scanned}</dd>
<dt>Findings</dt><dd><span id="total">{len(findings)}</span> ({len(blocking)} blocking,
 {len(findings) - len(blocking)} warnings)</dd>
<dt>By confidence</dt><dd>{', '.join(f'{c}: {by_conf.get(c, 0)}' for c in reversed(CONFIDENCE_ORDER))}</dd>
<dt>Baseline</dt><dd>{f'{_e(baseline)} known secret(s) in the baseline: see "In the baseline"' if baseline
                      else 'no finding was in a baseline'}</dd>
<dt>Rules in use</dt><dd id="rules">{_e(stats.get("rules", "not recorded"))} (leakwarden {_e(__version__)}'s
 packs and the configuration's own rules, minus disabled ones; <code>leakwarden rules list</code> names them)</dd>
<dt>Rules that matched</dt><dd>{', '.join(_e(r) for r in rules) or 'none'}</dd>
</dl>{f'<ul class="notes">{notes}</ul>' if notes else ''}</section>
<section id="charts"><h2>When the secrets were introduced</h2>
<div id="timeline">{_timeline([str(_intro(f).get('date') or '') for f in findings])}</div>
<div class="pair"><div id="by-type"><h2>By type</h2>{_bars(Counter(f.type for f in findings), 'findings by type')}</div>
<div id="by-directory"><h2>Top directories</h2>{_bars(dirs, 'findings by directory')}</div>
{f'<div id="by-repository"><h2>Top repositories</h2>{_bars(by_repo, "findings by repository")}</div>' if org else ''}
</div></section>
<section id="findings"><h2>Findings</h2>
<div class="filters"><input id="filter" type="search" placeholder="Filter: type, path, author, commit…"
 aria-label="filter findings">
<select id="confidence" aria-label="confidence"><option value="">any confidence</option>
<option>high</option><option>medium</option><option>low</option></select>
<select id="status" aria-label="status"><option value="">blocking and warnings</option>
<option>blocking</option><option>warning</option></select>
<span id="shown">{len(findings)}</span> shown. Click a column to sort, a row for its places and remediation.</div>
<table id="table"><thead><tr><th data-key="type">Type</th><th data-key="confidence">Confidence</th>
<th data-key="status">Status</th><th data-key="secret">Secret</th><th data-key="where">Introduced at</th>
{'<th data-key="repositories">Repositories</th>' if org else ''}<th data-key="commit">Commit</th><th data-key="author">Author</th><th data-key="date">Date</th>
<th data-key="places">Places</th></tr></thead>{rows}</table>
{'' if findings else '<p class="empty">No secrets found.</p>'}</section>
{_baselined(report.baselined, show_secrets)}
<script>{_SCRIPT}</script></body></html>
""")


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:0 16px;color:#1b1f24}
h1{font-size:22px}h2{font-size:17px;margin-top:24px}h4{margin:8px 0 4px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}dt{font-weight:600}
.danger,.error{color:#b00020}.empty{color:#666}
.pair{display:flex;flex-wrap:wrap;gap:24px}
.chart .bar{fill:#3d6fb6}.chart .label,.chart .count,.chart .tick{font-size:12px;fill:#333}
.chart .line{fill:none;stroke:#3d6fb6;stroke-width:2}.chart .point{fill:#b00020}.chart .axis{stroke:#999}
.filters{margin:8px 0;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
#filter{min-width:280px;padding:4px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;
vertical-align:top}th{cursor:pointer;background:#f3f4f6;user-select:none}th.asc::after{content:" ▲"}
th.desc::after{content:" ▼"}tr.summary{cursor:pointer}tr.summary:hover{background:#f7f9fc}
td.secret,code{font-family:ui-monospace,monospace;word-break:break-all}
tbody[data-status=blocking] td.status{color:#b00020;font-weight:600}
tr.details td{background:#fafafa}
"""

# Plain DOM code, no library; it only sorts, filters and opens rows the server already rendered.
_SCRIPT = """
(function () {
  var table = document.getElementById('table');
  var bodies = Array.prototype.slice.call(table.querySelectorAll('tbody.finding'));
  var filter = document.getElementById('filter');
  var confidence = document.getElementById('confidence');
  var status = document.getElementById('status');
  var shown = document.getElementById('shown');
  function apply() {
    var q = filter.value.toLowerCase(), c = confidence.value, s = status.value, n = 0;
    bodies.forEach(function (b) {
      var ok = (!q || b.rows[0].textContent.toLowerCase().indexOf(q) >= 0) &&
               (!c || b.dataset.confidence === c) && (!s || b.dataset.status === s);
      b.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }
  [filter, confidence, status].forEach(function (el) {
    el.addEventListener('input', apply);
    el.addEventListener('change', apply);
  });
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var asc = !th.classList.contains('asc');
      table.querySelectorAll('th').forEach(function (h) { h.classList.remove('asc', 'desc'); });
      th.classList.add(asc ? 'asc' : 'desc');
      bodies.sort(function (a, b) {
        var x = a.rows[0].cells[col].dataset.sort, y = b.rows[0].cells[col].dataset.sort;
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      bodies.forEach(function (b) { table.appendChild(b); });
    });
  });
  bodies.forEach(function (b) {
    function toggle() { b.rows[1].hidden = !b.rows[1].hidden; }
    b.rows[0].addEventListener('click', toggle);
    b.rows[0].addEventListener('keydown', function (e) { if (e.key === 'Enter') { toggle(); } });
  });
})();
"""
