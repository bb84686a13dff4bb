"""Averages: period totals equal the difference of their bounding totals, under both
conventions, checked against a hand computation straight from the dataset JSON."""

from __future__ import annotations

import calendar
import datetime as dt
import json

import pandas as pd
import pytest
from frames import observations_frame

from tracker.analysis import average_between, daily_series, period_table, rolling_average


@pytest.fixture(scope="module")
def raw_totals(latest_dir):
    """report date -> personnel total, and report date -> documented correction, from JSON."""
    rows = json.loads((latest_dir / "russia_losses_personnel.json").read_text())
    corrections = json.loads((latest_dir / "russia_losses_equipment_correction.json").read_text())
    totals = {dt.date.fromisoformat(r["date"]): r["personnel"] for r in rows}
    adjust = {dt.date.fromisoformat(r["date"]): r.get("personnel", 0) for r in corrections}
    return totals, adjust


@pytest.fixture(scope="module", params=["report", "covered"])
def daily(request, latest_dir):
    return daily_series(observations_frame(latest_dir, "personnel"), by=request.param, metric="personnel")


def hand_month(totals, adjust, year, month, by):
    """Total and daily average of a month by hand: the bounding reports' difference."""
    days = calendar.monthrange(year, month)[1]
    first = dt.date(year, month, 1)
    last = dt.date(year, month, days)
    if by == "report":  # reports dated in the month, measured from the last one before it
        start, end = first - dt.timedelta(days=1), last
    else:  # covered days of the month: reports of the 2nd ... the 1st of the next month
        start, end = first, last + dt.timedelta(days=1)
    corrections = sum(v for d, v in adjust.items() if start < d <= end)
    total = totals[end] - totals[start] - corrections
    return total, total / days


@pytest.mark.parametrize("year,month", [(2024, 9), (2024, 10), (2024, 11), (2025, 2), (2025, 3), (2025, 4)])
def test_a_month_total_is_the_difference_of_its_bounding_totals(daily, raw_totals, year, month):
    totals, adjust = raw_totals
    by = daily.attrs["by"]
    expected_total, expected_average = hand_month(totals, adjust, year, month, by)
    row = period_table(daily, "month").set_index("period").loc[f"{year}-{month:02d}"]
    assert row["total"] == expected_total
    assert row["daily_average"] == pytest.approx(expected_average)
    assert row["days"] == calendar.monthrange(year, month)[1] and bool(row["complete"])
    assert row["total"] == row["total_at_end"] - row["total_before"] - row["adjustments"]


def test_september_2024_by_covered_day_averages_1271_a_day(latest_dir, raw_totals):
    totals, _ = raw_totals
    # by hand: the mean increment of the reports of 2024-09-02 .. 2024-10-01 (covered days 1..30)
    reports = [dt.date(2024, 9, 2) + dt.timedelta(days=i) for i in range(30)]
    increments = [totals[d] - totals[d - dt.timedelta(days=1)] for d in reports]
    assert sum(increments) / len(increments) == 1271.0
    daily = daily_series(observations_frame(latest_dir, "personnel"), by="covered")
    row = period_table(daily, "month").set_index("period").loc["2024-09"]
    # UK Defence Intelligence's "1,271 a day in September 2024" uses covered days
    assert (row["total"], round(row["daily_average"])) == (38130.0, 1271)
    assert (row["total_before"], row["total_at_end"]) == (616300, 654430)  # reports 09-01, 10-01


def test_october_2024_by_covered_day_totals_41980_as_uk_defence_intelligence_published(latest_dir, raw_totals):
    totals, _ = raw_totals
    # by hand: the reports of 2024-10-02 .. 2024-11-01, each total minus the previous report's
    days = [dt.date(2024, 10, 2) + dt.timedelta(days=i) for i in range(31)]
    by_hand = sum(totals[d] - totals[d - dt.timedelta(days=1)] for d in days)
    assert by_hand == 41_980
    daily = daily_series(observations_frame(latest_dir, "personnel"), by="covered")
    row = period_table(daily, "month").set_index("period").loc["2024-10"]
    assert (row["total"], row["days"]) == (41_980, 31)


def test_september_2024_by_report_date(latest_dir):
    daily = daily_series(observations_frame(latest_dir, "personnel"), by="report")
    row = period_table(daily, "month").set_index("period").loc["2024-09"]
    assert (row["total"], row["total_before"], row["total_at_end"]) == (38110.0, 614950, 653060)


