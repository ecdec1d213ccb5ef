"""``leakwarden revoke``: revoke the GitHub tokens a scan found (opt-in network; dry run unless --yes)."""
from __future__ import annotations

import argparse

from scanner.commands._common import EXIT_CLEAN, EXIT_FINDINGS
from scanner.net import add_input_options, add_network_options

DEFAULT_RECORD = ".leakwarden-revocations.jsonl"
_DONE = ("accepted", "revoked", "already-invalid")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "revoke", help="revoke found GitHub tokens through the GitHub API (network; dry run unless --yes)",
        description="Scan PATHs (or read a report made with --show-secrets, or scan history) and revoke "
                    "each distinct GitHub token: ghp_, github_pat_, gho_, ghu_ and ghr_ through "
                    "POST /credentials/revoke (1000 per request, at most 60 requests an hour), ghs_ "
                    "through DELETE /installation/token with the token itself. Without --yes, only "
                    "lists what would be revoked. Revocation cannot be undone.",
        epilog="Exit codes: 0 everything revoked (or a dry run), 1 some token was not revoked, "
               "2 usage error.")
    add_input_options(p)
    add_network_options(p)
    p.add_argument("--yes", action="store_true", help="really revoke (default: a dry run that sends nothing)")
    p.add_argument("--record", metavar="FILE", default=DEFAULT_RECORD,
                   help="append one JSON line per result to FILE, never the token (default: %(default)s)")
    p.add_argument("--auth-token-env", metavar="VAR",
                   help="GitHub Enterprise Server only: authenticate POST /credentials/revoke with the "
                        "token in environment variable VAR (github.com refuses authenticated calls)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    from scanner.errors import UsageError
    from scanner.net import client_from_args
    from scanner.net.github_api import (CREDENTIALS_REVOKE, HOURLY_BUDGET, REVOCABLE, REVOCABLE_GHES, Outcome,
                                        Revoker, token_kind)
    from scanner.net.record import Record
    from scanner.commands._common import collect_tokens
    from scanner.net.tokens import by_fingerprint

    client = client_from_args(args)
    auth = None
    if args.auth_token_env:
        if not client.is_ghes:
            raise UsageError("--auth-token-env is for GitHub Enterprise Server (an --api-url ending in "
                             "/api/v3): github.com answers authenticated revocation requests with 403")
        auth = os.environ.get(args.auth_token_env)
        if not auth:
            raise UsageError(f"environment variable {args.auth_token_env} is empty or not set")
    revocable = REVOCABLE_GHES if client.is_ghes else REVOCABLE
    report = collect_tokens(args)
    for path, what in report.errors:
        _say(f"error: {path}: {what}")
    tokens = by_fingerprint(report.findings)
    batch, installation, unsupported = [], [], []
    for fp, findings in tokens.items():
        kind = token_kind(findings[0].secret) or ""
        if kind == "ghs":
            installation.append((fp, findings))
        elif kind in revocable:
            batch.append((fp, findings))
        else:
            unsupported.append((fp, findings))

    if not tokens:
        _say("no GitHub tokens found")
        return EXIT_CLEAN
    if not args.yes:
        return _dry_run(client.api_url, batch, installation, unsupported)

    record = Record(args.record, client.api_url)
    revoker = Revoker(client, budget=max(0, HOURLY_BUDGET - record.recent_requests(CREDENTIALS_REVOKE)),
                      auth_token=auth)
    if client.is_ghes and auth is None and batch:
        _say("note: GitHub Enterprise Server documents POST /credentials/revoke as authenticated; "
             "use --auth-token-env if it answers 401 or 403")

    def report_one(o: Outcome) -> None:
        record.write(o, tokens[o.fingerprint][0].redacted)
        _say(_line(o, tokens[o.fingerprint]))

    with record:
        revoker.revoke_batches([(fs[0].secret, fp, token_kind(fs[0].secret) or "") for fp, fs in batch],
                               report_one)
        for fp, findings in installation:
            report_one(revoker.revoke_installation(findings[0].secret, fp))
        for fp, findings in unsupported:
            why = ("this API's revocation endpoint accepts only ghp_ and github_pat_ tokens"
                   if token_kind(findings[0].secret) in REVOCABLE else "no revocation endpoint for this token type")
            report_one(revoker.add(Outcome(fp, token_kind(findings[0].secret) or "", "", "unsupported",
                                            reason=why)))
    done = sum(1 for o in revoker.outcomes if o.status in _DONE)
    _say(f"{done} of {len(tokens)} token(s) revoked or already invalid; results appended to {args.record}")
    if revoker.stopped:
        left = sum(1 for o in revoker.outcomes if o.status == "not-sent")
        _say(f"stopped: {revoker.stopped}; {left} token(s) left to revoke")
    return EXIT_CLEAN if done == len(tokens) else EXIT_FINDINGS


def _dry_run(api_url: str, batch: list, installation: list, unsupported: list) -> int:
    from scanner.net.github_api import BATCH_SIZE

    _say(f"dry run: nothing sent. `--yes` would revoke these tokens at {api_url}:")
    for fp, findings in batch:
        _say(f"  would revoke {_who(fp, findings)} via POST /credentials/revoke")
    for fp, findings in installation:
        _say(f"  would revoke {_who(fp, findings)} via DELETE /installation/token (authenticated as itself)")
    for fp, findings in unsupported:
        _say(f"  cannot revoke {_who(fp, findings)}: this API has no revocation endpoint for it")
    if batch:
        requests = -(-len(batch) // BATCH_SIZE)
        _say(f"{len(batch)} token(s) in {requests} POST /credentials/revoke request(s) "
             f"(GitHub allows 60 an hour), {len(installation)} DELETE /installation/token request(s)")
    return EXIT_CLEAN


def _who(fp: str, findings: list) -> str:
    f = findings[0]
    more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
    return f"{f.redacted} [{fp[:16]}] {f.type} at {f.location()}{more}"


def _line(o, findings: list) -> str:
    code = f" HTTP {o.http_status}" if o.http_status else ""
    reason = f": {o.reason}" if o.reason else ""
    via = f" via {o.endpoint}" if o.endpoint else ""
    return f"  {o.status}{code}: {_who(o.fingerprint, findings)}{via}{reason}"


def _say(text: str) -> None:
    from scanner.engine.text import printable

    print(printable(text), flush=True)
