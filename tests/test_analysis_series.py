"""Daily series: dates under both conventions, increments, spans and flags per report."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from frames import observations_frame

from tracker.analysis import daily_series
from tracker.analysis.series import LINEAGE_CHANGE


@pytest.fixture(scope="module")
def personnel_obs(latest_dir):
    return observations_frame(latest_dir, "personnel")


def row(daily, report_date):
    return daily.loc[daily["report_date"] == pd.Timestamp(report_date)].iloc[0]


def synthetic(dates, values, adjustments=None):
    return pd.DataFrame(
        {
            "report_date": pd.to_datetime(dates).astype("datetime64[ns]"),
            "value": pd.Series(values, dtype="int64"),
            "qualifier": [None] * len(dates),
            "reported_increase": pd.Series([float("nan")] * len(dates), dtype="float64"),
            "adjustment": pd.Series(adjustments or [0] * len(dates), dtype="int64"),
            "lineage": ["tanks"] * len(dates),
        }
    )


def test_by_report_dates_each_day_by_its_report(personnel_obs):
    daily = daily_series(personnel_obs, by="report", metric="personnel")
    assert (daily["date"] == daily["report_date"]).all()
    assert daily.attrs["by"] == "report"


def test_by_covered_dates_each_day_the_day_before_its_report(personnel_obs):
    daily = daily_series(personnel_obs, by="covered", metric="personnel")
    assert (daily["date"] == daily["report_date"] - pd.Timedelta(days=1)).all()
    first = daily.iloc[0]
    assert first["date"] == pd.Timestamp("2022-02-24")  # the invasion's first day
    assert daily.attrs["by"] == "covered"


def test_the_first_report_counts_from_the_invasion_start(personnel_obs):
    daily = daily_series(personnel_obs, metric="personnel")
    first = daily.iloc[0]
    assert (first["report_date"], first["total"], first["increment"], first["span_days"]) == (
        pd.Timestamp("2022-02-25"),
        2800,
        2800.0,
        1.0,
    )


def test_the_increment_of_2024_11_11_is_1770_from_710660(personnel_obs):
    r = row(daily_series(personnel_obs, metric="personnel"), "2024-11-11")
    assert (r["total"], r["increment"], r["flags"], bool(r["doubtful"])) == (710660, 1770.0, "", False)


def test_documented_adjustments_are_not_counted_as_losses(personnel_obs):
    r = row(daily_series(personnel_obs, metric="personnel"), "2025-02-28")
    # the total rose 2,710, of which 1,650 is a documented correction
    assert (r["adjustment"], r["increment"]) == (1650, 1060.0)


def test_the_re_estimate_of_2022_03_03_is_doubtful_with_its_reasons(personnel_obs):
    r = row(daily_series(personnel_obs, metric="personnel"), "2022-03-03")
    assert r["increment"] == 3160.0 and bool(r["doubtful"])
    assert set(r["flags"].split(";")) == {"outlier", "coarse"}
    assert "+3,160" in r["flag_reasons"] and "rounded to 100s" in r["flag_reasons"]


def test_a_merge_of_categories_is_a_lineage_change_not_a_loss(latest_dir):
    daily = daily_series(observations_frame(latest_dir, "vehicles_fuel_tanks"), metric="vehicles_fuel_tanks")
    before, merged = row(daily, "2022-04-30"), row(daily, "2022-05-01")
    assert before["lineage"] == "military_auto+fuel_tanks" and before["total"] == 1777
    assert merged["increment"] == 19.0  # 1,796 - 1,777: continuous across the merge
    assert LINEAGE_CHANGE in merged["flags"] and bool(merged["doubtful"])


def test_a_category_that_appeared_later_has_no_first_increment(latest_dir):
    daily = daily_series(observations_frame(latest_dir, "submarines"), metric="submarines")
    assert daily.iloc[0]["report_date"] == pd.Timestamp("2023-09-14")
    assert pd.isna(daily.iloc[0]["increment"]) and pd.isna(daily.iloc[0]["span_days"])


def test_an_increment_spanning_missing_reports_is_not_a_one_day_figure():
    obs = synthetic(["2024-03-01", "2024-03-02", "2024-03-05", "2024-03-06"], [100, 110, 140, 150])
    daily = daily_series(obs, metric="tanks", today=dt.date(2024, 3, 6))
    r = daily.iloc[2]
    assert (r["span_days"], r["increment"], r["flags"], bool(r["doubtful"])) == (3.0, 30.0, "gap", True)


def test_an_as_of_frame_gets_the_flags_known_then(latest_dir):
    obs = observations_frame(latest_dir, "personnel", as_of=dt.date(2024, 11, 11))
    daily = daily_series(obs, metric="personnel", today=dt.date(2024, 11, 11))
    assert daily["report_date"].max() == pd.Timestamp("2024-11-11")
    assert daily.iloc[-1]["flags"] == ""


def test_a_report_dated_after_today_is_flagged_future_date():
    obs = synthetic(["2024-03-01", "2024-03-02"], [100, 110])
    daily = daily_series(obs, metric="tanks", today=dt.date(2024, 3, 1))
    assert daily.iloc[1]["flags"] == "future_date" and not daily.iloc[1]["doubtful"]


def test_an_unknown_convention_is_refused(personnel_obs):
    with pytest.raises(ValueError, match="report, covered"):
        daily_series(personnel_obs, by="published")


def test_an_empty_frame_gives_an_empty_series_with_the_columns():
    daily = daily_series(synthetic([], []), metric="tanks")
    assert daily.empty and {"date", "increment", "flags", "doubtful"} <= set(daily.columns)
