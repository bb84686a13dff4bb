"""Orc Losses, a second transcription of the General Staff's reports: a feed of ua-general-staff
whose reports carry their official page, read from real upstream files and their history."""

from __future__ import annotations

import copy
import datetime as dt
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from drills.orc_replay import committed_at, versions
from tests.clirun import run_tracker
from tests.storecheck import count
from tracker.errors import ExitCode
from tracker.ingest.feeds.orc_losses import FILE_NAME, OrcLossesFeed, check_source_url, read_fields
from tracker.ingest.run import run_ingest

FEED_ROWS = "FROM observation o JOIN feed f ON f.id = o.feed_id WHERE f.name = 'orc-losses' AND o.superseded_at IS NULL AND NOT o.removed"
PAGE_OF_2026_08_22 = "https://mod.gov.ua/news/bojovi-vtrati-voroga-na-22-serpnya-2026-roku"
PAGE_OF_2024_11_11 = (
    "https://mod.gov.ua/news/zagalni-bojovi-vtrati-rosiyan-za-dobu-1-770-okupantiv-47-bpla-ta-34-artsistemi"
)


def _reports(url: str) -> int:
    """Distinct report dates of the feed's current personnel totals."""
    return count(
        url,
        f"SELECT COUNT(DISTINCT o.report_date) {FEED_ROWS} AND o.metric_id = (SELECT id FROM metric WHERE name = 'personnel')",
    )


def _urls(url: str) -> int:
    return count(
        url,
        "SELECT COUNT(*) FROM report_note n JOIN feed f ON f.id = n.feed_id WHERE f.name = 'orc-losses' "
        "AND n.key = 'source_url' AND n.superseded_at IS NULL AND NOT n.removed",
    )


def _value(url: str, metric: str, day: str) -> int | None:
    rows = count(
        url,
        f"SELECT COUNT(*) {FEED_ROWS} AND o.metric_id = (SELECT id FROM metric WHERE name = :m) AND o.report_date = :d",
        m=metric,
        d=day,
    )
    if not rows:
        return None
    return count(
        url,
        f"SELECT o.value {FEED_ROWS} AND o.metric_id = (SELECT id FROM metric WHERE name = :m) AND o.report_date = :d",
        m=metric,
        d=day,
    )


@pytest.fixture(scope="module")
def latest_rows(orc_losses: Path) -> list[dict]:
    return json.loads((orc_losses / "latest" / FILE_NAME).read_text())


def test_the_latest_file_stores_1449_reports_with_their_official_pages_and_a_repeat_is_unchanged(
    capsys, store_url, orc_losses
):
    latest = orc_losses / "latest" / FILE_NAME

    code, out, err = run_tracker(capsys, "ingest", "orc-losses", "--from", str(latest), "--db", store_url, "-q")
    assert code in (ExitCode.OK, ExitCode.FINDINGS), err
    assert "orc-losses (ua-general-staff)" in out and "19,667 new" in out

    assert _reports(store_url) == 1449
    assert _urls(store_url) == 1449
    from tracker.store.db import open_store
    from tracker.store.notes import source_urls
    from tracker.store.queries import report_urls

    engine = open_store(store_url, write=False)
    pages = source_urls(engine)
    plain = report_urls(engine)  # what reports read, in plain SQL
    engine.dispose()
    assert len(pages) == 1449 and pages[dt.date(2026, 8, 22)] == PAGE_OF_2026_08_22
    assert plain == pages
    assert _value(store_url, "helicopters", "2026-08-22") == 354

    code, out, err = run_tracker(capsys, "ingest", "orc-losses", "--from", str(latest.parent), "--db", store_url, "-q")
    assert code == ExitCode.OK, err
    assert "unchanged" in out and "19,667 unchanged" in out


