"""The report commands as a person and a script use them: records, averages, headline, series."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.clirun import run_tracker
from tracker.cli import app

runner = CliRunner()
COMMANDS = ("records", "averages", "headline", "series")
COMMON = (
    "--metric",
    "--source",
    "--side",
    "--since",
    "--until",
    "--last",
    "--as-of",
    "--by",
    "--format",
    "--include-flagged",
    "--db",
)


@pytest.fixture(autouse=True)
def no_report_cache(monkeypatch, tmp_path):
    """Every test computes its answer, with a private cache folder (see the cache tests)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(*args: str) -> dict:
    return json.loads(ok(*args, "--format", "json"))


# --- help -----------------------------------------------------------------------------------


def test_help_lists_the_report_commands_without_importing_pandas():
    code = (
        "import sys; from tracker.cli import app; "
        "assert 'pandas' not in sys.modules and 'sqlalchemy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    out = ok("--help")
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_explains_every_option(command):
    out = " ".join(ok(command, "--help").replace("│", " ").split())
    extra = {
        "records": ("--top", "--streak-threshold", "--milestone-step", "--explain", "--table"),
        "averages": ("--period", "--rolling"),
        "series": ("--above", "--below"),
    }.get(command, ())
    for option in COMMON + extra:
        assert option in out, option
    assert "report date" in out and "covered day" in out


# --- headline -------------------------------------------------------------------------------


def test_headline_as_of_2024_11_11(full_store_url):
    out = ok("headline", "--as-of", "2024-11-11", "--db", full_store_url)
    assert "1,770 personnel (killed and wounded) in the past 24 hours, in the report of 2024-11-11" in out
    assert "It is the deadliest day so far, beating the previous peak of 1,740 on 2024-05-13" in out
    assert "Total since 2022-02-24: 710,660 people" in out


def test_headline_as_of_2024_11_11_in_json(full_store_url):
    data = as_json("headline", "--as-of", "2024-11-11", "--db", full_store_url)
    n = data["numbers"]
    assert (n["increment"], n["is_record"], n["total"]) == (1770, True, 710660)
    assert n["previous_record"]["date"] == "2024-05-13"
    assert n["previous_record"]["increment"] == 1740
    assert (data["by"], data["as_of"]) == ("report", "2024-11-11")


def test_headline_in_csv_is_one_row_of_numbers(full_store_url):
    out = ok("headline", "--as-of", "2024-11-11", "--format", "csv", "--db", full_store_url)
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert (row["increment"], row["total"], row["previous_record.date"]) == ("1770", "710660", "2024-05-13")


# --- records --------------------------------------------------------------------------------


def test_records_as_of_2024_11_11_name_the_day_and_list_what_was_left_out(full_store_url):
    data = as_json("records", "--as-of", "2024-11-11", "--db", full_store_url)
    assert data["deadliest_day"]["date"] == "2024-11-11"
    assert data["deadliest_day"]["increment"] == 1770
    assert data["by"] == "report" and "report date" in data["convention"]
    excluded = {row["date"]: row for row in data["excluded"]}
    assert data["excluded_days"] == len(excluded) == 89
    assert all(d < "2023-01-01" for d in excluded)
    assert excluded["2022-03-03"]["increment"] == 3160
    assert "outlier: increment +3,160" in excluded["2022-03-03"]["reason"]
    assert "coarse: total 9,000 is rounded to 100s" in excluded["2022-03-03"]["reason"]
    assert excluded["2022-03-15"]["flags"] == "outlier;coarse;catch_up"


def test_records_on_all_data_name_the_deadliest_day_and_its_progression(full_store_url):
    data = as_json("records", "--db", full_store_url)
    assert (data["deadliest_day"]["date"], data["deadliest_day"]["increment"]) == ("2024-12-20", 2200)
    progression = [(r["date"], r["increment"]) for r in data["record_progression"]]
    assert progression[-8:] == [
        ("2023-02-07", 1030),
        ("2023-02-11", 1140),
        ("2023-10-20", 1380),
        ("2024-05-13", 1740),
        ("2024-11-11", 1770),
        ("2024-11-12", 1950),
        ("2024-11-29", 2030),
        ("2024-12-20", 2200),
    ]
    last = data["record_progression"][-1]
    assert (last["previous_date"], last["previous_increment"], last["margin"]) == ("2024-11-29", 2030, 170)
    assert data["deadliest_month"]["period"] == "2024-12"
    assert [r["period"] for r in data["excluded_years"]] == ["2022"]


def test_records_table_says_what_it_counted_and_left_out(full_store_url):
    out = ok("records", "--db", full_store_url)
    assert "By report: days dated by report date" in out
    assert "Counted 1,537 days; left out 89 flagged days" in out
    assert "2024-12-20      2,200" in out
    assert "Left out of the day records: 89 days" in out
    assert "Left out of the month and year records" in out


def test_records_by_covered_day_date_the_day_before_the_report(full_store_url):
    data = as_json("records", "--by", "covered", "--db", full_store_url)
    assert data["deadliest_day"]["date"] == "2024-12-19"
    assert data["deadliest_day"]["report_date"] == "2024-12-20"
    assert data["by"] == "covered"


def test_include_flagged_counts_the_re_estimate(full_store_url):
    data = as_json("records", "--include-flagged", "--as-of", "2024-11-11", "--db", full_store_url)
    assert (data["deadliest_day"]["date"], data["deadliest_day"]["increment"]) == ("2022-03-03", 3160)
    assert data["excluded"] == [] and data["include_flagged"] is True


def test_top_streak_threshold_and_milestone_step(full_store_url):
    data = as_json(
        "records", "--top", "3", "--streak-threshold", "1500", "--milestone-step", "500000", "--db", full_store_url
    )
    assert [r["date"] for r in data["top_days"]] == ["2024-12-20", "2024-11-29", "2024-12-30"]
    assert data["streak_threshold"] == 1500
    assert all(r["minimum"] >= 1500 for r in data["streaks"])
    assert [(r["milestone"], r["date"]) for r in data["milestones"]] == [
        (500000, "2024-05-25"),
        (1000000, "2025-06-12"),
    ]


def test_records_csv_is_one_table_the_top_days_unless_table_names_another(full_store_url):
    out = ok("records", "--format", "csv", "--as-of", "2024-11-11", "--db", full_store_url)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["rank", "date", "report_date", "increment", "total", "flags", "source_url"]
    assert len(rows) == 10
    assert (rows[0]["rank"], rows[0]["date"], rows[0]["increment"]) == ("1", "2024-11-11", "1770")
    out = ok("records", "--format", "csv", "--table", "excluded", "--as-of", "2024-11-11", "--db", full_store_url)
    excluded = list(csv.DictReader(io.StringIO(out)))
    assert len(excluded) == 89 and list(excluded[0]) == [
        "date",
        "report_date",
        "increment",
        "span_days",
        "flags",
        "reason",
        "source_url",  # empty: the dataset names no official page
    ]


def test_records_of_an_equipment_series_name_its_largest_daily_increment_not_the_first_report(
    full_store_url, latest_dir
):
    # By hand from the dataset JSON: each report's tank total minus the previous one, less that
    # report's documented correction. The first report, 2022-02-25, has no previous one: its 80
    # is everything counted since the invasion began, so it is no one-day record.
    rows = json.loads((latest_dir / "russia_losses_equipment.json").read_text(encoding="utf-8"))
    corrections = json.loads((latest_dir / "russia_losses_equipment_correction.json").read_text(encoding="utf-8"))
    correction = {r["date"]: r.get("tank", 0) for r in corrections}
    assert (rows[0]["date"], rows[0]["tank"]) == ("2022-02-25", 80)
    increments = [
        (r["tank"] - prev["tank"] - correction.get(r["date"], 0), r["date"]) for prev, r in zip(rows, rows[1:])
    ]
    largest = max(inc for inc, _ in increments)
    day = min(d for inc, d in increments if inc == largest)  # the earliest if tied
    assert (largest, day) == (66, "2022-02-26")
    data = as_json("records", "--metric", "tank", "--db", full_store_url)  # a dataset name
    assert data["metric"] == "tanks" and data["milestone_step"] == 1000
    assert data["record_words"]["day"] == "Most tanks in one day"
    assert (data["deadliest_day"]["date"], data["deadliest_day"]["increment"]) == (day, largest)
    first = {r["date"]: r for r in data["excluded"]}["2022-02-25"]
    assert (first["increment"], first["flags"]) == (80, "first_report")
    assert first["reason"].startswith("first_report: the first report's figure is everything counted since")


# --- averages -------------------------------------------------------------------------------


@pytest.mark.parametrize("by,total,average", [("covered", 38130, 1271.0), ("report", 38110, 1270.3)])
def test_monthly_averages_of_september_2024(full_store_url, by, total, average):
    data = as_json("averages", "--by", by, "--since", "2024-09-01", "--until", "2024-09-30", "--db", full_store_url)
    [sep] = data["rows"]
    assert (sep["period"], sep["total"], sep["days"]) == ("2024-09", total, 30)
    assert round(sep["daily_average"], 1) == average
    assert sep["total"] == sep["total_at_end"] - sep["total_before"] - sep["adjustments"]


def test_averages_of_a_cut_compare_with_the_periods_before_it(full_store_url):
    data = as_json("averages", "--since", "2024-11-01", "--until", "2024-11-30", "--db", full_store_url)
    [nov] = data["rows"]
    assert round(nov["change_vs_previous_pct"], 1) == 12.1  # vs October 2024
    assert nov["year_ago_average"] is not None


def test_averages_table_counts_flagged_days(full_store_url):
    out = ok("averages", "--until", "2022-04-30", "--db", full_store_url)
    assert "flagged days are counted" in out
    assert "2022-03" in out and "2022-04" in out


def test_rolling_seven_day_average_as_of_2024_11_11(full_store_url):
    data = as_json("averages", "--rolling", "7", "--as-of", "2024-11-11", "--db", full_store_url)
    last = data["rows"][-1]
    assert last["date"] == "2024-11-11"
    assert last["rolling_average"] == pytest.approx((710660 - 700390) / 7)


def test_weekly_averages_in_csv(full_store_url):
    out = ok(
        "averages",
        "--period",
        "week",
        "--since",
        "2024-11-11",
        "--until",
        "2024-11-17",
        "--format",
        "csv",
        "--db",
        full_store_url,
    )
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert (row["period"], row["total"], row["days"]) == ("2024-W46", "11990", "7")


# --- series ---------------------------------------------------------------------------------


def test_series_shows_each_report_with_its_flags(full_store_url):
    data = as_json("series", "--since", "2022-03-02", "--until", "2022-03-04", "--db", full_store_url)
    rows = {r["date"]: r for r in data["rows"]}
    assert rows["2022-03-03"]["increment"] == 3160 and rows["2022-03-03"]["doubtful"] is True
    assert "outlier" in rows["2022-03-03"]["flag_reasons"]
    assert rows["2022-03-02"]["flags"] == ""


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,message",
    [
        (("--metric", "unicorns"), "error: unknown metric 'unicorns'; known: "),
        (("--since", "2024-13-01"), "error: --since: no such calendar date: '2024-13-01'"),
        (("--as-of", "yesterday"), "error: --as-of: not a date"),
        (("--as-of", "2099-01-01"), "error: --as-of 2099-01-01 is in the future"),
        (("--since", "2024-12-01", "--until", "2024-11-01"), "error: --since 2024-12-01 is after --until 2024-11-01"),
        (("--since", "2030-01-01"), "error: no personnel figures dated between 2030-01-01 and the end"),
        (("--source", "nobody"), "error: no data for source 'nobody' in the store"),
    ],
)
@pytest.mark.parametrize("command", COMMANDS)
def test_bad_input_ends_in_one_line(full_store_url, command, args, message):
    result = run(command, *args, "--db", full_store_url)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_a_missing_store_says_what_to_run_in_one_line_and_creates_nothing(tmp_path, capsys):
    path = tmp_path / "none.db"
    code, out, err = run_tracker(capsys, "records", "--db", str(path))
    assert (code, out) == (6, "")
    assert (
        err == f"error: no tracker store at sqlite:///{path}: run `tracker ingest ...` or `tracker db upgrade` first\n"
    )
    assert not path.exists()


