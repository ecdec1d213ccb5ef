"""``leakwarden org-audit`` on a real Dask LocalCluster (2 worker processes) over 13 generated
repositories: ten working repositories, one large enough to be split into commit ranges, one
bare repository named by its path and one bare repository named by a file:// clone URL.
Some share secrets. The reference is ``leakwarden history`` run on each repository."""
from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, assert_hidden, git, leakwarden

pytest.importorskip("distributed", reason="org-audit needs the org extra: pip install 'leakwarden[org]'")
pytest.importorskip("git", reason="org-audit needs the org extra: pip install 'leakwarden[org]'")

from scanner.rules.templates import expand  # noqa: E402

SPLIT = 12    # --split-commits: the large repository (50 commits) becomes 5 ranges


def secret(kind: str, n: int) -> str:
    # Seeded by name, not by the test that first builds the module's repositories.
    return expand(f"{{{{{kind}}}}}", f"org-audit/{kind}/{n}")


TOKENS = [secret("github:ghp", n) for n in range(14)]
KEY = secret("key:rsa", 0)
ALL_SECRETS = [*TOKENS, KEY]


class History:
    """Commits for ``git fast-import``: one process builds a whole repository."""
    clock = 1_700_000_000   # every commit of every repository at its own time: the introducing place is unambiguous

    def __init__(self) -> None:
        self.stream: list[bytes] = []
        self.marks = 0

    def commit(self, files: dict[str, str | None], message: str = "change", branch: str = "main",
               parent: int | None = None, merge: int | None = None) -> int:
        History.clock += 60
        self.marks += 1
        who = f"Dev <dev@example.invalid> {History.clock} +0000"
        out = [f"commit refs/heads/{branch}", f"mark :{self.marks}", f"author {who}", f"committer {who}"]
        text = message.encode()
        lines = [line.encode() for line in out] + [b"data %d" % len(text), text]
        if parent is not None:
            lines.append(b"from :%d" % parent)
        if merge is not None:
            lines.append(b"merge :%d" % merge)
        for path, content in files.items():
            if content is None:
                lines.append(f"D {path}".encode())
            else:
                data = content.encode()
                lines += [f"M 100644 inline {path}".encode(), b"data %d" % len(data), data]
        self.stream.append(b"\n".join(lines) + b"\n")
        return self.marks

    def tag(self, name: str, mark: int, message: str) -> None:
        History.clock += 60
        text = message.encode()
        self.stream.append(b"tag %s\nfrom :%d\ntagger Dev <dev@example.invalid> %d +0000\ndata %d\n%s\n"
                           % (name.encode(), mark, History.clock, len(text), text))

    def build(self, path: Path, bare: bool = False) -> Path:
        git(path.parent, "init", "-q", *(["--bare"] if bare else []), str(path))
        git(path, "fast-import", "--quiet", input=b"".join(self.stream))
        return path


def linear(*steps: dict[str, str | None], messages: tuple[str, ...] = ()) -> History:
    h = History()
    mark = None
    for i, files in enumerate(steps):
        mark = h.commit(files, messages[i] if i < len(messages) else f"step {i}", parent=mark)
    return h


