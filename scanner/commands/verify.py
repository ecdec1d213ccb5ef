"""``leakwarden verify``: ask GitHub whether the tokens a scan found are still live (opt-in network)."""
from __future__ import annotations

import argparse
import sys

from scanner.commands._common import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERNAL, add_output_options, emit
from scanner.net import add_input_options, add_network_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify", help="check with the GitHub API whether found GitHub tokens are live (network)",
        description="Scan PATHs (or read a report made with --show-secrets, or scan history) and ask the "
                    "GitHub API whether each distinct GitHub token is live: GET /user, and "
                    "GET /installation/repositories for ghs_ tokens. Each token is sent only to --api-url.",
        epilog="Exit codes: 0 no live token, 1 a live token, 2 usage error, 3 a check could not be completed.")
    add_input_options(p)
    add_network_options(p)
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scanner.commands._common import warn
    from scanner.net import client_from_args
    from scanner.net.github_api import StopChecking, verify
    from scanner.commands._common import collect_tokens
    from scanner.net.tokens import by_fingerprint

    client = client_from_args(args)
    report = collect_tokens(args)
    report.tool_command = "verify"
    tokens = by_fingerprint(report.findings)
    counts: dict[str, int] = {}
    results: dict[str, dict] = {}   # by fingerprint
    stopped = ""
    for fp, findings in tokens.items():
        if stopped:
            result = {"status": "unknown", "reason": f"not checked: {stopped}"}
        else:
            try:
                result = verify(client, findings[0].secret)
            except StopChecking as stop:
                result, stopped = stop.result, stop.result.get("reason", "rate limited")
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        results[fp] = result
    report.findings = [f.annotated(verification=results[f.fingerprint]) for f in report.findings]
    emit(args, report)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none found"
    sys.stderr.write(f"leakwarden: {len(tokens)} distinct GitHub token(s) checked against {client.api_url}: "
                     f"{summary}\n")
    if stopped:
        warn(f"stopped checking: {stopped}")
    if counts.get("live"):
        return EXIT_FINDINGS
    if counts.get("unknown") or counts.get("rate-limited") or report.errors:
        return EXIT_INTERNAL
    return EXIT_CLEAN