def test_an_unknown_choice_is_a_one_line_usage_error(full_store_url, capsys):
    code, out, err = run_tracker(capsys, "averages", "--period", "fortnight", "--db", full_store_url)
    assert (code, out) == (2, "")
    assert err == (
        "error: Invalid value for '--period': 'fortnight' is not one of 'day', 'week', 'month', 'year', 'all'."
        " (see `tracker averages --help`)\n"
    )


def test_control_characters_from_a_feed_never_reach_the_terminal(tmp_path):
    source = tmp_path / "evil.csv"
    source.write_text(
        "report_date,metric,value,qualifier\n"
        "2024-11-10,personnel,708890,about\n"
        "2024-11-11,personnel,710660,\x1b]0;pwned\x07\x1b[2Jabout\u202e\n"
    )
    url = f"sqlite:///{tmp_path / 'evil.db'}"
    result = run("ingest", "csv", "--from", str(source), "--db", url, "--quiet")
    assert result.exit_code in (0, 3), result.output
    for fmt in ("table", "json", "csv"):
        out = ok("series", "--format", fmt, "--db", url)
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out


# --- the report cache -----------------------------------------------------------------------


@pytest.fixture
def private_store(full_store_url, tmp_path) -> str:
    path = full_store_url.removeprefix("sqlite:///")
    copy = tmp_path / "copy.db"
    shutil.copyfile(path, copy)
    return f"sqlite:///{copy}"


