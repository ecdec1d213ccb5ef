"""The plan as Markdown for people (JSON is the plan dict itself). Scanned text is escaped."""
from __future__ import annotations

from typing import IO, Any

from scanner.engine.text import printable


def _md(text: Any) -> str:
    """Table- and terminal-safe: control characters escaped, pipes and backticks neutralised."""
    return printable(str(text)).replace("|", "\\|").replace("`", "'")


def _where(o: dict[str, Any]) -> str:
    return f"{_md(o.get('path', '?'))}:{o.get('line', '?')}"


def markdown(plan: dict[str, Any], out: IO[str]) -> None:
    s = plan["summary"]
    out.write("# Remediation plan\n\n")
    if not plan["secrets"]:
        out.write("No secrets found: nothing to remediate.\n")
        return
    out.write(f"{s['secrets']} secret(s) in {s['occurrences']} place(s); {s['in_history']} of them in git "
              "history. Work through each secret in order: create the new credential, replace the old one "
              "everywhere, revoke it, and only then consider rewriting history.\n")
    for n, sec in enumerate(plan["secrets"], 1):
        out.write(f"\n## {n}. {_md(sec['type'])}: `{_md(sec['redacted'])}`\n\n")
        out.write(f"- Fingerprint: `{sec['fingerprint'][:16]}` (rule `{_md(sec['rule_id'])}`, severity "
                  f"{sec['severity']}, confidence {sec['confidence']})\n")
        for half in sec.get("parts", []):
            out.write(f"- Same credential as the {_md(half['type'])} `{_md(half['redacted'])}` next to it "
                      f"(`{half['fingerprint'][:16]}`): one plan for both\n")
        if sec.get("file_level"):
            out.write("- A whole credential file: the rewrite removes the file from history by path\n")
        out.write(f"- What it grants: {printable(sec['grants'])}\n- Lifetime: {printable(sec['lifetime'])}\n")
        intro = sec["introduced"]
        if intro:
            out.write(f"- Introduced in commit `{intro['commit'][:12]}` by {_md(intro.get('author', 'unknown'))} "
                      f"on {_md(intro.get('date', 'an unknown date'))} ({_where(intro)})\n")
        else:
            out.write("- Introduced: not known (the report has no git history; use `--history`)\n")
        out.write("\n### Where it is\n\n| commit | path:line | ref | author | date |\n|---|---|---|---|---|\n")
        for o in sec["occurrences"]:
            out.write(f"| {_md(o.get('commit', '')[:12]) or 'working tree'} | {_where(o)} | {_md(o.get('ref', ''))} | "
                      f"{_md(o.get('author', ''))} | {_md(o.get('date', ''))} |\n")
        out.write("\n### Plan\n\n")
        create, replace, revoke, rewrite = sec["steps"]
        out.write(f"1. **Create a new credential.** {printable(create['text'])}"
                  + (f" <{create['url']}>" if create["url"] else "") + "\n")
        out.write(f"2. **Replace the old one everywhere it is used.** {printable(replace['text'])}\n")
        for loc in replace["locations"]:
            advice = f" ({loc['context']}): {printable(loc['advice'])}" if loc.get("advice") else ""
            out.write(f"   - {_where(loc)}{advice}\n")
        out.write(f"3. **Revoke the old one.** {printable(revoke['text'])}\n")
        out.write(f"4. **Rewrite history{'' if rewrite['needed'] else ' (not needed)'}.** {printable(rewrite['text'])}\n")
    rw = plan["history_rewrite"]
    if rw["needed"]:
        out.write("\n## Rewriting history\n\n")
        if not rw["expressions_file"]:
            out.write("First generate the expressions file with `--filter-repo-file PATH` (needs `--history` or "
                      "a report made with `--show-secrets`); it stands for EXPRESSIONS_FILE below.\n\n")
        out.write(f"After every secret above is rotated and revoked, in a fresh clone "
                  f"(`git clone --mirror` keeps every branch and tag):\n\n    {printable(rw['command'])}\n\n"
                  "then put the remote back (filter-repo removes it) and force-push every branch and tag:\n\n"
                  + "".join(f"    {printable(line)}\n" for line in rw["after"])
                  + "\nand delete the expressions file (it holds the secrets).\n\n")
        out.write("Caveats:\n\n")
        for c in rw["caveats"] + rw["manual"]:
            out.write(f"- {printable(c)}\n")
