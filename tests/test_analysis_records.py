"""Records on the real personnel series: what they name, and what they leave out and why."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from frames import observations_frame

from tracker.analysis import (
    daily_series,
    deadliest_day,
    deadliest_period,
    deadliest_window,
    milestones,
    record_progression,
    records,
    streaks,
    top_days,
)

TS = pd.Timestamp


@pytest.fixture(scope="module")
def daily(latest_dir):
    return daily_series(observations_frame(latest_dir, "personnel"), metric="personnel")


@pytest.fixture(scope="module")
def daily_as_of_2024_11_11(latest_dir):
    obs = observations_frame(latest_dir, "personnel", as_of=dt.date(2024, 11, 11))
    return daily_series(obs, metric="personnel", today=dt.date(2024, 11, 11))


@pytest.fixture(scope="module")
def by_hand(latest_dir) -> list[tuple[str, int, int]]:
    """(report date, increment, total) of every personnel report, straight from the dataset JSON.

    The increment is the report's total minus the previous report's total (the first report,
    2022-02-25, counts from 0), less the documented correction that report includes.
    """
    rows = json.loads((latest_dir / "russia_losses_personnel.json").read_text(encoding="utf-8"))
    corrections = json.loads((latest_dir / "russia_losses_equipment_correction.json").read_text(encoding="utf-8"))
    correction = {r["date"]: r.get("personnel", 0) for r in corrections}
    out, previous = [], 0
    for r in rows:
        out.append((r["date"], r["personnel"] - previous - correction.get(r["date"], 0), r["personnel"]))
        previous = r["personnel"]
    return out


# Records leave out the rounded roundups of spring 2022; from June 2022 on every report counts,
# so records over that stretch can be found by hand.
COUNTED_FROM = "2022-06-01"


def test_as_of_2024_11_11_the_deadliest_day_is_2024_11_11_with_1770(daily_as_of_2024_11_11):
    result = deadliest_day(daily_as_of_2024_11_11)
    best = result.table.iloc[0]
    assert (best["date"], best["increment"], best["total"]) == (TS("2024-11-11"), 1770.0, 710660)
    assert result.by == "report"


def test_the_excluded_early_2022_points_are_returned_with_their_reasons(daily_as_of_2024_11_11):
    excluded = deadliest_day(daily_as_of_2024_11_11).excluded
    march_3 = excluded.loc[excluded["date"] == TS("2022-03-03")].iloc[0]
    assert march_3["increment"] == 3160.0
    assert "outlier: increment +3,160" in march_3["reason"]
    assert "coarse: total 9,000 is rounded to 100s" in march_3["reason"]
    assert excluded["date"].min() == TS("2022-02-25")
    assert (excluded["date"] < TS("2023-01-01")).all()


def test_counting_flagged_points_makes_the_re_estimate_the_naive_maximum(daily_as_of_2024_11_11):
    naive = deadliest_day(daily_as_of_2024_11_11, include_flagged=True)
    assert naive.table.iloc[0]["date"] == TS("2022-03-03")
    assert naive.table.iloc[0]["flags"] == "outlier;coarse"
    assert naive.excluded.empty


def test_the_record_progression_ends_with_the_current_deadliest_day(daily):
    table = record_progression(daily).table
    last = table.iloc[-1]
    assert (last["date"], last["increment"]) == (TS("2024-12-20"), 2200.0)
    assert (last["previous_date"], last["previous_increment"], last["margin"]) == (TS("2024-11-29"), 2030.0, 170.0)


def test_the_full_record_progression_from_2023_matches_running_maxima_by_hand(daily, by_hand):
    # The bar entering 2023: the largest increment from June to December 2022 (950 on 2022-10-30).
    bar = max(inc for day, inc, _ in by_hand if COUNTED_FROM <= day < "2023-01-01")
    expected = []
    for day, inc, _ in by_hand:
        if day >= "2023-01-01" and inc > bar:
            expected.append((day, float(inc)))
            bar = inc
    table = record_progression(daily).table
    late = table.loc[table["date"] >= TS("2023-01-01")]
    assert [(d.date().isoformat(), v) for d, v in zip(late["date"], late["increment"])] == expected
    assert expected[-4:] == [
        ("2024-11-11", 1770.0),
        ("2024-11-12", 1950.0),
        ("2024-11-29", 2030.0),
        ("2024-12-20", 2200.0),
    ]
    nov_11 = table.loc[table["date"] == TS("2024-11-11")].iloc[0]
    # the previous peak, as reported on 2024-11-11: 1,740 on 2024-05-13
    assert (nov_11["previous_date"], nov_11["previous_increment"], nov_11["margin"]) == (TS("2024-05-13"), 1740.0, 30.0)


def test_the_progression_starts_after_the_excluded_roundups(daily):
    table = record_progression(daily).table
    assert pd.isna(table.iloc[0]["previous_date"])
    flagged_dates = set(daily.loc[daily["doubtful"], "date"])
    assert not flagged_dates & set(table["date"])


def test_a_corrected_total_does_not_make_a_record(daily):
    # 2025-02-28: the total rose 2,710 but 1,650 of it is a documented correction
    assert TS("2025-02-28") not in set(record_progression(daily).table["date"])


def test_the_top_three_days_are_the_three_largest_increments_by_hand(daily, by_hand):
    largest = sorted(((inc, day) for day, inc, _ in by_hand if day >= COUNTED_FROM), reverse=True)[:3]
    table = top_days(daily, 3).table
    assert list(zip(table["rank"], table["date"], table["increment"])) == [
        (rank, TS(day), float(inc)) for rank, (inc, day) in enumerate(largest, start=1)
    ]
    assert [day for _, day in largest] == ["2024-12-20", "2024-11-29", "2024-12-30"]


def test_the_deadliest_seven_days_by_report_and_by_covered_day(daily, latest_dir, by_hand):
    late = [(day, inc) for day, inc, _ in by_hand if day >= COUNTED_FROM]
    total, start, end = max(
        (sum(inc for _, inc in late[k : k + 7]), late[k][0], late[k + 6][0]) for k in range(len(late) - 6)
    )
    assert (start, end, total) == ("2024-12-20", "2024-12-26", 12640)
    by_report = deadliest_window(daily).table.iloc[0]
    assert (by_report["start"], by_report["end"], by_report["total"]) == (TS(start), TS(end), float(total))
    covered = daily_series(observations_frame(latest_dir, "personnel"), by="covered", metric="personnel")
    by_covered = deadliest_window(covered)
    assert (by_covered.table.iloc[0]["start"], by_covered.by) == (TS("2024-12-19"), "covered")


def test_the_deadliest_month_and_year_leave_out_periods_with_doubtful_days(daily):
    month = deadliest_period(daily, "month")
    assert (month.table.iloc[0]["period"], month.table.iloc[0]["total"]) == ("2024-12", 49150.0)
    march = month.excluded.loc[month.excluded["period"] == "2022-03"].iloc[0]
    assert march["reason"] == "contains 30 doubtful days (catch_up, coarse, outlier)"
    year = deadliest_period(daily, "year")
    assert (year.table.iloc[0]["period"], year.table.iloc[0]["total"]) == ("2024", 430320.0)
    assert list(year.excluded["period"]) == ["2022"]


def test_streaks_of_days_at_or_above_a_threshold(daily, by_hand):
    runs, run = [], []
    for day, inc, _ in by_hand:
        run = [*run, day] if inc >= 1000 else []
        if run:
            runs.append(run)
    hand_longest = max(runs, key=len)
    assert (hand_longest[0], hand_longest[-1], len(hand_longest)) == ("2024-07-27", "2025-04-19", 267)
    table = streaks(daily, 1000).table
    longest = table.iloc[0]
    assert (longest["start"], longest["end"], longest["days"]) == (TS(hand_longest[0]), TS(hand_longest[-1]), 267)
    assert longest["minimum"] >= 1000
    current = table.loc[table["current"]].iloc[0]
    assert current["end"] == daily["date"].max()


def test_milestones_are_the_reports_that_first_passed_each_step(daily, by_hand):
    expected, step = [], 100_000  # personnel: every 100,000
    for day, _, total in by_hand:
        while total >= step * (len(expected) + 1):
            expected.append((step * (len(expected) + 1), TS(day), total))
    table = milestones(daily).table
    assert list(zip(table["milestone"], table["date"], table["total"])) == expected
    assert len(expected) == 14
    assert expected[0] == (100_000, TS("2022-12-22"), 100_400)
    assert expected[9] == (1_000_000, TS("2025-06-12"), 1_000_340)


def test_a_milestone_step_can_be_chosen(daily):
    table = milestones(daily, 500_000).table
    assert list(table["milestone"]) == [500_000, 1_000_000]


def test_records_bundle_says_what_it_counted_and_left_out(daily):
    rec = records(daily, top=5)
    assert rec.metric == "personnel" and rec.by == "report" and not rec.include_flagged
    assert rec.counted_days + len(rec.excluded) == len(daily)
    assert set(rec.results) == {
        "deadliest_day",
        "record_progression",
        "top_days",
        "deadliest_7_days",
        "deadliest_month",
        "deadliest_year",
        "streaks",
        "milestones",
    }
    assert len(rec["top_days"].table) == 5
    assert "report date" in rec.convention
