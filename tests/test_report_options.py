"""Report options for newsrooms and for every series (issue 11 §4, issue 10): --side, labels by
a series' definition, documented dates (Oryx), --last, series --above/--below, CSV for
spreadsheets, short records with --explain."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

from tests.clirun import run_tracker
from tracker.errors import ExitCode
from tracker.ingest.parsed import Fetched, ObservationRecord, ParsedPayload

REPORTS = ("records", "averages", "headline", "series")
DOCUMENTED_REFUSAL = (
    "error: Oryx's dates are when a loss was documented, not when it happened: {what} mean nothing; "
    "try `averages --period week|month`\n"
)


@pytest.fixture(autouse=True)
def no_report_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")


def ok(capsys, *args: str) -> str:
    code, out, err = run_tracker(capsys, *args)
    assert (code, err) == (0, ""), err
    return out


def refused(capsys, *args: str) -> str:
    """The one stderr line of a command refused with exit 2 (nothing on stdout)."""
    code, out, err = run_tracker(capsys, *args)
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1
    return err


# --- a series of another side, definition or date convention -------------------------------------


class RowsFeed:
    """A feed of `side,metric,report_date,value[,definition]` rows, parsed into the normalized
    records every feed produces: stores series the General Staff's files do not have."""

    name = "rows"
    default_location = ""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        return [Fetched("rows.csv", self.text.encode(), dt.datetime.now(dt.UTC), "text/csv")]

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        from tracker.domain import METRICS
        from tracker.store.typemap import type_metric

        out = ParsedPayload()
        for row in csv.DictReader(io.StringIO(fetched[0].content.decode())):
            if row["metric"] not in METRICS:  # a source's own type (oryx.tanks): declared, as its feed does
                out.metric_specs[row["metric"]] = type_metric(row["metric"], row["metric"])
            out.observations.append(
                ObservationRecord(
                    row["metric"],
                    dt.date.fromisoformat(row["report_date"]),
                    int(row["value"]),
                    side=row["side"],
                    definition=row.get("definition") or None,
                )
            )
        return out


def ingest_rows(url: str, source: str, rows: list[tuple[str, str, str, int]], definition: str = "") -> None:
    from tracker.ingest.run import run_ingest

    text = "side,metric,report_date,value,definition\n" + "".join(
        f"{side},{metric},{day},{value},{definition}\n" for side, metric, day, value in rows
    )
    report = run_ingest(url, RowsFeed(source, text))
    assert report.status in ("ok", "ok_with_findings"), report.error


# Oryx-like snapshots: cumulative tank totals of both sides, dated by when they were documented.
SNAPSHOTS = [
    ("2025-06-28", 4010, 1190),  # a Saturday (ISO week 26)
    ("2025-07-01", 4031, 1199),
    ("2025-07-05", 4046, 1204),
    ("2025-07-08", 4052, 1208),
    ("2025-07-12", 4060, 1210),
    ("2025-07-19", 4074, 1220),
]


def store_documented(url: str) -> str:
    """Store a source dated by documentation (oryx in the registry), both sides: its type oryx.tanks,
    which its types file maps onto the General Staff's tanks."""
    rows = [(side, "oryx.tanks", day, v) for day, ru, ua in SNAPSHOTS for side, v in (("russia", ru), ("ukraine", ua))]
    ingest_rows(url, "oryx", rows, definition="confirmed")
    return url


@pytest.fixture
def documented_url(sqlite_url) -> str:
    return store_documented(sqlite_url)


def test_side_picks_whose_losses_and_the_header_names_them(store_url, capsys):
    documented_url = store_documented(store_url)  # the side is read in SQL: on every backend
    data = json.loads(ok(capsys, "series", "--source", "oryx", "--side", "ukraine", "--metric", "tanks",
                         "--format", "json", "--db", documented_url))  # fmt: skip
    assert [(r["date"], r["total"]) for r in data["rows"]] == [(d, ua) for d, _, ua in SNAPSHOTS]
    assert (data["side"], data["label"], data["dates_by"]) == ("ukraine", "Tanks (visually confirmed)", "documented")
    out = ok(capsys, "series", "--source", "oryx", "--side", "ukraine", "--metric", "tanks", "--db", documented_url)
    assert out.startswith(
        "Totals per snapshot: Tanks (visually confirmed) (tanks), Ukraine's losses, source oryx\n"
        "Documented: dated by when Oryx documented each loss (its snapshot), not when the loss happened.\n"
        "6 snapshots: the cumulative total Oryx had documented by each."
    )
    assert "2025-07-19  1,220" in out
    russia = json.loads(ok(capsys, "series", "--source", "oryx", "--metric", "tanks", "--format", "json",
                           "--db", documented_url))  # fmt: skip
    assert russia["rows"][-1]["total"] == 4074 and russia["side"] == "russia"


