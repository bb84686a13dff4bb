"""`tracker changes` and the end of `tracker daily`: what the runs of a window changed, on the
real General Staff dataset — the revision 113,990 → 113,390 between the two January 2023
snapshots, the record of 1,770 when the report of 2024-11-11 arrives, the 700,000 milestone,
a removal and its re-add, findings and claims — in a table for people and JSON for machines."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.clirun import run_tracker
from tests.storecheck import fingerprint
from tracker.analysis.news import record_wording
from tracker.errors import ExitCode
from tracker.ingest.feeds.dataset import DatasetFeed
from tracker.ingest.run import run_ingest
from tracker.reports.window import parse_window

FILES = ("russia_losses_personnel.json", "russia_losses_equipment.json", "russia_losses_equipment_correction.json")
RECORD_LINE = (
    "NEW RECORD: 1,770 in the report of 2024-11-11, beating 1,740 of 2024-05-13 — the deadliest day "
    "(personnel; ua-dataset, ua-general-staff)"
)
MILESTONE_LINE = (
    "MILESTONE: 700,000 passed in the report of 2024-11-04 (total 700,390) — personnel (ua-dataset, ua-general-staff)"
)
UTC = dt.UTC


def cut_dataset(latest_dir: Path, dest: Path, last: str) -> Path:
    """A copy of the dataset's three files holding only the reports dated up to `last`."""
    dest.mkdir(parents=True)
    for name in FILES:
        rows = json.loads((latest_dir / name).read_text())
        (dest / name).write_text(json.dumps([r for r in rows if r["date"] <= last]))
    return dest


def ingest_cut(url: str, latest_dir: Path, tmp_path: Path, last: str, observed: str) -> None:
    folder = cut_dataset(latest_dir, tmp_path / f"upto-{last}", last)
    report = run_ingest(url, DatasetFeed(), location=str(folder), observed_at=dt.datetime.fromisoformat(observed))
    assert report.status in ("ok", "ok_with_findings"), report.error


SECTIONS = ("New reports", "Revisions", "Removals", "Re-added", "New records", "Milestones", "New findings", "Claims",
            "Report notes")  # fmt: skip


