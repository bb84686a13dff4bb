"""The compare table a reporter reads (issue 23): difference and ratio columns, --sort, --source by
prefix or name, whole source keys on a wide terminal; a newsroom's own series against Kyiv's
(`compare --series SOURCE`); and one total for one period in every command (documented
corrections taken out), on the shared dataset and the curated claims."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.clirun import run_tracker
from tests.test_claims_ingest import copy_store
from tracker.ingest.feeds.claims import ClaimsFeed
from tracker.ingest.run import run_ingest

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "ua-general-staff-personnel.csv"
UK_SOURCES = {"uk-defence-intelligence", "uk-mod", "uk-fcdo", "uk-chief-of-defence-staff"}
# 2025's personnel total by report date (reports dated 2025-01-01..2025-12-31) on the shared
# dataset: 418,360 between the bounding totals, of which 1,810 are documented corrections.
TOTAL_2025 = 416_550
RAW_2025 = 418_360


@pytest.fixture(scope="module")
def store(full_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = copy_store(full_store_url, tmp_path_factory.mktemp("reader") / "store.db")
    assert run_ingest(url, ClaimsFeed()).status == "ok"
    return url


def compare_json(capsys, store: str, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "compare", "--db", store, "--format", "json", *args)
    assert (code, err) == (0, ""), err
    return json.loads(out)


# --- the table ------------------------------------------------------------------------------------


def test_sort_distance_puts_the_us_dod_claim_of_8_aug_2022_first_at_plus_77_percent(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    rows = compare_json(capsys, store, "--sort", "distance")
    first = rows[0]
    assert (first["key"], first["source"], first["period"]) == ("us-dod-2022-08-08-total", "us-dod", "2022-08-08")
    assert round(first["diff_pct"], 1) == 77.1 and first["diff"] == 75_000 - 42_340
    distances = [abs(r["diff_pct"]) for r in rows if r["diff_pct"] is not None]
    assert distances == sorted(distances, reverse=True)  # either direction, furthest first
    # Claims without a figure (not comparable) come last.
    assert all(r["diff_pct"] is None for r in rows[len(distances) :])


def test_sort_ratio_and_source_order_the_rows(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    ratios = [r["ratio"] for r in compare_json(capsys, store, "--sort", "ratio") if r["ratio"] is not None]
    assert ratios == sorted(ratios, reverse=True) and ratios[0] > 1.7
    sources = [r["source"] for r in compare_json(capsys, store, "--sort", "source")]
    assert sources == sorted(sources)


def test_source_uk_lists_the_uk_sources_by_key_prefix_and_by_name(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    by_prefix = compare_json(capsys, store, "--source", "uk")
    assert {r["source"] for r in by_prefix} == UK_SOURCES and len(by_prefix) == 37
    # "UK" as a word of the source's name finds the same; Ukraine's sources are not "uk".
    assert {r["source"] for r in compare_json(capsys, store, "--source", "UK")} == UK_SOURCES
    assert {r["source"] for r in compare_json(capsys, store, "--source", "uk-fcdo")} == {"uk-fcdo"}


def test_a_source_filter_matching_nothing_is_exit_2_naming_the_known_sources(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "compare", "--db", store, "--source", "u")
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert err.startswith("error: --source 'u' matches no source (by key, key prefix or name); sources: ")
    assert "uk-fcdo" in err and "us-dod" in err


def test_source_keys_are_whole_on_a_wide_terminal_and_cut_to_fit_a_narrow_one(store: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run_tracker(capsys, "compare", "--db", store, "--source", "uk")
    assert code == 0 and "uk-chief-of-defence-staff" in out and "…" not in out.split("\n(")[0]
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = run_tracker(capsys, "compare", "--db", store, "--source", "uk")
    table = out.split("\n(")[0]
    assert code == 0 and max(len(line) for line in table.splitlines()) <= 120
    assert "uk-chief-of-defence-staff" not in table and "uk-defence-…" in table
    # A claim's figure is never cut: its qualifier becomes a sign instead.
    assert "> 355,000" in table and "more than 35…" not in table


def test_the_table_has_diff_diff_percent_and_ratio_columns(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_tracker(capsys, "compare", "--db", store, "--source", "us-dod", "--sort", "distance")
    header, _rule, line = out.splitlines()[:3]
    assert code == 0 and header.split()[-5:] == ["diff", "diff", "%", "ratio", "verdict"]
    assert line.split()[-4:] == ["+32,660", "+77.1%", "1.77", "higher"]
    assert "furthest from the series first" in " ".join(out.split())


# --- one total for one period ---------------------------------------------------------------------


def test_2025s_total_is_one_number_in_averages_compare_headline_and_the_charts(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    """Personnel, by report date, documented corrections taken out: averages, compare --explain,
    headline (its month totals) and the numbers the monthly and daily charts plot."""
    from tracker.analysis.series import daily_series
    from tracker.charts.daily import plotted_days
    from tracker.charts.monthly import plotted_months
    from tracker.store.db import open_store
    from tracker.store.queries import observations_frame

    found: dict[str, float] = {}
    code, out, _ = run_tracker(capsys, "averages", "--db", store, "--period", "year", "--format", "json")
    averages = json.loads(out)
    assert code == 0 and averages["corrections"] == "taken out"
    found["averages"] = next(r["total"] for r in averages["rows"] if r["period"] == "2025")

    rows = compare_json(capsys, store, "--source", "uk-fcdo", "--period", "2025", "--kind", "period_total", "--explain")
    (fcdo,) = rows  # UK FCDO's "about 420,000 in 2025", dated by report
    assert fcdo["convention"] == "report" and fcdo["corrections"] == "taken out"
    found["compare"] = fcdo["report_series"]
    assert f"= {RAW_2025:,}, less 1,810 of documented corrections = {TOTAL_2025:,}" in fcdo["report_basis"]

    months = 0.0
    for month in range(1, 13):
        end = (dt.date(2025, month, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        code, out, _ = run_tracker(capsys, "headline", "--db", store, "--until", end.isoformat(), "--format", "json")
        headline = json.loads(out)
        assert code == 0 and headline["corrections"] == "taken out"
        assert headline["numbers"]["month"]["period"] == f"2025-{month:02d}"
        months += headline["numbers"]["month"]["total"]
    found["headline"] = months

    engine = open_store(store, write=False)
    daily = daily_series(observations_frame(engine), by="report", metric="personnel")
    engine.dispose()
    since, until = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    found["monthly chart"] = float(plotted_months(daily, "personnel", since, until)["total"].sum())
    found["daily chart"] = float(plotted_days(daily, since, until)["increment"].sum())
    assert found == dict.fromkeys(found, TOTAL_2025)


# --- a newsroom's own series ----------------------------------------------------------------------


def test_compare_series_on_a_csv_source_prints_a_row_per_date_with_ratio_and_verdict(
    store_url: str, capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "ua-general-staff-personnel.csv"
    code, _, err = run_tracker(
        capsys, "ingest", "csv", "--from", str(sample), "--source", "ua-general-staff", "--db", store_url, "-q"
    )
    assert code in (0, 3), err
    code, _, err = run_tracker(capsys, "sources", "add", "newsdesk", "--name", "Newsdesk estimates", "--db", store_url)
    assert code == 0, err
    theirs = tmp_path / "newsdesk.csv"
    # The sample's reports of 2024-04-01 (442,880) and 2024-06-01; a round figure and an upper bound.
    theirs.write_text(
        "report_date,metric,value,qualifier\n2024-04-01,personnel,442880,\n2024-05-01,personnel,500000,\n"
        "2024-06-01,personnel,400000,up to\n",
        encoding="utf-8",
    )
    code, _, err = run_tracker(
        capsys, "ingest", "csv", "--from", str(theirs), "--source", "newsdesk", "--db", store_url, "-q"
    )
    assert code in (0, 3), err
    code, out, err = run_tracker(capsys, "compare", "--series", "newsdesk", "--db", store_url)
    assert (code, err) == (0, "")
    header, _rule, *lines = out.splitlines()
    assert header.split() == [
        "date",
        "metric",
        "figure",
        "by",
        "General",
        "Staff",
        "diff",
        "diff",
        "%",
        "ratio",
        "verdict",
    ]
    first, second, third = (line.split() for line in lines[:3])
    assert first == ["2024-04-01", "personnel", "442,880", "report", "442,880", "0", "0.0%", "1.00", "agrees"]
    assert second[:5] == ["2024-05-01", "personnel", "500,000", "report", second[4]]
    assert second[-1] in ("higher", "close") and float(second[-2]) > 1
    assert third[0] == "2024-06-01" and third[-1] == "lower"  # "up to 400,000" is below Kyiv's figure
    rows = json.loads(run_tracker(capsys, "compare", "--series", "newsdesk", "--db", store_url, "--format", "json")[1])
    assert [r["date"] for r in rows] == ["2024-04-01", "2024-05-01", "2024-06-01"]
    assert rows[0]["ratio"] == 1.0 and rows[0]["verdict"] == "agrees" and rows[0]["corrections"] == "taken out"
    assert (rows[2]["qualifier"], rows[2]["verdict"]) == ("up to", "lower")


def test_compare_series_refuses_a_source_the_store_does_not_have(store_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_tracker(
        capsys, "ingest", "csv", "--from", str(SAMPLE), "--source", "ua-general-staff", "--db", store_url, "-q"
    )
    assert code in (0, 3), err
    code, out, err = run_tracker(capsys, "compare", "--series", "newsdesk", "--db", store_url)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
    assert err.startswith("error: no source 'newsdesk' in the store")


def test_a_source_filter_matches_whole_words_of_keys_and_names_so_uk_is_not_ukraine() -> None:
    from tracker.store.source_registry import SOURCES, matching_sources, with_overrides

    known = dict(SOURCES)
    known["ukraine-mod"] = with_overrides(SOURCES["uk-mod"], key="ukraine-mod", name="Ukraine's Ministry of Defence")
    assert set(matching_sources("uk", known)) == UK_SOURCES
    assert set(matching_sources("UK", known)) == UK_SOURCES
    # "Ukraine" is a word of the General Staff's name too ("… Armed Forces of Ukraine").
    ukraine = matching_sources("ukraine", known)
    assert {"ua-general-staff", "ua-president", "ukraine-mod"} <= set(ukraine)
    assert not set(ukraine) & UK_SOURCES
    assert all("ukraine" in known[k].name.casefold() or k.startswith("ukraine-") for k in ukraine)
    assert matching_sources("us-", known) == ["us-dod", "us-officials", "us-intelligence"]
    assert matching_sources("uk-mod", known) == ["uk-mod"]  # a key is itself, not a prefix of more
    assert matching_sources("", known) == [] and matching_sources("(", known) == []


def test_a_killed_only_series_is_not_comparable_on_every_row_with_the_reason(
    store_url: str, capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_tracker(
        capsys, "ingest", "csv", "--from", str(SAMPLE), "--source", "ua-general-staff", "--db", store_url, "-q"
    )
    assert code in (0, 3), err
    code, _, err = run_tracker(
        capsys, "sources", "add", "deaths", "--name", "A count of the dead", "--definition", "killed", "--db", store_url
    )
    assert code == 0, err
    theirs = tmp_path / "deaths.csv"
    theirs.write_text("report_date,metric,value\n2024-04-01,personnel,120000\n", encoding="utf-8")
    code, _, err = run_tracker(
        capsys, "ingest", "csv", "--from", str(theirs), "--source", "deaths", "--db", store_url, "-q"
    )
    assert code in (0, 3), err
    code, out, _ = run_tracker(capsys, "compare", "--series", "deaths", "--db", store_url, "--format", "json")
    (row,) = json.loads(out)
    assert code == 0 and (row["comparable"], row["verdict"], row["ratio"]) == (False, "not comparable", None)
    assert row["reason"] == "a killed-only count against a killed-or-wounded series"