def large() -> History:
    """50 commits on main, a side branch merged back, an annotated tag: split into ranges."""
    h = History()
    mark = h.commit({"README.md": "large\n"})
    side = None
    for i in range(1, 50):
        files: dict[str, str | None] = {f"src/mod{i % 7}.py": f"VALUE = {i}\n" + "x = 1\n" * (i % 5)}
        message = f"step {i}"
        if i == 3:
            files["conf/a.env"] = f"TOKEN={TOKENS[7]}\n"
        if i == 20:
            files["deploy/key.pem"] = KEY
        if i == 30:   # the same secret again, elsewhere: an occurrence in a later range
            files["conf/b.txt"] = f"token: {TOKENS[7]}\n"
        if i == 33:
            files["conf/a.env"] = None
        if i == 45:
            message = f"rotate {TOKENS[9]}"
        mark = h.commit(files, message, parent=mark)
        if i == 10:
            side = h.commit({"side/x.txt": f"t={TOKENS[11]}\n"}, "side work", branch="side", parent=mark)
        if i == 35:
            mark = h.commit({}, "merge side", parent=mark, merge=side)
        if i == 40:
            h.tag("v1", mark, f"release with {TOKENS[10]}")
    return h


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Repository name as org-audit is given it -> the path history is run on."""
    top = tmp_path_factory.mktemp("org")
    t = TOKENS
    working = [
        linear({"README.md": "a\n"}, {"config.txt": f"token={t[0]}\n"}, {"config.txt": None}),
        linear({"README.md": "b\n"}, {"app/settings.py": f"GITHUB_TOKEN = '{t[0]}'\n"}, {"ci.yml": f"t: {t[1]}\n"}),
        linear({"README.md": "c\n"}, {"x.sh": f"export T={t[2]}\n"}, messages=("init", f"oops {t[0]}")),
        linear({"README.md": "clean\n"}, {"main.py": "print('hello')\n"}),
        linear({"a.txt": f"{t[3]}\n"}, {"b.txt": f"again {t[1]}\n"}),
        linear({"id_rsa": KEY}),
        linear({"one.txt": f"tok {t[4]}\n"}, {"two.txt": f"tok {t[4]}\n", "one.txt": None}),
        linear({"docs.md": "Set GITHUB_TOKEN=<YOUR_TOKEN>\n"}),
        linear({"README.md": "i\n"}, {"n.txt": f"{t[5]}\n"}),
        linear({"README.md": "j\n"}, {"deep/er/file.cfg": f"token = {t[6]}\n"}),
    ]
    repos = {f"w{i}": h.build(top / f"w{i}") for i, h in enumerate(working)}
    repos["large"] = large().build(top / "large")
    repos["shared.git"] = linear({"creds.txt": f"{t[2]}\n"}, {"more.txt": f"{t[12]}\n"}).build(
        top / "shared.git", bare=True)
    remote = linear({"r.txt": f"{t[0]} {t[3]}\n"}, {"s.txt": f"{t[13]}\n"}).build(top / "remote.git", bare=True)
    repos[remote.as_uri()] = remote
    return {name: path for name, path in repos.items()}


@pytest.fixture(scope="module")
def cluster():
    """One real LocalCluster of 2 worker processes for the module; org-audit reaches it with --scheduler."""
    import logging

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as c, Client(c) as client:
        yield c.scheduler_address, client


@pytest.fixture(scope="module")
def expected(org: dict[str, Path]) -> dict[str, dict[str, dict]]:
    """fingerprint -> repository -> what ``leakwarden history`` reports for it there."""
    out: dict[str, dict[str, dict]] = {}
    for name, path in org.items():
        proc = leakwarden("history", "--repo", str(path), "--format", "json", cwd=path.parent)
        assert proc.returncode in (0, 1), proc.stderr
        for finding in json.loads(proc.stdout)["findings"]:
            out.setdefault(finding["fingerprint"], {})[name] = finding
    return out


def audit(*args: str, cwd: Path) -> tuple[int, dict, str]:
    proc = leakwarden("org-audit", "--format", "json", *args, cwd=cwd)
    return proc.returncode, json.loads(proc.stdout or b"{}"), proc.stderr.decode()


def by_repository(doc: dict) -> dict[str, dict[str, dict]]:
    """The org report in history's shape: fingerprint -> repository -> that repository's finding."""
    out: dict[str, dict[str, dict]] = {}
    for f in doc["findings"]:
        for intro in f["details"]["repositories"]:
            name = intro["repository"]
            out.setdefault(f["fingerprint"], {})[name] = {
                "commit": intro["commit"], "path": intro["path"], "line": intro["line"],
                "occurrences": [{k: v for k, v in o.items() if k != "repository"}
                                for o in f["occurrences"] if o["repository"] == name]}
    return out


def assert_same_as_history(doc: dict, expected: dict[str, dict[str, dict]]) -> None:
    want = {fp: {name: {k: h[k] for k in ("commit", "path", "line", "occurrences")} for name, h in repos.items()}
            for fp, repos in expected.items()}
    assert by_repository(doc) == want
    for f in doc["findings"]:
        some = next(iter(expected[f["fingerprint"]].values()))
        assert (f["rule_id"], f["redacted"], f["severity"]) == (some["rule_id"], some["redacted"], some["severity"])


def names_and_list(org: dict[str, Path], tmp_path: Path) -> list[str]:
    """Half the repositories as arguments, half from a list file with comments."""
    names = list(org)
    listing = tmp_path / "repos.txt"
    listing.write_text("# the organisation's repositories\n\n" +
                       "".join(f"{n}   # {i}\n" for i, n in enumerate(names[1::2])))
    return [*names[0::2], "--repos-from", str(listing)]


def test_org_audit_equals_history_per_repository_and_reruns_skip_unchanged(org, cluster, expected, tmp_path):
    address, _ = cluster
    top = org["w0"].parent
    cache = tmp_path / "cache"
    args = [*names_and_list(org, tmp_path), "--scheduler", address, "--cache", str(cache),
            "--split-commits", str(SPLIT)]
    rc, doc, err = audit(*args, cwd=top)
    assert rc == 1, err
    assert doc["errors"] == []
    assert doc["stats"]["repositories"] == 13 and doc["stats"]["scanned"] == 13
    assert doc["stats"]["parts"] >= 13 + 4, "the large repository was not split"
    assert_same_as_history(doc, expected)
    shared = [f for f in doc["findings"] if len(f["details"]["repositories"]) > 1]
    assert {len(f["details"]["repositories"]) for f in shared} >= {2, 4}   # TOKENS[0]: w0, w1, w2's message, remote
    assert (cache / "mirrors").is_dir() and len(list((cache / "mirrors").iterdir())) == 1
    for stored in (cache / "results").iterdir():
        assert_hidden(stored.read_bytes(), *ALL_SECRETS)
    assert_hidden(json.dumps(doc), *ALL_SECRETS)

    rc, again, err = audit(*args, cwd=top)
    assert rc == 1, err
    assert (again["stats"]["scanned"], again["stats"]["unchanged"]) == (0, 13)
    assert "13 unchanged since the last run (skipped)" in err
    assert again["findings"] == doc["findings"]

    new = secret("github:ghp", 99)
    before = git(org["w3"], "rev-parse", "main").stdout.decode().strip()
    git(org["w3"], "update-ref", "refs/heads/main", _commit_on(org["w3"], "late.txt", f"{new}\n"))
    try:
        rc, third, err = audit(*args, cwd=top)
    finally:   # the module's other tests compare with history as it was
        git(org["w3"], "update-ref", "refs/heads/main", before)
    assert (third["stats"]["scanned"], third["stats"]["unchanged"]) == (1, 12), err
    late = [f for f in third["findings"] if f["path"] == "late.txt"]
    assert [r["repository"] for r in late[0]["details"]["repositories"]] == ["w3"]
    assert len(third["findings"]) == len(doc["findings"]) + 1


def _commit_on(repo: Path, name: str, content: str) -> str:
    """A commit adding one file on top of main, made with plumbing (the repository has no checkout)."""
    blob = git(repo, "hash-object", "-w", "--stdin", input=content.encode()).stdout.decode().strip()
    tree = git(repo, "mktree", input=f"100644 blob {blob}\t{name}\n".encode()).stdout.decode().strip()
    return git(repo, "commit-tree", tree, "-p", "main", "-m", "late").stdout.decode().strip()


def test_a_worker_killed_mid_task_costs_no_results(org, cluster, expected, tmp_path):
    """SIGKILL the worker process the moment it runs a commit-range scan: the scheduler runs
    that task again, and the report is still exactly history's. A kill that lands just after
    its task finished proves nothing, so the run is repeated until a kill is seen re-run (the
    report is checked every time)."""
    address, client = cluster
    rerun = []
    for attempt in range(3):
        key, doc, err = _audit_killing_one_worker(org, address, client, tmp_path / f"cache{attempt}")
        assert doc["errors"] == [] and doc["stats"]["scanned"] == 13, err
        assert_same_as_history(doc, expected)
        story = client.run_on_scheduler(lambda dask_scheduler, k=key: list(dask_scheduler.story(k)))
        if sum(1 for entry in story if entry[2] == "processing") >= 2:
            rerun.append(key)
            break
    assert rerun, "no killed scan task was seen running again"


def _audit_killing_one_worker(org, address: str, client, cache: Path) -> tuple[str, dict, str]:
    from distributed.utils import key_split

    pids = client.run(os.getpid)   # worker address -> its process, known before anything runs
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "org-audit", "--format", "json", *org,
                             "--scheduler", address, "--cache", str(cache), "--split-commits", "4"],
                            cwd=org["w0"].parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    killed = ""
    try:
        while not killed and proc.poll() is None:
            for worker, keys in client.processing().items():
                running = [k for k in keys if key_split(k) == "scan_part"]
                if running and worker in pids:
                    os.kill(pids[worker], signal.SIGKILL)
                    killed = running[0]
                    break
            else:
                time.sleep(0.005)
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert killed, "the audit ended before any scan task was seen running"
    assert proc.returncode == 1, err.decode()
    client.wait_for_workers(2, timeout=120)   # the nanny has restarted the killed one
    return killed, json.loads(out), err.decode()


def test_a_repository_that_cannot_be_cloned_or_read_is_an_error_and_the_rest_go_on(org, tmp_path):
    """The CLI's own LocalCluster (--workers 2): a URL that does not clone and a directory
    that is not a repository are errors; the good repository is still audited. Its findings
    block, so the run exits 1 (as every command does); without them, the errors alone exit 3."""
    (tmp_path / "plain").mkdir()
    missing = (tmp_path / "nowhere.git").as_uri()
    rc, doc, err = audit("--workers", "2", "--cache", str(tmp_path / "cache"), str(org["w4"]), missing,
                         str(tmp_path / "plain"), cwd=tmp_path)
    assert rc == 1, err
    assert sorted(e["path"] for e in doc["errors"]) == sorted([missing, str(tmp_path / "plain")])
    assert all(e["error"] for e in doc["errors"])
    assert {f["path"] for f in doc["findings"]} == {"a.txt", "b.txt"}
    assert doc["stats"]["failed"] == 2 and doc["stats"]["scanned"] == 1
    assert not list((tmp_path / "cache" / "mirrors").glob("*.partial-*")), "a failed clone left a scratch copy"
    rc, doc, err = audit("--workers", "1", "--cache", str(tmp_path / "cache"), missing, cwd=tmp_path)
    assert rc == 3 and not doc["findings"] and [e["path"] for e in doc["errors"]] == [missing], err


def test_what_a_worker_returns_is_redacted_unless_show_secrets(org, cluster):
    from scanner.config import Config
    from scanner.engine.factory import build_engine
    from scanner.org import tasks

    _, client = cluster
    engine = build_engine(Config())
    repo = str(org["large"])
    part = client.submit(tasks.scan_part, engine, repo, ["--all"], Config(), False, pure=False).result()
    assert part.findings
    assert_hidden(pickle.dumps(part), *ALL_SECRETS)
    fingerprints = {f.fingerprint for f in part.findings}
    whole = client.submit(tasks.scan_part, engine, repo, ["--all"], Config(), True, pure=False).result()
    assert {f.fingerprint for f in whole.findings} == fingerprints
    assert TOKENS[7] in {f.secret for f in whole.findings}   # the check above can see a secret


def test_commit_ranges_merge_into_the_unsplit_result(org):
    """Each range's places and introducing commits merged equal one history audit of it all."""
    from scanner.config import Config
    from scanner.engine.factory import build_engine
    from scanner.org import merge, repos, tasks

    engine = build_engine(Config())
    repo = org["large"]
    parts = repos.ranges(repo, SPLIT)
    assert len(parts) >= 4
    counts = [int(git(repo, "rev-list", "--count", *p).stdout) for p in parts]
    assert all(counts) and sum(counts) == int(git(repo, "rev-list", "--count", "--all").stdout)
    scanned = [tasks.scan_part(engine, str(repo), p, Config(), False) for p in parts]
    findings, skipped, _ = merge.parts(scanned)
    whole = tasks.scan_part(engine, str(repo), ["--all"], Config(), False)
    assert len({f.commit for f in findings}) > 2   # introduced in several ranges
    assert [f.as_dict() for f in findings] == [f.as_dict() for f in whole.findings]
    assert skipped == whole.skipped


