"""A small GitHub REST client on urllib: proxies from the environment, timeouts, retries with backoff.

Tokens travel only in the ``Authorization`` header or a JSON body, never in a URL, and no
error message built here includes a header or a body, so an exception cannot carry a token.
"""
from __future__ import annotations

import email.message
import email.utils
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable

from scanner import __version__
from scanner.net import DEFAULT_API_URL
from scanner.records import record

API_VERSION = "2022-11-28"


class NetworkError(Exception):
    """A request could not be completed; the message names the method, path and reason only."""


class RateLimited(NetworkError):
    """GitHub asked us to wait longer than we are willing to."""

    def __init__(self, message: str, reset_at: float | None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


@record
class Response:
    status: int
    headers: email.message.Message   # case-insensitive .get()
    body: bytes

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else str(value).strip()

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib copies the Authorization header to wherever a redirect points, which could
    # hand a token to another host. GitHub's API does not redirect the calls we make, so a
    # redirect is answered as the 3xx response it is.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


class Client:
    def __init__(self, api_url: str = DEFAULT_API_URL, *, timeout: float = 10.0, retries: int = 3,
                 backoff: float = 1.0, max_wait: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self.max_wait = max(0.0, max_wait)
        self.sleep = sleep
        self.clock = clock
        self.last: Response | None = None
        # build_opener adds ProxyHandler(), which reads HTTP(S)_PROXY and NO_PROXY.
        self._opener = urllib.request.build_opener(_NoRedirect)

    @property
    def is_ghes(self) -> bool:
        # GitHub Enterprise Server serves REST at /api/v3; github.com and GHE.com
        # (api.SUBDOMAIN.ghe.com) at the root, with github.com's rules for revocation.
        return urllib.parse.urlsplit(self.api_url).path.rstrip("/").lower().endswith("/api/v3")

    def request(self, method: str, path: str, *, token: str | None = None, body: Any = None) -> Response:
        """Send one API call, retrying 5xx, network failures and short rate-limit waits.

        Returns the final response whatever its status (a 5xx after the last retry included);
        raises ``RateLimited`` when GitHub asks for a longer wait than ``max_wait``, and
        ``NetworkError`` when no response arrived at all.
        """
        headers = {"User-Agent": f"leakwarden/{__version__}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": API_VERSION}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        where = f"{method} {path}"
        failure = ""
        resp: Response | None = None
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(self.api_url + path, data=data, headers=headers, method=method)
            try:
                with self._opener.open(req, timeout=self.timeout) as r:
                    resp = Response(r.status, r.headers, r.read())
            except urllib.error.HTTPError as exc:
                resp = Response(exc.code, exc.headers, _read_quietly(exc))
                exc.close()
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                resp, failure = None, _describe(exc)
            del req
            self.last = resp
            wait = self._wait_before_retry(resp, attempt, where)
            if wait is None:
                return resp  # type: ignore[return-value]
            if attempt < self.retries:
                self.sleep(wait)
        if resp is None:
            raise NetworkError(f"{where}: {failure} (after {self.retries + 1} attempts)")
        if _is_rate_limited(resp):
            raise RateLimited(f"{where}: rate limited (HTTP {resp.status}) after {self.retries + 1} attempts",
                              _reset_at(resp))
        return resp

    def _wait_before_retry(self, resp: Response | None, attempt: int, where: str) -> float | None:
        if resp is None or resp.status >= 500:
            return min(self.backoff * 2 ** attempt, self.max_wait)
        if not _is_rate_limited(resp):
            return None
        retry_after = _retry_after(resp, self.clock())
        reset = _reset_at(resp)
        if retry_after is not None:
            wait = retry_after
        elif resp.header("x-ratelimit-remaining") == "0" and reset is not None:
            wait = max(0.0, reset - self.clock())
        else:
            wait = self.backoff * 2 ** attempt
        if wait > self.max_wait:
            raise RateLimited(f"{where}: rate limited (HTTP {resp.status}); GitHub asks to wait {wait:.0f}s, "
                              f"more than --max-wait {self.max_wait:.0f}s", reset)
        return wait


def _is_rate_limited(resp: Response) -> bool:
    if resp.status == 429:
        return True
    return resp.status == 403 and (resp.header("retry-after") is not None
                                   or resp.header("x-ratelimit-remaining") == "0")


def _retry_after(resp: Response, now: float) -> float | None:
    value = resp.header("retry-after")
    if value is None:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def _reset_at(resp: Response) -> float | None:
    value = resp.header("x-ratelimit-reset")
    return float(value) if value and value.isdigit() else None


def _read_quietly(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except (OSError, http.client.HTTPException):
        return b""


def _describe(exc: BaseException) -> str:
    # URLError.reason is the socket-level cause (refused, timed out, DNS); never the request.
    reason = getattr(exc, "reason", None) or exc
    return f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