@pytest.mark.parametrize(
    "args,what",
    [
        (("records",), "daily records"),
        (("headline",), "a day's figure and its records"),
        (("averages", "--period", "day"), "daily increments"),
        (("averages", "--rolling", "7"), "daily increments"),
        (("series", "--above", "3"), "daily increments"),
    ],
)
def test_a_documented_series_refuses_daily_figures_in_one_line(documented_url, capsys, args, what):
    err = refused(capsys, *args, "--source", "oryx", "--metric", "tanks", "--db", documented_url)
    assert err == DOCUMENTED_REFUSAL.format(what=what)


def test_a_documented_series_has_weekly_totals_that_say_documented(documented_url, capsys):
    args = ("averages", "--source", "oryx", "--side", "ukraine", "--metric", "tanks", "--period", "week")
    out = ok(capsys, *args, "--db", documented_url)
    assert "Per week: losses documented in the week" in out and "flagged_days" not in out
    data = json.loads(ok(capsys, *args, "--format", "json", "--db", documented_url))
    # Totals are differences of the snapshots' cumulative totals: W27 = 1,204 - 1,190, W28 = 1,210 - 1,204.
    assert [(r["period"], r["total"]) for r in data["rows"]] == [("2025-W27", 14), ("2025-W28", 6), ("2025-W29", 10)]
    assert data["dates_by"] == "documented"


def test_a_documented_series_refuses_the_covered_day_convention(documented_url, capsys):
    err = refused(capsys, "series", "--source", "oryx", "--metric", "tanks", "--by", "covered", "--db", documented_url)
    assert err == (
        "error: --by covered: Oryx dates a figure by when the loss was documented, not by a day it covers; "
        "use --by report\n"
    )


def test_a_side_with_no_series_says_so(documented_url, capsys):
    err = refused(capsys, "records", "--side", "ukraine", "--source", "oryx", "--metric", "afv", "--db", documented_url)
    assert err == "error: no reports of afv (Ukraine's losses) from oryx in the store\n"


def test_a_killed_only_series_is_labelled_killed(sqlite_url, capsys):
    days = [f"2024-11-{d:02d}" for d in range(1, 11)]
    ingest_rows(sqlite_url, "my-source", [("russia", "personnel", d, 1000 + 10 * i) for i, d in enumerate(days)],
                definition="killed")  # fmt: skip
    out = ok(capsys, "records", "--source", "my-source", "--db", sqlite_url)
    assert out.startswith("Records: Personnel (killed) (personnel), source my-source\n")
    assert "Deadliest day" in out
    data = json.loads(ok(capsys, "headline", "--source", "my-source", "--format", "json", "--db", sqlite_url))
    assert (data["label"], data["definition"]) == ("Personnel (killed)", "killed")
    assert (
        data["sentences"][0]
        == "10 personnel (killed) in the past 24 hours, in the report of 2024-11-10 (covering 2024-11-09)."
    )


def test_side_is_a_choice(full_store_url, capsys):
    code, out, err = run_tracker(capsys, "series", "--side", "belarus", "--db", full_store_url)
    assert (code, out) == (2, "")
    assert err.startswith("error: Invalid value for '--side': 'belarus' is not one of 'russia', 'ukraine'.")


# --- series --above / --below ---------------------------------------------------------------------


def test_days_above_1500_in_2025_by_report_date(full_store_url, capsys):
    out = ok(capsys, "series", "--above", "1500", "--since", "2025-01-01", "--until", "2025-12-31",
             "--db", full_store_url)  # fmt: skip
    assert out.splitlines()[2] == (
        "29 days above 1,500, of 365 days with an increment dated 2025-01-01 to 2025-12-31 "
        "(every report counted, flagged or not: see flags)."
    )
    data = json.loads(ok(capsys, "series", "--above", "1500", "--since", "2025-01-01", "--until", "2025-12-31",
                         "--format", "json", "--db", full_store_url))  # fmt: skip
    dates = [r["date"] for r in data["rows"]]
    assert (data["count"], data["of"], len(dates)) == (29, 365, 29)
    assert all(r["increment"] > 1500 for r in data["rows"])
    # 2025-01-24 is exactly 1,500: not above. 2025-02-28's total rose 2,710, of which 1,650 is a
    # documented correction: its day's figure is 1,060.
    assert "2025-01-24" not in dates and "2025-02-28" not in dates
    at_or_above = json.loads(ok(capsys, "series", "--above", "1499", "--since", "2025-01-01", "--until",
                                "2025-12-31", "--format", "json", "--db", full_store_url))  # fmt: skip
    assert at_or_above["count"] == 30


