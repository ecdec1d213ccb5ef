"""Ask GitHub about a leaked token: is it live (GET /user or /installation/repositories); revoke it."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable

from scanner.engine.github import public_prefix
from scanner.finding import redact
from scanner.net.http import Client, NetworkError, RateLimited, Response
from scanner.records import field, record

# Longest first: "github_pat" must win over nothing else, and "ghs" covers both ghs_ forms.
KINDS = ("github_pat", "ghp", "gho", "ghu", "ghs", "ghr")
# Kinds POST /credentials/revoke accepts: github.com since 2026-03-26; GHES 3.19 documents two.
REVOCABLE = frozenset({"ghp", "github_pat", "gho", "ghu", "ghr"})
REVOCABLE_GHES = frozenset({"ghp", "github_pat"})
BATCH_SIZE = 1000
HOURLY_BUDGET = 60
CREDENTIALS_REVOKE = "POST /credentials/revoke"
INSTALLATION_TOKEN = "DELETE /installation/token"


def token_kind(secret: str) -> str | None:
    for kind in KINDS:
        if secret.startswith(kind + "_"):
            return kind
    return None


def now_iso(clock: Callable[[], float] = time.time) -> str:
    return datetime.fromtimestamp(clock(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def scrub(text: str, token: str) -> str:
    """A server message could quote what it was sent; never let it echo the token."""
    return text.replace(token, redact(token, public_prefix(token)))[:200]


def _message(resp: Response, token: str) -> str:
    data = resp.json()
    msg = data.get("message") if isinstance(data, dict) else None
    return f"HTTP {resp.status}" + (f": {scrub(str(msg), token)}" if msg else "")


def verify(client: Client, token: str) -> dict:
    """``details.verification`` for one token: status live, not-live, unknown or unchecked."""
    kind = token_kind(token)
    result: dict = {"status": "unknown", "login": None, "scopes": None, "expires": None,
                    "permissions": None, "checked_at": now_iso(client.clock)}
    if kind == "ghr":
        # A refresh token only works at the OAuth token endpoint, with the app's client secret.
        result.update(status="unchecked", reason="refresh tokens cannot be checked with the REST API")
        return result
    if kind is None:
        result.update(status="unchecked", reason="not a prefixed GitHub token")
        return result
    try:
        if kind == "ghs":
            resp = client.request("GET", "/installation/repositories", token=token)
            if resp.status in (200, 401):
                return _judge(result, resp, token, "/installation/repositories")
        resp = client.request("GET", "/user", token=token)
    except RateLimited as exc:
        result.update(status="rate-limited", reason=scrub(str(exc), token))
        raise StopChecking(result) from None
    except NetworkError as exc:
        result.update(reason=scrub(str(exc), token))
        return result
    if resp.status == 403 and kind == "ghs":
        # "Resource not accessible by integration": the token authenticated, it just is no user.
        result.update(status="live", reason="installation token (HTTP 403 on /user)")
        _headers(result, resp)
        return result
    return _judge(result, resp, token, "/user")


class StopChecking(Exception):
    """Rate limited: carries the result for the token that hit the limit; send no more requests."""

    def __init__(self, result: dict) -> None:
        super().__init__(result.get("reason", "rate limited"))
        self.result = result


def _judge(result: dict, resp: Response, token: str, path: str) -> dict:
    if resp.status == 200:
        data = resp.json()
        result["status"] = "live"
        if isinstance(data, dict) and isinstance(data.get("login"), str):
            result["login"] = data["login"]
        _headers(result, resp)
    elif resp.status == 401:
        result.update(status="not-live", reason="HTTP 401: revoked, expired or never valid")
    else:
        result["reason"] = f"{path}: {_message(resp, token)}"
    return result


def _headers(result: dict, resp: Response) -> None:
    scopes = resp.header("X-OAuth-Scopes")
    if scopes is not None:
        result["scopes"] = [s.strip() for s in scopes.split(",") if s.strip()]
    result["expires"] = resp.header("GitHub-Authentication-Token-Expiration") or None
    result["permissions"] = resp.header("X-Accepted-GitHub-Permissions") or None


@record
class Outcome:
    fingerprint: str
    kind: str
    endpoint: str
    status: str          # accepted | revoked | already-invalid | rejected | failed | not-sent | unsupported
    http_status: int | None = None
    reason: str = ""
    request: int = 0     # which POST /credentials/revoke of this run carried it (0: none)


@record
class Revoker:
    """Sends revocations within GitHub's budget and reports one ``Outcome`` per token."""

    client: Client
    budget: int = HOURLY_BUDGET
    auth_token: str | None = None      # GHES documents the endpoint as authenticated
    outcomes: list[Outcome] = field(default_factory=list)
    stopped: str = ""                  # why the remaining batches were not sent

    def revoke_batches(self, tokens: list[tuple[str, str, str]], report: Callable[[Outcome], None]) -> None:
        """``tokens`` are (token, fingerprint, kind) for POST /credentials/revoke, sent 1000 at a time."""
        batches = [tokens[i:i + BATCH_SIZE] for i in range(0, len(tokens), BATCH_SIZE)]
        sent = 0
        for n, batch in enumerate(batches):
            why = self._cannot_send(sent)
            if why:
                self.stopped = why
                for rest in batches[n:]:
                    for _, fp, kind in rest:
                        report(self.add(Outcome(fp, kind, CREDENTIALS_REVOKE, "not-sent", reason=why)))
                return
            sent += 1
            status, code, reason = self._send_batch([t for t, _, _ in batch])
            for token, fp, kind in batch:
                report(self.add(Outcome(fp, kind, CREDENTIALS_REVOKE, status, code, scrub(reason, token),
                                         request=sent)))

    def _cannot_send(self, sent: int) -> str:
        if self.stopped:
            return self.stopped
        if sent >= self.budget:
            return f"the hourly budget of {self.budget} revocation requests is used up; run again in an hour"
        last = self.client.last
        if sent and last is not None and last.header("x-ratelimit-remaining") == "0":
            reset = last.header("x-ratelimit-reset") or ""
            wait = float(reset) - self.client.clock() if reset.isdigit() else None
            if wait is None or wait > self.client.max_wait:
                when = f" after {now_iso(lambda: float(reset))}" if wait is not None else " later"
                return f"GitHub's rate limit for this endpoint is used up; run again{when}"
            self.client.sleep(max(0.0, wait))
        return ""

    def _send_batch(self, batch: list[str]) -> tuple[str, int | None, str]:
        auth = self.auth_token if self.client.is_ghes else None
        try:
            resp = self.client.request("POST", "/credentials/revoke", token=auth, body={"credentials": batch})
        except RateLimited as exc:
            self.stopped = f"rate limited: {exc}"
            return "not-sent", None, str(exc)
        except NetworkError as exc:
            return "failed", None, str(exc)
        if resp.status == 202:
            return "accepted", 202, ""
        if resp.status == 422:
            return "rejected", 422, "validation failed, or the endpoint has been spammed"
        data = resp.json()
        msg = data.get("message") if isinstance(data, dict) else None
        reason = f"HTTP {resp.status}" + (f": {msg}" if msg else "")
        for token in batch:
            reason = reason.replace(token, redact(token, public_prefix(token)))
        return "failed", resp.status, reason[:200]

    def revoke_installation(self, token: str, fp: str) -> Outcome:
        try:
            resp = self.client.request("DELETE", "/installation/token", token=token)
        except NetworkError as exc:
            return self.add(Outcome(fp, "ghs", INSTALLATION_TOKEN, "failed", reason=scrub(str(exc), token)))
        if resp.status == 204:
            return self.add(Outcome(fp, "ghs", INSTALLATION_TOKEN, "revoked", 204))
        if resp.status == 401:
            return self.add(Outcome(fp, "ghs", INSTALLATION_TOKEN, "already-invalid", 401))
        return self.add(Outcome(fp, "ghs", INSTALLATION_TOKEN, "failed", resp.status, _message(resp, token)))

    def add(self, outcome: Outcome) -> Outcome:
        self.outcomes.append(outcome)
        return outcome
