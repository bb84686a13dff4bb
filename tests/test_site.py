"""`tracker site`: the newsroom page, built from the full dataset and from the sample, opened in a
real headless browser (Debian's Chromium driven by Selenium; `.ci/run` installs both)."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.clirun import run_tracker
from tracker.daily import DailySettings, run_daily
from tracker.feeds.claims import ClaimsFeed
from tracker.feeds.csvfeed import CsvFeed
from tracker.feeds.oryx import OryxFeed
from tracker.ingest import run_ingest
from tracker.site.build import build_site
from tracker.site.page import Column, Page, Section, Table, render_page

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CSV = ROOT / "data" / "sample" / "ua-general-staff-personnel.csv"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _store(tmp_path_factory, name: str, feed, location: str) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'store.db'}"
    assert run_ingest(url, feed, location=location).status in ("ok", "ok_with_findings")
    assert run_ingest(url, ClaimsFeed()).status in ("ok", "ok_with_findings")
    return url


@pytest.fixture(scope="module")
def full_site(tmp_path_factory, latest_dir) -> Path:
    """The page as the morning job builds it: `tracker daily --site-dir` on the full dataset."""
    url = f"sqlite:///{tmp_path_factory.mktemp('full-store') / 'store.db'}"
    oryx = latest_dir.parents[1] / "oryx" / "history" / "2025-07-19T1144_a8624b4"
    moment = dt.datetime(2025, 7, 19, 11, 44, tzinfo=dt.UTC)
    assert run_ingest(url, OryxFeed(observed_at=moment), location=str(oryx), observed_at=moment).exit_code == 0
    site = tmp_path_factory.mktemp("full-site")
    steps = run_daily(url, DailySettings(dataset_from=str(latest_dir), site_dir=site))
    assert [s.step for s in steps][:4] == ["dataset", "claims", "charts", "site"]
    assert steps[3].exit_code == 0 and steps[3].line.endswith(
        f"site: {site / 'index.html'} (23 files)"
    )  # nothing left out
    return site / "index.html"


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory) -> Path:
    url = _store(tmp_path_factory, "sample-store", CsvFeed(), str(SAMPLE_CSV))
    return build_site(url, tmp_path_factory.mktemp("sample-site")).page


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium; skipped without it unless TRACKER_REQUIRE_BROWSER=1 (set by .ci/run)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        selenium_missing = "selenium is not installed (pip install -e '.[test]')"
    else:
        selenium_missing = ""
    missing = selenium_missing or (
        "" if CHROMIUM and CHROMEDRIVER else "Debian's chromium and chromium-driver are not installed"
    )
    if missing:
        if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
            pytest.fail(missing + " and TRACKER_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(missing)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextmanager
def _served(folder: Path) -> Iterator[str]:
    """The folder over HTTP on 127.0.0.1, as a newsroom would host it: the page's address."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


def _open(browser, address: str) -> None:
    browser.set_window_size(1280, 900)
    browser.get("about:blank")
    browser.get_log("browser")  # drop what an earlier page logged
    browser.get(address)


def _check_page(browser, page: Path) -> str:
    """Loads with no console error, every image loaded, every link resolves, no request leaves the
    page's own server; returns the page's visible text."""
    with _served(page.parent) as address:
        _open(browser, address)
        return _checked(browser, page, address)


def _checked(browser, page: Path, address: str) -> str:
    origin = address.rsplit("/", 1)[0] + "/"
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    images = browser.execute_script(
        "return [...document.images].map(i => [i.getAttribute('src'), i.complete, i.naturalWidth, i.alt])"
    )
    assert images, "the page shows charts"
    for src, complete, width, alt in images:
        assert complete and width > 0, f"{src} did not load"
        assert len(alt) > 20, f"{src} has no real alt text"
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(r => r.name)")
    assert resources and all(r.startswith(origin) for r in resources), resources
    ids = set(browser.execute_script("return [...document.querySelectorAll('[id]')].map(e => e.id)"))
    for href, section in browser.execute_script(
        "return [...document.links].map(a => [a.getAttribute('href'), a.closest('section')?.id ?? ''])"
    ):
        if href.startswith("#"):
            assert href[1:] in ids, href
        elif urlsplit(href).scheme in ("http", "https"):
            assert section == "sources", f"an outside link outside the sources section: {href}"
        else:
            assert (page.parent / unquote(href)).is_file(), href
    headers = browser.execute_script("return [...document.querySelectorAll('table')].map(t => t.tHead?.rows.length)")
    assert headers and all(n == 1 for n in headers), "every table has a header row"
    return browser.find_element("tag name", "body").text


