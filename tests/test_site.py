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
from tracker.api.daily_job import DailySettings, run_daily
from tracker.ingest.feeds.claims import ClaimsFeed
from tracker.ingest.feeds.csvfeed import CsvFeed
from tracker.ingest.feeds.oryx import OryxFeed
from tracker.ingest.run import run_ingest
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
def full_site(full_build) -> Path:
    return full_build[1]


@pytest.fixture(scope="module")
def full_build(tmp_path_factory, latest_dir) -> tuple[str, Path]:
    """The page as the morning job builds it: `tracker daily --site-dir` on the full dataset; the
    store's URL and the page."""
    url = f"sqlite:///{tmp_path_factory.mktemp('full-store') / 'store.db'}"
    oryx = latest_dir.parents[1] / "oryx" / "history" / "2025-07-19T1144_a8624b4"
    moment = dt.datetime(2025, 7, 19, 11, 44, tzinfo=dt.UTC)
    assert run_ingest(url, OryxFeed(observed_at=moment), location=str(oryx), observed_at=moment).exit_code == 0
    site = tmp_path_factory.mktemp("full-site")
    steps = run_daily(url, DailySettings(dataset_from=str(latest_dir), site_dir=site))
    assert [s.step for s in steps][:4] == ["dataset", "claims", "charts", "site"]
    assert steps[3].exit_code == 0 and steps[3].line.endswith(
        f"site: {site / 'index.html'} (27 files)"
    )  # nothing left out
    return url, site / "index.html"


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
    for href, rel in browser.execute_script("return [...document.links].map(a => [a.getAttribute('href'), a.rel])"):
        parts = urlsplit(href)
        if href.startswith("#"):
            assert href[1:] in ids, href
        elif parts.scheme:  # a publication, an official page, a source: well-formed, opened without this page
            assert parts.scheme in ("http", "https") and parts.netloc and " " not in href, href
            assert rel == "noopener", href
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


@pytest.mark.parametrize("width", [390, 1280])
def test_the_page_at_phone_and_desktop_width_scrolls_only_its_tables_and_keeps_dates_whole(
    browser, full_site, width, tmp_path
):
    with _served(full_site.parent) as address:
        _open(browser, address)
        browser.set_window_size(width, 900)
        scroll_width = browser.execute_script("return document.documentElement.scrollWidth")
        viewport = browser.execute_script("return window.innerWidth")
        # a date split over two lines has two boxes (2024-/12-20)
        broken = browser.execute_script(
            "return [...document.querySelectorAll('.nw')].filter(e => e.getClientRects().length > 1)"
            ".map(e => e.textContent)"
        )
        dates = browser.execute_script("return document.querySelectorAll('td.date .nw, p .nw').length")
        wide_tables = browser.execute_script(
            "return [...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth).length"
        )
        unlabelled = browser.execute_script("return [...document.images].filter(i => !i.alt.trim()).length")
        shot = tmp_path / f"page-{width}.png"
        assert browser.save_screenshot(str(shot))

    assert viewport == width and scroll_width <= viewport  # wide tables scroll inside their own box
    assert dates > 100 and broken == []
    assert wide_tables >= (3 if width == 390 else 1)  # the wide ones (claims, records) scroll in their own box
    assert unlabelled == 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_page_whose_latest_report_is_old_says_so_first_with_the_last_successful_run(browser, full_site):
    with _served(full_site.parent) as address:
        _open(browser, address)
        banner = browser.find_element("css selector", "header .banner").text

    assert banner.startswith("Out of date: the latest report here is of 2026-08-08, ")
    assert "The General Staff reports daily; the last successful run was " in banner
    assert "(feed ua-dataset). Newer reports may exist." in banner


def test_the_banner_follows_the_judgement_of_status_fresh_stale_or_loaded_once(full_build, tmp_path):
    from tracker.site.build import staleness_banner
    from tracker.store.db import open_store

    engine = open_store(full_build[0], write=False)
    try:
        fresh = staleness_banner(engine, dt.date(2026, 8, 8), now=dt.datetime(2026, 8, 8, 12, tzinfo=dt.UTC))
        stale = staleness_banner(engine, dt.date(2026, 8, 8), now=dt.datetime(2026, 8, 10, 12, tzinfo=dt.UTC))
    finally:
        engine.dispose()
    once = f"sqlite:///{tmp_path / 'once.db'}"
    assert run_ingest(once, CsvFeed(), location=str(SAMPLE_CSV)).exit_code in (0, 3)
    engine = open_store(once, write=False)
    try:
        sample_fresh = staleness_banner(engine, dt.date(2024, 12, 1), now=dt.datetime(2024, 12, 1, 12, tzinfo=dt.UTC))
        sample_old = staleness_banner(engine, dt.date(2024, 12, 1), now=dt.datetime(2024, 12, 4, 12, tzinfo=dt.UTC))
    finally:
        engine.dispose()

    assert fresh is None and sample_fresh is None
    assert stale is not None and stale.startswith("Out of date: the latest report here is of 2026-08-08, 2 days old.")
    assert sample_old is not None and "3 days old. These figures were loaded once from a file" in sample_old


