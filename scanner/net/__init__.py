"""Opt-in network features (``verify``, ``revoke``): nothing here runs unless a user asks for it.

This module is imported when the command line is built, so it holds only argparse helpers;
the client and the GitHub calls are in submodules imported by the commands' ``run``.
"""
from __future__ import annotations

import argparse

DEFAULT_API_URL = "https://api.github.com"


def add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or directories to scan for tokens (default: .); with --history, the repository")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--report", metavar="FILE",
                     help="take tokens from a JSON or JSON-lines report written with --show-secrets")
    src.add_argument("--history", action="store_true", help="take tokens from the whole git history of PATH")
    p.add_argument("--config", metavar="FILE", help="configuration file (default: discovered from PATH)")


def add_network_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--api-url", default=DEFAULT_API_URL, metavar="URL",
                   help="GitHub REST API root (default: %(default)s; GitHub Enterprise Server: https://HOST/api/v3)")
    p.add_argument("--timeout", type=_positive, default=10.0, metavar="SECONDS",
                   help="timeout of each request (default: %(default)s)")
    p.add_argument("--retries", type=int, default=3, metavar="N",
                   help="retries after a 5xx, a network error or a short rate-limit wait (default: %(default)s)")
    p.add_argument("--backoff", type=_non_negative, default=1.0, metavar="SECONDS",
                   help="first retry delay, doubled on each retry (default: %(default)s)")
    p.add_argument("--max-wait", type=_non_negative, default=60.0, metavar="SECONDS",
                   help="longest wait GitHub may ask for before leakwarden stops instead (default: %(default)s)")


def _positive(value: str) -> float:
    number = _non_negative(value)
    if number == 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return number


def _non_negative(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number < 0 or number != number:
        raise argparse.ArgumentTypeError("must not be negative")
    return number


def client_from_args(args: argparse.Namespace):
    from urllib.parse import urlsplit

    from scanner.errors import UsageError, warn
    from scanner.net.http import Client

    parts = urlsplit(args.api_url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise UsageError(f"--api-url must be an http(s) URL such as https://HOST/api/v3, got {args.api_url!r}")
    if parts.username or parts.password:
        raise UsageError("--api-url must not contain a user name or password")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        warn(f"warning: {args.api_url} is plain http: tokens will cross the network unencrypted")
    if args.retries < 0:
        raise UsageError("--retries must not be negative")
    return Client(args.api_url, timeout=args.timeout, retries=args.retries, backoff=args.backoff,
                  max_wait=args.max_wait)
