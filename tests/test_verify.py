"""``leakwarden verify`` against a local fake GitHub API (tests/fake_github.py); never the internet."""
from __future__ import annotations

import json
import socket
import time

import pytest
from conftest import commit_file, git, make_token
from fake_github import NO_PROXY_ENV, FakeGitHub, Reply

from scanner.net.github_api import verify
from scanner.net.http import Client, RateLimited


def run_verify(cli, tmp_path, fake, *args, env=None):
    return cli("verify", *args, "--api-url", fake.url, "--backoff", "0", cwd=tmp_path,
               env={**NO_PROXY_ENV, **(env or {})})


def findings(proc) -> list[dict]:
    return json.loads(proc.stdout)["findings"]


def assert_no_secret(proc, *secrets):
    for s in secrets:
        assert s not in proc.stdout.decode() and s not in proc.stderr.decode()


def test_live_token_reports_login_scopes_expiry_and_permissions(cli, tmp_path, fake_github):
    tok = make_token("ghp")
    fake_github.add_user_token(tok, login="mona", scopes="repo, read:org", expires="2031-10-07 19:07:53 UTC",
                               permissions="contents=read; issues=read")
    (tmp_path / "config.env").write_text(f"GITHUB_TOKEN={tok}\n")
    proc = run_verify(cli, tmp_path, fake_github, "config.env", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    (f,) = findings(proc)
    v = f["details"]["verification"]
    assert v["status"] == "live" and v["login"] == "mona"
    assert v["scopes"] == ["repo", "read:org"]
    assert v["expires"] == "2031-10-07 19:07:53 UTC"
    assert v["permissions"] == "contents=read; issues=read"
    assert v["checked_at"].endswith("Z")
    (req,) = fake_github.requests
    assert (req.method, req.path, req.token) == ("GET", "/user", tok)
    assert req.headers["authorization"] == f"Bearer {tok}"
    assert req.headers["user-agent"].startswith("leakwarden/")
    assert_no_secret(proc, tok)
    assert "1 live" in proc.stderr.decode()


def test_text_output_shows_verification_without_the_token(cli, tmp_path, fake_github):
    tok = make_token("github_pat")
    fake_github.add_user_token(tok, login="hubot", scopes="")
    (tmp_path / "a.txt").write_text(tok + "\n")
    proc = run_verify(cli, tmp_path, fake_github, "a.txt")
    assert proc.returncode == 1
    out = proc.stdout.decode()
    assert "live:" in out and "'hubot'" in out and "github_pat_" in out
    assert_no_secret(proc, tok)


def test_revoked_token_is_not_live(cli, tmp_path, fake_github):
    tok = make_token("gho")
    (tmp_path / "a.txt").write_text(f"token={tok}\n")
    proc = run_verify(cli, tmp_path, fake_github, "a.txt", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert findings(proc)[0]["details"]["verification"]["status"] == "not-live"
    assert fake_github.calls("GET", "/user")[0].token == tok


def test_403_for_a_user_token_is_unknown_and_its_message_never_echoes_the_token(cli, tmp_path, fake_github):
    tok = make_token("ghu")
    fake_github.script("GET", "/user", Reply(403, {}, {"message": f"SSO required for {tok}"}))
    (tmp_path / "a.txt").write_text(tok + "\n")
    proc = run_verify(cli, tmp_path, fake_github, "a.txt", "--format", "json")
    assert proc.returncode == 3
    v = findings(proc)[0]["details"]["verification"]
    assert v["status"] == "unknown" and "HTTP 403: SSO required for ghu_********" in v["reason"]
    assert_no_secret(proc, tok)


def test_installation_token_checked_on_installation_repositories(cli, tmp_path, fake_github):
    tok = make_token("ghs")
    fake_github.add_installation_token(tok)
    (tmp_path / "a.txt").write_text(tok + "\n")
    proc = run_verify(cli, tmp_path, fake_github, "a.txt", "--format", "json")
    assert proc.returncode == 1
    assert findings(proc)[0]["details"]["verification"]["status"] == "live"
    assert [r.path for r in fake_github.requests] == ["/installation/repositories"]


def test_installation_token_403_on_user_means_live(cli, tmp_path, fake_github):
    tok = make_token("ghs")
    fake_github.add_installation_token(tok)
    fake_github.script("GET", "/installation/repositories", Reply(404, {}, {"message": "Not Found"}))
    (tmp_path / "a.txt").write_text(tok + "\n")
    proc = run_verify(cli, tmp_path, fake_github, "a.txt", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    v = findings(proc)[0]["details"]["verification"]
    assert v["status"] == "live" and "403" in v["reason"]
    assert [r.path for r in fake_github.requests] == ["/installation/repositories", "/user"]


def test_one_request_per_distinct_token(cli, tmp_path, fake_github):
    live, dead = make_token("ghp"), make_token("ghp")
    fake_github.add_user_token(live)
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(f"x={live}\ny={dead}\n")
    proc = run_verify(cli, tmp_path, fake_github, ".", "--format", "json")
    assert proc.returncode == 1
    assert sorted(r.token for r in fake_github.requests) == sorted([live, dead])
    statuses = [f["details"]["verification"]["status"] for f in findings(proc)]
    assert sorted(statuses) == ["live"] * 3 + ["not-live"] * 3


def test_refresh_tokens_are_not_sent(cli, tmp_path, fake_github):
    (tmp_path / "a.txt").write_text(make_token("ghr") + "\n")
    proc = run_verify(cli, tmp_path, fake_github, "a.txt", "--format", "json")
    assert proc.returncode == 0
    assert findings(proc)[0]["details"]["verification"]["status"] == "unchecked"
    assert fake_github.requests == []


def test_secondary_rate_limit_waits_for_retry_after_then_succeeds(fake_github):
    tok = make_token("ghp")
    fake_github.add_user_token(tok)
    fake_github.script("GET", "/user", Reply(403, {"Retry-After": "7"}, {"message": "secondary rate limit"}),
                       Reply(429, {"Retry-After": "3"}))
    slept: list[float] = []
    client = Client(fake_github.url, retries=3, sleep=slept.append)
    assert verify(client, tok)["status"] == "live"
    assert slept == [7, 3]
    assert len(fake_github.requests) == 3


def test_rate_limit_reset_within_max_wait_is_waited_for(fake_github):
    tok = make_token("ghp")
    fake_github.add_user_token(tok)
    now = 1_700_000_000.0
    fake_github.script("GET", "/user", Reply(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now) + 30)}))
    slept: list[float] = []
    client = Client(fake_github.url, sleep=slept.append, clock=lambda: now)
    assert verify(client, tok)["status"] == "live"
    assert slept == [30]


