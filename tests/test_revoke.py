"""``leakwarden revoke`` against a local fake GitHub API (tests/fake_github.py); never the internet."""
from __future__ import annotations

import json
import time
from itertools import cycle

from conftest import make_token
from fake_github import NO_PROXY_ENV, FakeGitHub, Reply

from scanner.finding import fingerprint


def run_revoke(cli, tmp_path, api_url, *args, env=None):
    return cli("revoke", *args, "--api-url", api_url, "--backoff", "0", cwd=tmp_path,
               env={**NO_PROXY_ENV, **(env or {})})


def records(tmp_path, name=".leakwarden-revocations.jsonl") -> list[dict]:
    return [json.loads(line) for line in (tmp_path / name).read_text().splitlines()]


def assert_nowhere(tmp_path, proc, tokens):
    text = proc.stdout.decode() + proc.stderr.decode()
    record = tmp_path / ".leakwarden-revocations.jsonl"
    saved = record.read_text() if record.exists() else ""
    for tok in tokens:
        assert tok not in text and tok not in saved


def fp(token: str) -> str:
    return fingerprint(token.encode())


def test_dry_run_sends_nothing_and_writes_nothing(cli, tmp_path, fake_github):
    tokens = [make_token(k) for k in ("ghp", "github_pat", "ghs")]
    (tmp_path / "a.txt").write_text("\n".join(tokens) + "\n")
    proc = run_revoke(cli, tmp_path, fake_github.url, "a.txt")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert "dry run" in out and out.count("  would revoke ") == 3
    assert "POST /credentials/revoke" in out and "DELETE /installation/token" in out
    assert fp(tokens[0])[:16] in out and "ghp_********" in out
    assert fake_github.requests == []
    assert not (tmp_path / ".leakwarden-revocations.jsonl").exists()
    assert_nowhere(tmp_path, proc, tokens)


def test_yes_revokes_every_accepted_type_in_one_unauthenticated_request(cli, tmp_path, fake_github):
    tokens = [make_token(k) for k in ("ghp", "github_pat", "gho", "ghu", "ghr")]
    (tmp_path / "a.txt").write_text("\n".join(f"t{i}={t}" for i, t in enumerate(tokens)) + "\n")
    (tmp_path / "b.txt").write_text(tokens[0] + "\n")   # the same token twice is revoked once
    proc = run_revoke(cli, tmp_path, fake_github.url, ".", "--yes")
    assert proc.returncode == 0, proc.stdout
    (req,) = fake_github.requests
    assert (req.method, req.path) == ("POST", "/credentials/revoke")
    assert "authorization" not in req.headers
    assert sorted(req.json["credentials"]) == sorted(tokens)
    assert fake_github.revoked == set(tokens)
    rec = records(tmp_path)
    assert {r["fingerprint"] for r in rec} == {fp(t) for t in tokens}
    assert {r["status"] for r in rec} == {"accepted"} and {r["http_status"] for r in rec} == {202}
    assert {r["endpoint"] for r in rec} == {"POST /credentials/revoke"}
    assert sorted(r["type"] for r in rec) == sorted(["ghp", "github_pat", "gho", "ghu", "ghr"])
    assert all(r["time"].endswith("Z") and r["redacted"].endswith("********") for r in rec)
    assert_nowhere(tmp_path, proc, tokens)


def test_batches_of_at_most_1000(cli, tmp_path, fake_github):
    kinds = cycle(["ghp", "gho", "ghu", "github_pat", "ghr"])
    tokens = [make_token(next(kinds)) for _ in range(2500)]
    (tmp_path / "many.txt").write_text("\n".join(tokens) + "\n")
    proc = run_revoke(cli, tmp_path, fake_github.url, "many.txt", "--yes")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert fake_github.batch_sizes() == [1000, 1000, 500]
    sent = [t for r in fake_github.calls("POST", "/credentials/revoke") for t in r.json["credentials"]]
    assert sorted(sent) == sorted(tokens)
    rec = records(tmp_path)
    assert len(rec) == 2500 and len({r["request"] for r in rec}) == 3
    assert_nowhere(tmp_path, proc, tokens[:50])


def test_installation_tokens_are_deleted_with_their_own_authorization(cli, tmp_path, fake_github):
    live, gone = make_token("ghs"), make_token("ghs")
    fake_github.add_installation_token(live)
    (tmp_path / "a.txt").write_text(f"{live}\n{gone}\n")
    proc = run_revoke(cli, tmp_path, fake_github.url, "a.txt", "--yes")
    assert proc.returncode == 0, proc.stdout
    calls = fake_github.calls("DELETE", "/installation/token")
    assert [c.headers["authorization"] for c in calls] == [f"Bearer {live}", f"Bearer {gone}"]
    assert fake_github.calls("POST", "/credentials/revoke") == []
    by_fp = {r["fingerprint"]: r for r in records(tmp_path)}
    assert (by_fp[fp(live)]["status"], by_fp[fp(live)]["http_status"]) == ("revoked", 204)
    assert (by_fp[fp(gone)]["status"], by_fp[fp(gone)]["http_status"]) == ("already-invalid", 401)
    assert fake_github.revoked == {live}
    assert_nowhere(tmp_path, proc, [live, gone])


