"""What the client-side hook commands (staged, pre-push) share: policy, report, advice."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from typing import TYPE_CHECKING

from scanner.commands._common import (EXIT_FINDINGS, add_report_options, apply_baseline, exit_code, fail_policy,
                                      load_config, render, summarize)

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.engine.core import Engine
    from scanner.policy.threshold import FailPolicy
    from scanner.report import Report

ADVICE = {
    "commit": """\
leakwarden: this commit was stopped because it adds the secret(s) above.
  - Remove the secret from the file, and rotate it if it was real.
  - Or unstage the file:     git restore --staged -- <path>
  - A false positive:        put 'leakwarden:allow' in a comment on that line,
                             or record it in a baseline (see docs/hooks.md)
""",
    "push": """\
leakwarden: this push was stopped because the commits above add secret(s).
  - Remove the secret and rewrite the commits that added it (git commit --amend for the
    last one, git rebase -i for older ones), and rotate it if it was real.
  - A false positive:        put 'leakwarden:allow' in a comment on that line,
                             or record it in a baseline (see docs/hooks.md)
""",
}


def add_hook_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", metavar="PATH", default=".", help="the repository (default: the current directory)")
    add_report_options(p, fail_default="high: checksum-valid GitHub tokens, plausible private keys, "
                                        "high-confidence provider tokens")


def setup(args: argparse.Namespace) -> tuple[Config, Engine, FailPolicy]:
    """(config, engine, policy) for a hook run."""
    from scanner.engine.factory import build_engine
    from scanner.policy.threshold import HOOK_DEFAULT

    from scanner.cli import resume_gc

    cfg = load_config(args, Path(args.repo).resolve())
    engine = build_engine(cfg)
    resume_gc()
    return cfg, engine, fail_policy(cfg, HOOK_DEFAULT)


def finish(args: argparse.Namespace, cfg: Config, policy: FailPolicy, report: Report, *, what: str,
           top: Path | None = None) -> int:
    """Baseline, policy, output; ``what`` is 'commit' or 'push'. Skips are always shown.
    ``top``: the top of the repository's work tree, when the command knows it already."""
    apply_baseline(args, cfg, report, Path(args.repo).resolve(), top=top)
    report.judge(policy)
    if report.findings or report.errors or report.skipped or args.format != "text":
        render(args, report)
    code = exit_code(report)
    if code == EXIT_FINDINGS:
        sys.stdout.flush()  # the report first, then the advice, then the run's summary line
        sys.stderr.write(ADVICE[what])
    summarize(report)
    return code
