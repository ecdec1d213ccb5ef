"""``leakwarden`` command line: argparse, one module per command, exit codes 0/1/2/3."""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import signal
import sys

from scanner import __version__

EXIT_INTERRUPTED = 130   # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C

# Command name -> module, in the order ``--help`` lists them. Each module has register(subparsers).
COMMANDS = {
    "scan": "scan", "rules": "rules", "staged": "staged", "pre-push": "pre_push",
    "pre-receive": "pre_receive", "history": "history", "install": "install", "baseline": "baseline",
    "remediate": "remediate", "verify": "verify", "revoke": "revoke", "init": "init",
    "completion": "completion", "org-audit": "org_audit",
}
# Commands whose run is mostly start-up: the cyclic garbage collector is paused while they start
# (imports, parser, configuration, rules, engine), until the command calls ``resume_gc`` once
# its engine is built, or ``main`` ends. Start-up makes tens of thousands of objects that live for the whole run and
# no garbage cycles, and the collector's passes over them were ~5 ms of a ~100 ms commit hook.
PAUSE_GC = ("staged", "pre-push", "scan")
_gc_paused = False


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, with the terminal's width read without shutil: argparse makes a
    formatter for every option it adds (to check its metavar), and its own reads the width
    through shutil, whose import (with bz2 and lzma) is 2 ms of every commit hook."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


def _columns() -> int:
    """``shutil.get_terminal_size().columns``: $COLUMNS, else the terminal on stdout, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns   # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _Parser(argparse.ArgumentParser):
    """Every parser of the command line, subcommands' included (argparse makes those of the
    parser's own class), lays out help with ``_Formatter`` unless told otherwise."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


def _command_word(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """Only the chosen command's module is imported: a commit hook pays for one command, not twelve."""
    parser = _Parser(
        prog="leakwarden",
        description="Find GitHub credentials, private keys and other secrets before they enter git history.",
        epilog="Exit codes: 0 nothing found, 1 findings at or above the threshold, "
               "2 usage or configuration error (a closed stdin included), 3 internal error or unreadable "
               "input, 130 interrupted (SIGINT).")
    parser.add_argument("--version", action="version", version=f"leakwarden {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _command_word(argv or [])
    names = [chosen] if chosen in COMMANDS else list(COMMANDS)
    for name in names:
        importlib.import_module(f"scanner.commands.{COMMANDS[name]}").register(sub)
    return parser


def _unknown_command(argv: list[str]) -> str:
    """'unknown command' with the nearest known one, before argparse's long usage message."""
    chosen = _command_word(argv)
    if chosen is None or chosen in COMMANDS:
        return ""
    import difflib

    near = difflib.get_close_matches(chosen, list(COMMANDS), n=1)
    hint = f"; did you mean '{near[0]}'?" if near else f"; commands: {', '.join(COMMANDS)}"
    return f"error: unknown command '{chosen}'{hint}"


class ClosedStdin:
    """Stands in for ``sys.stdin`` when file descriptor 0 is closed (Python then sets it to
    None): a command that reads it gets a clear usage error, never an empty input taken for
    "nothing to scan" (a pre-push hook would pass every push)."""

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str):
        from scanner.errors import UsageError

        raise UsageError("stdin is closed: this command reads its input from stdin")


def resume_gc() -> None:
    """A short command's start-up is over (see ``PAUSE_GC``): what it made is moved out of the
    collector's sight (``gc.freeze``: it lives as long as the run, and the first pass would
    otherwise walk all of it) and the collector runs again. A no-op when ``main`` did not pause it."""
    global _gc_paused
    if _gc_paused:
        _gc_paused = False
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    global _gc_paused
    argv = sys.argv[1:] if argv is None else argv
    if gc.isenabled() and _command_word(argv) in PAUSE_GC:
        gc.disable()
        _gc_paused = True
    try:
        return _main(argv)
    finally:
        resume_gc()


def _main(argv: list[str]) -> int:
    from scanner.commands._common import EXIT_INTERNAL, EXIT_USAGE, warn
    from scanner.errors import ConfigError, UsageError

    if sys.stdin is None:
        sys.stdin = ClosedStdin()
    unknown = _unknown_command(argv)
    if unknown:
        warn(unknown)
        return EXIT_USAGE
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code = int(args.func(args))
        sys.stdout.flush()   # inside the try: a reader that went away is seen here, not at exit
        return code
    except (ConfigError, UsageError) as exc:
        warn(f"error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        warn("interrupted (SIGINT): the run did not finish and nothing was reported")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader stopped (`leakwarden history | head -1`): not an error of ours. Quiet, and
        # the status a process killed by SIGPIPE has, as other filters do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except Exception as exc:  # noqa: BLE001 - the last line of defence maps to exit 3
        # The type and message only: a traceback could carry scanned content.
        warn(f"internal error: {type(exc).__name__}: {exc}")
        return EXIT_INTERNAL
