"""``leakwarden pre-receive``: the server hook. Rejects a whole push that brings a secret.

Everything printed goes to stderr, which git forwards to the pusher prefixed with ``remote:``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from scanner.commands._common import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERNAL


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pre-receive", help="server hook: reject pushes that bring secrets",
                       description="Server-side git hook. Reads '<old> <new> <ref>' lines on stdin, scans only "
                                   "the objects that are new to the server (blobs, commit and tag messages) and "
                                   "rejects the whole push when a secret is found. The policy (time budget, "
                                   "fail-closed or open, bypass, audit log) comes from git config leakwarden.*; "
                                   "see docs/server.md.",
                       epilog="Exit codes: 0 push accepted, 1 secrets found or a refs/replace/* update refused, "
                              "2 configuration or push-option error, 3 scan not finished (time budget, "
                              "interrupted or internal error) and policy rejects.")
    p.add_argument("--config", metavar="FILE",
                   help="server configuration file ([server] table and scan settings); default: the file "
                        "git config leakwarden.config names")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="also say what was scanned: objects, commits, blobs, tags, time")
    p.set_defaults(func=run)


def say(line: str = "") -> None:
    from scanner.engine.text import printable

    sys.stderr.write(printable(line) + "\n")


class _Push:
    """Who pushed what, for messages and the audit log."""

    def __init__(self, policy, updates) -> None:
        from scanner.policy import server

        self.policy, self.updates = policy, updates
        self.user = server.pusher(policy)
        self.via = os.environ.get("GITHUB_VIA", "")
        self._git_dir = None

    @property
    def git_dir(self):
        from scanner import git

        if self._git_dir is None:
            self._git_dir = git.git_dir()
        return self._git_dir

    def log(self, decision: str, findings=(), reason: str = "", message: str = "", bypass_refused: str = "") -> bool:
        """Append to the audit log; False (with a warning) when it cannot be written."""
        from pathlib import Path

        from scanner.policy import audit_log, server

        try:
            path = Path(self.policy.audit_log or server.DEFAULT_AUDIT_LOG).expanduser()
            if not path.is_absolute():
                path = self.git_dir / path
            refs = [{"ref": u.ref, "old": u.old, "new": u.new} for u in self.updates]
            audit_log.append(path, audit_log.record(
                decision=decision, repository=server.repository(self.git_dir), pusher=self.user.name,
                pusher_source=self.user.source, refs=refs, findings=list(findings), reason=reason, via=self.via,
                message=message, bypass_refused=bypass_refused))
            return True
        except Exception as exc:  # noqa: BLE001 - a log failure must not hide the decision
            say(f"leakwarden: warning: cannot write the audit log: {exc}")
            return False


def run(args: argparse.Namespace) -> int:
    from scanner.policy import server

    server.catch_interrupts()
    # Every git call reads the objects that were pushed, never a replacement that a
    # refs/replace/* ref (allowed by leakwarden.allowReplaceRefs) puts in their place: git.py
    # runs every git child with GIT_NO_REPLACE_OBJECTS and no graft file.
    state = _State()
    try:
        return _run(args, state)
    except server.Interrupted as exc:
        # Fail closed whatever onError says: nobody knows what an interrupted scan missed.
        why = f"the scan was interrupted ({exc}) before it finished"
        say(f"leakwarden: push rejected: {why}")
        if state.push is not None:
            state.push.log("reject-interrupted", message=why)
        return EXIT_INTERNAL


class _State:
    """What ``run`` knows when a signal interrupts it: the push, once it has been read."""
    push: _Push | None = None


def _run(args: argparse.Namespace, state: _State) -> int:
    from scanner import git
    from scanner.errors import ConfigError, UsageError
    from scanner.policy import server
    from scanner.report import Report
    from scanner.sources import incoming
    from scanner.sources.refs import parse_pre_receive

    started = time.monotonic()
    try:
        policy, cfg = server.load(config_file=args.config)
    except (ConfigError, git.GitError) as exc:
        raise _config_error(exc) from exc
    verbose = args.verbose or policy.verbose
    push = state.push = _Push(policy, [])
    try:
        updates = push.updates = parse_pre_receive(sys.stdin.buffer.read())
    except UsageError as exc:
        raise UsageError(f"push rejected: {exc}") from exc
    try:
        bypass_reason = server.requested_bypass(server.push_options())
    except server.BypassError as exc:
        push.log("reject-bypass", bypass_refused=exc.why)
        raise UsageError(f"push rejected: {exc}") from exc
    replacing = server.replace_ref_updates(policy, [u.ref for u in updates if not u.deleted])
    if replacing:
        say(f"leakwarden: push rejected: it creates or moves {', '.join(replacing)}")
        say("Replacement refs make git read one object in place of another, so they could hide a secret; "
            "this server does not accept them (leakwarden.allowReplaceRefs=false).")
        push.log("reject-replace-ref", message="refs/replace/* not allowed")
        return EXIT_FINDINGS
    if all(u.deleted for u in updates):
        if verbose:
            say("leakwarden: 0 objects scanned (nothing but deletions)")
        return EXIT_CLEAN
    result = Report(tool_command="pre-receive")
    budget = server.Budget(policy.time_budget)
    out_of_time = f"the time budget of {policy.time_budget:g} s ran out before the scan finished"
    try:
        with budget:
            from scanner.engine.factory import build_engine

            engine = build_engine(cfg)
            incoming.scan(updates, engine, cfg, check_time=budget.check, report=result)
    except server.BudgetExceeded:
        return _unfinished(push, "timeout", out_of_time, result, cfg, bypass_reason)
    except ConfigError as exc:
        raise _config_error(exc) from exc
    except Exception as exc:  # noqa: BLE001 - corrupt or missing objects, git failing: the policy decides
        if budget.rang:
            # The timer went off inside code that wraps what it raises (a class being built
            # during a lazy import turns it into a RuntimeError): still the budget, not an error.
            return _unfinished(push, "timeout", out_of_time, result, cfg, bypass_reason)
        return _unfinished(push, "error", f"the push could not be scanned: {exc}", result, cfg, bypass_reason)
    # Every push hears what was scanned, a clean one too; verbose adds the breakdown.
    ms = (time.monotonic() - started) * 1000
    n = result.stats
    if verbose:
        quarantine = "yes" if os.environ.get("GIT_QUARANTINE_PATH") else "no"
        say(f"leakwarden: {n['objects']} objects scanned ({n['commits']} commits, {n['blobs']} blobs, "
            f"{n['tags']} tags) for {len(updates)} refs in {ms:.0f} ms, {n['bytes'] / 1e6:.1f} MB; quarantine: {quarantine}"
            + (f"; via: {push.via}" if push.via else ""))
    else:
        say(f"leakwarden: {n['objects']} objects scanned, {n['bytes'] / 1e6:.1f} MB in {ms:.0f} ms")
    for what, why in result.skipped:   # never silent: the pusher sees what was not scanned
        say(f"leakwarden: skipped {what}: {why}")
    if result.partial:   # an archive's limits, a file's time budget: fail closed like an error
        why = f"{', '.join(what for what, _ in result.partial)} could not be fully scanned (see above)"
        return _unfinished(push, "incomplete", why, result, cfg, bypass_reason)
    return _decide(push, result, cfg, bypass_reason)


def _config_error(exc: Exception) -> Exception:
    """Exit 2 by way of ``cli.main``, with words the pusher can pass on to the administrator."""
    from scanner.errors import ConfigError

    return ConfigError(f"server configuration error: {exc}; push rejected until the server's "
                       "configuration is fixed")


def _decide(push: _Push, result, cfg, bypass_reason: str | None) -> int:
    from scanner.commands._common import apply_baseline, fail_policy
    from scanner.policy import server
    from scanner.policy.threshold import HOOK_DEFAULT

    apply_baseline(argparse.Namespace(), cfg, result)
    result.judge(fail_policy(cfg, HOOK_DEFAULT))
    blocking = result.blocking
    warnings = [f for f in result.findings if f.fingerprint in result.warned]
    limit = push.policy.max_findings
    if warnings:
        say(f"leakwarden: {len(warnings)} possible secret{'s' if len(warnings) != 1 else ''} "
            "(not blocking; check them):")
        _list(warnings, limit)
    if not blocking:
        return EXIT_CLEAN
    allowed, denied = server.may_bypass(push.policy, push.user)
    if bypass_reason and allowed:
        if push.log("bypass", blocking, reason=bypass_reason):
            say(f"leakwarden: {len(blocking)} secret{'s' if len(blocking) != 1 else ''} let through: bypass "
                f"'{bypass_reason}' by {push.user.shown}, recorded in the audit log")
            _list(blocking, limit)
            return EXIT_CLEAN
        denied = "a bypass must be recorded, and the audit log cannot be written"
    n = len(blocking)
    say(f"leakwarden: push rejected: {n} secret{'s' if n != 1 else ''} in the pushed "
        f"{'commits' if result.commits else 'objects'}")
    say()
    _list(blocking, limit)
    say()
    _how_to_fix(push, result, blocking)
    if bypass_reason:
        say(f"Bypass '{bypass_reason}' refused: {denied}.")
    elif allowed:
        say("If it is not a real secret, or must be pushed anyway (recorded in the audit log):")
        say(f"  git push -o {server.BYPASS_OPTION}=REASON ...   REASON: {' | '.join(server.BYPASS_REASONS)}")
    push.log("reject", blocking, reason=bypass_reason or "", bypass_refused=denied if bypass_reason else "")
    return EXIT_FINDINGS


def _list(findings, limit: int) -> None:
    for f in findings[:limit]:
        say(f"  {f.type} ({f.rule_id})")
        if f.commit:
            say(f"    commit: {f.commit[:12]}")
        say(f"    path:   {f.path}:{f.line}")
        say(f"    secret: {f.redacted}")
    if len(findings) > limit:
        say(f"  ... and {len(findings) - limit} more not shown (leakwarden.maxFindings={limit})")


def _how_to_fix(push: _Push, result, blocking) -> None:
    tips = {u.new for u in push.updates if not u.deleted}
    in_commits = [c for c in result.commits if any(f.commit == c for f in blocking)]
    say("Remove the secret from your commits, then push again:")
    if in_commits and all(c in tips for c in in_commits):
        say("  - it is in the last commit: delete it from the file, `git add` it, then `git commit --amend`")
    elif in_commits:
        first = in_commits[0]
        start = "--root" if first in result.roots else f"{first[:12]}~1"
        say(f"  - since commit {first[:12]}: `git rebase -i {start}`, mark that commit `edit`, delete the secret, "
            "`git commit --amend`, `git rebase --continue`")
    say("  - in many or older commits: `git filter-repo --replace-text FILE` (FILE lines: SECRET==>REMOVED)")
    if any(f.commit and f.commit not in result.commits for f in blocking):
        say("  - in a tag message: recreate the tag without it (`git tag -f -a NAME COMMIT`)")
    say("A secret that was ever pushed or shared must be revoked or rotated as well.")


def _unfinished(push: _Push, kind: str, why: str, result, cfg, bypass_reason: str | None) -> int:
    """The scan did not finish (time budget or an error) or scanned something only in part (an
    archive's limits, a file's time budget): the server's policy decides."""
    action = push.policy.on_timeout if kind == "timeout" else push.policy.on_error
    key = "leakwarden.onTimeout" if kind == "timeout" else "leakwarden.onError"
    if action == "accept":
        say(f"leakwarden: warning: {why}; push accepted without a complete scan ({key}=accept)")
        push.log(f"accept-{kind}", message=why)
        # Fail-open covers what was not scanned, never a secret already found.
        return _decide(push, result, cfg, bypass_reason) if result.findings else EXIT_CLEAN
    if kind == "incomplete" and result.findings:
        # The secrets found are what the pusher can fix first: they are listed (and decide alone
        # if they block), then the incomplete scan rejects what is left.
        decided = _decide(push, result, cfg, bypass_reason)
        if decided != EXIT_CLEAN:
            return decided
    say(f"leakwarden: push rejected: {why} ({key}=reject)")
    if kind == "timeout":
        say("Push fewer commits at a time, or ask the administrator to raise leakwarden.timeBudget.")
    elif kind == "incomplete":
        say("Remove the file or make it smaller, or ask the administrator to raise the limit it hit "
            "(file_time_budget; for archives archive_max_bytes, archive_max_ratio, archive_max_members, "
            "archive_max_depth: see docs/archives.md).")
    else:
        say("Ask the server's administrator to check the repository (git fsck).")
    push.log(f"reject-{kind}", message=why)
    return EXIT_INTERNAL
