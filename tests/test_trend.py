"""The pace in the headline: the last 30 days' daily average against the 30 days before and the same
30 days a year earlier, flagged days left out as records leave them out — checked against the raw
General Staff reports."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from frames import observations_frame

from tests.clirun import run_tracker
from tracker.analysis import daily_series, headline
from tracker.analysis.trend import trend


def raw_totals(latest_dir) -> dict[str, int]:
    rows = json.loads((latest_dir / "russia_losses_personnel.json").read_text(encoding="utf-8"))
    return {r["date"]: r["personnel"] for r in rows}


def daily_up_to(latest_dir, day: dt.date, by: str = "report"):
    return daily_series(observations_frame(latest_dir, "personnel", as_of=day), by=by, metric="personnel", today=day)


def test_the_pace_of_2024_11_11_is_the_raw_totals_differences_over_30_days(latest_dir):
    t = raw_totals(latest_dir)
    h = headline(daily_up_to(latest_dir, dt.date(2024, 11, 11)))
    found = h.numbers["trend"]

    # every day of the three windows has a report and none is flagged: each average is a difference of totals / 30
    last, before, year = (
        (t["2024-11-11"] - t["2024-10-12"]) / 30,
        (t["2024-10-12"] - t["2024-09-12"]) / 30,
        (t["2023-11-11"] - t["2023-10-12"]) / 30,
    )
    assert (found["last"]["daily_average"], found["before"]["daily_average"]) == (
        pytest.approx(last),
        pytest.approx(before),
    )
    assert found["year_earlier"]["daily_average"] == pytest.approx(year)
    assert (found["last"]["start"], found["last"]["end"], found["year_earlier"]["start"]) == (
        "2024-10-13", "2024-11-11", "2023-10-13",
    )  # fmt: skip
    assert found["change_pct"] == pytest.approx((last - before) / before * 100)
    assert (round(last), round(before), round(year)) == (1434, 1248, 859)
    assert (
        "Pace: 1,434 a day over the last 30 days (2024-10-13 to 2024-11-11), up 15% from 1,248 in the 30 days before "
        "and up 67% from 859 a year earlier (2023-10-13 to 2023-11-11); flagged days left out, as records leave them "
        "out (0 in these windows)."
    ) in h.sentences
    assert h.sentences[-1].startswith("Convention: days dated by report date")


def test_flagged_days_are_left_out_of_the_pace_and_counted_with_include_flagged(latest_dir):
    t = raw_totals(latest_dir)
    daily = daily_up_to(latest_dir, dt.date(2022, 8, 20))
    left_out, counted_too = trend(daily), trend(daily, include_flagged=True)

    # 2022-07-22 .. 2022-08-20: the rounded figures of 2022-08-06, -07 and -13 (and others) are flagged coarse
    window = daily.loc[daily["date"].dt.strftime("%Y-%m-%d").between("2022-07-22", "2022-08-20")]
    flagged = window.loc[window["doubtful"]]
    assert {"2022-08-06", "2022-08-07", "2022-08-13"} <= set(flagged["date"].dt.strftime("%Y-%m-%d"))
    assert (left_out["last"]["days_counted"], left_out["last"]["days_left_out"]) == (30 - len(flagged), len(flagged))
    assert left_out["last"]["daily_average"] == pytest.approx(window.loc[~window["doubtful"], "increment"].mean())
    assert counted_too["last"]["daily_average"] == pytest.approx((t["2022-08-20"] - t["2022-07-21"]) / 30)
    assert counted_too["last"]["days_left_out"] == 0


def test_by_covered_day_the_windows_end_the_day_before_the_report(latest_dir):
    found = trend(daily_up_to(latest_dir, dt.date(2024, 11, 11), by="covered"))
    assert (found["by"], found["last"]["start"], found["last"]["end"]) == ("covered", "2024-10-12", "2024-11-10")


def test_the_first_weeks_have_no_pace_their_days_are_flagged(latest_dir):
    h = headline(daily_up_to(latest_dir, dt.date(2022, 3, 20)))
    assert h.numbers["trend"]["last"]["daily_average"] is None
    assert not any(s.startswith("Pace:") for s in h.sentences)


def test_headline_json_and_csv_carry_the_pace(capsys, full_store_url):
    import csv
    import io

    code, out, _ = run_tracker(capsys, "headline", "--as-of", "2024-11-11", "--format", "json", "--db", full_store_url)
    assert code == 0
    data = json.loads(out)
    assert round(data["numbers"]["trend"]["last"]["daily_average"], 1) == 1434.3
    assert any(s.startswith("Pace: 1,434 a day") for s in data["sentences"])
    code, out, _ = run_tracker(capsys, "headline", "--as-of", "2024-11-11", "--format", "csv", "--db", full_store_url)
    [row] = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    assert (row["trend.last.daily_average"], row["trend.change_pct"]) == ("1434.3", "15.0")
