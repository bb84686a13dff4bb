"""Validation rules: what each rule flags, why, and what it leaves alone on the real data."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import Counter

import pytest
from frames import dataset_metrics, dataset_points

from tracker.ingest.rules import DOUBTFUL_RULES, Finding, Point, check_series, increments

D0 = dt.date(2024, 1, 1)
TODAY = dt.date(2026, 8, 8)


def series(values, *, start=D0, qualifiers=None, adjustments=None, reported=None):
    """Consecutive daily reports with the given cumulative values."""
    out = []
    for i, v in enumerate(values):
        out.append(
            Point(
                start + dt.timedelta(days=i),
                v,
                qualifiers[i] if qualifiers else None,
                reported[i] if reported else None,
                adjustments[i] if adjustments else 0,
            )
        )
    return out


def cumulative(increments_, start_total=10_000):
    total, out = start_total, []
    for x in increments_:
        total += x
        out.append(total)
    return out


def by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


# --- the contract -------------------------------------------------------------------------


def test_records_leave_out_outlier_coarse_and_catch_up_points_but_count_points_with_other_findings():
    # About 1,000 a day, with one point for each rule: 10 an outlier (+4,000), 23 a catch-up
    # (+1,900 after three flat days: about two typical days, yet within one median of the
    # usual day, so not an outlier), 32 an unusual qualifier (coarse, and 33 measured from it),
    # 42 a reported increase that disagrees (+1,500 reported, +1,800 by the totals), 58 and 59
    # dated after "today".
    import pandas as pd

    from tracker.analysis import daily_series, deadliest_day

    incs = [970, 1010, 1030, 990] * 15
    incs[10] = 4000
    incs[20:24] = [0, 0, 0, 1900]
    incs[42] = 1800
    values = cumulative(incs, 400_010)
    n = len(values)
    quals = ["about"] * n
    quals[32] = "more"
    reported = [float("nan")] * n
    reported[42] = 1500.0
    dates = [D0 + dt.timedelta(days=i) for i in range(n)]
    obs = pd.DataFrame(
        {
            "report_date": pd.to_datetime(dates).astype("datetime64[ns]"),
            "value": pd.Series(values, dtype="int64"),
            "qualifier": quals,
            "reported_increase": pd.Series(reported, dtype="float64"),
            "adjustment": pd.Series([0] * n, dtype="int64"),
            "lineage": ["personnel"] * n,
        }
    )
    daily = daily_series(obs, metric="personnel", today=dates[57])
    flags = {i: f for i, f in enumerate(daily["flags"]) if f}
    assert flags == {
        10: "outlier",
        23: "catch_up",
        32: "coarse",
        33: "coarse",
        42: "increase_mismatch",
        58: "future_date",
        59: "future_date",
    }
    result = deadliest_day(daily)
    # Left out: the first report (no increment: the series starts after the invasion's first
    # report) and exactly the points of the three doubtful rules.
    assert [d.date() for d in result.excluded["date"]] == [dates[i] for i in (0, 10, 23, 32, 33)]
    best = result.table.iloc[0]
    assert (best["date"].date(), best["increment"]) == (dates[42], 1800.0)
    assert best["flags"] == "increase_mismatch"


def test_quality_imports_without_pandas():
    code = "import sys, tracker.ingest.rules; assert 'pandas' not in sys.modules, 'pandas imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_empty_series_has_no_findings():
    assert check_series("tanks", [], today=TODAY) == []


def test_unsorted_points_are_refused():
    pts = [Point(dt.date(2024, 1, 2), 5), Point(dt.date(2024, 1, 1), 4)]
    with pytest.raises(ValueError, match="sorted"):
        check_series("tanks", pts, today=TODAY)


def test_findings_carry_metric_date_rule_and_severity():
    pts = series([100, 90])
    [f] = check_series("tanks", pts, today=TODAY)
    assert (f.metric, f.report_date, f.rule, f.severity) == ("tanks", dt.date(2024, 1, 2), "decrease", "warning")


# --- increments -----------------------------------------------------------------------------


def test_the_first_report_after_the_invasion_start_counts_its_whole_total():
    pts = series([2800, 4300], start=dt.date(2022, 2, 25))
    assert increments(pts) == [2800, 1500]


def test_a_category_that_appeared_later_has_no_first_increment():
    pts = series([12, 15], start=dt.date(2023, 9, 14))
    assert increments(pts) == [None, 3]


def test_increments_leave_out_documented_adjustments():
    pts = series([100, 130], adjustments=[0, 20])
    assert increments(pts) == [None, 10]


# --- decrease -----------------------------------------------------------------------------


def test_a_fall_of_the_total_is_a_warning_with_both_totals():
    [f] = check_series("afv", series([5181, 5167]), today=TODAY)
    assert f.rule == "decrease" and f.severity == "warning"
    assert "5,181" in f.message and "5,167" in f.message and "-14" in f.message


def test_a_fall_fully_explained_by_a_documented_adjustment_is_info():
    [f] = check_series("afv", series([5181, 5167], adjustments=[0, -25]), today=TODAY)
    assert f.rule == "decrease" and f.severity == "info"
    assert "documented adjustment of -25" in f.message


def test_an_adjustment_larger_than_the_change_of_the_total_is_a_warning():
    [f] = check_series("aircraft", series([310, 310], adjustments=[0, 3]), today=TODAY)
    assert f.rule == "decrease" and f.severity == "warning"
    assert "increment is -3" in f.message


# --- gap, future_date, increase_mismatch ---------------------------------------------------


def test_a_gap_says_how_many_days_are_missing_and_what_the_increment_spans():
    pts = [Point(dt.date(2024, 3, 1), 100), Point(dt.date(2024, 3, 4), 130)]
    [f] = check_series("tanks", pts, today=TODAY)
    assert f.rule == "gap" and f.report_date == dt.date(2024, 3, 4)
    assert "2 report dates missing" in f.message and "+30 spans 3 days" in f.message


def test_a_report_dated_after_today_is_flagged():
    pts = series([100, 101], start=dt.date(2026, 8, 8))
    [f] = check_series("tanks", pts, today=dt.date(2026, 8, 8))
    assert f.rule == "future_date" and f.report_date == dt.date(2026, 8, 9)


def test_a_reported_increase_that_disagrees_with_the_totals_is_a_warning():
    [f] = check_series("tanks", series([100, 110], reported=[None, 12]), today=TODAY)
    assert f.rule == "increase_mismatch" and f.severity == "warning"
    assert "+12" in f.message and "+10" in f.message


def test_a_reported_increase_explained_by_the_adjustment_is_info():
    pts = series([100, 130], reported=[None, 10], adjustments=[0, 20])
    [f] = check_series("tanks", pts, today=TODAY)
    assert f.rule == "increase_mismatch" and f.severity == "info"


def test_a_matching_reported_increase_is_silent():
    assert check_series("tanks", series([100, 110], reported=[None, 10]), today=TODAY) == []


# --- outlier ------------------------------------------------------------------------------

STEADY = [1000, 1100, 950, 1050, 1000, 980, 1020, 1010, 990, 1000, 1030, 970, 1000, 1040, 960]


def test_a_spike_far_from_its_neighbours_is_an_outlier():
    incs = STEADY[:7] + [3500] + STEADY[7:]
    findings = check_series("personnel", series(cumulative(incs, 100_010)), today=TODAY)
    [f] = by_rule(findings, "outlier")
    assert f.report_date == D0 + dt.timedelta(days=7)
    assert "+3,500" in f.message and "median" in f.message


def test_a_heavy_but_plausible_day_is_not_an_outlier():
    incs = STEADY[:7] + [1700] + STEADY[7:]
    findings = check_series("personnel", series(cumulative(incs, 100_010)), today=TODAY)
    assert by_rule(findings, "outlier") == []


def test_plus_one_days_in_a_mostly_zero_category_are_not_outliers():
    incs = [0, 0, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0]
    findings = check_series("aircraft", series(cumulative(incs, 300)), today=TODAY)
    assert by_rule(findings, "outlier") == []


def test_a_strike_amid_quiet_weeks_of_an_event_driven_category_is_not_an_outlier():
    incs = [0] * 20 + [1, 0, 2, 0, 0, 88, 0, 0, 1, 0] + [0] * 20
    findings = check_series("cruise_missiles", series(cumulative(incs, 1000)), today=TODAY)
    assert by_rule(findings, "outlier") == []


# --- coarse -------------------------------------------------------------------------------


def test_round_hundreds_in_a_stretch_of_round_hundreds_are_coarse():
    rounded = [12_000, 13_500, 13_800, 14_000, 14_200, 14_400, 14_700, 15_000, 15_300]
    precise = cumulative([1230, 1180, 1110, 1330, 1210, 1140, 1260, 1180, 1220, 1310] * 8, 15_300)
    findings = check_series("personnel", series(rounded + precise), today=TODAY)
    coarse = by_rule(findings, "coarse")
    # the rounded stretch, and the first precise report, measured from a roundup
    assert [f.report_date for f in coarse] == [D0 + dt.timedelta(days=i) for i in range(10)]
    assert "rounded to 100s" in coarse[0].message
    assert "measured from the previous total 15,300" in coarse[-1].message


def test_chance_round_hundreds_in_precise_data_are_not_coarse():
    incs = [1230, 1170, 1090, 1330, 1210, 1140, 1260, 1180, 1220, 1310, 1150, 1270, 1190]
    values = cumulative(incs, 700_000)  # 701,230 ... ; several are round hundreds by chance
    findings = check_series("personnel", series(values), today=TODAY)
    assert by_rule(findings, "coarse") == []


def test_totals_given_to_fifties_are_not_called_roundups_to_hundreds():
    values = [
        42_640,
        42_800,
        43_000,
        43_200,
        43_400,
        43_550,
        43_750,
        43_900,
        44_100,
        44_300,
        44_700,
        44_900,
        45_200,
        45_400,
        45_550,
        45_700,
        45_850,
    ]
    findings = check_series("personnel", series(values), today=TODAY)
    coarse_dates = {f.report_date for f in by_rule(findings, "coarse")}
    assert len(coarse_dates) < len(values) // 2


def test_a_qualifier_other_than_the_usual_one_is_coarse():
    quals = ["about"] * 5 + ["more"] + ["about"] * 4
    values = cumulative([1234, 1111, 1321, 1203, 1177, 1299, 1188, 1266, 1201, 1245], 500_000)
    findings = by_rule(check_series("personnel", series(values, qualifiers=quals), today=TODAY), "coarse")
    assert [f.report_date for f in findings] == [D0 + dt.timedelta(days=5), D0 + dt.timedelta(days=6)]
    assert "'more' differs from the series' usual 'about'" in findings[0].message
    assert "measured from the previous total" in findings[1].message


# --- catch_up -----------------------------------------------------------------------------


def test_a_jump_after_flat_days_says_how_many_days_it_likely_covers():
    incs = [300, 280, 310, 290, 300, 320, 0, 0, 0, 1250, 300, 290, 310, 305, 295, 300]
    findings = check_series("personnel", series(cumulative(incs, 30_010)), today=TODAY)
    [f] = by_rule(findings, "catch_up")
    assert f.report_date == D0 + dt.timedelta(days=9)
    assert "after 3 flat days" in f.message and "likely covers 4 days" in f.message


def test_zero_days_of_a_sparse_category_are_not_flat_runs():
    incs = [0, 1, 0, 0, 2, 0, 1, 0, 0, 0, 4, 0, 1, 0, 0, 2, 0]
    findings = check_series("aircraft", series(cumulative(incs, 300)), today=TODAY)
    assert by_rule(findings, "catch_up") == []


# --- the real data ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_findings(latest_dir):
    """Findings of every series of the real dataset, keyed by metric."""
    return {
        m: check_series(m, dataset_points(latest_dir, m), today=dt.date(2026, 8, 8))
        for m in dataset_metrics(latest_dir)
    }


def flagged_on(findings, day):
    return {f.rule for f in findings if f.report_date == day}


def test_the_re_estimate_of_2022_03_03_is_flagged_doubtful(real_findings):
    rules = flagged_on(real_findings["personnel"], dt.date(2022, 3, 3))
    assert {"coarse", "outlier"} <= rules


def test_personnel_totals_are_coarse_through_early_may_2022(real_findings):
    coarse = {f.report_date for f in by_rule(real_findings["personnel"], "coarse")}
    day = dt.date(2022, 3, 5)
    while day <= dt.date(2022, 5, 8):
        assert day in coarse, day
        day += dt.timedelta(days=1)


def test_the_flat_days_of_march_2022_end_in_a_catch_up(real_findings):
    [f] = by_rule(real_findings["personnel"], "catch_up")
    assert f.report_date == dt.date(2022, 3, 15)
    assert "+1,500 after 6 flat days" in f.message


@pytest.mark.parametrize("day", ["2024-05-13", "2024-11-11", "2024-11-12", "2024-11-29", "2024-12-20", "2025-02-28"])
def test_real_heavy_days_are_not_flagged(real_findings, day):
    assert flagged_on(real_findings["personnel"], dt.date.fromisoformat(day)) == set()


def test_no_personnel_point_is_doubtful_after_2022(real_findings):
    late = [f for f in real_findings["personnel"] if f.rule in DOUBTFUL_RULES and f.report_date >= dt.date(2023, 1, 1)]
    assert late == []


def test_every_real_series_has_few_doubtful_points(real_findings, latest_dir):
    for metric, findings in real_findings.items():
        points = len(dataset_points(latest_dir, metric))
        doubtful_after_spring_2022 = {
            f.report_date for f in findings if f.rule in DOUBTFUL_RULES and f.report_date >= dt.date(2022, 6, 1)
        }
        assert len(doubtful_after_spring_2022) <= 0.015 * points, metric


def test_the_real_dataset_has_no_gaps_and_no_future_dates(real_findings):
    counts = Counter(f.rule for fs in real_findings.values() for f in fs)
    assert counts["gap"] == 0 and counts["future_date"] == 0


def test_documented_corrections_explain_real_decreases(real_findings):
    [f] = [f for f in real_findings["afv"] if f.report_date == dt.date(2022, 10, 13)]
    assert (f.rule, f.severity) == ("decrease", "info")


# --- thresholds, tested at their edges ---------------------------------------------------


def flagged_days(rule: str, incs: list[int]) -> list[int]:
    """Day numbers (0 = the first report) the rule flags in a series with these increments."""
    findings = check_series("personnel", series(cumulative(incs, 10_007)), today=TODAY)
    return [(f.report_date - D0).days for f in by_rule(findings, rule)]


def test_an_outlier_must_deviate_by_more_than_one_local_median():
    # Neighbours all +1,000: the deviation must exceed 1 x 1,000 (the z-score of 1,000 against
    # a scale of sqrt(10 x 1,000) = 100 is 10, well past 4). +2,000 deviates by exactly 1,000.
    incs = [1000] * 50
    incs[15], incs[35] = 2000, 2001
    assert flagged_days("outlier", incs) == [35]


def test_an_outlier_of_a_small_count_must_pass_four_times_the_poisson_like_noise():
    # Neighbours all +100: no spread, so the scale is the noise floor sqrt(10 x 100) = 31.62;
    # z > 4 needs a deviation above 126.49, i.e. +227 is flagged and +226 is not (both deviate
    # by more than one median, 100).
    incs = [100] * 50
    incs[15], incs[35] = 226, 227
    assert flagged_days("outlier", incs) == [35]


def test_an_outlier_of_a_noisy_series_must_pass_four_robust_standard_deviations():
    # Increments cycle +600, +1,000, +1,400; a point in a +1,000 slot has 14 neighbours: five
    # 600s, four 1,000s, five 1,400s. Median 1,000; MAD 400; scale 1.4826 x 400 = 593.04, so
    # z > 4 needs a deviation above 2,372.16: +3,373 is flagged, +3,372 is not.
    incs = ([600, 1000, 1400] * 20)[:60]
    incs[16], incs[40] = 3372, 3373
    assert flagged_days("outlier", incs) == [40]
    [f] = by_rule(check_series("personnel", series(cumulative(incs, 10_007)), today=TODAY), "outlier")
    assert f.message == (
        "increment +3,373 is far from its neighbours (median 1,000 of 14 nearby days, robust z 4.0): "
        "likely not one day's losses"
    )


def test_a_catch_up_must_be_at_least_one_and_a_half_typical_days():
    # +300 a day; three flat days end in +449 (day 20) and, far away, in +450 (day 60).
    # 1.5 x 300 = 450: only the second counts as covering the flat days.
    incs = [300] * 80
    incs[17:21] = [0, 0, 0, 449]
    incs[57:61] = [0, 0, 0, 450]
    assert flagged_days("catch_up", incs) == [60]


# Round hundreds among totals otherwise given to tens (never to fifties): a block of eight
# totals between two stretches of precise ones.
PRECISE_BEFORE = [20_010, 21_120, 22_230, 23_340, 24_460, 25_570, 26_680, 27_790, 28_810, 29_920]
PRECISE_AFTER = [39_910, 41_020, 42_130, 43_240, 44_360, 45_470, 46_580, 47_690, 48_710, 49_820]


def test_round_totals_are_coarse_when_at_least_60_percent_of_eight_distinct_totals_are_round():
    # Five of the eight are round. From the first round total (day 10) on, 5 of 8 = 62.5%;
    # up to the last (day 17), 5 of 8 too. Any round total between sees at most 4 of 8 either
    # way. Days 11 and 18 follow a roundup, so their increments are measured from one.
    block = [31_100, 32_200, 33_310, 34_400, 35_520, 36_600, 37_730, 38_800]
    findings = by_rule(check_series("personnel", series(PRECISE_BEFORE + block + PRECISE_AFTER), today=TODAY), "coarse")
    assert [(f.report_date - D0).days for f in findings] == [10, 11, 17, 18]
    assert findings[0].message == (
        "total 31,100 is rounded to 100s, as are 62% of the 8 distinct totals from it on: a roundup, not a count"
    )
    assert findings[2].message == (
        "total 38,800 is rounded to 100s, as are 62% of the 8 distinct totals up to it: a roundup, not a count"
    )


def test_four_round_totals_in_eight_are_not_a_rounded_stretch():
    block = [31_100, 32_200, 33_310, 34_400, 35_520, 36_610, 37_730, 38_800]  # 36,610: 4 of 8 = 50%
    findings = check_series("personnel", series(PRECISE_BEFORE + block + PRECISE_AFTER), today=TODAY)
    assert by_rule(findings, "coarse") == []