def test_above_and_below_keep_the_days_between(full_store_url, capsys):
    out = ok(capsys, "series", "--above", "1500", "--below", "1600", "--since", "2025-01-01", "--until",
             "2025-12-31", "--format", "csv", "--db", full_store_url)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(1500 < float(r["increment"]) < 1600 for r in rows)
    err = refused(capsys, "series", "--above", "1600", "--below", "1500", "--db", full_store_url)
    assert err == "error: --above 1,600 and --below 1,500: no figure is both\n"


# --- --last ---------------------------------------------------------------------------------------


def test_last_4_weeks_are_the_latest_iso_week_and_the_3_before(full_store_url, capsys):
    data = json.loads(ok(capsys, "averages", "--period", "week", "--last", "4", "weeks", "--format", "json",
                         "--db", full_store_url))  # fmt: skip
    # The dataset's latest report is 2026-08-08, a Saturday of ISO week 32.
    assert [r["period"] for r in data["rows"]] == ["2026-W29", "2026-W30", "2026-W31", "2026-W32"]
    assert (data["since"], data["until"], data["last"]) == ("2026-07-13", "2026-08-08", "4 weeks")
    assert [r["complete"] for r in data["rows"]] == [True, True, True, False]


def test_last_3_months_as_known_on_a_day(full_store_url, capsys):
    out = ok(capsys, "averages", "--last", "3", "months", "--as-of", "2024-11-11", "--db", full_store_url)
    assert out.splitlines()[0] == (
        "Averages: Personnel (killed and wounded) (personnel), source ua-general-staff; "
        "the last 3 months, 2024-09-01 to 2024-11-11, as known on 2024-11-11"
    )
    assert [line.split()[0] for line in out.splitlines()[-3:]] == ["2024-09", "2024-10", "2024-11"]


def test_last_30_days_of_the_series(full_store_url, capsys):
    data = json.loads(ok(capsys, "series", "--last", "30", "days", "--as-of", "2024-11-11", "--format", "json",
                         "--db", full_store_url))  # fmt: skip
    assert [data["rows"][0]["date"], data["rows"][-1]["date"], len(data["rows"])] == ["2024-10-13", "2024-11-11", 30]


@pytest.mark.parametrize("command", REPORTS)
def test_last_and_since_or_until_are_refused_together(full_store_url, capsys, command):
    err = refused(capsys, command, "--last", "4", "weeks", "--until", "2024-11-11", "--db", full_store_url)
    assert err == "error: --last 4 weeks and --until 2024-11-11 both choose the days: give one or the other\n"


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ("3", "fortnights"),
            "error: --last 3 'fortnights': the unit is days, weeks or months (e.g. --last 4 weeks)\n",
        ),
        (("0", "days"), "error: --last 0 days: N must be a whole number from 1 to 10,000, not '0'\n"),
        (("800000", "days"), "error: --last 800000 days: N must be a whole number from 1 to 10,000, not '800000'\n"),
        (
            ("99999999999", "weeks"),
            "error: --last 99999999999 weeks: N must be a whole number from 1 to 10,000, not '99999999999'\n",
        ),
        (("١٠", "days"), "error: --last ١٠ days: N must be a whole number from 1 to 10,000, not '١٠'\n"),
    ],
)
def test_a_bad_last_is_refused_in_one_line(full_store_url, capsys, args, message):
    assert refused(capsys, "series", "--last", *args, "--db", full_store_url) == message


# --- CSV for spreadsheets -------------------------------------------------------------------------


def test_csv_rounds_averages_to_one_decimal_and_json_keeps_them_whole(full_store_url, capsys):
    args = ("averages", "--since", "2024-09-01", "--until", "2024-11-30", "--db", full_store_url)
    [sep, *_] = list(csv.DictReader(io.StringIO(ok(capsys, *args, "--format", "csv"))))
    assert (sep["period"], sep["start"], sep["daily_average"]) == ("2024-09", "2024-09-01", "1270.3")
    assert sep["change_vs_previous_pct"] == str(round((38110 / 30) / float(sep["previous_average"]) * 100 - 100, 1))
    data = json.loads(ok(capsys, *args, "--format", "json"))
    assert data["rows"][0]["daily_average"] == 38110 / 30


