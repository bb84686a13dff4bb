"""The russianwarship.rip API v2 feed: fetching (local and mocked HTTP, paging) and parsing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tracker.errors import BadPayload, InvalidInput, SourceUnreachable
from tracker.ingest.feeds.warship import WarshipFeed
from tracker.ingest.http import make_client
from tracker.ingest.parsed import Fetched, ObservationRecord

FIXTURES = Path(__file__).parent / "fixtures" / "warship"
PAGE_1 = FIXTURES / "pages" / "page-1.json"
PAGE_2 = FIXTURES / "pages" / "page-2.json"
LATEST = FIXTURES / "latest.json"
BASE = "https://russianwarship.rip/api/v2"
NOV = {d: dt.date(2024, 11, d) for d in range(1, 31)}

feed = WarshipFeed()


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def record(date: str, stats: dict[str, Any], increase: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "date": date,
        "day": 992,
        "resource": "https://www.facebook.com/GeneralStaff.ua",
        "stats": stats,
        "increase": increase if increase is not None else {},
    }


def page(*records: Any, next_url: str | None = None) -> dict[str, Any]:
    return {
        "message": "The data were fetched successfully.",
        "data": {"records": list(records), "paging": {"next_url": next_url}},
    }


def fetched(doc: Any, location: str = f"{BASE}/statistics?offset=0") -> Fetched:
    content = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return Fetched(location=location, content=content, fetched_at=dt.datetime.now(dt.UTC), status=200)


def parse(*docs: Any) -> Any:
    return feed.parse([fetched(doc, f"{BASE}/page-{i}") for i, doc in enumerate(docs, 1)])


def find(observations: list[ObservationRecord], metric: str, date: dt.date) -> ObservationRecord:
    [match] = [o for o in observations if o.metric == metric and o.report_date == date]
    return match


def router(pages: dict[str, Any]) -> tuple[httpx.Client, list[httpx.URL]]:
    """A client whose mock server answers path+query keys from `pages` and 404s the rest."""
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        key = request.url.raw_path.decode()
        if key not in pages:
            return httpx.Response(404)
        return httpx.Response(200, json=pages[key])

    return make_client(transport=httpx.MockTransport(handler)), seen


FIRST_PAGE = "/api/v2/statistics?offset=0&limit=50&date_from=2024-11-08&date_to=2024-11-12"
SECOND_PAGE = "/api/v2/statistics?offset=3&limit=3&date_from=2024-11-08&date_to=2024-11-12"


# --- the feed's identity and start-up cost ---------------------------------------------------


def test_feed_names_its_source_and_live_default_location() -> None:
    assert feed.name == "russianwarship-api"
    assert feed.source == "ua-general-staff"
    assert feed.default_location == "https://russianwarship.rip/api/v2"


def test_importing_the_feed_does_not_import_httpx() -> None:
    code = "import sys, tracker.ingest.feeds.warship; sys.exit('httpx' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --- parsing the fixtures -------------------------------------------------------------------


def test_parse_maps_stats_to_canonical_metrics_with_the_reported_increase() -> None:
    parsed = feed.parse(feed.fetch(str(FIXTURES / "pages")))
    assert find(parsed.observations, "personnel", NOV[11]) == ObservationRecord(
        "personnel", NOV[11], 710660, qualifier=None, reported_increase=1770
    )
    assert find(parsed.observations, "personnel", NOV[10]).value == 708890
    assert find(parsed.observations, "personnel", NOV[10]).reported_increase == 1350
    assert find(parsed.observations, "afv", NOV[12]).value == 18847
    assert find(parsed.observations, "uav", NOV[8]).value == 18526
    assert len(parsed.observations) == 5 * 15
    assert parsed.issues == []


def test_scope_covers_the_metrics_seen_and_only_the_dates_of_the_pages() -> None:
    parsed = feed.parse(feed.fetch(str(PAGE_2)))
    assert parsed.scope.date_from == NOV[11] and parsed.scope.date_to == NOV[12]
    assert "personnel" in parsed.scope.metrics and "aircraft" in parsed.scope.metrics
    assert parsed.scope.covers("tanks", NOV[11])
    assert not parsed.scope.covers("tanks", NOV[10])


def test_a_single_day_answer_parses_as_one_record() -> None:
    parsed = feed.parse(feed.fetch(str(LATEST)))
    assert {o.report_date for o in parsed.observations} == {NOV[12]}
    assert find(parsed.observations, "personnel", NOV[12]).value == 712610


def test_an_empty_page_parses_to_nothing_with_an_empty_scope() -> None:
    parsed = parse(page())
    assert parsed.observations == [] and parsed.scope.metrics == frozenset()
    assert parsed.scope.date_from is None


# --- local file and folder modes ------------------------------------------------------------


def test_local_file_is_read_as_one_fetched_without_status() -> None:
    [item] = feed.fetch(str(PAGE_1))
    assert item.location == str(PAGE_1)
    assert item.content == PAGE_1.read_bytes()
    assert item.status is None
    assert item.fetched_at.tzinfo is not None


def test_local_folder_reads_its_json_files_in_name_order(tmp_path: Path) -> None:
    shutil.copy(PAGE_2, tmp_path / "b.json")
    shutil.copy(PAGE_1, tmp_path / "a.json")
    (tmp_path / "notes.txt").write_text("not a page")
    items = feed.fetch(str(tmp_path))
    assert [Path(i.location).name for i in items] == ["a.json", "b.json"]
    assert all(i.status is None for i in items)


def test_a_folder_without_json_files_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no \\*.json files"):
        feed.fetch(str(tmp_path))


def test_a_missing_local_path_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file or folder"):
        feed.fetch(str(tmp_path / "missing.json"))


# --- fetching from the API (mock server) ----------------------------------------------------


def test_without_dates_fetch_asks_for_the_latest_report() -> None:
    client, seen = router({"/api/v2/statistics/latest": load(LATEST)})
    progress: list[int] = []
    items = feed.fetch(client=client, progress=progress.append)
    assert [str(u) for u in seen] == [f"{BASE}/statistics/latest"]
    assert items[0].status == 200 and items[0].location == f"{BASE}/statistics/latest"
    assert progress == [1]
    assert feed.parse(items).scope.date_from == NOV[12]


def test_with_dates_fetch_follows_an_absolute_next_url_to_the_last_page() -> None:
    client, seen = router({FIRST_PAGE: load(PAGE_1), SECOND_PAGE: load(PAGE_2)})
    progress: list[int] = []
    items = feed.fetch(BASE, date_from=NOV[8], date_to=NOV[12], client=client, progress=progress.append)
    assert [u.raw_path.decode() for u in seen] == [FIRST_PAGE, SECOND_PAGE]
    assert progress == [1, 2]
    assert [i.location for i in items] == [BASE + FIRST_PAGE[7:], BASE + SECOND_PAGE[7:]]
    parsed = feed.parse(items)
    assert parsed.scope.date_from == NOV[8] and parsed.scope.date_to == NOV[12]
    assert len(parsed.observations) == 5 * 15


@pytest.mark.parametrize(
    "next_url",
    [
        "statistics?offset=3&limit=3&date_from=2024-11-08&date_to=2024-11-12",
        "/api/v2/statistics?offset=3&limit=3&date_from=2024-11-08&date_to=2024-11-12",
    ],
)
def test_a_relative_next_url_is_resolved_against_the_api_base(next_url: str) -> None:
    first = load(PAGE_1)
    first["data"]["paging"]["next_url"] = next_url
    client, seen = router({FIRST_PAGE: first, SECOND_PAGE: load(PAGE_2)})
    items = feed.fetch(BASE + "/", date_from=NOV[8], date_to=NOV[12], client=client)
    assert [u.raw_path.decode() for u in seen] == [FIRST_PAGE, SECOND_PAGE]
    assert len(items) == 2


def test_a_next_url_pointing_back_to_a_fetched_page_stops_with_bad_payload() -> None:
    first = load(PAGE_1)
    first["data"]["paging"]["next_url"] = BASE + FIRST_PAGE[7:]
    client, seen = router({FIRST_PAGE: first})
    with pytest.raises(BadPayload, match="paging loops back"):
        feed.fetch(BASE, date_from=NOV[8], date_to=NOV[12], client=client)
    assert len(seen) == 1


def test_a_next_url_that_is_not_a_string_is_a_bad_payload() -> None:
    first = load(PAGE_1)
    first["data"]["paging"]["next_url"] = 3
    client, _ = router({FIRST_PAGE: first})
    with pytest.raises(BadPayload, match="paging.next_url is not a URL: 3"):
        feed.fetch(BASE, date_from=NOV[8], date_to=NOV[12], client=client)


def test_more_pages_than_max_pages_stops_with_bad_payload() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        return httpx.Response(200, json=page(next_url=f"statistics?offset={offset + 50}&limit=50"))

    client = make_client(transport=httpx.MockTransport(handler))
    with pytest.raises(BadPayload, match="more than 3 pages"):
        feed.fetch(BASE, date_from=NOV[1], date_to=NOV[30], client=client, max_pages=3)


def test_a_page_that_is_not_json_ends_paging_and_is_kept_for_parse_to_reject() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, html="<!DOCTYPE html><html><body>Maintenance</body></html>")

    client = make_client(transport=httpx.MockTransport(handler))
    items = feed.fetch(BASE, date_from=NOV[8], date_to=NOV[12], client=client)
    assert len(items) == 1
    with pytest.raises(BadPayload, match="got an HTML page"):
        feed.parse(items)


def test_an_http_error_from_the_api_surfaces_as_source_unreachable() -> None:
    client, _ = router({})
    with pytest.raises(SourceUnreachable, match=r"statistics/latest: HTTP 404"):
        feed.fetch(BASE, client=client)


def test_date_from_after_date_to_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        feed.fetch(BASE, date_from=NOV[12], date_to=NOV[8])


# --- non-fatal findings ---------------------------------------------------------------------


def test_an_unknown_key_becomes_one_parse_issue_and_is_not_stored() -> None:
    parsed = parse(
        page(
            record("2024-11-10", {"personnel_units": 708890, "ground_robots": 3}),
            record("2024-11-11", {"personnel_units": 710660, "ground_robots": 4}),
        )
    )
    [issue] = parsed.issues
    assert issue.rule == "unknown_metric" and issue.metric == "ground_robots"
    assert "2 on 2024-11-10..2024-11-11" in issue.message
    assert {o.metric for o in parsed.observations} == {"personnel"}


def test_a_conflicting_duplicate_date_across_pages_is_reported_and_the_last_kept() -> None:
    parsed = parse(
        page(record("2024-11-11", {"personnel_units": 710660}, {"personnel_units": 1770})),
        page(record("2024-11-11", {"personnel_units": 710700}, {"personnel_units": 1810})),
    )
    [issue] = parsed.issues
    assert issue.rule == "duplicate_date"
    assert issue.metric == "personnel" and issue.report_date == NOV[11]
    assert "710660" in issue.message and "710700" in issue.message
    [obs] = parsed.observations
    assert obs.value == 710700 and obs.reported_increase == 1810


def test_an_identical_duplicate_date_is_merged_silently() -> None:
    same = record("2024-11-11", {"personnel_units": 710660}, {"personnel_units": 1770})
    parsed = parse(page(same), page(same))
    assert parsed.issues == []
    assert len(parsed.observations) == 1


def test_a_negative_increase_is_kept_as_reported() -> None:
    parsed = parse(page(record("2024-11-11", {"tanks": 9253}, {"tanks": -2})))
    assert parsed.observations[0].reported_increase == -2


def test_a_missing_increase_leaves_reported_increase_empty() -> None:
    doc = page(record("2024-11-11", {"tanks": 9253}))
    del doc["data"]["records"][0]["increase"]
    assert parse(doc).observations[0].reported_increase is None


def test_a_float_without_fraction_is_accepted_as_an_integer() -> None:
    obs = parse(page(record("2024-11-11", {"personnel_units": 710660.0}))).observations[0]
    assert obs.value == 710660 and isinstance(obs.value, int)


# --- fatal payload problems: one line naming the location (and the date) -------------------


def bad(doc: Any) -> str:
    with pytest.raises(BadPayload) as info:
        feed.parse([fetched(doc, "https://russianwarship.rip/api/v2/statistics/latest")])
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("https://russianwarship.rip/api/v2/statistics/latest: ")
    return message


def test_an_empty_body_is_a_bad_payload() -> None:
    assert bad(b"  \n").endswith(": empty body")


def test_an_html_error_page_is_a_bad_payload_that_says_so() -> None:
    message = bad(b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>")
    assert message.endswith("expected JSON, got an HTML page (starts with '<!DOCTYPE html>')")


def test_plain_text_is_a_bad_payload_that_quotes_its_start() -> None:
    assert "expected JSON, got plain text (starts with 'Too Many Requests')" in bad(b"Too Many Requests")


@pytest.mark.parametrize("cut", [40, 1000, 2500])
def test_truncated_json_is_a_bad_payload(cut: int) -> None:
    assert ": truncated JSON" in bad(PAGE_1.read_bytes()[:cut])


def test_json_broken_in_the_middle_is_an_invalid_json_bad_payload() -> None:
    assert "invalid JSON at line 1" in bad(b'{"data": {"records": [}, "x": 1}')


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([1, 2], "expected an object with 'data', got a list"),
        ({"message": "ok"}, "expected an object with 'data', got an object"),
        ({"message": "Record not found", "data": None}, "'data' is null (message: 'Record not found')"),
        ({"data": {"records": {"date": "2024-11-11"}}}, "data.records is an object"),
        ({"data": {"paging": {}}}, "'data' has neither 'records' nor a single record"),
        (page("2024-11-11"), "a record is a string, not an object"),
        (page({"stats": {"tanks": 1}}), "a record has no 'date'"),
        (page({"date": "2024-11-11", "increase": {}}), "record 2024-11-11: wrong shape: 'stats' is null"),
        (page(record("2024-11-11", ["tanks", 1])), "record 2024-11-11: wrong shape: 'stats' is a list"),
    ],
)
def test_a_wrong_shape_is_a_bad_payload(doc: Any, expected: str) -> None:
    assert expected in bad(doc)


@pytest.mark.parametrize("date", ["2024-13-01", "11/11/2024", "20241111", "2024-11-11T07:00:00", 20241111])
def test_a_malformed_date_is_a_bad_payload(date: Any) -> None:
    assert f"malformed date {date!r}" in bad(page(record(date, {"tanks": 1})))


# A bad value in one record is a finding (tests/test_record_level.py); a page whose only value is
# bad has more than half of its values bad, and is refused whole.
@pytest.mark.parametrize("value", ["710660", True, 710660.5, None, [710660]])
def test_a_page_whose_only_stat_is_not_a_count_is_refused_whole(value: Any) -> None:
    message = bad(page(record("2024-11-11", {"personnel_units": value})))
    assert "1 of 1 values unreadable (more than 50%), nothing stored" in message
    assert f"first: record 2024-11-11: stats.personnel_units: bad value {value!r}" in message


def test_a_page_whose_only_increase_is_not_a_count_is_refused_whole() -> None:
    message = bad(page(record("2024-11-11", {"tanks": 9253}, {"tanks": "4"})))
    assert message.endswith("first: record 2024-11-11: increase.tanks: bad value '4' (text, not a number)")


def test_a_page_whose_only_total_is_negative_is_refused_whole() -> None:
    message = bad(page(record("2024-11-11", {"personnel_units": -710660})))
    assert message.endswith("first: record 2024-11-11: stats.personnel_units: bad value -710660 (negative)")


def test_parsing_nothing_is_a_bad_payload() -> None:
    with pytest.raises(BadPayload, match="nothing to parse"):
        feed.parse([])
