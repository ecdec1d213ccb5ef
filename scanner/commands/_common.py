"""Options and plumbing that several commands share."""
from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
CONFIDENCES = ("low", "medium", "high")


def add_config_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="configuration file (default: .leakwarden.toml or "
                   "[tool.leakwarden] in pyproject.toml, found from the scanned repository)")
    p.add_argument("--min-confidence", choices=CONFIDENCES,
                   help="report findings at or above this confidence (default: medium)")


def add_baseline_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", metavar="FILE",
                   help="secrets listed in this baseline do not fail the run (default: the configured one)")


def apply_baseline(args: argparse.Namespace, cfg, report) -> None:
    """Drop findings whose secret is in the baseline named by --baseline or the configuration."""
    path = getattr(args, "baseline", None) or cfg.baseline
    if not path:
        return
    from scanner.policy import baseline

    if cfg.path is not None and not getattr(args, "baseline", None):
        path = str(cfg.path.parent / path)
    report.findings = baseline.load(Path(path)).filter(report.findings)


def add_output_options(p: argparse.ArgumentParser, formats: tuple[str, ...] = ("text", "json", "jsonl", "sarif")) -> None:
    p.add_argument("--format", choices=formats, default="text", help="output format (default: text)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--show-secrets", action="store_true",
                   help="print secrets in full (never the default; use with care)")
    p.add_argument("--no-color", action="store_true", help="no colour even on a terminal")


def load_config(args: argparse.Namespace, start: Path):
    from scanner import config

    path = Path(args.config) if getattr(args, "config", None) else config.discover(start)
    cfg = config.load(path)
    if getattr(args, "min_confidence", None):
        cfg.min_confidence = args.min_confidence
    return cfg


def use_color(args: argparse.Namespace, stream: IO[str]) -> bool:
    if getattr(args, "no_color", False) or os.environ.get("NO_COLOR") or getattr(args, "output", None):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


@contextmanager
def output(args: argparse.Namespace) -> Iterator[IO[str]]:
    if getattr(args, "output", None):
        with open(args.output, "w", encoding="utf-8") as fh:
            yield fh
    else:
        yield sys.stdout


def emit(args: argparse.Namespace, report) -> None:
    from scanner.report import renderer

    render = renderer(args.format)
    with output(args) as out:
        render(report, out, args.show_secrets, use_color(args, out))


def warn(message: str) -> None:
    from scanner.engine.text import printable

    sys.stderr.write(f"leakwarden: {printable(message)}\n")
