"""The headline: a news-ready summary of one report, as sentences and numbers."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from frames import observations_frame

from tracker.analysis import daily_series, headline


def as_of(latest_dir, day, by="report", metric="personnel"):
    obs = observations_frame(latest_dir, metric, as_of=day)
    return headline(daily_series(obs, by=by, metric=metric, today=day))


def test_headline_as_of_2024_11_11_is_the_deadliest_day_beating_1740(latest_dir):
    h = as_of(latest_dir, dt.date(2024, 11, 11))
    n = h.numbers
    assert (n["report_date"], n["increment"], n["is_record"], n["total"]) == ("2024-11-11", 1770.0, True, 710660)
    assert n["previous_record"] == {"date": "2024-05-13", "report_date": "2024-05-13", "increment": 1740.0}
    assert h.sentences[0].startswith("1,770 personnel (killed and wounded) in the past 24 hours")
    assert "deadliest day so far, beating the previous peak of 1,740 on 2024-05-13" in h.text
    assert "Total since 2022-02-24: 710,660 people" in h.text


def test_the_headline_of_2024_11_11_matches_the_raw_reports(latest_dir):
    rows = json.loads((latest_dir / "russia_losses_personnel.json").read_text(encoding="utf-8"))
    totals = {r["date"]: r["personnel"] for r in rows}
    dates = sorted(totals)
    increments = {d: totals[d] - totals[p] for p, d in zip(dates, dates[1:])}
    # the previous peak: the largest increment before 2024-11-11 since the spring-2022 roundups
    peak_day = max((d for d in increments if "2022-06-01" <= d < "2024-11-11"), key=increments.__getitem__)
    assert (totals["2024-11-11"], increments["2024-11-11"]) == (710_660, 1_770)
    assert (peak_day, increments[peak_day]) == ("2024-05-13", 1_740)
    n = as_of(latest_dir, dt.date(2024, 11, 11)).numbers
    assert (n["total"], n["increment"]) == (totals["2024-11-11"], increments["2024-11-11"])
    assert (n["previous_record"]["date"], n["previous_record"]["increment"]) == (peak_day, increments[peak_day])


def test_headline_says_how_many_flagged_days_records_left_out(latest_dir):
    h = as_of(latest_dir, dt.date(2024, 11, 11))
    assert h.numbers["excluded_days"] == 89
    assert "Records leave out 89 flagged days" in h.text


def test_headline_gives_the_7_day_average_and_the_month_so_far(latest_dir):
    n = as_of(latest_dir, dt.date(2024, 11, 11)).numbers
    assert n["average_7d"] == pytest.approx((710660 - 700390) / 7)
    assert n["month"]["period"] == "2024-11" and n["month"]["days"] == 11
    assert n["month"]["total"] == 710660 - 694950
    assert n["previous_month"]["period"] == "2024-10"


def test_a_day_that_is_not_a_record_names_the_standing_record(latest_dir):
    daily = daily_series(observations_frame(latest_dir, "personnel"), metric="personnel")
    h = headline(daily)
    assert h.numbers["report_date"] == "2026-08-08" and not h.numbers["is_record"]
    assert h.numbers["previous_record"]["date"] == "2024-12-20"
    assert "the deadliest day so far was 2024-12-20 with 2,200" in h.text


def test_milestones_just_passed(latest_dir):
    h = as_of(latest_dir, dt.date(2024, 11, 4))
    assert h.numbers["milestones_crossed"] == [700_000]
    assert "The total passed 700,000." in h.text


def test_by_covered_day_the_headline_dates_the_day_before_the_report(latest_dir):
    h = as_of(latest_dir, dt.date(2024, 11, 11), by="covered")
    assert (h.numbers["date"], h.numbers["by"]) == ("2024-11-10", "covered")
    assert "on 2024-11-10 (report of 2024-11-11)" in h.sentences[0]
    assert h.numbers["previous_record"]["date"] == "2024-05-12"
    assert h.sentences[-1].startswith("Convention: days dated by covered day")


def test_a_flagged_day_is_not_called_a_record(latest_dir):
    h = as_of(latest_dir, dt.date(2022, 3, 3))
    assert h.numbers["increment"] == 3160.0 and h.numbers["doubtful"]
    assert not h.numbers["is_record"]
    assert "is not counted for records" in h.text
