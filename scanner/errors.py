"""Errors that map to exit codes (2: usage or configuration), and warnings on stderr."""
import sys


class ConfigError(Exception):
    """Bad configuration or rules; the message names the file, line and key."""


class UsageError(Exception):
    """The command line asks for something impossible."""


def warn(message: str) -> None:
    """One line on stderr, with control characters made visible (a path can hold any byte)."""
    from scanner.engine.text import printable

    sys.stderr.write(f"leakwarden: {printable(message)}\n")
