"""``leakwarden`` command line: argparse, one module per command, exit codes 0/1/2/3."""
from __future__ import annotations

import argparse
import importlib
import sys

from scanner import __version__

# Command modules, in the order ``--help`` lists them. Each has register(subparsers).
COMMANDS = ("scan", "rules", "staged", "pre_push", "pre_receive", "history", "install", "install_server",
            "baseline", "remediate", "verify", "revoke")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leakwarden",
        description="Find GitHub credentials, private keys and other secrets before they enter git history.",
        epilog="Exit codes: 0 nothing found, 1 findings at or above the threshold, "
               "2 usage or configuration error, 3 internal error.")
    parser.add_argument("--version", action="version", version=f"leakwarden {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"scanner.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"scanner.commands.{name}":
                continue  # not built yet in this checkout
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from scanner.commands._common import EXIT_INTERNAL, EXIT_USAGE, warn
    from scanner.errors import ConfigError, UsageError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except (ConfigError, UsageError) as exc:
        warn(f"error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        warn("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - the last line of defence maps to exit 3
        # The type and message only: a traceback could carry scanned content.
        warn(f"internal error: {type(exc).__name__}: {exc}")
        return EXIT_INTERNAL
