"""The morning job in the real world: a shrunken snapshot's removals are held, implausible dates stay out
of the series, overlapping runs wait for each other, and status judges only the daily feeds."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clirun import run_tracker
from tests.storecheck import count, fingerprint, runs
from tracker.errors import ExitCode
from tracker.ingest.feeds.dataset import DatasetFeed
from tracker.ingest.run import run_ingest

PERSONNEL = "russia_losses_personnel.json"
EQUIPMENT = "russia_losses_equipment.json"
CORRECTIONS = "russia_losses_equipment_correction.json"
TRACKER = str(Path(sys.executable).parent / "tracker")


@pytest.fixture
def full_store(store_url, latest_dir) -> str:
    """A store (each backend) holding the whole latest shared dataset."""
    report = run_ingest(store_url, DatasetFeed(), location=str(latest_dir))
    assert report.status == "ok_with_findings", report.error
    return store_url


def copy_latest(latest_dir: Path, dest: Path) -> Path:
    shutil.copytree(latest_dir, dest)
    for path in dest.iterdir():
        path.chmod(0o644)
    return dest


def current_totals(url: str) -> int:
    return count(url, "SELECT COUNT(*) FROM observation WHERE kind = 'total' AND superseded_at IS NULL AND NOT removed")


# --- 1. a snapshot that loses much of a series is held, not applied ---------------------------


def withdrawals(capsys, url: str, *extra: str) -> list[dict]:
    code, out, err = run_tracker(capsys, "feeds", "withdrawals", "ua-dataset", "--format", "json", "--db", url, *extra)
    assert code == 0, err
    return json.loads(out)


def test_three_emptied_files_are_held_with_exit_3_and_every_row_stays_current(capsys, full_store, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    for name in (PERSONNEL, EQUIPMENT, CORRECTIONS):
        (folder / name).write_text("[]")
    before = fingerprint(full_store)

    code, out, err = run_tracker(capsys, "ingest", "dataset", "--from", str(folder), "--db", full_store)

    assert code == ExitCode.FINDINGS, err
    assert "0 removed" in out and "22,461 held" in out
    assert fingerprint(full_store)["observation"] == before["observation"]  # not one revision
    assert current_totals(full_store) == 22_375
    [held] = withdrawals(capsys, full_store)
    assert (held["rows"], held["status"], held["first_date"], held["last_date"]) == (
        22_461, "held", "2022-02-25", "2026-08-08",
    )  # fmt: skip
    assert runs(full_store)[-1]["status"] == "ok_with_findings"
    assert count(full_store, "SELECT COUNT(*) FROM finding WHERE rule = 'withdrawal_held' AND status = 'open'") == 1


def test_a_personnel_file_cut_to_its_first_800_reports_is_held(capsys, full_store, latest_dir, tmp_path):
    folder = copy_latest(latest_dir, tmp_path / "cut")
    rows = json.loads((folder / PERSONNEL).read_text())
    assert len(rows) == 1626
    (folder / PERSONNEL).write_text(json.dumps(rows[:800]))
    before = fingerprint(full_store)

    code, out, _ = run_tracker(capsys, "ingest", "dataset", "--from", str(folder), "--db", full_store)

    # the personnel series' latest 826 reports would go (the pow series ends before report 800)
    assert code == ExitCode.FINDINGS
    assert "0 removed" in out and "826 held" in out
    assert fingerprint(full_store)["observation"] == before["observation"]
    [held] = withdrawals(capsys, full_store)
    assert held["rows"] == 826 and held["metrics"] == "personnel total: 826 (its latest 826 reports)"


def test_allow_shrink_accepts_a_shrunken_snapshot_as_removals(capsys, full_store, latest_dir, tmp_path):
    folder = copy_latest(latest_dir, tmp_path / "cut")
    rows = json.loads((folder / PERSONNEL).read_text())
    (folder / PERSONNEL).write_text(json.dumps(rows[:800]))

    code, out, _ = run_tracker(capsys, "ingest", "dataset", "--from", str(folder), "--db", full_store, "--allow-shrink")

    assert code in (ExitCode.OK, ExitCode.FINDINGS)
    assert "826 removed" in out and "held" not in out
    assert current_totals(full_store) == 22_375 - 826
    assert withdrawals(capsys, full_store) == []


def test_a_single_removed_report_passes_the_shrink_rule(capsys, full_store, latest_dir, tmp_path):
    folder = copy_latest(latest_dir, tmp_path / "one-less")
    rows = json.loads((folder / PERSONNEL).read_text())
    (folder / PERSONNEL).write_text(json.dumps(rows[:-1]))

    code, out, _ = run_tracker(capsys, "ingest", "dataset", "--from", str(folder), "--db", full_store)

    assert code in (ExitCode.OK, ExitCode.FINDINGS)
    assert "1 removed" in out and "held" not in out
    assert withdrawals(capsys, full_store) == []


def test_a_whole_series_vanishing_is_held_even_when_few_rows_go(capsys, sqlite_url, latest_dir, tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    rows = json.loads((latest_dir / PERSONNEL).read_text())
    first_three = rows[:3]  # 2022-02-25..27: personnel and prisoners of war
    (folder / PERSONNEL).write_text(json.dumps(first_three))
    assert run_ingest(sqlite_url, DatasetFeed(), location=str(folder)).exit_code in (0, 3)
    (folder / PERSONNEL).write_text(json.dumps([{k: v for k, v in r.items() if k != "POW"} for r in first_three]))

    code, out, _ = run_tracker(capsys, "ingest", "dataset", "--from", str(folder), "--db", sqlite_url)

    assert code == ExitCode.FINDINGS
    assert "3 unchanged, 3 held" in out  # the personnel series stays
    [held] = withdrawals(capsys, sqlite_url)
    assert held["metrics"] == "pow total: 3 (every row)"
    assert current_totals(sqlite_url) == 6


def test_an_emptied_corrections_file_is_held_though_it_holds_few_rows(capsys, full_store, latest_dir, tmp_path):
    folder = copy_latest(latest_dir, tmp_path / "no-corrections")
    (folder / CORRECTIONS).write_text("[]")
    before = fingerprint(full_store)

    code, out, _ = run_tracker(capsys, "ingest", "dataset", "--from", str(folder), "--db", full_store)

    # 86 documented corrections are fewer than 2% of the store, but whole series of them would go
    assert code == ExitCode.FINDINGS
    assert "86 held" in out
    assert fingerprint(full_store)["observation"] == before["observation"]
    [held] = withdrawals(capsys, full_store)
    assert held["rows"] == 86 and "adjustment: 18 (every row)" in held["metrics"]


# --- 2. implausible dates are findings and stay out of the series --------------------------------


@pytest.mark.parametrize("day", ["1600-01-01", "2999-01-01", "2027-01-01", "2021-12-31"])
def test_a_report_dated_before_the_war_or_after_the_runs_day_is_a_finding_and_not_stored(
    capsys, sqlite_url, latest_dir, tmp_path, day
):
    folder = tmp_path / "odd"
    folder.mkdir()
    rows = json.loads((latest_dir / PERSONNEL).read_text())
    (folder / PERSONNEL).write_text(json.dumps([*rows, {**rows[-1], "date": day}]))

    code, out, _ = run_tracker(
        capsys, "ingest", "dataset", "--from", str(folder), "--db", sqlite_url, "--observed-at", "2026-08-08T09:00"
    )

    assert code == ExitCode.FINDINGS
    assert f"a report dated {day} is" in out and "not stored" in out
    assert count(sqlite_url, "SELECT COUNT(*) FROM observation WHERE report_date = :d", d=day) == 0
    assert count(sqlite_url, "SELECT COUNT(*) FROM finding WHERE rule = 'implausible_date'") == 1
    # every report still works on the store
    for command in (["series", "--format", "json"], ["records"], ["headline"], ["averages"]):
        code, out, err = run_tracker(capsys, *command, "--db", sqlite_url)
        assert code == 0, (command, err)


def test_status_judges_staleness_by_plausible_dates_only(capsys, sqlite_url, latest_dir, tmp_path):
    """A stored row dated in the future (as older versions of tracker kept them) does not make a
    feed whose real data is months old look fresh."""
    from sqlalchemy import create_engine, text

    assert run_ingest(sqlite_url, DatasetFeed(), location=str(latest_dir)).exit_code == 3
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE feed SET role = 'daily'"))
        conn.execute(
            text(
                "INSERT INTO observation (feed_id, source_id, metric_id, kind, report_date, revision, value,"
                " removed, first_seen_at, last_seen_at, run_id, last_seen_run_id)"
                " SELECT feed_id, source_id, metric_id, kind, '2999-01-01', 1, value + 1, removed, first_seen_at,"
                " last_seen_at, run_id, last_seen_run_id FROM observation"
                " WHERE kind = 'total' AND report_date = '2026-08-08' AND superseded_at IS NULL LIMIT 1"
            )
        )
    engine.dispose()

    code, out, _ = run_tracker(capsys, "status", "--json", "--db", sqlite_url)

    [row] = json.loads(out)
    assert row["latest_report_date"] == "2026-08-08"
    assert row["stale"] is True and code == ExitCode.FINDINGS


# --- 3. overlapping runs wait for the lock instead of failing -----------------------------------


def test_four_ingests_started_at_once_all_succeed_or_wait(tmp_path, latest_dir):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run_ingest(url, DatasetFeed(), location=str(latest_dir)).exit_code == 3
    env = {**os.environ, "TRACKER_REPORT_CACHE": "0"}
    cmd = [TRACKER, "ingest", "dataset", "--from", str(latest_dir), "--db", url, "--quiet", "--wait", "60"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    results = [(p.wait(timeout=300), p.stderr.read().decode()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()

    assert [code for code, _ in results] == [0, 0, 0, 0], results
    observed = [r["observed_at"] for r in runs(url)]
    assert observed == sorted(observed) and len(observed) == 5


def test_an_explicit_observed_at_older_than_the_store_is_still_refused(capsys, sqlite_url, latest_dir):
    assert run_ingest(sqlite_url, DatasetFeed(), location=str(latest_dir)).exit_code == 3

    code, _, err = run_tracker(
        capsys, "ingest", "dataset", "--from", str(latest_dir), "--db", sqlite_url, "--observed-at", "2023-01-01T00:00"
    )

    assert code == ExitCode.USAGE
    assert "is older — ingest snapshots in time order" in err


# --- 8. what reaches the terminal is sanitised ---------------------------------------------------


def test_latest_escapes_control_characters_in_a_feeds_qualifier(capsys, sqlite_url, tmp_path):
    sample = tmp_path / "hostile.csv"
    sample.write_text(
        "report_date,metric,value,qualifier\n2024-11-10,personnel,708890,\n2024-11-11,personnel,710660,ab\x1b[2J\x07\u202ecd\n"
    )
    assert run_tracker(capsys, "ingest", "csv", "--from", str(sample), "--db", sqlite_url)[0] in (0, 3)

    code, out, _ = run_tracker(capsys, "latest", "--db", sqlite_url)

    assert code == 0
    assert "710,660" in out
    assert not any(ch in out for ch in ("\x1b", "\x07", "\u202e"))


# --- 4. the morning job as one command, and what status judges ------------------------------------


def test_daily_ingests_from_a_local_mirror_and_writes_the_charts(capsys, tmp_path, latest_dir, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("TRACKER_DATASET_FROM", str(latest_dir))
    monkeypatch.delenv("TRACKER_CHARTS_DIR", raising=False)

    code, out, err = run_tracker(capsys, "daily", "--charts-dir", str(tmp_path / "out"), "--db", url)

    assert code == ExitCode.FINDINGS, err
    lines = out.splitlines()
    # a first run beats no record (nothing was known before it): the step lines come first,
    # then the digest of what the job's runs changed (tests/test_changes.py)
    assert "ua-dataset (ua-general-staff) from " + str(latest_dir) in lines[0] and "22,375 new" in lines[0]
    assert "claims-file (curated)" in lines[1]
    assert "charts: 6 written to" in lines[2]
    assert re.fullmatch(r"\S+Z cache: warmed 3 of 3 reports in \d+\.\d s", lines[3])
    assert lines[4:6] == ["What this job's runs changed:", ""]
    assert lines[6].startswith("ua-dataset (ua-general-staff): 1 run (#1 ok_with_findings ")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "compare-personnel.png",
        "cumulative-personnel.png",
        "daily-personnel.png",
        "equipment.png",
        "monthly-personnel.png",
        "ukraine-claims.png",
    ]
    code, out, _ = run_tracker(capsys, "feeds", "list", "--json", "--db", url)
    assert {(r["feed"], r["role"]) for r in json.loads(out)} == {("ua-dataset", "daily"), ("claims-file", "daily")}


def test_daily_runs_every_step_and_exits_with_the_first_failure(capsys, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / PERSONNEL).write_text("<html>502 Bad Gateway</html>")
    monkeypatch.delenv("TRACKER_CHARTS_DIR", raising=False)

    code, out, err = run_tracker(capsys, "daily", "--dataset-from", str(folder), "--db", url)

    assert code == ExitCode.BAD_PAYLOAD
    assert "expected JSON, got an HTML page" in err
    assert "claims-file (curated)" in out and "charts: skipped" in out


@pytest.mark.parametrize("option", ["--dataset-from", "--claims-from", "--oryx-from", "--orc-losses-from"])
def test_daily_refuses_an_empty_location(capsys, tmp_path, option):
    code, _, err = run_tracker(capsys, "daily", option, "", "--db", str(tmp_path / "s.db"))

    assert code == ExitCode.USAGE
    assert f"{option} is empty" in err
    assert not (tmp_path / "s.db").exists()


ORYX_LAST = "2025-07-19T1144_a8624b4"  # a real snapshot of Oryx's totals_by_type.csv


def test_tracker_oryx_from_adds_oryx_to_the_job_as_a_daily_feed_dated_by_the_fetch(
    capsys, tmp_path, latest_dir, oryx_history, monkeypatch
):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("TRACKER_DATASET_FROM", str(latest_dir))
    monkeypatch.setenv("TRACKER_ORYX_FROM", str(oryx_history / ORYX_LAST))
    monkeypatch.delenv("TRACKER_CHARTS_DIR", raising=False)

    code, out, err = run_tracker(capsys, "daily", "--db", url)

    assert code == ExitCode.FINDINGS, err
    lines = out.splitlines()
    assert "ua-dataset (ua-general-staff)" in lines[0] and "claims-file (curated)" in lines[1]
    assert f"oryx (oryx) from {oryx_history / ORYX_LAST}: ok — 250 records, 250 new" in lines[2]
    assert "oryx (oryx): 1 run (#3 ok " in out  # in the digest of what the job changed
    code, listed, _ = run_tracker(capsys, "feeds", "list", "--json", "--db", url)
    assert ("oryx", "daily") in {(r["feed"], r["role"]) for r in json.loads(listed)}
    # a snapshot has no dates of its own: the job's figures are dated by the day it fetched them
    dated_by_fetch = count(
        url,
        "SELECT COUNT(*) FROM observation o JOIN feed f ON f.id = o.feed_id JOIN ingest_run r ON r.id = o.run_id "
        "WHERE f.name = 'oryx' AND o.report_date = date(r.started_at)",
    )
    assert dated_by_fetch == 250
    russian_tanks = count(
        url,
        "SELECT o.value FROM observation o JOIN metric m ON m.id = o.metric_id JOIN feed f ON f.id = o.feed_id "
        "WHERE f.name = 'oryx' AND m.name = 'oryx.tanks' AND o.side = 'russia' AND o.kind = 'total'",
    )
    assert russian_tanks == 4074


def test_a_broken_oryx_file_fails_its_step_only_and_the_job_exits_5(capsys, tmp_path, latest_dir):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    bad = tmp_path / "totals_by_type.csv"
    bad.write_text("<html><body>502 Bad Gateway</body></html>")

    code, out, err = run_tracker(
        capsys, "daily", "--dataset-from", str(latest_dir), "--oryx-from", str(bad), "--db", url
    )

    assert code == ExitCode.BAD_PAYLOAD
    assert f"error: oryx (oryx) from {bad}: failed — {bad}: expected CSV, got an HTML page" in err
    assert "22,375 new" in out  # the steps before it stored their figures
    assert current_totals(url) == 22375
    assert count(url, "SELECT COUNT(*) FROM observation o JOIN feed f ON f.id = o.feed_id WHERE f.name = 'oryx'") == 0


def test_a_failed_one_off_feed_leaves_status_as_it_was(capsys, tmp_path, latest_dir, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("TRACKER_DATASET_FROM", str(latest_dir))
    run_tracker(capsys, "daily", "--db", url)
    before_code, before, _ = run_tracker(capsys, "status", "--json", "--db", url)
    bad = tmp_path / "bad.csv"
    bad.write_text("<html>oops</html>")

    code, _, _ = run_tracker(capsys, "ingest", "csv", "--from", str(bad), "--db", url)
    after_code, after, _ = run_tracker(capsys, "status", "--json", "--db", url)

    assert code == ExitCode.BAD_PAYLOAD
    judged = lambda text: [r for r in json.loads(text) if r["judged"]]  # noqa: E731
    assert after_code == before_code
    assert judged(after) == judged(before)
    [csv_row] = [r for r in json.loads(after) if r["feed"] == "csv"]
    assert (csv_row["role"], csv_row["judged"], csv_row["stale"]) == ("one-off", False, False)


def test_retiring_a_feed_stops_status_judging_it(capsys, tmp_path, latest_dir):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    # the latest report (2026-08-08) is months old: stale by its report date
    run_tracker(capsys, "daily", "--dataset-from", str(latest_dir), "--db", url)
    code, out, _ = run_tracker(capsys, "status", "--db", url)
    assert code == ExitCode.FINDINGS and "ua-dataset (ua-general-staff): STALE" in out

    code, out, _ = run_tracker(capsys, "feeds", "retire", "ua-dataset", "--db", url)
    assert code == 0 and "ua-dataset (ua-general-staff): retired" in out

    code, out, _ = run_tracker(capsys, "status", "--db", url)
    assert "ua-dataset (ua-general-staff): retired, not judged" in out
    assert code == 0


def test_retiring_an_unknown_feed_names_the_feeds_there_are(capsys, full_store_url):
    code, _, err = run_tracker(capsys, "feeds", "retire", "nope", "--db", full_store_url)

    assert code == ExitCode.USAGE
    assert "no feed 'nope' in the store; feeds: ua-dataset (ua-general-staff)" in err


def test_status_prints_the_whole_error_line_of_a_failed_run(capsys, tmp_path, latest_dir):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    run_tracker(capsys, "daily", "--dataset-from", str(latest_dir), "--db", url)
    folder = tmp_path / ("a-mirror-folder-with-a-long-name-" * 5)
    folder.mkdir()
    (folder / PERSONNEL).write_text("<html>502</html>")
    run_tracker(capsys, "daily", "--dataset-from", str(folder), "--db", url)
    [error] = [r["error"] for r in runs(url) if r["status"] == "failed"]

    code, out, _ = run_tracker(capsys, "status", "--db", url)

    assert len(error) > 200
    assert error in out


def test_the_daily_script_is_a_wrapper_of_tracker_daily():
    script = (Path(__file__).resolve().parent.parent / "scripts" / "daily-job").read_text()
    assert "tracker daily" in script or '"$tracker" daily' in script


# --- 15. after a redirect the store records where the bytes really came from --------------------


def test_a_redirected_fetch_records_the_requested_and_the_final_url(sqlite_url, latest_dir):
    import httpx

    from tracker.ingest.http import make_client

    bodies = {name: (latest_dir / name).read_bytes() for name in (PERSONNEL, EQUIPMENT, CORRECTIONS)}

    def answer(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        if request.url.host == "old.example":
            return httpx.Response(301, headers={"Location": f"https://mirror.example/data/{name}"})
        return httpx.Response(200, content=bodies[name], headers={"Content-Type": "application/json"})

    client = make_client(transport=httpx.MockTransport(answer))
    report = run_ingest(
        sqlite_url, DatasetFeed(), location="https://old.example/data", fetch_options={"client": client}
    )

    assert report.status == "ok_with_findings", report.error
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT location, final_location FROM payload_fetch ORDER BY id")).all()
    engine.dispose()
    assert rows == [
        (f"https://old.example/data/{name}", f"https://mirror.example/data/{name}")
        for name in (PERSONNEL, EQUIPMENT, CORRECTIONS)
    ]


def test_the_datasets_three_fetches_share_one_deadline(capsys, sqlite_url, latest_dir, monkeypatch):
    """A slow server cannot stretch a run to three deadlines: the third file is not even asked for."""
    import time

    import httpx

    from tracker.ingest.http import make_client

    asked: list[str] = []

    def slow(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path.rsplit("/", 1)[-1])
        time.sleep(0.7)
        return httpx.Response(200, content=(latest_dir / asked[-1]).read_bytes())

    monkeypatch.setenv("TRACKER_HTTP_DEADLINE", "1")
    client = make_client(transport=httpx.MockTransport(slow))
    report = run_ingest(
        sqlite_url,
        DatasetFeed(),
        location="https://mirror.example/data",
        fetch_options={"client": client, "retries": 0},
    )

    assert report.exit_code == ExitCode.UNREACHABLE
    assert CORRECTIONS not in asked
    # the second file got what was left of the one deadline, not a deadline of its own
    assert f"{EQUIPMENT}: no complete answer within 0." in report.error
    assert current_totals(sqlite_url) == 0
