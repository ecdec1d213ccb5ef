"""`--format html`: one self-contained page (no network), redacted by default, opened in a real
headless Chromium (Debian's chromium + chromium-driver through selenium): no console errors,
charts with data points, a table that filters and sorts. A screenshot is kept as an artefact."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import assert_hidden, git, leakwarden, make_key, make_token


def _at(stamp: int) -> dict:
    return {"GIT_AUTHOR_DATE": f"{stamp} +0000", "GIT_COMMITTER_DATE": f"{stamp} +0000"}


@pytest.fixture
def audited(repo: Path):
    """A history with secrets introduced over several months, in several directories and a message."""
    secrets = [make_token(), make_token("github_pat"), make_key("rsa"), make_token()]
    layout = [("app/settings.py", f"TOKEN = '{secrets[0]}'\n", "settings", 1690000000),
              ("deploy/ci/env.sh", f"export GH={secrets[1]}\n", "ci", 1695000000),
              ("keys/id_rsa", secrets[2], f"key, and {secrets[3]}", 1705000000)]
    for path, text, message, stamp in layout:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", message, env=_at(stamp))
    return repo, secrets


def _html(repo: Path, *extra: str) -> str:
    out = leakwarden("history", "--format", "html", *extra, cwd=repo)
    assert out.returncode == 1, out.stderr
    return out.stdout.decode()


def test_html_is_self_contained_and_redacted(audited):
    repo, secrets = audited
    page = _html(repo)
    assert page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page
    # Nothing that loads from elsewhere: no external script, style, font, image or frame.
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page, re.I)
    assert "@import" not in page and "url(" not in page
    assert_hidden(page, *secrets)
    for needle in ("app/settings.py:1", "deploy/ci/", "commit message", "Remediation", "Create a new",
                   'class="point"', 'class="bar"'):
        assert needle in page
    shown = _html(repo, "--show-secrets")
    assert secrets[0] in shown and "--show-secrets" in shown


def test_scan_html_and_escaping(tmp_path):
    (tmp_path / "<b>x.env").write_text(f"GITHUB_TOKEN={make_token()}\n")
    out = leakwarden("scan", "--no-ignore", "--format", "html", str(tmp_path))
    assert out.returncode == 1
    page = out.stdout.decode()
    assert "&lt;b&gt;x.env" in page and "<b>x.env" not in page
    assert "No commit dates" in page
    # Which rules judged it: the number in use, the same as `rules list` counts.
    listed = leakwarden("rules", "list").stdout.decode().strip().splitlines()
    shown = re.search(r'<dd id="rules">(\d+) ', page)
    assert shown and abs(int(shown.group(1)) - len(listed)) <= 1, (shown, len(listed))


def _browser():
    """A headless Chromium driven by chromedriver, or a skip saying what is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver")
                                              else None)
    if not chromium or not driver:
        pytest.skip("no browser: install Debian's chromium and chromium-driver to run the HTML browser test")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1600"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver, opts, Service(driver)


def test_html_report_in_a_real_browser(audited, tmp_path, artefacts):
    webdriver, opts, service = _browser()
    from selenium.webdriver.common.by import By

    repo, _ = audited
    report = tmp_path / "report.html"
    out = leakwarden("history", "--format", "html", "--output", str(report), cwd=repo)
    assert out.returncode == 1, out.stderr
    opts.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    browser = webdriver.Chrome(options=opts, service=service)
    try:
        browser.get(report.as_uri())
        points = browser.find_elements(By.CSS_SELECTOR, "#timeline svg circle.point")
        assert len(points) >= 2 and sum(int(p.get_attribute("data-count")) for p in points) == 4
        assert len(browser.find_elements(By.CSS_SELECTOR, "#by-type rect.bar")) >= 2
        assert len(browser.find_elements(By.CSS_SELECTOR, "#by-directory rect.bar")) >= 3
        rows = browser.find_elements(By.CSS_SELECTOR, "tbody.finding")
        assert len(rows) == 4

        def visible() -> int:
            return sum(1 for r in browser.find_elements(By.CSS_SELECTOR, "tbody.finding") if r.is_displayed())

        assert visible() == 4
        browser.find_element(By.ID, "filter").send_keys("settings.py")
        assert visible() == 1 and browser.find_element(By.ID, "shown").text == "1"
        browser.find_element(By.ID, "filter").clear()
        browser.execute_script("document.getElementById('filter').dispatchEvent(new Event('input'))")
        assert visible() == 4
        # Sorting by date, twice: the order reverses.
        header = browser.find_element(By.CSS_SELECTOR, "th[data-key=date]")
        header.click()
        first = [r.find_element(By.CSS_SELECTOR, "td.date").text for r in browser.find_elements(By.CSS_SELECTOR, "tbody.finding")]
        header.click()
        second = [r.find_element(By.CSS_SELECTOR, "td.date").text for r in browser.find_elements(By.CSS_SELECTOR, "tbody.finding")]
        assert first == sorted(first) and second == first[::-1]
        # A row opens to show its places and remediation steps.
        rows = browser.find_elements(By.CSS_SELECTOR, "tbody.finding")
        rows[0].find_element(By.CSS_SELECTOR, "tr.summary").click()
        details = rows[0].find_element(By.CSS_SELECTOR, "tr.details")
        assert details.is_displayed() and "Remediation" in details.text
        shot = artefacts / "html-report.png"
        browser.save_screenshot(str(shot))
        print(f"\nHTML report screenshot: {shot}")
        assert shot.stat().st_size > 10000
        errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
    finally:
        browser.quit()


def test_html_lists_baselined_secrets_with_their_triage_status(tmp_path):
    token = make_token()
    (tmp_path / "a.env").write_text(f"GITHUB_TOKEN={token}\n")
    assert leakwarden("baseline", "create", "--no-ignore", ".", cwd=tmp_path).returncode == 0
    assert leakwarden("baseline", "audit", "--all-unaudited", "false-positive", "--note", "a fixture",
                      cwd=tmp_path).returncode == 0
    out = leakwarden("scan", "--no-ignore", "--format", "html", ".", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    page = out.stdout.decode()
    section = page[page.index('<section id="baseline">'):]
    assert "In the baseline (1)" in section and "false-positive" in section and "a fixture" in section
    assert "a.env:1" in section
    assert_hidden(page, token)