def test_replaying_the_first_nine_upstream_versions_stores_each_and_the_renamed_field_continues_helicopters(
    store_url, tmp_path
):
    # Each real version cut to its reports of 2025 (kept small): line 4 renames rotoryWingAircraft
    # to rotaryWingAircraft in every row.
    target = tmp_path / FILE_NAME
    runs = []
    for _number, line, rows in versions(limit=9):
        target.write_text(json.dumps([r for r in rows if r["date"] >= "2025-01-01"]))
        report = run_ingest(store_url, OrcLossesFeed(), location=str(target), observed_at=committed_at(line))
        counts = report.counts
        runs.append((report.status, counts.new, counts.revised, counts.removed, counts.readded))
        assert not any(f.rule == "unknown_metric" for f in report.new_findings)

    assert all(status in ("ok", "ok_with_findings") for status, *_ in runs), runs  # every version stored
    assert runs[4][1:] == (0, 0, 0, 0)  # the rename: nothing new, revised, removed or re-added
    assert [new for _s, new, *_ in runs[5:]] == [14, 14, 14, 14]  # each later day one report of 14 values
    assert count(store_url, f"SELECT COUNT(DISTINCT o.metric_id) {FEED_ROWS}") == 14
    helicopter_rows = count(
        store_url,
        "SELECT COUNT(*) FROM observation o JOIN feed f ON f.id = o.feed_id WHERE f.name = 'orc-losses' "
        "AND o.metric_id = (SELECT id FROM metric WHERE name = 'helicopters')",
    )
    assert helicopter_rows == _reports(store_url) == 43  # one row per report, never revised at the rename


def _ingest(url: str, path: Path, rows: object) -> tuple[int, list]:
    path.write_text(rows if isinstance(rows, str) else json.dumps(rows))
    report = run_ingest(url, OrcLossesFeed(), location=str(path))
    return int(report.exit_code), report.new_findings


def test_bad_values_and_an_unreadable_date_are_findings_and_remove_nothing_stored(store_url, tmp_path, latest_rows):
    base = latest_rows[:20]
    path = tmp_path / FILE_NAME
    assert _ingest(store_url, path, base)[0] in (ExitCode.OK, ExitCode.FINDINGS)
    day = base[3]["date"]
    stored = _value(store_url, "tanks", day)

    bad = copy.deepcopy(base)
    bad[3]["tanks"] = "12,000"  # a string
    bad[4]["afvs"] = -5  # a negative
    bad[5]["uavs"] = 1.5  # a fraction
    bad[6]["ships"] = True  # a bool
    del bad[7]["date"]  # a report without a date
    code, findings = _ingest(store_url, path, bad)

    assert code == ExitCode.FINDINGS
    rules = sorted(f.rule for f in findings if f.rule in ("bad_value", "bad_row"))
    assert rules == ["bad_row", "bad_value", "bad_value", "bad_value", "bad_value"]
    assert _value(store_url, "tanks", day) == stored  # not replaced, not removed
    assert _value(store_url, "afv", base[4]["date"]) == base[4]["afvs"]
    assert _value(store_url, "personnel", base[7]["date"]) == base[7]["personnel"]  # its report kept
    assert _reports(store_url) == 20


def test_a_null_is_not_reported_a_duplicate_date_and_an_unknown_field_are_findings(sqlite_url, tmp_path, latest_rows):
    rows = copy.deepcopy(latest_rows[:10])
    rows[0]["missiles"] = None
    rows[2]["groundRobots"] = 12
    rows.append({**rows[5], "personnel": rows[5]["personnel"] + 10})
    code, findings = _ingest(sqlite_url, tmp_path / FILE_NAME, rows)

    assert code == ExitCode.FINDINGS
    rules = {f.rule for f in findings}
    assert {"duplicate_date", "unknown_metric"} <= rules
    assert "bad_value" not in rules  # a null is "not reported that day", no finding
    assert _value(sqlite_url, "cruise_missiles", rows[0]["date"]) is None
    assert _value(sqlite_url, "personnel", rows[5]["date"]) == rows[5]["personnel"] + 10  # the later kept
    assert _reports(sqlite_url) == 10


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("<!doctype html><html><body>404</body></html>", "expected JSON, got an HTML page"),
        ('[{"date": "2026-08-22", "personnel": 12', "truncated JSON"),
        ('{"data": []}', "expected a JSON list of reports, got dict"),
    ],
    ids=["html", "truncated", "not-a-list"],
)
def test_a_file_that_is_not_a_list_of_reports_is_one_line_exit_5_and_nothing_stored_is_lost(
    capsys, sqlite_url, tmp_path, latest_rows, body, says
):
    path = tmp_path / FILE_NAME
    _ingest(sqlite_url, path, latest_rows[:20])
    path.write_text(body)

    code, out, err = run_tracker(capsys, "ingest", "orc-losses", "--from", str(path), "--db", sqlite_url, "-q")

    assert code == ExitCode.BAD_PAYLOAD
    assert says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert _reports(sqlite_url) == 20 and _urls(sqlite_url) == 20