def test_primary_rate_limit_exhausted_stops_checking(cli, tmp_path, fake_github):
    a, b = make_token("ghp"), make_token("ghp")
    fake_github.add_user_token(a)
    fake_github.add_user_token(b)
    reset = str(int(time.time()) + 3600)
    fake_github.script("GET", "/user", Reply(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
                                             {"message": "API rate limit exceeded"}))
    (tmp_path / "a.txt").write_text(f"{a}\n{b}\n")
    proc = run_verify(cli, tmp_path, fake_github, "a.txt", "--format", "json")
    assert proc.returncode == 3
    first, second = (f["details"]["verification"] for f in findings(proc))
    assert first["status"] == "rate-limited" and "--max-wait" in first["reason"]
    assert second["status"] == "unknown" and "not checked" in second["reason"]
    assert len(fake_github.requests) == 1   # no hammering
    assert "stopped checking" in proc.stderr.decode()


def test_rate_limit_client_raises_without_sleeping_when_the_wait_is_too_long(fake_github):
    fake_github.script("GET", "/user", Reply(429, {"Retry-After": "3600"}))
    slept: list[float] = []
    with pytest.raises(RateLimited) as info:
        Client(fake_github.url, sleep=slept.append).request("GET", "/user", token=make_token("ghp"))
    assert slept == [] and "3600" in str(info.value)


def test_server_errors_are_retried_with_exponential_backoff(fake_github):
    tok = make_token("ghp")
    fake_github.add_user_token(tok, login="octo")
    fake_github.script("GET", "/user", Reply(502), Reply(503), Reply(500))
    slept: list[float] = []
    client = Client(fake_github.url, retries=3, backoff=0.5, sleep=slept.append)
    result = verify(client, tok)
    assert result["status"] == "live" and result["login"] == "octo"
    assert slept == [0.5, 1.0, 2.0]


def test_server_errors_exhausted(cli, tmp_path, fake_github):
    tok = make_token("ghp")
    fake_github.add_user_token(tok)
    fake_github.script("GET", "/user", *[Reply(503, {}, {"message": "unavailable"})] * 3)
    (tmp_path / "a.txt").write_text(tok + "\n")
    proc = run_verify(cli, tmp_path, fake_github, "a.txt", "--retries", "2", "--format", "json")
    assert proc.returncode == 3
    v = findings(proc)[0]["details"]["verification"]
    assert v["status"] == "unknown" and "HTTP 503" in v["reason"]
    assert len(fake_github.requests) == 3


def test_network_failure_is_reported_without_the_token(cli, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]   # closed once the block ends: nothing listens there
    tok = make_token("ghp")
    (tmp_path / "a.txt").write_text(tok + "\n")
    proc = cli("verify", "a.txt", "--api-url", f"http://127.0.0.1:{port}", "--retries", "1", "--backoff", "0",
               "--format", "json", cwd=tmp_path, env=NO_PROXY_ENV)
    assert proc.returncode == 3
    v = findings(proc)[0]["details"]["verification"]
    assert v["status"] == "unknown" and "after 2 attempts" in v["reason"]
    assert_no_secret(proc, tok)