def _table_rows(browser, section: str) -> list[list[str]]:
    return browser.execute_script(
        f"return [...document.querySelectorAll('#{section} tbody tr')].map(r => [...r.cells].map(c => c.textContent))"
    )


def test_the_claims_table_says_period_kind_and_definition_and_links_each_publication(browser, full_site):
    with _served(full_site.parent) as address:
        _open(browser, address)
        headers = browser.execute_script("return [...document.querySelectorAll('#claims th')].map(t => t.textContent)")
        rows = _table_rows(browser, "claims")
        links = browser.execute_script(
            "return [...document.querySelectorAll('#claims tbody a')].map(a => [a.href, a.rel, a.textContent])"
        )

    assert headers[:11] == [
        "Source", "Published", "Period", "Kind", "Definition", "Figure as published", "Kyiv's figure", "Difference",
        "Verdict", "Dated by", "Link",
    ]  # fmt: skip
    uk_2022 = [r for r in rows if r[0].startswith("UK Defence Intelligence") and r[1:3] == ["2024-04-07", "2022"]]
    assert [r[3:10] for r in uk_2022] == [
        ["daily average", "killed or wounded", "400", "343.2", "56.8", "higher", "covered"]
    ]
    assert len(rows) == 52 and len(links) >= 40
    assert all(href.startswith(("https://", "http://")) and rel == "noopener" for href, rel, _text in links)


def test_clicking_a_heading_sorts_the_claims_table_by_its_numbers(browser, full_site):
    with _served(full_site.parent) as address:
        _open(browser, address)
        figure = "return [...document.querySelectorAll('#claims tbody tr')].map(r => r.cells[6].dataset.sort ?? '')"
        button = browser.find_elements("css selector", "#claims thead th button")[6]
        button.click()
        ascending = browser.execute_script(figure)
        button.click()
        descending = browser.execute_script(figure)

    numbers = [float(v) for v in ascending if v]
    assert numbers == sorted(numbers) and numbers[0] < numbers[-1]
    assert ascending[len(numbers) :] == [""] * (len(ascending) - len(numbers))  # not comparable: last
    assert [float(v) for v in descending if v] == sorted(numbers, reverse=True)


def test_each_chart_has_a_caption_sentence_and_links_to_its_png_svg_and_csv(browser, full_site):
    with _served(full_site.parent) as address:
        _open(browser, address)
        figures = browser.execute_script(
            "return [...document.querySelectorAll('figure')].map(f => [f.querySelector('figcaption').textContent,"
            " [...f.querySelectorAll('figcaption a')].map(a => [a.textContent, a.getAttribute('href')])])"
        )

    assert len(figures) >= 6  # a chart added to the standard set needs its CHART_CAPTION and CHART_DATA
    for caption, links in figures:
        assert len(caption) > 80 and caption[0].isupper(), caption
        assert [label for label, _href in links] == ["PNG", "SVG", "CSV"], caption
        assert all((full_site.parent / href).is_file() for _label, href in links)
    daily = next(c for c, _links in figures if c.startswith("Russian personnel losses claimed each day"))
    assert "dated by report (a report dated D covers mostly day D−1)" in daily
    series = list(csv.DictReader((full_site.parent / "series-personnel.csv").open(encoding="utf-8")))
    assert len(series) == 1626 and series[-1]["total"] == "1456610"


def test_a_feed_loaded_from_a_dated_snapshot_shows_when_its_run_happened(full_site):
    rows = {r["feed"]: r for r in csv.DictReader((full_site.parent / "changes-by-feed.csv").open(encoding="utf-8"))}

    assert set(rows) >= {"oryx", "ua-dataset"}
    assert not rows["oryx"]["observed_at"].startswith("2025-07-19")  # the snapshot's date, not the run's
    assert rows["oryx"]["observed_at"][:10] == rows["ua-dataset"]["observed_at"][:10]


def test_a_link_that_is_not_http_is_shown_as_text():
    table = Table("t", "t", [Column("a", "A", link="url")], [{"a": "see", "url": "javascript:alert(1)"}])
    html = render_page(Page("t", "s", "2026-01-01", [Section("s", "s", tables=[table])]))

    assert "javascript:" not in html and "<td>see</td>" in html


def test_every_table_has_a_csv_download_with_iso_dates_and_averages_to_one_decimal(full_site):
    html = full_site.read_text(encoding="utf-8")
    rows = list(csv.DictReader((full_site.parent / "monthly-averages.csv").open(encoding="utf-8")))

    assert html.count('class="download" href=') == html.count("<table") == 7  # claims: <table class="sortable">
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
