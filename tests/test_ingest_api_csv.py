"""The russianwarship.rip API and plain CSV feeds, through the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx

from tests.clirun import run_tracker
from tests.storecheck import count, fingerprint
from tracker.errors import ExitCode
from tracker.ingest.feeds.csvfeed import CsvFeed
from tracker.ingest.feeds.warship import WarshipFeed
from tracker.ingest.run import run_ingest
from tracker.store.db import open_store
from tracker.store.queries import observations_frame

FIXTURES = Path(__file__).parent / "fixtures" / "warship"
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "ua-general-staff-personnel.csv"


def test_api_pages_are_stored_with_the_reported_increase_beside_the_total(store_url):
    report = run_ingest(store_url, WarshipFeed(), location=str(FIXTURES / "pages"))

    assert report.status in ("ok", "ok_with_findings"), report.error
    frame = observations_frame(open_store(store_url, write=False), metric="personnel")
    row = frame[frame.report_date == "2024-11-11"].iloc[0]
    assert row.value == 710_660 and row.reported_increase == 1_770


def test_api_increase_that_differs_from_the_difference_of_totals_is_flagged(sqlite_url, tmp_path):
    import json

    page = json.loads((FIXTURES / "latest.json").read_text())
    first = page["data"]
    second = {
        **first,
        "date": "2024-11-13",
        "stats": {**first["stats"], "personnel_units": 714380},
        "increase": {**first["increase"], "personnel_units": 1500},
    }  # totals differ by 1,770
    (tmp_path / "p.json").write_text(json.dumps({"data": {"records": [first, second], "paging": {}}}))

    report = run_ingest(sqlite_url, WarshipFeed(), location=str(tmp_path / "p.json"))

    assert report.exit_code == ExitCode.FINDINGS
    assert (
        count(
            sqlite_url,
            "SELECT COUNT(*) FROM finding WHERE rule = 'increase_mismatch' "
            "AND metric = 'personnel' AND report_date = '2024-11-13'",
        )
        == 1
    )


def test_api_paging_over_http_follows_next_url_until_the_last_page(sqlite_url):
    import json

    pages = sorted((FIXTURES / "pages").glob("*.json"))
    bodies = [json.loads(p.read_text()) for p in pages]
    for i, body in enumerate(bodies):
        body["data"]["paging"]["next_url"] = f"/api/v2/statistics?offset={i + 1}" if i + 1 < len(bodies) else None
    served = []

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", 0))
        served.append(offset)
        return httpx.Response(200, json=bodies[offset])

    client = httpx.Client(transport=httpx.MockTransport(handler))
    report = run_ingest(
        sqlite_url,
        WarshipFeed(),
        location="https://russianwarship.rip/api/v2",
        fetch_options={"client": client, "date_from": dt.date(2024, 11, 8), "date_to": dt.date(2024, 11, 12)},
    )

    assert report.status in ("ok", "ok_with_findings"), report.error
    assert served == list(range(len(bodies)))
    assert count(sqlite_url, "SELECT COUNT(*) FROM payload_fetch") == len(bodies)


def test_bundled_sample_loads_through_the_csv_feed_as_general_staff_personnel(store_url):
    report = run_ingest(store_url, CsvFeed(), location=str(SAMPLE), source="ua-general-staff")

    assert report.status == "ok" and report.counts.new == 246
    frame = observations_frame(open_store(store_url, write=False), metric="personnel")
    assert (frame.report_date.min(), frame.report_date.max()) == (dt.datetime(2024, 3, 31), dt.datetime(2024, 12, 1))
    assert int(frame[frame.report_date == "2024-11-11"].value.iloc[0]) == 710_660


def test_csv_feed_is_additive_a_smaller_file_removes_nothing(sqlite_url, tmp_path):
    run_ingest(sqlite_url, CsvFeed(), location=str(SAMPLE))
    one_day = tmp_path / "one.csv"
    one_day.write_text("report_date,metric,value,qualifier\n2024-12-02,personnel,743400,about\n")

    report = run_ingest(sqlite_url, CsvFeed(), location=str(one_day))

    assert (report.counts.new, report.counts.removed) == (1, 0)


def test_csv_with_a_bad_header_or_nothing_but_bad_rows_is_refused_naming_the_line(capsys, sqlite_url, tmp_path):
    run_ingest(sqlite_url, CsvFeed(), location=str(SAMPLE))
    before = fingerprint(sqlite_url)
    cases = {
        "date,value\n2024-12-02,1\n": "header must name report_date, metric, value (and may name qualifier and source)",
        # one row, and it is bad: more than half of the file, so the file is refused whole
        "report_date,metric,value\n2024-12-02,personnel,lots\n": "line 2 2024-12-02 'personnel': bad value 'lots'",
        "report_date,metric,value\n2024-12-02,personnel,-4\n": "line 2 2024-12-02 'personnel': bad value '-4' (negative)",
        "report_date,metric,value\n02/12/2024,personnel,4\n": "line 2 date '02/12/2024': not a date written YYYY-MM-DD",
        "": "empty file",
    }
    for text, message in cases.items():
        path = tmp_path / "bad.csv"
        path.write_text(text)
        code, _, err = run_tracker(capsys, "ingest", "csv", "--from", str(path), "--db", sqlite_url)
        assert code == ExitCode.BAD_PAYLOAD and message in err, (text, err)
    assert fingerprint(sqlite_url) == before