def test_documented_corrections_are_left_out_of_a_period_total(latest_dir):
    daily = daily_series(observations_frame(latest_dir, "personnel"), by="report")
    row = period_table(daily, "month").set_index("period").loc["2025-02"]
    assert row["adjustments"] == 1650
    assert row["total"] == row["total_at_end"] - row["total_before"] - 1650


def test_equipment_corrections_too(latest_dir):
    daily = daily_series(observations_frame(latest_dir, "afv"), metric="afv")
    row = period_table(daily, "month").set_index("period").loc["2022-10"]
    assert (row["total_before"], row["total_at_end"], row["adjustments"], row["total"]) == (4932, 5485, -25, 578.0)


def test_flagged_days_are_counted_and_reported(daily):
    row = period_table(daily, "month").set_index("period").loc["2022-03"]
    assert row["flagged_days"] == 30
    if daily.attrs["by"] == "report":
        assert row["total"] == 17500 - 5300  # includes the +3,160 re-estimate of 03-03


def test_changes_against_the_previous_month_and_a_year_earlier(latest_dir):
    daily = daily_series(observations_frame(latest_dir, "personnel"), by="report")
    table = period_table(daily, "month").set_index("period")
    nov, oct_, nov_2023 = (table.loc[p, "daily_average"] for p in ("2024-11", "2024-10", "2023-11"))
    assert table.loc["2024-11", "previous_average"] == pytest.approx(oct_)
    assert table.loc["2024-11", "change_vs_previous_pct"] == pytest.approx((nov / oct_ - 1) * 100)
    assert table.loc["2024-11", "year_ago_average"] == pytest.approx(nov_2023)
    assert table.loc["2024-11", "change_vs_year_ago_pct"] == pytest.approx((nov / nov_2023 - 1) * 100)


def test_weeks_are_iso_weeks_and_years_are_calendar_years(latest_dir):
    daily = daily_series(observations_frame(latest_dir, "personnel"), by="report")
    week = period_table(daily, "week").set_index("period").loc["2024-W46"]
    assert (week["start"], week["end"], week["days"], week["total"]) == (
        pd.Timestamp("2024-11-11"),
        pd.Timestamp("2024-11-17"),
        7,
        11990.0,
    )
    years = period_table(daily, "year").set_index("period")
    assert years.loc["2024", "total"] == 789550 - 359230
    assert not years.loc["2022", "complete"] and bool(years.loc["2024", "complete"])


def test_the_whole_series_and_any_span(daily):
    whole = period_table(daily, "all").iloc[0]
    assert whole["total"] == 1456610 - 1810  # everything reported, less documented corrections
    span = average_between(daily, dt.date(2024, 11, 1), dt.date(2024, 11, 30)).iloc[0]
    month = period_table(daily, "month").set_index("period").loc["2024-11"]
    assert (span["total"], span["days"]) == (month["total"], month["days"])


def test_the_seven_day_average_ending_on_2024_11_11(latest_dir):
    daily = daily_series(observations_frame(latest_dir, "personnel"), by="report")
    roll = rolling_average(daily, 7).set_index("date").loc[pd.Timestamp("2024-11-11")]
    assert roll["rolling_total"] == 710660 - 700390  # reports 2024-11-11 and 2024-11-04
    assert roll["rolling_average"] == pytest.approx((710660 - 700390) / 7)


def test_a_rolling_average_needs_a_full_window(daily):
    roll = rolling_average(daily, 7)
    assert roll["rolling_average"].iloc[:6].isna().all()
    assert roll["rolling_average"].iloc[6:].notna().all()


def test_every_table_carries_its_convention(daily):
    assert period_table(daily, "month").attrs["by"] == daily.attrs["by"]
    assert rolling_average(daily, 7).attrs["by"] == daily.attrs["by"]


def test_a_cut_of_the_series_compares_with_periods_before_the_cut(latest_dir):
    from tracker.analysis import between

    whole = daily_series(observations_frame(latest_dir, "personnel"), by="report")
    cut = between(whole, dt.date(2024, 11, 1), dt.date(2024, 11, 30))
    alone = period_table(cut, "month").iloc[0]
    assert pd.isna(alone["previous_average"])
    [nov] = period_table(cut, "month", context=whole).itertuples()
    full = period_table(whole, "month").set_index("period")
    assert nov.previous_average == pytest.approx(full.loc["2024-10", "daily_average"])
    assert nov.year_ago_average == pytest.approx(full.loc["2023-11", "daily_average"])
    assert nov.total == full.loc["2024-11", "total"]