def test_an_empty_list_is_held_with_its_pages_and_accepting_it_removes_both(capsys, store_url, tmp_path, latest_rows):
    path = tmp_path / FILE_NAME
    _ingest(store_url, path, latest_rows[:20])
    path.write_text("[]")

    code, out, err = run_tracker(capsys, "ingest", "orc-losses", "--from", str(path), "--db", store_url, "-q")

    # 20 reports of 14 categories: every series emptied, so every removal is held (exit 3), and a
    # report's official page stays with its held figures.
    assert code == ExitCode.FINDINGS, err
    assert "280 held" in out + err
    assert _reports(store_url) == 20 and _urls(store_url) == 20

    code, out, err = run_tracker(capsys, "feeds", "accept-withdrawal", "orc-losses", "--db", store_url)

    assert code == ExitCode.OK, err
    assert "removed 280 row(s)" in out
    assert _reports(store_url) == 0 and _urls(store_url) == 0
    # the pages' history is kept: each has its first revision and a removal
    assert count(store_url, "SELECT COUNT(*) FROM report_note WHERE key = 'source_url' AND removed") == 20
    assert count(store_url, "SELECT COUNT(*) FROM report_note WHERE key = 'source_url' AND revision = 1") == 20


def test_a_bad_official_page_is_a_finding_not_stored_and_the_stored_one_stays(sqlite_url, tmp_path, latest_rows):
    path = tmp_path / FILE_NAME
    _ingest(sqlite_url, path, latest_rows[:5])
    rows = copy.deepcopy(latest_rows[:5])
    rows[1]["sourceUri"] = "javascript:alert(1)"
    rows[2]["sourceUri"] = "https://mod.gov.ua/news/\nx"
    rows[3]["sourceUri"] = 42
    code, findings = _ingest(sqlite_url, path, rows)

    assert code == ExitCode.FINDINGS
    assert sum(f.rule == "bad_value" and f.metric == "sourceUri" for f in findings) == 3
    assert _urls(sqlite_url) == 5  # nothing removed for a page that could not be read
    assert _reports(sqlite_url) == 5


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://mod.gov.ua/x",
        "https://",
        "https://mod.gov.ua/" + "a" * 2000,
        "https://mod.gov.ua/a b",
        "https://x/\x00",
        "https://mod.gov.ua/\u202eevil",
    ],
)
def test_check_source_url_takes_only_a_plain_http_address(bad):
    assert check_source_url(PAGE_OF_2026_08_22) == PAGE_OF_2026_08_22
    with pytest.raises(ValueError):
        check_source_url(bad)


def test_the_fields_file_maps_both_helicopter_spellings_to_one_metric_and_refuses_an_unknown_metric(tmp_path):
    from tracker.ingest.feeds.orc_losses import FIELDS_FILE

    fields = read_fields(FIELDS_FILE)
    assert fields["rotaryWingAircraft"] == fields["rotoryWingAircraft"] == "helicopters"
    assert len(set(fields.values())) == 14
    bad = tmp_path / "fields.csv"
    bad.write_text("field,metric,note\nfoo,not_a_metric,\n")
    with pytest.raises(ValueError, match="not a canonical metric"):
        read_fields(bad)