def test_headline_csv_rounds_its_averages(full_store_url, capsys):
    out = ok(capsys, "headline", "--as-of", "2024-11-11", "--format", "csv", "--db", full_store_url)
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["average_7d"] == str(round((710660 - 700390) / 7, 1))


# --- records: short by default --------------------------------------------------------------------


def test_records_count_the_days_left_out_by_reason(full_store_url, capsys):
    out = ok(capsys, "records", "--as-of", "2024-11-11", "--db", full_store_url)
    assert "Counted 902 days; left out 89 flagged days (counted by reason at the end;" in out
    summary = out[out.index("Left out of the day records: 89 days, by reason") :].splitlines()
    assert [line.split()[:2] for line in summary[3:7]] == [
        ["first_report", "1"],
        ["coarse", "89"],
        ["catch_up", "1"],
        ["outlier", "3"],
    ]
    assert "2022-03-03      3,160" not in out  # a day left out is not listed without --explain
    assert out.rstrip().endswith(
        "Left out of the month and year records (they hold flagged days; --explain says which): "
        "2022-02, 2022-03, 2022-04, 2022-05, 2022-07, 2022-08, 2022-10, 2022."
    )


def test_records_explain_lists_every_day_left_out(full_store_url, capsys):
    out = ok(capsys, "records", "--explain", "--as-of", "2024-11-11", "--db", full_store_url)
    listed = out[out.index("Left out of the day records: 89 days\n") :]
    assert len([line for line in listed.splitlines() if re.match(r"2022-\d\d-\d\d ", line)]) == 89
    assert "contains 89 doubtful days (catch_up, coarse, first_report, outlier)" in out


def test_records_table_shows_one_table_in_any_format(full_store_url, capsys):
    data = json.loads(ok(capsys, "records", "--table", "excluded_summary", "--format", "json",
                         "--as-of", "2024-11-11", "--db", full_store_url))  # fmt: skip
    assert data["table"] == "excluded_summary"
    assert {r["reason"]: r["days"] for r in data["rows"]} == {"first_report": 1, "coarse": 89, "catch_up": 1,
                                                              "outlier": 3}  # fmt: skip
    err = refused(capsys, "records", "--table", "everything", "--db", full_store_url)
    assert err.startswith("error: --table 'everything': use one of deadliest_day, record_progression,")


def test_equipment_records_use_the_words_of_the_category(full_store_url, capsys):
    out = ok(capsys, "records", "--metric", "uav", "--as-of", "2024-11-11", "--db", full_store_url)
    for title in ("Most drones in one day (", "Most drones in 7 days (", "Most drones in a month (",
                  "Most drones in a year ("):  # fmt: skip
        assert title in out
    assert "Deadliest" not in out


# --- the real Oryx snapshot ------------------------------------------------------------------------

ORYX_LATEST = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "oryx" / "history"


def test_oryx_count_of_ukraines_tank_losses(sqlite_url, capsys):
    snapshot = ORYX_LATEST / "2025-07-19T1144_a8624b4"
    if not snapshot.is_dir():
        pytest.skip(f"Oryx snapshots not found at {ORYX_LATEST}")
    code, _, err = run_tracker(capsys, "ingest", "oryx", "--from", str(snapshot), "--observed-at",
                               "2025-07-19T11:44", "--db", sqlite_url, "--quiet")  # fmt: skip
    assert code in (0, 3), err
    data = json.loads(ok(capsys, "series", "--source", "oryx", "--side", "ukraine", "--metric", "tanks",
                         "--format", "json", "--db", sqlite_url))  # fmt: skip
    assert [(r["date"], r["total"]) for r in data["rows"]] == [("2025-07-19", 1220)]
    assert refused(capsys, "records", "--source", "oryx", "--metric", "tanks", "--db", sqlite_url) == (
        DOCUMENTED_REFUSAL.format(what="daily records")
    )


@pytest.mark.parametrize("command", (*REPORTS, "notes"))
def test_a_last_beyond_the_calendar_is_a_usage_error_for_every_report(full_store_url, capsys, command):
    code, out, err = run_tracker(capsys, command, "--last", "99999999999", "weeks", "--db", full_store_url)
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == "error: --last 99999999999 weeks: N must be a whole number from 1 to 10,000, not '99999999999'\n"
