"""`tracker compare`: each claim against the General Staff series, under both date conventions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.clirun import run_tracker
from tests.test_claims_ingest import copy_store
from tracker.analysis.compare import Totals, compare_claims, series_figure, verdict
from tracker.claims.queries import claims_frame
from tracker.ingest.feeds.claims import ClaimsFeed
from tracker.ingest.run import run_ingest
from tracker.store.db import open_store
from tracker.store.queries import observations_frame

D = dt.date


# --- the rule, on a small made-up series --------------------------------------------------------


def toy_series() -> pd.DataFrame:
    """Reports 2024-08-30..2024-10-02: +100 a day, +400 in the report of 2024-09-15."""
    days = pd.date_range("2024-08-30", "2024-10-02")
    inc = [400 if d == pd.Timestamp("2024-09-15") else 100 for d in days]
    return pd.DataFrame({"report_date": days, "value": pd.Series(inc).cumsum() + 10_000})


def claim(
    kind: str,
    period: str,
    start: dt.date,
    end: dt.date,
    best: float | None,
    *,
    qualifier: str | None = None,
    low: float | None = None,
    high: float | None = None,
    definition: str = "killed_or_wounded",
) -> dict:
    return {
        "id": 1,
        "key": "k",
        "source": "s",
        "subject": "russia",
        "metric": "personnel",
        "definition": definition,
        "kind": kind,
        "period": period,
        "period_start": start,
        "period_end": end,
        "qualifier": qualifier,
        "low": low,
        "best": best,
        "high": high,
    }


def one(row: dict) -> dict:
    return compare_claims(pd.DataFrame([row]), toy_series()).iloc[0].to_dict()


def test_a_month_total_under_each_convention() -> None:
    # covered: report 10-01 - report 09-01 (days 09-01..09-30); report: report 09-30 - report 08-31.
    totals = Totals(toy_series())
    covered = series_figure(totals, "period_total", D(2024, 9, 1), D(2024, 9, 30), "covered")
    report = series_figure(totals, "period_total", D(2024, 9, 1), D(2024, 9, 30), "report")
    assert covered.low == totals.need(D(2024, 10, 1)) - totals.need(D(2024, 9, 1)) == 3300
    assert report.low == totals.need(D(2024, 9, 30)) - totals.need(D(2024, 8, 31)) == 3300
    assert "report 2024-10-01 minus report 2024-09-01" in covered.basis
    assert "report 2024-09-30 minus report 2024-08-31" in report.basis


def test_a_single_day_is_the_next_report_when_covered_and_its_own_report_otherwise() -> None:
    row = one(claim("day", "2024-09-14", D(2024, 9, 14), D(2024, 9, 14), 400))
    assert (row["covered_series"], row["covered_verdict"]) == (400, "agrees")  # report of 09-15 covers 09-14
    assert (row["report_series"], row["report_verdict"]) == (100, "higher")
    assert row["report_ratio"] == 4.0


def test_a_daily_average_divides_by_the_days_in_the_period() -> None:
    row = one(claim("daily_average", "2024-09", D(2024, 9, 1), D(2024, 9, 30), 110))
    assert row["covered_series"] == pytest.approx(110.0) and row["covered_verdict"] == "agrees"


def test_a_coarse_cumulative_date_compares_with_the_range_of_totals_in_it() -> None:
    row = one(claim("cumulative", "2024-09", D(2024, 9, 1), D(2024, 9, 30), 12_000))
    assert (row["report_series_low"], row["report_series_high"]) == (10_300, 13_500)
    assert (row["report_series"], row["report_verdict"]) == (12_000, "agrees")
    assert "reports 2024-09-01..2024-09-30" in row["report_basis"]


def test_a_peak_day_names_its_day() -> None:
    row = one(claim("peak_day", "2024-09", D(2024, 9, 1), D(2024, 9, 30), 390))
    assert (row["report_series"], row["report_day"], row["report_verdict"]) == (400, D(2024, 9, 15), "lower")
    assert (row["covered_day"], row["covered_verdict"]) == (D(2024, 9, 14), "lower")  # no tolerance for days


@pytest.mark.parametrize(
    "kind, qualifier, low, best, high, s_low, s_high, expected",
    [
        ("period_total", None, None, 41_980, None, 41_980, 41_980, "agrees"),
        ("period_total", None, None, 41_980, None, 41_985, 41_985, "agrees"),  # 41,980 implies ± 5
        ("period_total", None, None, 41_980, None, 41_986, 41_986, "close"),
        ("daily_average", None, None, 950, None, 949.67, 949.67, "agrees"),
        ("daily_average", None, None, 1_271, None, 1_270.33, 1_270.33, "close"),
        ("daily_average", "about", None, 1_500, None, 1_354.19, 1_354.19, "higher"),
        ("cumulative", "about", None, 300_000, None, 257_010, 257_010, "higher"),  # ± 5,000, not ± 50,000
        ("cumulative", "more than", None, 600_000, None, 664_120, 664_120, "consistent"),
        ("cumulative", "more than", None, 700_000, None, 690_000, 690_000, "close"),
        ("cumulative", "more than", None, 800_000, None, 690_000, 690_000, "higher"),
        ("cumulative", "up to", None, 120_000, None, 110_000, 110_000, "consistent"),
        ("cumulative", "up to", None, 120_000, None, 150_000, 150_000, "lower"),
        ("cumulative", None, 70_000, None, 80_000, 42_640, 42_640, "higher"),
        ("cumulative", None, 70_000, None, 80_000, 80_400, 80_400, "agrees"),
        ("cumulative", None, None, 350_000, None, 387_060, 414_680, "lower"),
        ("peak_day", None, None, 1_730, None, 1_740, 1_740, "lower"),
        ("day", None, None, 1_770, None, 1_780, 1_780, "lower"),
    ],
)
def test_the_verdict_rule(kind, qualifier, low, best, high, s_low, s_high, expected) -> None:  # type: ignore[no-untyped-def]
    assert verdict(kind, qualifier, low, best, high, s_low, s_high)[0] == expected


@pytest.mark.parametrize(
    "best, series, expected",
    [
        (1_049, 1_000, "close"),  # 4.9% above (1,049 implies ± 0.5)
        (1_051, 1_000, "higher"),  # 5.1% above
        (951, 1_000, "close"),  # 4.9% below
        (949, 1_000, "lower"),  # 5.1% below
    ],
)
def test_close_means_within_five_percent_of_the_series(best: int, series: int, expected: str) -> None:
    assert verdict("period_total", None, None, best, None, series, series)[0] == expected


@pytest.mark.parametrize("best, expected", [(1_050, "close"), (950, "close")])
def test_a_claim_exactly_five_percent_off_the_series_is_close(best: int, expected: str) -> None:
    # "within 5%" includes 5%: 1,050 and 950 against 1,000 (each implies ± 5, so neither agrees).
    assert verdict("period_total", None, None, best, None, 1_000, 1_000)[0] == expected


def test_claims_of_another_definition_or_subject_are_not_comparable_with_a_reason() -> None:
    killed = one(claim("cumulative", "2024-09-10", D(2024, 9, 10), D(2024, 9, 10), 5_000, definition="killed"))
    assert not killed["comparable"] and killed["reason"] == "a killed-only count against a killed-or-wounded series"
    assert killed["covered_verdict"] == killed["report_verdict"] == "not comparable"
    assert pd.isna(killed["covered_series"])
    ukraine = claim("cumulative", "2024-09-10", D(2024, 9, 10), D(2024, 9, 10), 5_000)
    ukraine["subject"] = "ukraine"
    assert "about ukraine's" in one(ukraine)["reason"]


def test_a_period_the_series_does_not_reach_is_not_comparable_and_says_why() -> None:
    row = one(claim("daily_average", "2024-10", D(2024, 10, 1), D(2024, 10, 31), 100))
    assert row["comparable"] and row["covered_verdict"] == "not comparable"
    assert row["covered_basis"] == (
        "the series ends with the report of 2024-10-02; this needs the report of 2024-11-01"
    )


# --- the curated claims against the full shared dataset ------------------------------------------


@pytest.fixture(scope="module")
def store(full_store_url: str, tmp_path_factory) -> str:  # type: ignore[no-untyped-def]
    url = copy_store(full_store_url, tmp_path_factory.mktemp("compare") / "store.db")
    assert run_ingest(url, ClaimsFeed()).status == "ok"
    return url


@pytest.fixture(scope="module")
def result(store: str) -> pd.DataFrame:
    engine = open_store(store, write=False)
    # As `tracker compare` reads them: the claims about Russia's losses, which the series counts.
    out = compare_claims(claims_frame(engine, subject="russia"), observations_frame(engine))
    engine.dispose()
    return out.set_index("key")


ONE = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def raw_totals(latest_dir) -> dict[dt.date, int]:  # type: ignore[no-untyped-def]
    """Report date -> personnel total, read straight from the dataset JSON; 0 on 2022-02-24."""
    rows = json.loads((latest_dir / "russia_losses_personnel.json").read_text(encoding="utf-8"))
    totals = {D.fromisoformat(r["date"]): int(r["personnel"]) for r in rows}
    totals[D(2022, 2, 24)] = 0  # nothing was counted before the invasion
    return totals


def by_hand(totals: dict[dt.date, int], kind: str, start: dt.date, end: dt.date, convention: str) -> tuple:
    """(low, high) of the series for a claim, by plain arithmetic on the raw totals.

    Covered day d is in the report of d + 1; by report date, day d is the report of d. The
    increment of a report is its total minus the previous report's total.
    """
    shift = ONE if convention == "covered" else dt.timedelta(0)
    reports = [start + shift + i * ONE for i in range((end - start).days + 1)]
    if kind == "cumulative":
        values = [totals[r] for r in reports]
        return min(values), max(values)
    increments = [totals[r] - totals[r - ONE] for r in reports]
    figure = {
        "period_total": sum(increments),
        "day": sum(increments),
        "daily_average": sum(increments) / len(increments),
        "peak_day": max(increments),
    }[kind]
    return figure, figure


# A sample of the curated claims covering every verdict under both conventions: (key, kind, the
# period read from claims.csv, covered verdict, report verdict). Each verdict follows from
# data/claims/README.md with the figures `by_hand` gives (shown rounded in the comments).
HAND_CHECKED = [
    # 1,271 ± 0.5: covered 38,130 / 30 = 1,271.00 agrees; report 38,110 / 30 = 1,270.33 is 0.05% off.
    ("ukdi-2024-10-06-sep-2024-avg", "daily_average", D(2024, 9, 1), D(2024, 9, 30), "agrees", "close"),
    # 41,980 ± 5: covered 41,980 agrees; report 41,890 is 0.2% off.
    ("ukdi-2024-12-05-oct-2024-total", "period_total", D(2024, 10, 1), D(2024, 10, 31), "agrees", "close"),
    # about 1,500 ± 50: 1,354.19 and 1,351.29 a day; the claim is 10.8% and 11.0% higher.
    ("uk-cds-2024-11-10-oct-2024-avg", "daily_average", D(2024, 10, 1), D(2024, 10, 31), "higher", "higher"),
    # 1,072 ± 0.5: covered 1,071.61 agrees; report 1,072.58 is 0.05% off.
    ("ukdi-2025-08-05-jul-2025-avg", "daily_average", D(2025, 7, 1), D(2025, 7, 31), "agrees", "close"),
    # 950 ± 5: 949.67 and 947.33 both agree.
    ("ukdi-2025-10-14-sep-2025-avg", "daily_average", D(2025, 9, 1), D(2025, 9, 30), "agrees", "agrees"),
    # 693 ± 0.5: 693.95 and 693.89 a day over 2023, 0.1% off.
    ("ukdi-2024-04-07-2023-avg", "daily_average", D(2023, 1, 1), D(2023, 12, 31), "close", "close"),
    # more than 70,000: 73,970 and 73,980 in May-June 2024.
    ("ukdi-2024-07-12-may-jun-2024-total", "period_total", D(2024, 5, 1), D(2024, 6, 30), "consistent", "consistent"),
    # more than 648,000 as of 2024-10-07: 662,970 and 661,630.
    ("ukdi-2024-10-06-total", "cumulative", D(2024, 10, 7), D(2024, 10, 7), "consistent", "consistent"),
    # 1,770 ± 5, one day (never "close"): covered 1,950 (report 11-12); report 1,770.
    ("news-2024-11-11-day", "day", D(2024, 11, 11), D(2024, 11, 11), "lower", "agrees"),
    # 2,030 ± 5, one day: covered 2,030 (report 11-29); report 1,220.
    ("ukdi-2024-12-05-2024-11-28-day", "day", D(2024, 11, 28), D(2024, 11, 28), "agrees", "higher"),
    # 710,660 ± 5: covered 712,610 (report 11-12) is 0.3% off; report 710,660 agrees.
    ("news-2024-11-11-total", "cumulative", D(2024, 11, 11), D(2024, 11, 11), "close", "agrees"),
    # 1,730 ± 5, a peak (never "close"): the highest day of May 2024 is 1,740 either way.
    ("news-2024-11-11-may-2024-peak", "peak_day", D(2024, 5, 1), D(2024, 5, 31), "lower", "lower"),
    # 70,000 to 80,000 (± 500 each end): 42,640 and 42,340 as of 2022-08-08.
    ("us-dod-2022-08-08-total", "cumulative", D(2022, 8, 8), D(2022, 8, 8), "higher", "higher"),
    # more than 350,000 in February 2024: totals 387,060..414,680 and 386,230..413,760.
    ("uk-mod-2024-02-total", "cumulative", D(2024, 2, 1), D(2024, 2, 29), "consistent", "consistent"),
    # 315,000 ± 500 in December 2023: totals from 331,110 and from 330,040; 4.9% and 4.6% lower.
    ("us-intelligence-2023-12-total", "cumulative", D(2023, 12, 1), D(2023, 12, 31), "close", "close"),
    # about 1.2 million ± 50,000 in December 2025: totals 1,175,030..1,208,970 and 1,173,920..1,207,910.
    ("csis-2026-01-casualties", "cumulative", D(2025, 12, 1), D(2025, 12, 31), "agrees", "agrees"),
]
VERDICTS_ON_A_FIGURE = {"agrees", "consistent", "close", "higher", "lower"}


def test_the_hand_checked_sample_covers_every_verdict_under_both_conventions() -> None:
    for position in (4, 5):
        assert {row[position] for row in HAND_CHECKED} == VERDICTS_ON_A_FIGURE


@pytest.mark.parametrize("key, kind, start, end, covered, report", HAND_CHECKED, ids=[r[0] for r in HAND_CHECKED])
def test_a_claims_series_figure_and_verdict_match_a_hand_computation_from_the_raw_data(  # type: ignore[no-untyped-def]
    result, raw_totals, key, kind, start, end, covered, report
) -> None:
    row = result.loc[key]
    assert row["kind"] == kind
    for convention, expected in (("covered", covered), ("report", report)):
        low, high = by_hand(raw_totals, kind, start, end, convention)
        got = (row[f"{convention}_series_low"], row[f"{convention}_series_high"])
        assert got == (pytest.approx(low), pytest.approx(high)), convention
        assert row[f"{convention}_verdict"] == expected, convention


@pytest.mark.parametrize("key", ["csis-2026-01-killed", "us-officials-2023-08-18-wounded"])
def test_a_claim_that_counts_something_else_is_not_comparable_under_either_convention(  # type: ignore[no-untyped-def]
    result, key
) -> None:
    row = result.loc[key]
    assert row["covered_verdict"] == row["report_verdict"] == "not comparable"
    assert pd.isna(row["covered_series"]) and pd.isna(row["report_series"])


def test_a_claim_about_ukraines_losses_is_not_comparable_with_the_series_of_russias(store: str) -> None:
    engine = open_store(store, write=False)
    out = compare_claims(claims_frame(engine, subject="ukraine"), observations_frame(engine))
    engine.dispose()
    assert len(out) == 21 and not out["comparable"].any()
    assert set(out["reason"]) == {"the series counts russia's losses; this claim is about ukraine's"}


def curated_claims() -> list[dict]:
    """The rows of data/claims/claims.csv (comments and blank lines skipped)."""
    path = Path(__file__).resolve().parent.parent / "data" / "claims" / "claims.csv"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


SERIES_MEASURE = ("russia", "personnel", "killed_or_wounded")


def test_every_comparable_claim_has_a_figure_and_a_ratio_and_the_others_a_reason(result: pd.DataFrame) -> None:
    comparable = result[result["comparable"]]
    same_measure = [c for c in curated_claims() if (c["subject"], c["metric"], c["definition"]) == SERIES_MEASURE]
    assert len(comparable) == len(same_measure) == 45
    for conv in ("covered", "report"):
        assert comparable[f"{conv}_series"].notna().all() and comparable[f"{conv}_ratio"].notna().all()
        assert comparable[f"{conv}_basis"].str.contains("report").all()
    others = result[~result["comparable"]]
    assert others["reason"].to_dict() == {
        "us-officials-2023-08-18-killed": "a killed-only count against a killed-or-wounded series",
        "us-officials-2023-08-18-wounded": "a wounded-only count against a killed-or-wounded series",
        "mediazona-bbc-2024-01-named-deaths": "a count of deaths confirmed by name (killed only) against a killed-or-wounded series",
        "us-officials-2024-10-killed": "a killed-only count against a killed-or-wounded series",
        "us-officials-2024-10-wounded": "a wounded-only count against a killed-or-wounded series",
        "ukdi-2025-03-killed": "a killed-only count against a killed-or-wounded series",
        "csis-2026-01-killed": "a killed-only count against a killed-or-wounded series",
    }


def test_ukdi_figures_agree_with_the_series_by_covered_day_but_not_all_by_report_date(result: pd.DataFrame) -> None:
    sep24, oct24 = result.loc["ukdi-2024-10-06-sep-2024-avg"], result.loc["ukdi-2024-12-05-oct-2024-total"]
    jul25, sep25 = result.loc["ukdi-2025-08-05-jul-2025-avg"], result.loc["ukdi-2025-10-14-sep-2025-avg"]
    # Exactly: 38,130 / 30 = 1,271.00 and 41,980 over covered days.
    assert (sep24["covered_series"], sep24["covered_diff"], sep24["covered_verdict"]) == (1271.0, 0.0, "agrees")
    assert (oct24["covered_series"], oct24["covered_diff"], oct24["covered_verdict"]) == (41980, 0, "agrees")
    # Within rounding: 33,220 / 31 = 1,071.61 -> 1,072; 28,490 / 30 = 949.67 -> 950.
    assert jul25["covered_series"] == pytest.approx(33_220 / 31) and jul25["covered_verdict"] == "agrees"
    assert sep25["covered_series"] == pytest.approx(28_490 / 30) and sep25["covered_verdict"] == "agrees"
    # By report date: 1,270.33, 41,890, 1,072.58 miss the claims' rounding (close); 947.33 is within 950's.
    assert sep24["report_series"] == pytest.approx(38_110 / 30) and sep24["report_verdict"] == "close"
    assert (oct24["report_series"], oct24["report_verdict"]) == (41_890, "close")
    assert jul25["report_series"] == pytest.approx(33_250 / 31) and jul25["report_verdict"] == "close"
    assert sep25["report_series"] == pytest.approx(28_420 / 30) and sep25["report_verdict"] == "agrees"


def test_radakins_1500_a_day_is_higher_than_the_series_october_average(result: pd.DataFrame) -> None:
    row = result.loc["uk-cds-2024-11-10-oct-2024-avg"]
    assert row["covered_series"] == pytest.approx(41_980 / 31)  # 1,354.19
    assert row["covered_ratio"] == pytest.approx(1500 / (41_980 / 31)) == pytest.approx(1.1077, abs=1e-4)
    assert row["report_ratio"] == pytest.approx(1500 / (41_890 / 31))
    assert row["covered_verdict"] == row["report_verdict"] == "higher"


def test_the_previous_peak_of_1730_in_may_2024_does_not_match_the_series_peak(result: pd.DataFrame) -> None:
    row = result.loc["news-2024-11-11-may-2024-peak"]
    assert (row["claim_value"], row["report_series"], row["report_day"]) == (1730, 1740, D(2024, 5, 13))
    assert (row["covered_series"], row["covered_day"]) == (1740, D(2024, 5, 12))
    assert row["report_verdict"] == row["covered_verdict"] == "lower"
    assert "1,740 in the report of 2024-05-13" in row["report_basis"]


def test_the_news_reports_1770_is_the_report_dated_figure(result: pd.DataFrame) -> None:
    row = result.loc["news-2024-11-11-day"]
    assert (row["report_series"], row["report_verdict"]) == (1770, "agrees")
    assert (row["covered_series"], row["covered_verdict"]) == (1950, "lower")  # day 11-11 is in the report of 11-12
    total = result.loc["news-2024-11-11-total"]
    assert (total["report_series"], total["covered_series"]) == (710_660, 712_610)
    assert "report 2024-11-11 (as of the morning of 2024-11-11)" == total["report_basis"]
    assert "report 2024-11-12 (total at the end of 2024-11-11)" == total["covered_basis"]


def test_compare_prints_each_claim_by_its_sources_convention_with_both_bases_and_the_rule(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(
        capsys, "compare", "--db", store, "--source", "uk-defence-intelligence", "--period", "2024-09", "--explain"
    )
    assert (code, err) == (0, "")
    header, _rule, line = out.splitlines()[:3]
    assert header.split() == [
        "id", "source", "kind", "period", "claim", "by", "series", "diff", "diff", "%", "ratio", "verdict"
    ]  # fmt: skip
    # UK Defence Intelligence dates by covered day: its claims are judged so (the source key is
    # whole: the output is no terminal and $COLUMNS is unset, so nothing needs cutting).
    assert line.split()[1:] == [
        "uk-defence-intelligence",
        "daily_average",
        "2024-09",
        "1,271",
        "covered",
        "1,271",
        "0",
        "0.0%",
        "1.00",
        "agrees",
    ]
    assert "covered: report 2024-10-01 minus report 2024-09-01" in out
    assert "report:  report 2024-09-30 minus report 2024-08-31" in out
    assert "close = within 5%" in " ".join(out.split())


def test_compare_shows_not_comparable_reasons_and_both_peak_numbers(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = run_tracker(
        capsys, "compare", "--db", store, "--source", "news-report", "--kind", "peak_day", "--explain"
    )
    assert "1,730" in out and "1,740" in out and "lower" in out and "1,740 in the report of 2024-05-13" in out
    _, out, _ = run_tracker(capsys, "compare", "--db", store, "--source", "csis")
    assert "not comparable — a killed-only count against a killed-or-wounded series" in out


def test_compare_as_json_and_csv(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_tracker(capsys, "compare", "--db", store, "--format", "json")
    rows = json.loads(out)
    about_russia = [c for c in curated_claims() if c["subject"] == "russia"]
    assert code == 0 and len(rows) == len(about_russia) == 52
    radakin = next(r for r in rows if r["key"] == "uk-cds-2024-11-10-oct-2024-avg")
    assert radakin["covered_verdict"] == "higher" and radakin["covered_ratio"] == pytest.approx(1500 / (41_980 / 31))
    _, out, _ = run_tracker(capsys, "compare", "--db", store, "--format", "csv", "--kind", "period_total")
    rows = list(csv.DictReader(io.StringIO(out)))
    oct24 = next(r for r in rows if r["key"] == "ukdi-2024-12-05-oct-2024-total")
    assert (oct24["covered_series"], oct24["covered_verdict"], oct24["report_series"], oct24["report_verdict"]) == (
        "41980",
        "agrees",
        "41890",
        "close",
    )


def test_a_peak_day_leaves_out_doubtful_days_as_records_do(store: str) -> None:
    engine = open_store(store, write=False)
    obs = observations_frame(engine)
    engine.dispose()
    peak = claim("peak_day", "2022", D(2022, 1, 1), D(2022, 12, 31), 3_160)
    day = claim("day", "2022-03-02", D(2022, 3, 2), D(2022, 3, 2), 3_160)
    rows = compare_claims(pd.DataFrame([peak, day]), obs).to_dict("records")
    # The +3,160 of the report of 2022-03-03 is a re-estimate (flagged outlier and coarse), not a day.
    assert (rows[0]["report_series"], rows[0]["report_day"], rows[0]["report_verdict"]) == (
        950,
        D(2022, 10, 30),
        "higher",
    )
    assert "left out 89 doubtful report(s): 2022-02-25 (coarse;first_report)" in rows[0]["report_basis"]
    assert rows[1]["covered_series"] == 3_160 and rows[1]["covered_verdict"] == "agrees"
    assert "a day the quality rules flag: outlier;coarse" in rows[1]["covered_basis"]


def test_a_period_that_begins_before_the_invasion_is_cut_to_begin_on_2022_02_24(result, raw_totals) -> None:  # type: ignore[no-untyped-def]
    # UK Defence Intelligence's 400 a day over 2022: the days 2022-02-24..2022-12-31 are 311.
    row = result.loc["ukdi-2024-04-07-2022-avg"]
    days = (D(2022, 12, 31) - D(2022, 2, 24)).days + 1
    assert days == 311
    covered = raw_totals[D(2023, 1, 1)] / days  # 106,720 / 311 = 343.15
    report = raw_totals[D(2022, 12, 31)] / days  # 105,960 / 311 = 340.71
    assert (row["covered_series"], row["report_series"]) == (pytest.approx(covered), pytest.approx(report))
    assert row["covered_verdict"] == row["report_verdict"] == "higher"  # 400 ± 5 is 16.6% and 17.4% above
    assert row["covered_basis"] == (
        "report 2023-01-01 minus 0 (nothing before 2022-02-24) (covered days 2022-02-24..2022-12-31; "
        "the period cut to begin with the invasion) = 106,720 / 311 days"
    )


def test_a_peak_day_in_a_period_whose_every_day_is_flagged_has_no_figure_and_says_why() -> None:
    # Records leave doubtful days out, and so does a peak: with all of them out there is no peak.
    days = [D(2024, 9, 10) + dt.timedelta(days=n) for n in range(3)]
    totals = Totals(toy_series(), doubtful={d: "coarse" for d in days})
    figure = series_figure(totals, "peak_day", days[0], days[-1], "report")
    assert (figure.low, figure.high) == (None, None)
    assert (
        figure.missing
        == "every day of the period is flagged as doubtful: 2024-09-10 (coarse), 2024-09-11 (coarse), 2024-09-12 (coarse)"
    )