def test_the_live_location_is_fetched_over_http_and_a_5xx_or_an_html_page_is_refused(sqlite_url, latest_rows):
    import httpx

    from tracker.ingest.http import make_client

    body = json.dumps(latest_rows[:10]).encode()
    answers = {
        "/ok/russian-losses.json": httpx.Response(200, content=body),
        "/down/russian-losses.json": httpx.Response(503, content=b"busy"),
        "/html/russian-losses.json": httpx.Response(200, content=b"<html><body>Error</body></html>"),
    }
    client = make_client(transport=httpx.MockTransport(lambda request: answers[request.url.path]))
    options = {"client": client, "retries": 0}

    ok = run_ingest(
        sqlite_url, OrcLossesFeed(), location="https://mirror.example/ok/russian-losses.json", fetch_options=options
    )
    down = run_ingest(
        sqlite_url, OrcLossesFeed(), location="https://mirror.example/down/russian-losses.json", fetch_options=options
    )
    html = run_ingest(
        sqlite_url, OrcLossesFeed(), location="https://mirror.example/html/russian-losses.json", fetch_options=options
    )

    assert ok.status in ("ok", "ok_with_findings") and _reports(sqlite_url) == 10
    assert down.exit_code == ExitCode.UNREACHABLE and "503" in (down.error or "")
    assert html.exit_code == ExitCode.BAD_PAYLOAD and "an HTML page" in (html.error or "")
    assert _reports(sqlite_url) == 10 and _urls(sqlite_url) == 10
    assert (
        OrcLossesFeed.default_location == "https://raw.githubusercontent.com/lod-db/orc-losses/main/russian-losses.json"
    )


@pytest.fixture(scope="module")
def both_feeds(tmp_path_factory, latest_dir, orc_losses) -> str:
    """A SQLite store with the open dataset and Orc Losses ingested."""
    from tracker.ingest.feeds.dataset import DatasetFeed

    url = f"sqlite:///{tmp_path_factory.mktemp('both') / 'store.db'}"
    assert run_ingest(url, DatasetFeed(), location=str(latest_dir)).status == "ok_with_findings"
    assert run_ingest(url, OrcLossesFeed(), location=str(orc_losses / "latest")).status == "ok_with_findings"
    return url


def test_headline_as_of_2024_11_11_carries_the_official_page_and_reads_the_dataset(capsys, both_feeds, monkeypatch):
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")
    code, out, err = run_tracker(capsys, "headline", "--as-of", "2024-11-11", "--format", "json", "--db", both_feeds)

    assert code == 0, err
    numbers = json.loads(out)["numbers"]
    assert (numbers["increment"], numbers["total"]) == (1770, 710660)  # the dataset's, as before
    assert numbers["source_url"] == PAGE_OF_2024_11_11
    assert "1740" in numbers["previous_record"]["source_url"]  # the page of 2024-05-13 states its increase


def test_series_csv_and_json_carry_each_reports_source_url(capsys, both_feeds, monkeypatch):
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")
    window = ("--since", "2024-11-10", "--until", "2024-11-11", "--db", both_feeds)
    code, out, _ = run_tracker(capsys, "series", "--format", "csv", *window)
    header, *rows = out.strip().splitlines()
    assert code == 0 and header.split(",")[-1] == "source_url"
    assert rows[-1].endswith("," + PAGE_OF_2024_11_11)

    code, out, _ = run_tracker(capsys, "series", "--format", "json", *window)
    assert [r["source_url"] for r in json.loads(out)["rows"]][-1] == PAGE_OF_2024_11_11

    code, out, _ = run_tracker(capsys, "records", "--format", "csv", "--db", both_feeds)
    assert out.splitlines()[0].endswith(",source_url") and "2-200-okupantiv" in out.splitlines()[1]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs))


def test_the_page_links_the_headline_and_each_record_to_its_official_page(both_feeds):
    from tracker.reports.options import Filters, load_series, report_options
    from tracker.reports.outputs import report_urls
    from tracker.site.build import _headline, _records
    from tracker.site.page import Page, render_page

    opts = report_options(
        metric="personnel", source="ua-general-staff", by="report", format="json", include_flagged=False,
        db=both_feeds, filters=Filters(until="2024-11-11"),
    )  # fmt: skip
    daily = load_series(opts)[1]
    urls = report_urls(opts)
    page = render_page(Page("t", "s", "2026-01-01", [_headline(daily, urls), _records(daily, urls, opts)]))
    parser = _Links()
    parser.feed(page)
    official = [a for a in parser.links if str(a.get("href")).startswith("https://")]

    assert official[0]["href"] == PAGE_OF_2024_11_11  # the headline figure's report
    assert all(a.get("rel") == "noopener" for a in official)
    assert len(official) > 10  # the record progression and the top days


