"""Both sides' losses (issue 23): the claims about Ukraine's losses, listed by `claims list --side`
and set beside each other by `compare --side ukraine` (no daily series of Ukraine's losses exists to
judge them by), on every backend; the grouping itself, pure; and what a hostile user gets."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.clirun import run_tracker
from tests.storecheck import fingerprint
from tracker.analysis.sidebyside import central_value, claims_side_by_side, quarter_of
from tracker.errors import ExitCode
from tracker.ingest.feeds.claims import ClaimsFeed
from tracker.ingest.run import run_ingest

D = dt.date
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "ua-general-staff-personnel.csv"


@pytest.fixture
def claims_store(store_url: str) -> str:
    """A store on each backend holding the curated claims only (no series: none is needed)."""
    report = run_ingest(store_url, ClaimsFeed())
    assert report.status == "ok", report.error
    return store_url


@pytest.fixture
def sqlite_claims(sqlite_url: str) -> str:
    """The curated claims in a SQLite store: for what does not depend on the backend."""
    assert run_ingest(sqlite_url, ClaimsFeed()).status == "ok"
    return sqlite_url


def test_claims_list_by_side_on_every_backend(claims_store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    counts = {}
    for side in ("russia", "ukraine"):
        code, out, err = run_tracker(capsys, "claims", "list", "--db", claims_store, "--side", side, "--format", "json")
        assert (code, err) == (0, "")
        rows = json.loads(out)
        assert {r["subject"] for r in rows} == {side}
        counts[side] = len(rows)
    assert counts == {"russia": 52, "ukraine": 21}


def test_compare_side_ukraine_sets_each_sources_figure_beside_the_others_on_every_backend(  # type: ignore[no-untyped-def]
    claims_store: str, capsys
) -> None:
    code, out, err = run_tracker(capsys, "compare", "--db", claims_store, "--side", "ukraine", "--format", "json")
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert len(rows) == 21 and {r["subject"] for r in rows} == {"ukraine"}
    # The first quarter of 2025: the UK's statement to the OSCE (about 43,000 killed, as of January)
    # beside President Zelensky's 45,100 of 4 February.
    q1 = [r for r in rows if (r["group"], r["definition"], r["kind"]) == ("2025-Q1", "killed", "cumulative")]
    assert [(r["source"], r["figure"], r["sources"]) for r in q1] == [
        ("uk-fcdo", "about 43,000", 2),
        ("ua-president", "45,100", 2),
    ]
    assert [r["ratio_to_lowest"] for r in q1] == [pytest.approx(1.0), pytest.approx(45_100 / 43_000)]
    # A group of one source has no ratio; a range stands for its middle.
    csis = next(r for r in rows if r["key"] == "csis-2026-01-ukraine-killed")
    assert (csis["group"], csis["value"], csis["sources"], csis["ratio_to_lowest"]) == ("2025-Q4", 120_000, 1, None)
    # Groups come killed, wounded, killed or wounded, then the missing; oldest first within each.
    definitions = list(dict.fromkeys(r["definition"] for r in rows))
    assert definitions == ["killed", "wounded", "killed_or_wounded", "missing"]
    killed = [r["group"] for r in rows if r["definition"] == "killed" and r["kind"] == "cumulative"]
    assert killed == ["2022-Q2", "2022-Q3", "2024-Q1", "2024-Q4", "2025-Q1", "2025-Q1", "2025-Q4", "2026-Q1"]


def test_compare_side_ukraine_prints_a_table_and_a_csv(sqlite_claims: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_tracker(capsys, "compare", "--db", sqlite_claims, "--side", "ukraine")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["group", "counts", "kind", "id"]
    # The group is named on its first row only: the second source of 2025-Q1 has a blank group cell.
    q1 = [line for line in lines if "uk-fcdo" in line or "45,100" in line]
    assert len(q1) == 2 and q1[0].startswith("2025-Q1") and q1[1].startswith(" ") and "1.05×" in q1[1]
    assert "(21 claim(s) about Ukraine's losses by 7 source(s), in 20 group(s); 1 group(s)" in out
    _, out, _ = run_tracker(
        capsys, "compare", "--db", sqlite_claims, "--side", "ukraine", "--source", "ru-mod", "--format", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["key"], r["group"], r["value"]) for r in rows] == [
        ("ru-mod-2023-12-19-total", "2023-Q4", "383000"),
        ("ru-mod-2024-02-27-total", "2024-Q1", "444000"),
        ("ru-mod-2023-12-19-counteroffensive", "2023-06-04/2023-12-19", "159000"),
        ("ru-mod-2024-12-16-2024-total", "2024-01-01/2024-12-15", "560000"),
        ("ru-mod-2024-02-27-2024-avg", "2024-01-01/2024-02-26", "800"),
    ]


def test_compare_without_side_judges_only_the_claims_about_russias_losses(claims_store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    from tracker.ingest.feeds.csvfeed import CsvFeed

    report = run_ingest(claims_store, CsvFeed(), location=str(SAMPLE), source="ua-general-staff")
    assert report.status in ("ok", "ok_with_findings"), report.error
    code, out, _ = run_tracker(capsys, "compare", "--db", claims_store, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 52 and {r["subject"] for r in rows} == {"russia"}
    _, same, _ = run_tracker(capsys, "compare", "--db", claims_store, "--side", "russia", "--format", "json")
    assert same == out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--side", "mars"], "--side 'mars': use one of russia, ukraine"),
        (["--side", "ukraine", "--explain"], "--side ukraine sets claims beside each other, not against a series"),
        (["--side", "ukraine", "--convention", "covered"], "leave out --explain, --convention and --feed"),
        (["--side", "ukraine", "--all"], "--all, --since and --until go with --series"),
        (["--side", "ukraine", "--kind", "fortnightly"], "unknown kind 'fortnightly'"),
    ],
)
def test_compare_side_refuses_what_it_cannot_do_in_one_line_and_changes_nothing(  # type: ignore[no-untyped-def]
    sqlite_claims: str, capsys, args: list[str], message: str
) -> None:
    before = fingerprint(sqlite_claims)
    code, out, err = run_tracker(capsys, "compare", "--db", sqlite_claims, *args)
    assert (code, out) == (ExitCode.USAGE, "")
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1
    assert fingerprint(sqlite_claims) == before


def test_compare_side_ukraine_on_a_store_without_claims_prints_none(sqlite_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    from tracker.store.db import open_store

    open_store(sqlite_url, write=True).dispose()
    code, out, _ = run_tracker(capsys, "compare", "--db", sqlite_url, "--side", "ukraine")
    assert code == 0 and "(none)" in out and "(0 claim(s)" in out
    code, out, _ = run_tracker(capsys, "compare", "--db", sqlite_url, "--side", "ukraine", "--format", "json")
    assert (code, json.loads(out)) == (0, [])


# --- the grouping, pure ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2024, 1, 1), ("2024-Q1", D(2024, 1, 1), D(2024, 3, 31))),
        (D(2024, 6, 30), ("2024-Q2", D(2024, 4, 1), D(2024, 6, 30))),
        (D(2024, 12, 31), ("2024-Q4", D(2024, 10, 1), D(2024, 12, 31))),
    ],
)
def test_a_day_falls_in_its_calendar_quarter(day: dt.date, expected: tuple[str, dt.date, dt.date]) -> None:
    assert quarter_of(day) == expected


def test_a_claims_central_value_is_its_best_else_its_ranges_middle_else_its_one_end() -> None:
    assert central_value(None, 43_000, None) == 43_000
    assert central_value(100_000, None, 140_000) == 120_000
    assert central_value(7_000, None, float("nan")) == 7_000
    assert central_value(None, None, None) is None


def _claim(key: str, source: str, best: float, start: str, end: str, precision: str = "day", **more: object) -> dict:
    return {
        "id": len(key), "key": key, "source": source, "subject": "ukraine", "definition": "killed",
        "kind": "cumulative", "period": end, "period_start": start, "period_end": end,
        "period_precision": precision, "qualifier": None, "low": None, "best": best, "high": None,
        "figure": f"{best:,.0f}", "published": end, "url": None, **more,
    }  # fmt: skip


def test_one_source_twice_in_a_quarter_is_one_source_and_a_zero_lowest_gives_no_ratio() -> None:
    frame = claims_side_by_side(
        pd.DataFrame(
            [
                _claim("a", "ua-president", 40_000, "2024-10-05", "2024-10-05"),
                _claim("b", "ua-president", 43_000, "2024-12-08", "2024-12-08"),
                _claim("c", "ru-mod", 0, "2025-01-01", "2025-01-01"),
                _claim("d", "csis", 50_000, "2025-02-01", "2025-02-28", "month"),
            ]
        )
    )
    assert list(frame["key"]) == ["a", "b", "c", "d"]
    assert list(frame["group"]) == ["2024-Q4", "2024-Q4", "2025-Q1", "2025-Q1"]
    assert list(frame["sources"]) == [1, 1, 2, 2]
    assert list(frame["ratio_to_lowest"]) == [None, None, None, None]


def test_no_claims_give_an_empty_frame_with_every_column() -> None:
    from tracker.analysis.sidebyside import COLUMNS

    assert list(claims_side_by_side(pd.DataFrame()).columns) == COLUMNS
