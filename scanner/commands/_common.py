"""Options and plumbing that several commands share."""
from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterator

from scanner.errors import warn as warn   # re-exported: the commands' one way to warn
from scanner.finding import CONFIDENCE_ORDER, SEVERITY_ORDER

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.policy.threshold import FailPolicy
    from scanner.report import Report

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
STARTED = time.monotonic()   # every command imports this module first: the run's clock for its summary
CONFIDENCES = tuple(CONFIDENCE_ORDER)   # low .. high
SEVERITIES = tuple(SEVERITY_ORDER)      # low .. critical


def add_config_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="configuration file (default: .leakwarden.toml or "
                   "[tool.leakwarden] in pyproject.toml, found from the scanned repository)")
    p.add_argument("--min-confidence", choices=CONFIDENCES,
                   help="report findings at or above this confidence (default: medium)")


def add_report_options(p: argparse.ArgumentParser, fail_default: str | None = None) -> None:
    """What every scanning command takes: configuration, archives, the fail threshold, a baseline
    and the output (format, file, colour, secrets)."""
    add_config_options(p)
    add_archive_option(p)
    add_fail_options(p, *([fail_default] if fail_default else []))
    add_baseline_option(p)
    add_output_options(p)


def add_archive_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-archives", action="store_true",
                   help="do not look inside archives and office documents (zip, jar, whl, tar.gz, docx, ...): "
                        "they are then passed over as binary files (config: scan_archives = false)")


def add_baseline_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", metavar="FILE",
                   help="secrets listed in this baseline do not fail the run (default: the configured one)")


def apply_baseline(args: argparse.Namespace, cfg: Config, report: Report, start: Path | None = None, *,
                   top: Path | None = None) -> None:
    """Drop findings whose secret is in the baseline: --baseline, the configured one, or
    .leakwarden-baseline.json at the top of the repository (used only if it exists); ``top``
    is that top when the caller knows it already."""
    from scanner.policy import baseline

    path, named = baseline.default_path(getattr(args, "baseline", None), cfg, start or Path.cwd(), top=top)
    if not named and not path.is_file():
        return
    bl = baseline.load(path)
    kept = bl.filter(report.findings)
    # Their triage status (true/false positive, used in tests) is what the HTML report shows.
    report.baselined = [(f, bl.entries[f.fingerprint]) for f in report.findings if f in bl]
    report.findings = kept
    if report.baselined:
        report.stats["baselined"] = len(report.baselined)


def add_fail_options(p: argparse.ArgumentParser, default: str = "the --min-confidence level") -> None:
    p.add_argument("--fail-on", choices=CONFIDENCES,
                   help=f"findings at or above this confidence fail the run; the others are shown as "
                        f"warnings (default: {default}, or the config key fail_on)")
    p.add_argument("--fail-on-severity", choices=SEVERITIES,
                   help="only findings at or above this severity fail the run (default: low)")


def fail_policy(cfg: Config, default: FailPolicy | None = None) -> FailPolicy:
    """--fail-on / fail_on beat the command's own default (scan: --min-confidence; hooks: HOOK_DEFAULT)."""
    from scanner.policy.threshold import FailPolicy

    if cfg.fail_on is None and default is not None:
        return FailPolicy(confidence=default.confidence, severity=max(
            default.severity, cfg.fail_on_severity, key=SEVERITIES.index))
    return FailPolicy(confidence=cfg.fail_on or cfg.min_confidence, severity=cfg.fail_on_severity)


def exit_code(report: Report) -> int:
    """1 when a finding blocks (``Report.judge`` decided which do), else 3 when something could
    not be read, else 0."""
    if report.blocking:
        return EXIT_FINDINGS
    return EXIT_INTERNAL if report.errors else EXIT_CLEAN


def add_output_options(p: argparse.ArgumentParser, formats: tuple[str, ...] = ("text", "json", "jsonl", "sarif", "html")) -> None:
    p.add_argument("--format", choices=formats, default="text", help="output format (default: text)")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--show-secrets", action="store_true",
                   help="print secrets in full (never the default; use with care)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the text report: auto (a terminal, unless NO_COLOR is set or TERM=dumb; "
                        "FORCE_COLOR forces it), always or never (default: auto)")
    p.add_argument("--no-color", dest="color", action="store_const", const="never", help="same as --color never")


def load_config(args: argparse.Namespace, start: Path) -> Config:
    from scanner import config

    path = Path(args.config) if getattr(args, "config", None) else config.discover(start)
    cfg = config.load(path)
    if getattr(args, "min_confidence", None):
        cfg.min_confidence = args.min_confidence
    if getattr(args, "fail_on", None):
        cfg.fail_on = args.fail_on
        # A finding that is not reported cannot fail the run: report down to --fail-on.
        if CONFIDENCES.index(args.fail_on) < CONFIDENCES.index(cfg.min_confidence):
            cfg.min_confidence = args.fail_on
    if getattr(args, "fail_on_severity", None):
        cfg.fail_on_severity = args.fail_on_severity
    if getattr(args, "no_archives", False):
        cfg.scan_archives = False
    return cfg


def use_color(args: argparse.Namespace, stream: IO[str]) -> bool:
    """--color always/never win; then NO_COLOR, FORCE_COLOR and TERM=dumb (https://no-color.org,
    https://force-color.org), then whether the report goes to a terminal."""
    choice = getattr(args, "color", "auto")
    if choice != "auto":
        return choice == "always"
    if getattr(args, "output", None) or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0", "false"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


@contextmanager
def output(args: argparse.Namespace) -> Iterator[IO[str]]:
    """stdout, or a buffer written to --output at the end through the one file writer (so a
    device stays a device and a symlink is refused); the target is checked before any work."""
    if getattr(args, "output", None):
        import io

        from scanner.writefile import check_target, write_file

        check_target(args.output)
        buffer = io.StringIO()
        yield buffer
        write_file(args.output, buffer.getvalue().encode("utf-8"))
    else:
        yield sys.stdout


def emit(args: argparse.Namespace, report: Report) -> None:
    render(args, report)
    summarize(report)


def render(args: argparse.Namespace, report: Report) -> None:
    """The report in --format, to stdout or --output (``emit`` without the summary line)."""
    from scanner.report import renderer

    write = renderer(args.format)
    with output(args) as out:
        write(report, out, args.show_secrets, use_color(args, out))


def summarize(report) -> None:
    """The run's one-line summary on stderr, clean runs included (after the report, so a reader of
    stdout alone still gets only the report)."""
    from scanner.report.text import summary_line

    sys.stdout.flush()
    warn(summary_line(report, time.monotonic() - STARTED))


def collect_tokens(args: argparse.Namespace) -> Report:
    """For verify and revoke: the GitHub token findings of a report made with --show-secrets,
    of the PATHs, or of history (--history), with what was skipped or failed."""
    from scanner.engine.factory import build_engine
    from scanner.errors import UsageError
    from scanner.net.tokens import github_tokens, load_report
    from scanner.report import Report

    if args.report:
        if args.paths:
            raise UsageError("give either PATHs or --report, not both")
        return github_tokens(Report(findings=load_report(Path(args.report))))
    paths = args.paths or ["."]
    first = next((p for p in paths if p != "-"), ".")
    cfg = load_config(args, Path(first).resolve() if Path(first).exists() else Path.cwd())
    engine = build_engine(cfg)
    if not args.history:
        from scanner.sources import paths as path_source

        return github_tokens(path_source.scan(engine, cfg, paths))
    if len(paths) != 1:
        raise UsageError("--history takes one repository")
    from scanner.sources import history

    return github_tokens(history.scan(Path(paths[0]), engine, cfg))
