"""The store commands as a person and cron use them: help, status, latest, findings, db."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.clirun import run_tracker
from tracker.errors import ExitCode


def test_help_lists_every_command_group(capsys):
    code, out, _ = run_tracker(capsys, "--help")
    assert code == 0
    for name in ("ingest", "status", "latest", "findings", "db"):
        assert name in out


def test_read_command_on_a_missing_store_says_what_to_run(capsys, tmp_path):
    code, _, err = run_tracker(capsys, "status", "--db", str(tmp_path / "none.db"))
    assert code == ExitCode.STORE
    assert "no tracker store at" in err and "`tracker db upgrade`" in err


def test_read_commands_on_a_missing_store_create_nothing(capsys, tmp_path):
    missing = tmp_path / "no" / "such" / "store.db"
    for args in (["status"], ["latest"], ["findings"], ["records"], ["claims", "list"], ["compare"], ["db", "current"]):
        run_tracker(capsys, *args, "--db", str(missing))
    assert not (tmp_path / "no").exists()


def test_store_at_an_older_schema_is_named_then_upgraded(capsys, tmp_path):
    from tracker.store.db import make_engine, run_alembic_upgrade
    from tracker.store.models import SCHEMA_REVISION

    url = f"sqlite:///{tmp_path / 'old.db'}"
    run_alembic_upgrade(make_engine(url), "0001_initial")

    code, _, err = run_tracker(capsys, "status", "--db", url)
    assert code == ExitCode.STORE
    assert f"is at schema 0001_initial, this tracker needs {SCHEMA_REVISION}: run `tracker db upgrade`" in err

    code, out, _ = run_tracker(capsys, "db", "upgrade", "--db", url)
    assert code == 0 and f"upgraded 0001_initial -> {SCHEMA_REVISION}" in out
    code, out, _ = run_tracker(capsys, "db", "current", "--db", url)
    assert f"{SCHEMA_REVISION} (needs {SCHEMA_REVISION}: up to date)" in out


def test_status_is_fresh_with_todays_report_of_a_scheduled_feed_and_exits_0(capsys, tmp_path):
    today = dt.datetime.now(ZoneInfo("Europe/Kyiv")).date()
    path = tmp_path / "today.csv"
    path.write_text(f"report_date,metric,value\n{today - dt.timedelta(days=1)},personnel,100\n{today},personnel,120\n")
    db = str(tmp_path / "s.db")
    assert run_tracker(capsys, "ingest", "csv", "--from", str(path), "--db", db)[0] == 0
    assert run_tracker(capsys, "feeds", "schedule", "csv", "--db", db)[0] == 0

    code, out, _ = run_tracker(capsys, "status", "--db", db)

    assert code == 0
    assert "csv (ua-general-staff): fresh" in out and f"latest report  {today}" in out


def test_status_warns_when_a_scheduled_feeds_last_success_is_older_than_36_hours(capsys, tmp_path):
    today = dt.datetime.now(ZoneInfo("Europe/Kyiv")).date()
    path = tmp_path / "old.csv"
    path.write_text(f"report_date,metric,value\n{today - dt.timedelta(days=3)},personnel,100\n")
    db = str(tmp_path / "s.db")
    observed = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=50)).isoformat(timespec="seconds")
    run_tracker(capsys, "ingest", "csv", "--from", str(path), "--db", db, "--observed-at", observed)
    run_tracker(capsys, "feeds", "schedule", "csv", "--db", db)

    code, out, _ = run_tracker(capsys, "status", "--db", db)

    assert code == ExitCode.FINDINGS
    assert "STALE: last success 50.0 h ago (warn past 36 h)" in out


def test_latest_shows_every_current_category_with_its_increase(capsys, full_store_url):
    code, out, _ = run_tracker(capsys, "latest", "--db", full_store_url)
    assert code == 0
    assert "Personnel (killed and wounded)" in out and "1,456,610" in out and "+1,190" in out
    assert "report 2026-08-08" in out
    assert "Fuel tanks (retired)" not in out


def test_findings_lists_open_findings_filtered_by_rule(capsys, full_store_url):
    code, out, _ = run_tracker(
        capsys, "findings", "--db", full_store_url, "--rule", "coarse", "--metric", "personnel", "--limit", "0"
    )
    assert code == 0
    lines = [line for line in out.splitlines() if " coarse " in line]
    assert lines and all("personnel" in line for line in lines)
    assert any("2022-03-03" in line for line in lines)


def test_bad_options_exit_2_with_a_message(capsys, tmp_path):
    code, _, err = run_tracker(
        capsys,
        "ingest",
        "dataset",
        "--observed-at",
        "yesterday-ish",
        "--from",
        str(tmp_path),
        "--db",
        str(tmp_path / "s.db"),
    )
    assert code == ExitCode.USAGE and "not an ISO 8601 time: 'yesterday-ish'" in err
    code, _, err = run_tracker(
        capsys, "ingest", "dataset", "--from", str(tmp_path / "nowhere"), "--db", str(tmp_path / "s.db")
    )
    assert code == ExitCode.USAGE and "no such file or folder" in err


def test_snapshots_folder_is_backfilled_in_order_with_each_folders_fetch_time(capsys, tmp_path, shared_data):
    from tests.storecheck import runs

    db = f"sqlite:///{tmp_path / 'h.db'}"
    code, out, _ = run_tracker(
        capsys, "ingest", "dataset", "--snapshots", "--from", str(shared_data / "history"), "--db", db
    )

    assert code == ExitCode.FINDINGS  # the first snapshot brings the early-2022 findings
    lines = out.splitlines()
    assert len(lines) == 7 and lines[0].startswith("2023-01-12T12:04:00Z ua-dataset")
    assert [str(r["observed_at"])[:16].replace(" ", "T").replace(":", "") for r in runs(db)] == [
        "2023-01-12T1204",
        "2023-01-13T1919",
        "2023-02-26T1607",
        "2023-02-27T1155",
        "2023-05-09T1438",
        "2023-05-09T1448",
        "2023-05-09T1453",
    ]
    assert "13 removed" in lines[5] and "13 re-added" in lines[6]


def test_quiet_ingest_prints_one_timestamped_line(capsys, tmp_path, latest_dir):
    db = str(tmp_path / "s.db")
    run_tracker(capsys, "ingest", "dataset", "--from", str(latest_dir), "--db", db)
    code, out, err = run_tracker(capsys, "ingest", "dataset", "--from", str(latest_dir), "--db", db, "--quiet")
    assert code == 0 and err == ""
    assert len(out.splitlines()) == 1
    assert ": unchanged — 22,664 records" in out


def test_unknown_option_is_a_usage_error_with_exit_2_and_no_traceback(capsys, tmp_path):
    code, out, err = run_tracker(capsys, "compare", "--as-of", "2024-01-01", "--db", str(tmp_path / "s.db"))
    assert code == ExitCode.USAGE
    assert "No such option: --as-of" in out + err and "Traceback" not in out + err