def test_without_the_org_extra_org_audit_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['distributed'] = None; from scanner.cli import main; "
            "sys.exit(main(['org-audit', '.']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, check=False,
                          stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert b"pip install 'leakwarden[org]'" in proc.stderr


def test_a_password_in_a_clone_url_is_refused(tmp_path):
    word = "hunter2-" + "x" * 12
    proc = leakwarden("org-audit", f"https://someone:{word}@git.example.invalid/a.git", cwd=tmp_path)
    assert proc.returncode == 2
    assert word.encode() not in proc.stderr + proc.stdout


def test_the_commit_hook_imports_neither_dask_nor_gitpython(repo):
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "scanner", "staged"], cwd=repo,
                          capture_output=True, check=False, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    imported = {line.split("|")[-1].strip() for line in proc.stderr.decode().splitlines()
                if line.startswith("import time:")}
    assert "scanner.cli" in imported   # the check reads real import lines
    assert not {m for m in imported if m.split(".")[0] in ("dask", "distributed", "git") or m.startswith("scanner.org")}


def test_org_audit_html_report_in_a_real_browser(org, cluster, expected, tmp_path, artefacts):
    """The org report opened in headless Chromium: no console errors, charts with data (the
    repository chart too), table filtering, and each secret's Repositories cell and places list
    naming every repository it is in."""
    from test_html_report import _browser

    webdriver, opts, service = _browser()
    from selenium.webdriver.common.by import By

    address, _ = cluster
    report = tmp_path / "org.html"
    proc = leakwarden("org-audit", *org, "--scheduler", address, "--cache", str(tmp_path / "cache"),
                      "--format", "html", "--output", str(report), cwd=org["w0"].parent)
    assert proc.returncode == 1, proc.stderr.decode()
    assert_hidden(report.read_text(), *TOKENS)
    opts.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    browser = webdriver.Chrome(options=opts, service=service)
    try:
        browser.get(report.as_uri())
        bodies = browser.find_elements(By.CSS_SELECTOR, "tbody.finding")
        assert len(bodies) == len(expected)
        points = browser.find_elements(By.CSS_SELECTOR, "#timeline svg circle.point")
        assert points and sum(int(p.get_attribute("data-count")) for p in points) == len(expected)
        assert len(browser.find_elements(By.CSS_SELECTOR, "#by-type rect.bar")) >= 2
        repo_bars = browser.find_elements(By.CSS_SELECTOR, "#by-repository rect.bar")
        in_repos = {name for repos in expected.values() for name in repos}
        assert len(repo_bars) == min(10, len(in_repos))
        header = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#table th")]
        assert "Repositories" in header
        for body in bodies:
            details = body.find_element(By.CSS_SELECTOR, "tr.details").get_attribute("textContent")
            fp = next(f for f in expected if f[:16] in details)
            cell = body.find_element(By.CSS_SELECTOR, "td.repositories").text
            assert cell.split(", ") == sorted(expected[fp])
            places = [li.get_attribute("textContent") for li in body.find_elements(By.CSS_SELECTOR, "tr.details li")]
            assert {name for name in expected[fp] if any(p.startswith(name + " ") for p in places)} == set(expected[fp])

        def visible() -> int:
            return sum(1 for b in browser.find_elements(By.CSS_SELECTOR, "tbody.finding") if b.is_displayed())

        assert visible() == len(expected)
        browser.find_element(By.ID, "filter").send_keys("shared.git")
        want = sum(1 for repos in expected.values() if "shared.git" in repos)
        assert 0 < want < len(expected)
        assert visible() == want and browser.find_element(By.ID, "shown").text == str(want)
        shot = artefacts / "org-audit-report.png"
        browser.save_screenshot(str(shot))
        print(f"\norg-audit HTML report screenshot: {shot}")
        errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
    finally:
        browser.quit()