def cached_answers(tmp_path) -> list[Path]:
    """The report cache's entries: $XDG_CACHE_HOME/tracker/reports (README), set per test above."""
    return sorted((tmp_path / "cache" / "tracker" / "reports").glob("*.txt"))


def test_a_repeated_report_is_served_from_the_cache_until_the_store_changes(private_store, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "1")
    first = ok("records", "--as-of", "2024-11-11", "--db", private_store)
    [entry] = cached_answers(tmp_path)
    # A cached answer is printed as stored: alter it, and the repeated question prints the alteration.
    stored = entry.read_text(encoding="utf-8")
    assert "1,770" in stored
    entry.write_text(stored.replace("1,770", "9,999"), encoding="utf-8")
    assert ok("records", "--as-of", "2024-11-11", "--db", private_store) == first.replace("1,770", "9,999")
    # Another question is computed and kept beside it.
    other = ok("records", "--as-of", "2024-11-12", "--db", private_store)
    assert "2024-11-12" in other and "9,999" not in other
    assert len(cached_answers(tmp_path)) == 2
    # A change of the store file makes the old answer stale: computed again, as first printed.
    os.utime(private_store.removeprefix("sqlite:///"), ns=(1, 1))
    assert ok("records", "--as-of", "2024-11-11", "--db", private_store) == first


def test_the_cache_can_be_turned_off(private_store, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "1")
    first = ok("headline", "--db", private_store)
    [entry] = cached_answers(tmp_path)
    stored = entry.read_text(encoding="utf-8")
    assert "Total since" in stored
    entry.write_text(stored.replace("Total since", "Altered total since"), encoding="utf-8")
    assert "Altered total since" in ok("headline", "--db", private_store)  # served while the cache is on
    monkeypatch.setenv("TRACKER_REPORT_CACHE", "0")
    assert ok("headline", "--db", private_store) == first  # computed, not served
    assert cached_answers(tmp_path) == [entry]  # and nothing new kept
