"""`tracker compare` judges each claim by its claimant's date convention (issue 10, part 1).

UK Defence Intelligence dates a figure by the day it covers: its "2,030 on 28 Nov 2024" is the
report of 29 Nov, so by default it agrees; by report date (the report of 28 Nov: 1,220) it would
read 66% high. Both conventions' figures and verdicts stay in every row.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.clirun import run_tracker
from tests.test_claims_ingest import copy_store
from tracker.analysis.compare import compare_claims
from tracker.claims.queries import claims_frame
from tracker.ingest.feeds.claims import ClaimsFeed
from tracker.ingest.run import run_ingest
from tracker.store.db import open_store
from tracker.store.queries import observations_frame
from tracker.store.sources import known_sources

D = dt.date
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "ua-general-staff-personnel.csv"
UKDI_DAY = "ukdi-2024-12-05-2024-11-28-day"
WIDTH = 120  # issue 11: compare's output fits a 120-column terminal


# --- the rule, on a small made-up series ---------------------------------------------------------


def toy_series() -> pd.DataFrame:
    """Reports 2024-11-20..2024-12-02: +1,000 a day, but +1,220 in the report of 11-28 and
    +2,030 in the report of 11-29."""
    days = pd.date_range("2024-11-20", "2024-12-02")
    inc = [{"2024-11-28": 1220, "2024-11-29": 2030}.get(str(d.date()), 1000) for d in days]
    return pd.DataFrame({"report_date": days, "value": pd.Series(inc).cumsum() + 700_000})


def day_claim(source: str, best: float = 2030, key: str = "k") -> dict:
    return {
        "id": 1,
        "key": key,
        "source": source,
        "subject": "russia",
        "metric": "personnel",
        "definition": "killed_or_wounded",
        "kind": "day",
        "period": "2024-11-28",
        "period_start": D(2024, 11, 28),
        "period_end": D(2024, 11, 28),
        "qualifier": None,
        "low": None,
        "best": best,
        "high": None,
    }


def judged(claims: list[dict], **options: object) -> pd.DataFrame:
    return compare_claims(pd.DataFrame(claims), toy_series(), **options).set_index("key")  # type: ignore[arg-type]


def test_a_claim_is_judged_by_its_sources_date_convention_by_default() -> None:
    rows = judged(
        [day_claim("counts-covered-days", key="a"), day_claim("counts-reports", key="b")],
        dates_by={"counts-covered-days": "covered", "counts-reports": "report"},
    )
    a, b = rows.loc["a"], rows.loc["b"]
    assert (a["convention"], a["series"], a["ratio"], a["verdict"]) == ("covered", 2030, 1.0, "agrees")
    assert (b["convention"], b["series"], b["verdict"]) == ("report", 1220, "higher")
    assert b["ratio"] == pytest.approx(2030 / 1220)
    # Both conventions stay in every row, whichever judges it.
    for row in (a, b):
        assert (row["covered_series"], row["covered_verdict"]) == (2030, "agrees")
        assert (row["report_series"], row["report_verdict"]) == (1220, "higher")
    assert a["basis"] == a["covered_basis"] and b["basis"] == b["report_basis"]


@pytest.mark.parametrize("dates_by", ["report", "documented", None])
def test_a_source_dating_by_report_by_documentation_or_not_at_all_is_judged_by_report_date(
    dates_by: str | None,
) -> None:
    row = judged([day_claim("someone")], dates_by={"someone": dates_by}).iloc[0]
    assert (row["convention"], row["series"], row["verdict"]) == ("report", 1220, "higher")


def test_a_source_the_map_does_not_know_is_judged_by_report_date() -> None:
    row = judged([day_claim("unknown-source")], dates_by={}).iloc[0]
    assert (row["convention"], row["verdict"]) == ("report", "higher")


def test_without_a_map_the_registry_files_conventions_apply() -> None:
    rows = judged([day_claim("uk-defence-intelligence", key="a"), day_claim("us-dod", key="b")])
    assert rows["convention"].to_dict() == {"a": "covered", "b": "report"}
    assert rows["verdict"].to_dict() == {"a": "agrees", "b": "higher"}


@pytest.mark.parametrize(("convention", "series", "verdict"), [("report", 1220, "higher"), ("covered", 2030, "agrees")])
def test_one_convention_for_all_overrides_each_sources(convention: str, series: int, verdict: str) -> None:
    rows = judged(
        [day_claim("uk-defence-intelligence", key="a"), day_claim("us-dod", key="b")],
        convention=convention,
    )
    assert rows["convention"].tolist() == [convention, convention]
    assert rows["series"].tolist() == [series, series] and rows["verdict"].tolist() == [verdict, verdict]
    assert rows["covered_verdict"].tolist() == ["agrees", "agrees"]
    assert rows["report_verdict"].tolist() == ["higher", "higher"]


def test_an_unknown_convention_is_refused() -> None:
    with pytest.raises(ValueError, match="convention 'documented': use one of covered, report"):
        judged([day_claim("us-dod")], convention="documented")


# --- the curated claims against the full shared dataset -------------------------------------------


@pytest.fixture(scope="module")
def store(full_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = copy_store(full_store_url, tmp_path_factory.mktemp("conventions") / "store.db")
    assert run_ingest(url, ClaimsFeed()).status == "ok"
    return url


def test_uk_di_2030_on_28_nov_2024_agrees_with_the_covered_day_by_default(store: str) -> None:
    engine = open_store(store, write=False)
    with engine.connect() as conn:
        dates_by = {k: v.dates_by for k, v in known_sources(conn).items()}
    result = compare_claims(claims_frame(engine), observations_frame(engine), dates_by=dates_by).set_index("key")
    engine.dispose()
    row = result.loc[UKDI_DAY]
    assert (row["convention"], row["series"], row["verdict"]) == ("covered", 2030, "agrees")
    assert (row["report_series"], row["report_verdict"]) == (1220, "higher")
    # Every UK DI claim is judged by covered day, every other claimant's by report date.
    conventions = result.groupby("source")["convention"].unique().map(list).to_dict()
    assert conventions.pop("uk-defence-intelligence") == ["covered"]
    assert set(map(tuple, conventions.values())) == {("report",)}


def table_line(out: str, ident: int) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.split()[:1] == [str(ident)])


def compare_json(capsys, url: str, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "compare", "--db", url, "--format", "json", *args)
    assert (code, err) == (0, ""), err
    return json.loads(out)


def claim_id(capsys, store: str, key: str) -> int:  # type: ignore[no-untyped-def]
    return next(r["id"] for r in compare_json(capsys, store) if r["key"] == key)


def test_the_compare_table_shows_each_claims_convention_and_verdict(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    ident = claim_id(capsys, store, UKDI_DAY)
    code, out, err = run_tracker(capsys, "compare", "--db", store, "--kind", "day")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].split() == [
        "id", "source", "kind", "period", "claim", "by", "series", "diff", "diff", "%", "ratio", "verdict"
    ]  # fmt: skip
    assert table_line(out, ident)[1:] == [
        "uk-defence-intelligence",
        "day",
        "2024-11-28",
        "2,030",
        "covered",
        "2,030",
        "0",
        "0.0%",
        "1.00",
        "agrees",
    ]
    news = table_line(out, claim_id(capsys, store, "news-2024-11-11-day"))
    assert news[1:] == ["news-report", "day", "2024-11-11", "1,770", "report", "1,770", "0", "0.0%", "1.00", "agrees"]
    text = " ".join(out.split())
    assert "latest report 2026-08-08; each by its source's date convention; oldest publication first;" in text
    assert (
        f"(2 claim(s) get another verdict by the other convention: {news[0]} (covered: lower), "
        f"{ident} (report: higher); `--convention covered|report` judges all by one)"
    ) in text


def test_convention_report_judges_every_claim_by_report_date(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    ident = claim_id(capsys, store, UKDI_DAY)
    code, out, err = run_tracker(capsys, "compare", "--db", store, "--kind", "day", "--convention", "report")
    assert (code, err) == (0, "")
    assert table_line(out, ident)[5:] == ["report", "1,220", "+810", "+66.4%", "1.66", "higher"]
    assert "; all by report;" in " ".join(out.split())
    rows = compare_json(capsys, store, "--convention", "report")
    assert {r["convention"] for r in rows} == {"report"}
    ukdi = next(r for r in rows if r["key"] == UKDI_DAY)
    # Both conventions stay available in the row.
    assert (ukdi["series"], ukdi["verdict"], ukdi["ratio"]) == (1220, "higher", pytest.approx(2030 / 1220))
    assert (ukdi["covered_series"], ukdi["covered_verdict"], ukdi["covered_ratio"]) == (2030, "agrees", 1)


def test_an_unknown_convention_is_a_usage_error(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "compare", "--db", store, "--convention", "documented")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: Invalid value for '--convention': 'documented' is not one of 'report', 'covered'. "
        "(see `tracker compare --help`)"
    ]


@pytest.mark.parametrize("args", [(), ("--explain",), ("--convention", "report", "--explain")])
def test_the_compare_table_on_the_full_data_fits_120_columns(store: str, capsys, monkeypatch, args) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", str(WIDTH))  # a 120-column terminal
    code, out, _ = run_tracker(capsys, "compare", "--db", store, *args)
    lines = out.splitlines()
    assert code == 0 and len(lines) > 52  # a line per claim, and the notes
    widest = max(lines, key=len)
    assert len(widest) <= WIDTH, widest


# --- a store's own record of a source's convention, end to end ------------------------------------


def _series_and_claim(url: str, capsys, source: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_tracker(
        capsys, "ingest", "csv", "--from", str(SAMPLE), "--source", "ua-general-staff", "--db", url, "-q"
    )
    assert code in (0, 3), err
    code, out, err = run_tracker(
        capsys, "claims", "add", "--db", url, "--source", source, "--definition", "killed_or_wounded",
        "--kind", "day", "--period", "2024-11-28", "--published", "2024-12-05", "--best", "2030",
        "--url", "https://example.org/update", "--key", "mine-day",
    )  # fmt: skip
    assert (code, err) == (0, ""), err


def test_a_registry_source_a_store_records_as_dating_by_covered_day_is_judged_so(store_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "sources", "add", "us-dod", "--dates-by", "covered", "--db", store_url)
    assert (code, err) == (0, ""), err
    _series_and_claim(store_url, capsys, "us-dod")
    rows = compare_json(capsys, store_url)
    row = next(r for r in rows if r["key"] == "mine-day")
    assert (row["convention"], row["series"], row["verdict"]) == ("covered", 2030, "agrees")
    assert (row["report_series"], row["report_verdict"]) == (1220, "higher")


def test_a_claim_of_a_source_added_as_dating_by_covered_day_is_judged_by_covered_day(store_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(
        capsys, "sources", "add", "mine", "--name", "Mine", "--dates-by", "covered", "--db", store_url
    )
    assert (code, err) == (0, ""), err
    _series_and_claim(store_url, capsys, "mine")
    rows = compare_json(capsys, store_url)
    row = next(r for r in rows if r["key"] == "mine-day")
    assert (row["convention"], row["series"], row["verdict"]) == ("covered", 2030, "agrees")
    rows = compare_json(capsys, store_url, "--convention", "report")
    row = next(r for r in rows if r["key"] == "mine-day")
    assert (row["convention"], row["series"], row["verdict"]) == ("report", 1220, "higher")
