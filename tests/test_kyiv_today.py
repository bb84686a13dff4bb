""" "Today" is the Kyiv day everywhere (tracker.domain.kyiv_today): at 23:30 UTC on 30 November,
Kyiv (UTC+2 in winter) is already on 1 December, and so is every "today" tracker uses — a chart's
generated date, its series' future-date check, a claim's "published in the future" check and
--as-of. The clock is the domain module's, set by the test; nothing sleeps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from tracker.errors import InvalidInput

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "ua-general-staff-personnel.csv"
LATE_EVENING_UTC = dt.datetime(2024, 11, 30, 23, 30, tzinfo=dt.UTC)  # Kyiv: 2024-12-01 01:30
KYIV_DAY = dt.date(2024, 12, 1)


def _clock_at(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    """Set tracker.domain's clock (the one kyiv_today reads) to `moment`."""
    import tracker.domain

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    monkeypatch.setattr(tracker.domain, "dt", SimpleNamespace(datetime=Clock))


@pytest.fixture
def late_evening_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    _clock_at(monkeypatch, LATE_EVENING_UTC)


def test_kyiv_today_is_the_next_day_at_23_30_utc(late_evening_utc: None) -> None:
    from tracker.domain import kyiv_today

    assert kyiv_today() == KYIV_DAY


def test_a_charts_generated_date_is_the_kyiv_day(late_evening_utc: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.charts.output import generated_date

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert generated_date() == KYIV_DAY


def test_a_claim_published_on_the_kyiv_day_is_not_in_the_future_and_the_next_day_is(late_evening_utc: None) -> None:
    from tracker.claims.parse import claim_from_fields

    fields = {
        "claim_key": "kyiv-day",
        "source": "us-dod",
        "subject": "russia",
        "metric": "personnel",
        "definition": "killed_or_wounded",
        "kind": "cumulative",
        "period": "2024-11-30",
        "best": "700000",
        "url": "https://example.org/briefing",
    }
    assert claim_from_fields({**fields, "published": "2024-12-01"}).published_date == KYIV_DAY
    with pytest.raises(InvalidInput, match=r"^published 2024-12-02 is in the future$"):
        claim_from_fields({**fields, "published": "2024-12-02"})


def test_as_of_the_kyiv_day_is_accepted_and_the_next_day_is_in_the_future(late_evening_utc: None) -> None:
    from tracker.reports.options import parse_window

    assert parse_window(None, None, "2024-12-01") == (None, None, KYIV_DAY)
    with pytest.raises(InvalidInput, match=r"^--as-of 2024-12-02 is in the future"):
        parse_window(None, None, "2024-12-02")


@pytest.mark.parametrize(
    ("moment", "last_report_is_future"),
    [
        (LATE_EVENING_UTC, False),  # Kyiv is on 2024-12-01: the report of that day is today's
        (dt.datetime(2024, 11, 30, 21, 30, tzinfo=dt.UTC), True),  # Kyiv 23:30 on 2024-11-30
    ],
)
def test_a_charts_series_dates_the_future_by_the_kyiv_day(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, moment: dt.datetime, last_report_is_future: bool
) -> None:
    from tracker.charts.build import ChartRequest, Loader
    from tracker.ingest.feeds.csvfeed import CsvFeed
    from tracker.ingest.run import run_ingest

    report = run_ingest(sqlite_url, CsvFeed(), location=str(SAMPLE), source="ua-general-staff")
    assert report.status in ("ok", "ok_with_findings"), report.error
    _clock_at(monkeypatch, moment)
    loader = Loader(sqlite_url, ChartRequest())
    try:
        last = loader.daily("personnel").iloc[-1]
    finally:
        loader.close()
    assert last["report_date"].date() == dt.date(2024, 12, 1) and last["total"] == 742130
    assert ("future_date" in last["flags"]) is last_report_is_future