def test_redirects_are_not_followed(cli, tmp_path, fake_github):
    other = FakeGitHub()
    try:
        fake_github.script("GET", "/user", Reply(302, {"Location": other.url + "/user"}))
        tok = make_token("ghp")
        (tmp_path / "a.txt").write_text(tok + "\n")
        proc = run_verify(cli, tmp_path, fake_github, "a.txt", "--format", "json")
        assert proc.returncode == 3
        assert "HTTP 302" in findings(proc)[0]["details"]["verification"]["reason"]
        assert other.requests == []
    finally:
        other.close()


def test_no_proxy_bypasses_a_configured_proxy(cli, tmp_path, fake_github):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    tok = make_token("ghp")
    fake_github.add_user_token(tok)
    (tmp_path / "a.txt").write_text(tok + "\n")
    proxies = {"HTTP_PROXY": dead, "http_proxy": dead, "HTTPS_PROXY": dead, "https_proxy": dead}
    proc = run_verify(cli, tmp_path, fake_github, "a.txt", env=proxies)
    assert proc.returncode == 1, proc.stderr
    assert len(fake_github.requests) == 1 and not fake_github.requests[0].proxied


def test_requests_go_through_the_proxy_from_the_environment(cli, tmp_path, fake_github):
    tok = make_token("ghp")
    fake_github.add_user_token(tok)   # the fake answers as GitHub when used as a proxy, too
    (tmp_path / "a.txt").write_text(tok + "\n")
    env = {"HTTP_PROXY": fake_github.url, "http_proxy": fake_github.url, "NO_PROXY": "", "no_proxy": ""}
    proc = cli("verify", "a.txt", "--api-url", "http://api.example.invalid", "--format", "json",
               cwd=tmp_path, env=env)
    assert proc.returncode == 1, proc.stderr
    (req,) = fake_github.requests
    assert req.proxied and req.target == "http://api.example.invalid/user"
    assert "plain http" in proc.stderr.decode()


def test_enterprise_server_api_url(cli, tmp_path):
    server = FakeGitHub(prefix="/api/v3")
    try:
        tok = make_token("ghp")
        server.add_user_token(tok, login="ghe-user")
        (tmp_path / "a.txt").write_text(tok + "\n")
        proc = cli("verify", "a.txt", "--api-url", server.url, "--format", "json", cwd=tmp_path, env=NO_PROXY_ENV)
        assert proc.returncode == 1, proc.stderr
        assert findings(proc)[0]["details"]["verification"]["login"] == "ghe-user"
        assert [r.path for r in server.requests] == ["/user"] and server.problems == []
    finally:
        server.close()


def test_report_with_secrets_is_verified(cli, tmp_path, fake_github):
    tok, bad = make_token("ghp"), make_token("ghp", valid=False)
    fake_github.add_user_token(tok)
    (tmp_path / "a.txt").write_text(f"{tok}\n{bad}\n")
    scan = cli("scan", "a.txt", "--format", "json", "--show-secrets", "--min-confidence", "low",
               "-o", "report.json", cwd=tmp_path)
    assert scan.returncode == 1 and len(json.loads((tmp_path / "report.json").read_text())["findings"]) == 2
    proc = run_verify(cli, tmp_path, fake_github, "--report", "report.json", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    (f,) = findings(proc)   # the checksum failure is not sent
    assert f["details"]["verification"]["status"] == "live"
    assert [r.token for r in fake_github.requests] == [tok]
    assert_no_secret(proc, tok, bad)


def test_report_without_secrets_is_refused_clearly(cli, tmp_path, fake_github):
    (tmp_path / "a.txt").write_text(make_token("ghp") + "\n")
    cli("scan", "a.txt", "--format", "json", "-o", "report.json", cwd=tmp_path)
    proc = run_verify(cli, tmp_path, fake_github, "--report", "report.json")
    assert proc.returncode == 2
    assert "holds no secrets" in proc.stderr.decode() and "--show-secrets" in proc.stderr.decode()
    assert fake_github.requests == []


def test_unreadable_report_and_bad_api_url_are_usage_errors(cli, tmp_path, fake_github):
    (tmp_path / "junk.json").write_text("not json\n")
    assert run_verify(cli, tmp_path, fake_github, "--report", "junk.json").returncode == 2
    assert run_verify(cli, tmp_path, fake_github, "--report", "missing.json").returncode == 2
    proc = cli("verify", "--api-url", "ftp://example.com", cwd=tmp_path, env=NO_PROXY_ENV)
    assert proc.returncode == 2 and "--api-url" in proc.stderr.decode()


def test_history_tokens_are_verified(cli, repo, fake_github):
    tok = make_token("ghp")
    fake_github.add_user_token(tok)
    commit_file(repo, "app.env", f"TOKEN={tok}\n")
    git(repo, "rm", "-q", "app.env")
    git(repo, "commit", "-q", "-m", "remove")
    proc = run_verify(cli, repo, fake_github, "--history", ".", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert {f["details"]["verification"]["status"] for f in findings(proc)} == {"live"}
    assert [r.token for r in fake_github.requests] == [tok]