def test_tracker_orc_losses_from_adds_the_feed_to_the_daily_job(capsys, tmp_path, latest_dir, orc_losses, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("TRACKER_DATASET_FROM", str(latest_dir))
    monkeypatch.setenv("TRACKER_ORC_LOSSES_FROM", str(orc_losses / "latest"))
    monkeypatch.delenv("TRACKER_CHARTS_DIR", raising=False)
    monkeypatch.delenv("TRACKER_SITE_DIR", raising=False)
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")  # no reports to warm: the test is about the ingest step

    code, out, err = run_tracker(capsys, "daily", "--db", url)

    assert code == ExitCode.FINDINGS, err
    assert f"orc-losses (ua-general-staff) from {orc_losses / 'latest'}: ok_with_findings — 21,116 records" in out
    assert "orc-losses (ua-general-staff): 1 run (#3" in out  # in the digest of what the job changed
    assert _reports(url) == 1449


def test_a_broken_orc_losses_file_fails_its_step_only_and_the_job_exits_5(capsys, tmp_path, latest_dir):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    bad = tmp_path / FILE_NAME
    bad.write_text("<html><body>502 Bad Gateway</body></html>")

    code, out, err = run_tracker(
        capsys, "daily", "--dataset-from", str(latest_dir), "--orc-losses-from", str(bad), "--db", url
    )

    assert code == ExitCode.BAD_PAYLOAD
    assert f"error: orc-losses (ua-general-staff) from {bad}: failed — {bad}: expected JSON, got an HTML page" in err
    assert "22,375 new" in out  # the dataset's step stored its figures
    assert count(url, f"SELECT COUNT(*) {FEED_ROWS}") == 0


def test_a_report_dated_after_the_runs_day_keeps_its_official_page_out_too(sqlite_url, tmp_path, latest_rows):
    rows = copy.deepcopy(latest_rows[:5])
    rows[0] = {**rows[0], "date": "2999-01-01", "sourceUri": "https://mod.gov.ua/news/from-the-future"}
    code, findings = _ingest(sqlite_url, tmp_path / FILE_NAME, rows)

    assert code == ExitCode.FINDINGS and any(f.rule == "implausible_date" for f in findings)
    assert _reports(sqlite_url) == 4 and _urls(sqlite_url) == 4


def test_a_hostile_page_address_is_escaped_and_only_http_addresses_are_links():
    from tracker.site.page import Page, Section, Table, columns, render_page

    hostile = 'https://x.example/"><script>alert(1)</script>'
    rows = [
        {"report_date": "2024-11-11", "source_url": hostile},
        {"report_date": "2024-11-12", "source_url": "javascript:alert(1)"},
    ]
    table = Table("t", "days", columns(("report_date", "Report", False, None, "source_url")), rows)
    html = render_page(
        Page("t", "s", "2026-01-01", [Section("x", "X", tables=[table], links=[(hostile, "<b>page</b>")])])
    )
    parser = _Links()
    parser.feed(html)

    assert "<script>" not in html and "&lt;b&gt;page&lt;/b&gt;" in html
    assert [a["href"] for a in parser.links if a.get("rel") == "noopener"] == [hostile, hostile]  # escaped, intact
    assert "javascript:" not in "".join(str(a.get("href")) for a in parser.links)


def test_the_replay_drill_prints_its_counts_for_the_first_versions(capsys, orc_losses):
    from drills.orc_replay import main

    assert main(["--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert "5 versions: 5 stored, 0 unchanged, 0 refused; 0 values removed, 0 re-added and 0 held" in out
    # 886 reports in the first version, one more a day for three days; 11,827 non-null values
    assert (
        "reports 889, values 11,827, revisions 0, withdrawals none, source_urls 889, metrics 14, latest 2025-02-08"
        in out
    )


def test_a_bare_orc_losses_flag_runs_the_step_from_the_live_file(monkeypatch):
    from tracker.api.daily_job import DailySettings

    monkeypatch.delenv("TRACKER_ORC_LOSSES_FROM", raising=False)
    assert not DailySettings.from_env().runs_orc_losses  # off unless asked
    asked = DailySettings.from_env(orc_losses=True)
    assert asked.runs_orc_losses and asked.orc_losses_from is None  # None: OrcLossesFeed's live default
    monkeypatch.setenv("TRACKER_ORC_LOSSES_FROM", "/srv/mirror/russian-losses.json")
    assert DailySettings.from_env().orc_losses_from == "/srv/mirror/russian-losses.json"