def section(out: str, title: str) -> list[list[str]]:
    """The rows of one titled table of the output, each split into its cells (on whitespace)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(title))
    rows = []
    for line in lines[start + 3 :]:  # after the title, the header and the rule
        if not line.startswith("  ") or line.strip().startswith(("…", *SECTIONS)):
            break
        rows.append(line.split())
    return rows


# --- the two January 2023 snapshots: a revision with both its times ---------------------------------


def test_changes_between_the_january_2023_snapshots_show_the_revision_113990_to_113390(capsys, store_url, history_dirs):
    for folder in history_dirs[:2]:  # 2023-01-12T1204_day323, 2023-01-13T1919_day324
        code, _, err = run_tracker(
            capsys, "ingest", "dataset", "--from", str(folder), "--observed-at", folder.name[:15], "--db", store_url
        )
        assert code in (ExitCode.OK, ExitCode.FINDINGS), err

    code, out, err = run_tracker(capsys, "changes", "--since", "2023-01-13T00:00", "--db", store_url)

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "What the runs observed from 2023-01-13T00:00:00Z to now changed (since 2023-01-13T00:00):"
    assert "ua-dataset (ua-general-staff): 1 run (#2 ok 2023-01-13T19:19:00Z)" in lines
    assert (
        "  13 new figures in 1 report (2023-01-13), 1 revision, 0 removals, 0 re-adds, 0 new findings, "
        "0 claims changed, 0 notes changed"
    ) in lines
    assert section(out, "Revisions") == [
        ["2023-01-12", "personnel", "113,990", "→", "113,390", "2023-01-12T12:04:00Z", "2023-01-13T19:19:00Z"]
    ]
    new = {row[1]: row for row in section(out, "New reports")}
    assert len(new) == 13
    # the new report's increment is measured from the revised total: 114,130 - 113,390
    assert new["personnel"] == ["2023-01-13", "personnel", "114,130", "about", "740", "1"]
    assert new["tanks"] == ["2023-01-13", "tanks", "3,098", "4", "1"]


def test_changes_as_json_carry_the_same_revision_and_both_times(capsys, sqlite_url, history_dirs):
    for folder in history_dirs[:2]:
        run_tracker(
            capsys, "ingest", "dataset", "--from", str(folder), "--observed-at", folder.name[:15], "--db", sqlite_url
        )

    code, out, _ = run_tracker(capsys, "changes", "--since", "last-run", "--format", "json", "--db", sqlite_url)

    assert code == 0
    payload = json.loads(out)
    assert payload["window"] == {"asked": "last-run", "since": None, "until": None, "last_run": True, "run_ids": []}
    assert payload["alerts"] == []
    [feed] = payload["feeds"]
    assert feed["counts"] == {
        "new_reports": 13,
        "revisions": 1,
        "removals": 0,
        "readds": 0,
        "records": 0,
        "milestones": 0,
        "new_findings": 0,
        "claims": 0,
        "notes": 0,
    }
    assert feed["revisions"] == [
        {
            "report_date": "2023-01-12",
            "metric": "personnel",
            "kind": "total",
            "side": "russia",
            "run_id": 2,
            "seen_at": "2023-01-13T19:19:00+00:00",
            "old_value": 113990,
            "value": 113390,
            "old_qualifier": "about",
            "qualifier": "about",
            "old_seen_at": "2023-01-12T12:04:00+00:00",
        }
    ]
    [personnel] = [r for r in feed["new_reports"] if r["metric"] == "personnel"]
    assert (personnel["report_date"], personnel["value"], personnel["increment"]) == ("2023-01-13", 114130, 740)


def test_a_backfill_window_shows_the_record_it_set_its_findings_and_a_removal_then_its_re_add(
    capsys, sqlite_url, shared_data
):
    code, _, err = run_tracker(
        capsys, "ingest", "dataset", "--snapshots", "--from", str(shared_data / "history"), "--db", sqlite_url
    )
    assert code in (ExitCode.OK, ExitCode.FINDINGS), err

    # 2023-02-26T16:07: 44 reports at once (2023-01-14 … 2023-02-26)
    code, out, _ = run_tracker(capsys, "changes", "--since", "2023-02-26", "--until", "2023-02-26", "--db", sqlite_url)

    assert code == 0
    assert out.splitlines()[0] == (
        "NEW RECORD: 1,140 in the report of 2023-02-11, beating 950 of 2022-10-30 — the deadliest day "
        "(personnel; ua-dataset, ua-general-staff)"
    )
    assert "  572 new figures in 44 reports (2023-01-14 … 2023-02-26), 0 revisions" in out
    assert [row[:4] for row in section(out, "New findings")] == [
        ["warning", "catch_up", "vehicles_fuel_tanks", "2023-01-16"],
        ["warning", "catch_up", "afv", "2023-01-19"],
        ["warning", "catch_up", "vehicles_fuel_tanks", "2023-02-20"],
    ]
    assert "… the latest 30 of 572 shown; --format json lists them all" in out

    # 14:48 the 2023-05-09 report vanished upstream; 14:53 it was back
    code, out, _ = run_tracker(capsys, "changes", "--since", "2023-05-09T14:40", "--db", sqlite_url)

    assert "  0 new figures, 0 revisions, 13 removals, 13 re-adds, 0 new findings" in out
    assert section(out, "Removals")[0] == [
        "2023-05-09", "personnel", "195,620", "2023-05-09T14:38:00Z", "2023-05-09T14:48:00Z"
    ]  # fmt: skip
    assert section(out, "Re-added")[0] == [
        "2023-05-09", "personnel", "195,620", "650", "2023-05-09T14:48:00Z", "2023-05-09T14:53:00Z"
    ]  # fmt: skip
    assert "NEW RECORD" not in out and "MILESTONE" not in out


# --- records and milestones, announced first -------------------------------------------------------


@pytest.fixture(scope="module")
def base_store(tmp_path_factory, latest_dir) -> Path:
    """A SQLite store file holding the dataset up to 2024-11-03, as observed that morning (copied
    by the tests that add to it: a first ingest is the slow part)."""
    folder = tmp_path_factory.mktemp("base")
    path = folder / "base.db"
    ingest_cut(f"sqlite:///{path}", latest_dir, folder, "2024-11-03", "2024-11-03T08:00+00:00")
    return path


def copy_store(base: Path, folder: Path) -> str:
    shutil.copyfile(base, folder / "store.db")
    return f"sqlite:///{folder / 'store.db'}"


@pytest.fixture(scope="module")
def november_store(base_store, tmp_path_factory, latest_dir) -> str:
    """The dataset as a daily job saw it in November 2024: up to 11-03, then 11-04 (700,000 passed),
    then up to 11-10, then 11-11 (1,770: the deadliest day so far). Tests only read it."""
    folder = tmp_path_factory.mktemp("november")
    url = copy_store(base_store, folder)
    for last, observed in (
        ("2024-11-04", "2024-11-04T08:00+00:00"),
        ("2024-11-10", "2024-11-10T08:00+00:00"),
        ("2024-11-11", "2024-11-11T08:00+00:00"),
    ):
        ingest_cut(url, latest_dir, folder, last, observed)
    return url


def test_the_report_of_2024_11_11_is_announced_as_a_new_record_in_the_first_line(capsys, november_store):
    code, out, err = run_tracker(capsys, "changes", "--since", "2024-11-11", "--db", november_store)

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == RECORD_LINE
    assert not lines[1].startswith(("NEW RECORD", "MILESTONE"))  # no equipment record, no milestone
    assert section(out, "New records") == [
        ["deadliest", "day", "personnel", "2024-11-11", "1,770", "1,740", "2024-05-13", "30"]
    ]
    assert ["2024-11-11", "personnel", "710,660", "about", "1,770", "1"] in section(out, "New reports")


def test_passing_700000_is_announced_as_a_milestone(capsys, november_store):
    code, out, _ = run_tracker(
        capsys, "changes", "--since", "2024-11-04T08:00", "--until", "2024-11-04T08:00", "--db", november_store
    )

    assert code == 0
    lines = out.splitlines()
    assert lines[0] == MILESTONE_LINE
    assert "NEW RECORD" not in out
    assert "  14 new figures in 1 report (2024-11-04)" in out


def test_a_window_over_both_runs_announces_the_record_then_the_milestone_and_json_agrees(capsys, november_store):
    code, out, _ = run_tracker(capsys, "changes", "--since", "2024-11-04", "--db", november_store)
    table_lines = out.splitlines()
    code_json, text, _ = run_tracker(
        capsys, "changes", "--since", "2024-11-04", "--format", "json", "--db", november_store
    )

    assert (code, code_json) == (0, 0)
    # 2024-11-08 and 2024-11-10 also brought the most drones, and vehicles, in one day so far
    drones = (
        "NEW RECORD: 118 in the report of 2024-11-08, beating 115 of 2024-08-01 — the most drones in one day "
        "(uav; ua-dataset, ua-general-staff)"
    )
    vehicles = (
        "NEW RECORD: 122 in the report of 2024-11-10, beating 121 of 2024-10-31 — the most vehicles and fuel "
        "tanks in one day (vehicles_fuel_tanks; ua-dataset, ua-general-staff)"
    )
    alerts = [RECORD_LINE, drones, vehicles, MILESTONE_LINE]
    assert table_lines[:5] == [
        *alerts,
        "What the runs observed from 2024-11-03T22:00:00Z to now changed (since 2024-11-04):",
    ]
    payload = json.loads(text)
    assert payload["alerts"] == alerts
    [feed] = payload["feeds"]
    assert [r["id"] for r in feed["runs"]] == [2, 3, 4]
    assert feed["records"][0] == {
        "feed": "ua-dataset",
        "source": "ua-general-staff",
        "metric": "personnel",
        "side": "russia",
        "wording": "deadliest day",
        "value": 1770,
        "report_date": "2024-11-11",
        "total": 710660,
        "previous_value": 1740,
        "previous_report_date": "2024-05-13",
        "margin": 30,
    }
    assert [(r["metric"], r["value"], r["previous_value"]) for r in feed["records"]] == [
        ("personnel", 1770, 1740),
        ("uav", 118, 115),
        ("vehicles_fuel_tanks", 122, 121),
    ]
    assert feed["milestones"] == [
        {
            "feed": "ua-dataset",
            "source": "ua-general-staff",
            "metric": "personnel",
            "side": "russia",
            "milestone": 700000,
            "report_date": "2024-11-04",
            "total": 700390,
            "flags": "",
        }
    ]
    assert feed["counts"]["new_reports"] == 8 * 14  # 2024-11-04 … 2024-11-11, 14 categories each
    increments = {r["report_date"]: r["increment"] for r in feed["new_reports"] if r["metric"] == "personnel"}
    assert (increments["2024-11-04"], increments["2024-11-11"]) == (1300, 1770)


# --- the daily job ends with the digest and opens with the story ----------------------------------


def test_daily_opens_with_the_new_record_and_its_digest_is_changes_since_last_run(
    capsys, base_store, latest_dir, tmp_path, monkeypatch
):
    monkeypatch.delenv("TRACKER_CHARTS_DIR", raising=False)
    url = copy_store(base_store, tmp_path)
    ingest_cut(url, latest_dir, tmp_path, "2024-11-10", "2024-11-10T08:00+00:00")
    arrived = cut_dataset(latest_dir, tmp_path / "live", "2024-11-11")

    code, out, err = run_tracker(capsys, "daily", "--dataset-from", str(arrived), "--db", url)

    assert (code, err) == (ExitCode.OK, "")
    lines = out.splitlines()
    assert lines[0] == RECORD_LINE
    assert " ua-dataset (ua-general-staff) from " in lines[1] and ": ok — 13,635 records, 14 new," in lines[1]
    assert " claims-file (curated) from " in lines[2] and ": ok — " in lines[2]
    assert lines[3] == "charts: skipped (no --charts-dir, $TRACKER_CHARTS_DIR unset)"
    assert re.fullmatch(r"\S+Z cache: warmed 3 of 3 reports in \d+\.\d s", lines[4]), lines[4]
    assert lines[5] == "What this job's runs changed:"
    digest = lines[6:]
    assert digest[2].startswith("  14 new figures in 1 report (2024-11-11), 0 revisions, 0 removals")
    code, out, _ = run_tracker(capsys, "changes", "--since", "last-run", "--db", url)
    assert code == 0
    assert out.splitlines()[:2] == [RECORD_LINE, "What each feed's last successful run changed:"]
    assert out.splitlines()[2:] == digest


def test_a_first_ingest_announces_no_record_and_no_milestone_there_is_nothing_before_it_to_beat(capsys, november_store):
    code, out, _ = run_tracker(
        capsys, "changes", "--since", "2024-11-01", "--until", "2024-11-03", "--db", november_store
    )

    assert code == 0
    assert out.splitlines()[0].startswith("What the runs observed from 2024-10-31T22:00:00Z to 2024-11-03T21:59:59Z")
    assert "  13,320 new figures in 983 reports (2022-02-25 … 2024-11-03)" in out
    assert "NEW RECORD" not in out and "MILESTONE" not in out


def _moments_read(monkeypatch, url: str, since: str, until: str) -> set[dt.datetime]:
    """The moments `collect_changes` read series as known at, for the runs of a window."""
    from tracker.reports import changes
    from tracker.store.db import make_engine

    read: set[dt.datetime] = set()
    daily = changes._daily

    def spy(conn, feed_changes, metric, side, known_at):
        read.add(known_at)
        return daily(conn, feed_changes, metric, side, known_at)

    monkeypatch.setattr(changes, "_daily", spy)
    engine = make_engine(url)
    try:
        changes.collect_changes(engine, parse_window(since, until))
    finally:
        engine.dispose()
    return read


def test_a_series_first_reported_in_the_window_is_not_read_as_it_stood_before_it(monkeypatch, november_store):
    # the first ingest brought every report of every series: there is nothing before it to read
    assert _moments_read(monkeypatch, november_store, "2024-11-01", "2024-11-03") == {
        dt.datetime(2024, 11, 3, 8, tzinfo=dt.UTC)
    }


def test_a_series_with_reports_before_the_window_is_read_as_it_stood_just_before_it(monkeypatch, november_store):
    assert _moments_read(monkeypatch, november_store, "2024-11-11", "2024-11-11") == {
        dt.datetime(2024, 11, 11, 8, tzinfo=dt.UTC) - dt.timedelta(microseconds=1),
        dt.datetime(2024, 11, 11, 8, tzinfo=dt.UTC),
    }


def test_a_daily_whose_steps_all_fail_says_nothing_changed_and_keeps_the_first_failures_code(
    capsys, tmp_path, monkeypatch
):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / FILES[0]).write_text("<html>502 Bad Gateway</html>")
    monkeypatch.delenv("TRACKER_CHARTS_DIR", raising=False)

    code, out, err = run_tracker(
        capsys, "daily", "--dataset-from", str(folder), "--claims-from", str(folder / "missing.csv"),
        "--db", str(tmp_path / "s.db"),
    )  # fmt: skip

    assert code == ExitCode.BAD_PAYLOAD
    assert err.count("error:") == 2
    assert out.splitlines() == [
        "charts: skipped (no --charts-dir, $TRACKER_CHARTS_DIR unset)",
        "changes: none (no step stored anything)",
    ]


# --- claims ------------------------------------------------------------------------------------------


def test_a_revised_and_a_removed_claim_are_listed_and_source_keeps_the_claimants_own(capsys, sqlite_url, tmp_path):
    from tracker.ingest.feeds.claims import ClaimsFeed

    shipped = Path(ClaimsFeed().default_location).read_text()
    claims = tmp_path / "claims.csv"
    claims.write_text(shipped)
    assert run_tracker(capsys, "ingest", "claims", "--from", str(claims), "--db", sqlite_url)[0] == 0
    rows = shipped.splitlines(keepends=True)
    [officials] = [i for i, r in enumerate(rows) if r.startswith("us-officials-2023-08-18-casualties,")]
    [kahl] = [i for i, r in enumerate(rows) if r.startswith("us-dod-2022-08-08-total,")]
    rows[officials] = rows[officials].replace(",about,,300000,,", ",about,,310000,,", 1)
    claims.write_text("".join(r for i, r in enumerate(rows) if i != kahl))
    assert run_tracker(capsys, "ingest", "claims", "--from", str(claims), "--db", sqlite_url)[0] == 0

    code, out, _ = run_tracker(capsys, "changes", "--format", "json", "--db", sqlite_url)
    [feed] = json.loads(out)["feeds"]
    code_us, out_us, _ = run_tracker(capsys, "changes", "--source", "us-officials", "--db", sqlite_url)

    assert (code, code_us) == (0, 0)
    assert [
        (c["change"], c["key"], c["source"], c["figure"], c["old_figure"], c["changed"]) for c in feed["claims"]
    ] == [
        ("removed", "us-dod-2022-08-08-total", "us-dod", "70,000–80,000", None, []),
        ("revised", "us-officials-2023-08-18-casualties", "us-officials", "about 310,000", "about 300,000", ["best"]),
    ]
    assert section(out_us, "Claims") == [
        ["revised", "(best)", "us-officials-2023-08-18-casualties", "us-officials", "personnel", "about", "300,000",
         "→", "about", "310,000", "2023-08-18"]
    ]  # fmt: skip
    assert "us-dod" not in out_us


# --- what is asked -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--since", "garbage"],
            "error: --since: expected a time (2024-11-11T08:00, UTC unless it names an offset), "
            "a Kyiv day (2024-11-11), yesterday or today, got 'garbage'\n",
        ),
        (["--since", "2024-13-45"], "error: --since: no such calendar date: '2024-13-45'\n"),
        (["--since", "2999-01-01"], "error: --since 2999-01-01 is in the future: nothing has changed there yet\n"),
        (
            ["--since", "20241111"],
            "error: --since: expected a time (2024-11-11T08:00, UTC unless it names an offset), "
            "a Kyiv day (2024-11-11), yesterday or today, got '20241111'\n",
        ),
        (
            ["--since", "2024-11-11", "--until", "2024-11-10"],
            "error: --until 2024-11-10 is before --since 2024-11-11\n",
        ),
        (
            ["--since", "last-run", "--until", "2024-11-10"],
            "error: --until cannot be used with --since last-run (it is each feed's last run)\n",
        ),
        (["--source", "nope"], "error: no source 'nope' in the store; sources: ua-general-staff\n"),
    ],
)
def test_a_bad_window_or_source_is_one_line_and_exit_2_and_the_store_is_untouched(
    capsys, november_store, args, message
):
    before = fingerprint(november_store)

    code, out, err = run_tracker(capsys, "changes", *args, "--db", november_store)

    assert (code, out, err) == (ExitCode.USAGE, "", message)
    assert fingerprint(november_store) == before


def test_yesterday_starts_at_midnight_kyiv_time_whatever_the_season():
    winter = parse_window("yesterday", now=dt.datetime(2024, 11, 11, 5, 0, tzinfo=UTC))
    summer = parse_window("yesterday", now=dt.datetime(2024, 7, 1, 21, 30, tzinfo=UTC))  # 00:30 on 07-02 in Kyiv

    assert (winter.since, winter.until) == (dt.datetime(2024, 11, 9, 22, 0, tzinfo=UTC), None)
    assert summer.since == dt.datetime(2024, 6, 30, 21, 0, tzinfo=UTC)


def test_a_day_as_until_ends_at_the_last_moment_of_that_kyiv_day():
    window = parse_window("2024-11-11T08:00+02:00", "2024-11-11")

    assert window.since == dt.datetime(2024, 11, 11, 6, 0, tzinfo=UTC)
    assert window.until == dt.datetime(2024, 11, 11, 21, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize(
    ("metric", "wording"),
    [
        ("personnel", "deadliest day"),
        ("tanks", "most tanks in one day"),
        ("uav", "most drones in one day"),
        ("mlrs", "most multiple rocket launchers in one day"),
        ("vehicles_fuel_tanks", "most vehicles and fuel tanks in one day"),
    ],
)
def test_records_are_worded_for_what_they_count(metric, wording):
    assert record_wording(metric) == wording