def test_the_full_page_shows_the_latest_total_and_the_record_in_a_real_browser(browser, full_site):
    body = _check_page(browser, full_site)

    assert "Total since 2022-02-24: 1,456,610 people (report of 2026-08-08)." in body
    assert "the deadliest day so far was 2024-12-20 with 2,200" in body
    assert "Tanks 2025-07-19 11,032 4,074 2.71" in body  # claimed against confirmed (Oryx)
    # Both sides: the chart of what each source has claimed of Ukraine's losses (issue 23).
    html = full_site.read_text(encoding="utf-8")
    assert 'src="ukraine-claims.png"' in html or 'srcset="ukraine-claims.svg"' in html
    assert (full_site.parent / "ukraine-claims.svg").is_file()


def test_the_sample_page_works_the_same_in_a_real_browser(browser, sample_site):
    body = _check_page(browser, sample_site)

    assert "(report of 2024-12-01)" in body
    assert "Total since 2022-02-24: 742,130 people" in body


def test_the_page_reads_on_a_phone_without_sideways_scrolling(browser, full_site):
    with _served(full_site.parent) as address:
        _open(browser, address)
        browser.set_window_size(390, 844)
        width = browser.execute_script("return document.documentElement.scrollWidth")
        viewport = browser.execute_script("return window.innerWidth")

    assert width <= viewport  # wide tables scroll inside their own box, not the page


def test_every_table_has_a_csv_download_with_iso_dates_and_averages_to_one_decimal(full_site):
    html = full_site.read_text(encoding="utf-8")
    rows = list(csv.DictReader((full_site.parent / "monthly-averages.csv").open(encoding="utf-8")))

    assert html.count("download>CSV</a>") == html.count("<table>")
    by_month = {r["period"]: r for r in rows}
    assert by_month["2024-12"]["daily_average"] == "1585.5"
    top = list(csv.DictReader((full_site.parent / "records-top-days.csv").open(encoding="utf-8")))
    assert (top[0]["report_date"], top[0]["increment"]) == ("2024-12-20", "2200")
    assert len(rows) == 55  # 2022-02 … 2026-08: the page shows 12, the CSV has all


def test_store_text_cannot_inject_markup_into_the_page():
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>\x1b[31m'
    page = Page(
        title=hostile,
        subtitle="s",
        generated="2026-01-01",
        sections=[Section("s", hostile, tables=[Table("t", hostile, [Column("a", hostile)], [{"a": hostile}])])],
    )

    html = render_page(page)

    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "\\x1b[31m" in html


def test_site_command_writes_the_page_and_says_where(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run_ingest(url, CsvFeed(), location=str(SAMPLE_CSV)).exit_code in (0, 3)

    code, out, err = run_tracker(capsys, "site", "--out-dir", str(tmp_path / "site"), "--db", url, "--quiet")

    assert (code, out.strip()) == (0, str(tmp_path / "site" / "index.html"))
    assert "left out claims: no claims in the store (tracker ingest claims)" in err
    assert (tmp_path / "site" / "style.css").is_file()


def test_site_into_a_file_is_one_line_and_exit_2(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run_ingest(url, CsvFeed(), location=str(SAMPLE_CSV)).exit_code in (0, 3)
    (tmp_path / "file").write_text("x")

    code, out, err = run_tracker(capsys, "site", "--out-dir", str(tmp_path / "file"), "--db", url)

    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1] == f"error: --out-dir {tmp_path / 'file'}: exists and is not a folder"