def test_validation_failure_is_reported(cli, tmp_path, fake_github):
    tok = make_token("ghp")
    fake_github.script("POST", "/credentials/revoke", Reply(422, {}, {"message": f"Validation Failed {tok}"}))
    (tmp_path / "a.txt").write_text(tok + "\n")
    proc = run_revoke(cli, tmp_path, fake_github.url, "a.txt", "--yes", "--record", "out.jsonl")
    assert proc.returncode == 1
    (rec,) = records(tmp_path, "out.jsonl")
    assert (rec["status"], rec["http_status"]) == ("rejected", 422)
    assert "rejected HTTP 422" in proc.stdout.decode()
    assert tok not in (tmp_path / "out.jsonl").read_text()
    assert_nowhere(tmp_path, proc, [tok])


def test_secondary_rate_limit_is_waited_out(cli, tmp_path, fake_github):
    tok = make_token("ghp")
    fake_github.script("POST", "/credentials/revoke", Reply(429, {"Retry-After": "0"}, {"message": "slow down"}))
    (tmp_path / "a.txt").write_text(tok + "\n")
    proc = run_revoke(cli, tmp_path, fake_github.url, "a.txt", "--yes")
    assert proc.returncode == 0, proc.stdout
    assert fake_github.batch_sizes() == [1, 1]
    assert records(tmp_path)[0]["status"] == "accepted"


def test_exhausted_rate_limit_stops_and_reports_what_is_left(cli, tmp_path, fake_github):
    tokens = [make_token("ghp") for _ in range(1500)]
    reset = str(int(time.time()) + 3600)
    fake_github.script("POST", "/credentials/revoke",
                       Reply(202, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}, {}))
    (tmp_path / "a.txt").write_text("\n".join(tokens) + "\n")
    proc = run_revoke(cli, tmp_path, fake_github.url, "a.txt", "--yes")
    assert proc.returncode == 1
    assert fake_github.batch_sizes() == [1000]
    statuses = [r["status"] for r in records(tmp_path)]
    assert statuses.count("accepted") == 1000 and statuses.count("not-sent") == 500
    assert "500 token(s) left to revoke" in proc.stdout.decode()


def test_hourly_budget_counts_requests_of_earlier_runs(cli, tmp_path, fake_github):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(tmp_path / ".leakwarden-revocations.jsonl", "w") as fh:
        for n in range(60):
            fh.write(json.dumps({"time": now, "api_url": fake_github.url, "fingerprint": "0" * 64,
                                 "endpoint": "POST /credentials/revoke", "status": "accepted",
                                 "request": f"earlier#{n}"}) + "\n")
    tok = make_token("gho")
    (tmp_path / "a.txt").write_text(tok + "\n")
    proc = run_revoke(cli, tmp_path, fake_github.url, "a.txt", "--yes")
    assert proc.returncode == 1
    assert fake_github.requests == []
    assert records(tmp_path)[-1]["status"] == "not-sent"
    assert "hourly budget" in proc.stdout.decode()


def test_server_errors_exhausted_are_failures(cli, tmp_path, fake_github):
    tok = make_token("ghp")
    fake_github.script("POST", "/credentials/revoke", *[Reply(500)] * 2)
    (tmp_path / "a.txt").write_text(tok + "\n")
    proc = run_revoke(cli, tmp_path, fake_github.url, "a.txt", "--yes", "--retries", "1")
    assert proc.returncode == 1
    assert (records(tmp_path)[0]["status"], records(tmp_path)[0]["http_status"]) == ("failed", 500)
    assert len(fake_github.requests) == 2


def test_enterprise_server_authenticates_and_only_sends_documented_types(cli, tmp_path):
    server = FakeGitHub(prefix="/api/v3", ghes=True)
    try:
        admin = make_token("ghp")
        pat, oauth = make_token("ghp"), make_token("gho")
        (tmp_path / "a.txt").write_text(f"{pat}\n{oauth}\n")
        proc = run_revoke(cli, tmp_path, server.url, "a.txt", "--yes", "--auth-token-env", "LW_ADMIN",
                          env={"LW_ADMIN": admin})
        assert proc.returncode == 1   # the gho_ token could not be revoked there
        (req,) = server.requests
        assert req.path == "/credentials/revoke" and req.token == admin and req.json == {"credentials": [pat]}
        by_fp = {r["fingerprint"]: r["status"] for r in records(tmp_path)}
        assert by_fp == {fp(pat): "accepted", fp(oauth): "unsupported"}
        assert server.problems == []
        assert_nowhere(tmp_path, proc, [pat, oauth, admin])
    finally:
        server.close()


def test_auth_token_env_is_refused_for_github_com(cli, tmp_path, fake_github):
    proc = run_revoke(cli, tmp_path, fake_github.url, "--yes", "--auth-token-env", "LW_ADMIN",
                      env={"LW_ADMIN": "x"})
    assert proc.returncode == 2 and "Enterprise Server" in proc.stderr.decode()
    assert fake_github.requests == []


def test_nothing_found_sends_and_records_nothing(cli, tmp_path, fake_github):
    (tmp_path / "a.txt").write_text("nothing secret here\n" + make_token("ghp", valid=False) + "\n")
    proc = run_revoke(cli, tmp_path, fake_github.url, "a.txt", "--yes")
    assert proc.returncode == 0 and "no GitHub tokens found" in proc.stdout.decode()
    assert fake_github.requests == []
    assert not (tmp_path / ".leakwarden-revocations.jsonl").exists()
