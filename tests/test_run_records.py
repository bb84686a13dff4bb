"""Every run that starts ends in a run record, whatever stops it; the daily job's steps fail
alone; backfills say what they skip and why."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.clirun import run_tracker
from tests.storecheck import count, fingerprint, runs
from tests.test_oryx import chosen_folder, query, stored
from tracker.api.daily_job import DailySettings, overall_exit_code, run_daily
from tracker.errors import ExitCode


def _break_validation(monkeypatch) -> None:
    """Inject a bug: every validation function raises, after the run's rows were written."""

    def broken(*_args, **_kwargs):
        raise RuntimeError("injected validation bug\nsecond line")

    for name in ("validate_whole", "validate_window", "validate_documented_window"):
        monkeypatch.setattr(f"tracker.ingest.steps.{name}", broken)


# --- an unexpected exception is a failed run, and only its own daily step fails ---------------


def test_a_bug_in_validation_is_a_failed_run_record_exit_1_and_one_line(capsys, monkeypatch, store_url, history_dirs):
    _break_validation(monkeypatch)

    code, out, err = run_tracker(capsys, "ingest", "dataset", "--from", str(history_dirs[0]), "--db", store_url)

    assert code == ExitCode.INTERNAL == 1
    assert err == "internal error: RuntimeError: injected validation bug (set TRACKER_DEBUG=1 for a traceback)\n"
    [run] = runs(store_url)
    assert run["status"] == "failed" and run["exit_code"] == 1
    assert run["error"] == "internal error: RuntimeError: injected validation bug"
    assert run["started_at"] <= run["finished_at"]
    # nothing of the failed transaction is kept: no observation, no finding, no stored payload
    assert count(store_url, "SELECT COUNT(*) FROM observation") == 0
    assert count(store_url, "SELECT COUNT(*) FROM finding") == 0


def test_a_bug_in_validation_during_a_csv_of_two_sources_is_a_failed_run_record_for_each(
    capsys, monkeypatch, store_url, tmp_path
):
    _break_validation(monkeypatch)
    path = tmp_path / "two.csv"
    path.write_text(
        "report_date,metric,value,source\n2024-01-01,personnel,1000,study-a\n2024-01-01,personnel,2000,study-b\n"
    )

    code, out, err = run_tracker(capsys, "ingest", "csv", "--from", str(path), "--db", store_url)

    assert (code, out) == (1, "")
    assert err.endswith("internal error: RuntimeError: injected validation bug (set TRACKER_DEBUG=1 for a traceback)\n")
    assert [(r["source_key"], r["status"], r["exit_code"], r["error"]) for r in runs(store_url)] == [
        (key, "failed", 1, "internal error: RuntimeError: injected validation bug") for key in ("study-a", "study-b")
    ]
    assert count(store_url, "SELECT COUNT(*) FROM observation") == 0


def test_a_bug_in_the_dataset_step_or_the_charts_step_leaves_the_later_steps_running(
    monkeypatch, sqlite_url, history_dirs, tmp_path
):
    # the run records are proved on each backend above; this is the job's flow
    from tracker.ingest.feeds.claims import ClaimsFeed
    from tracker.ingest.feeds.dataset import DatasetFeed
    from tracker.ingest.run import run_ingest
    from tracker.store.run_report import RunOptions

    daily = RunOptions(role="daily")
    assert run_ingest(sqlite_url, DatasetFeed(), location=str(history_dirs[0]), options=daily).exit_code in (0, 3)
    assert run_ingest(sqlite_url, ClaimsFeed(), options=daily).exit_code in (0, 3)
    before = runs(sqlite_url)
    _break_validation(monkeypatch)  # the next snapshot is validated: the dataset step meets the bug

    def broken_charts(*_args, **_kwargs):
        raise RuntimeError("injected chart bug")

    monkeypatch.setattr("tracker.charts.build.build_set", broken_charts)

    steps = run_daily(sqlite_url, DailySettings(dataset_from=str(history_dirs[1]), charts_dir=tmp_path / "charts"))

    by_step = {s.step: s for s in steps}
    assert by_step["dataset"].exit_code == 1
    assert by_step["dataset"].line == "dataset: error: internal error: RuntimeError: injected validation bug"
    assert by_step["claims"].exit_code == 0 and by_step["claims"].run_id is not None  # unchanged: not validated
    assert (by_step["charts"].exit_code, by_step["charts"].line) == (
        1,
        "charts: error: internal error: RuntimeError: injected chart bug",
    )
    assert by_step["cache"].exit_code == 0 and " cache: warmed " in by_step["cache"].line
    assert overall_exit_code(steps) == 1
    after = runs(sqlite_url)[len(before) :]
    assert [(r["feed_name"], r["status"], r["exit_code"]) for r in after] == [
        ("ua-dataset", "failed", 1),
        ("claims-file", "unchanged", 0),
    ]


# --- a snapshot folder's other entries are named; a broken link stops the backfill ------------

PAIR = ("2022-07-17T1132_c5debe1", "2022-07-18T1132_e0aec6e")


def test_oryx_snapshots_name_each_entry_that_is_not_a_folder_and_ingest_the_rest(capsys, tmp_path, oryx_history):
    folder = chosen_folder(tmp_path / "history", oryx_history, PAIR)
    (folder / "README.txt").write_text("notes\n")
    (folder / "2022-07-19T1132_file").write_text("not a folder\n")
    url = f"sqlite:///{tmp_path / 'store.db'}"

    code, out, err = run_tracker(capsys, "ingest", "oryx", "--snapshots", "--from", str(folder), "--db", url)

    assert code == ExitCode.OK, err
    assert f"{folder / 'README.txt'}: skipped, not a snapshot folder\n" in err
    assert f"{folder / '2022-07-19T1132_file'}: skipped, not a snapshot folder\n" in err
    assert "oryx: 2 of 2 snapshots ingested" in out
    assert [r["status"] for r in runs(url)] == ["ok", "ok"]


@pytest.mark.parametrize("command", ["oryx", "dataset"])
def test_a_broken_link_among_snapshot_folders_is_exit_6_naming_it_before_anything_is_ingested(
    capsys, tmp_path, oryx_history, command
):
    folder = chosen_folder(tmp_path / "history", oryx_history, PAIR)
    gone = folder / "2022-07-18T0900_gone"
    gone.symlink_to(tmp_path / "nowhere", target_is_directory=True)
    url = f"sqlite:///{tmp_path / 'store.db'}"

    code, out, err = run_tracker(capsys, "ingest", command, "--snapshots", "--from", str(folder), "--db", url)

    assert code == ExitCode.STORE
    assert err == f"error: {gone}: a broken link where a snapshot folder should be; nothing was ingested\n"
    assert not (tmp_path / "store.db").exists() or count(url, "SELECT COUNT(*) FROM ingest_run") == 0


def test_a_failed_fetch_after_a_stored_run_records_when_the_run_started_not_when_it_failed(
    capsys, monkeypatch, sqlite_url, history_dirs
):
    from tracker.errors import SourceUnreachable
    from tracker.ingest.feeds.dataset import DatasetFeed

    code, _, err = run_tracker(capsys, "ingest", "dataset", "--from", str(history_dirs[0]), "--db", sqlite_url)
    assert code in (0, 3), err
    failed_at = []

    def unreachable(self, location=None, **options):
        failed_at.append(dt.datetime.now(dt.UTC).replace(tzinfo=None))
        raise SourceUnreachable(f"{location}: connection failed (injected)")

    monkeypatch.setattr(DatasetFeed, "fetch", unreachable)

    code, _, err = run_tracker(capsys, "ingest", "dataset", "--from", str(history_dirs[1]), "--db", sqlite_url)

    assert code == ExitCode.UNREACHABLE
    [moment] = failed_at  # fetched once, by the first attempt on the SQLite file
    run = runs(sqlite_url)[-1]
    assert run["status"] == "failed"
    started = dt.datetime.fromisoformat(str(run["started_at"]))
    assert started < moment <= dt.datetime.fromisoformat(str(run["finished_at"]))


# --- an Oryx backfill after a live Oryx run adds the older history ----------------------------


def test_an_oryx_backfill_after_a_live_run_adds_the_older_snapshots_as_history_known_from_their_dates(
    capsys, tmp_path, oryx_history, store_url
):
    live = oryx_history / "2025-07-19T1144_a8624b4"
    code, _, err = run_tracker(capsys, "ingest", "oryx", "--from", str(live), "--db", store_url)
    assert code == ExitCode.OK, err
    live_run = runs(store_url)[0]["id"]
    folder = chosen_folder(tmp_path / "history", oryx_history, PAIR)

    code, out, err = run_tracker(capsys, "ingest", "oryx", "--snapshots", "--from", str(folder), "--db", store_url)

    assert code == ExitCode.OK, err
    assert "oryx: 2 of 2 snapshots ingested — " in out
    assert stored(store_url, "oryx.tanks", "russia", "2022-07-17") == [876]
    assert stored(store_url, "oryx.tanks", "russia", "2022-07-18") == [865]
    # known from the snapshot's own moment, and the live run is still the feed's latest
    [first_seen] = query(
        store_url,
        "SELECT DISTINCT o.first_seen_at FROM observation o WHERE o.report_date = :day",
        day=dt.date(2022, 7, 18),
    )
    assert str(first_seen[0]).startswith("2022-07-18 11:32")
    from tracker.ingest.steps import last_success
    from tracker.store.db import make_engine

    engine = make_engine(store_url)
    assert last_success(engine, "oryx", "oryx").id == live_run
    engine.dispose()

    # run again: nothing left to add
    code, out, err = run_tracker(capsys, "ingest", "oryx", "--snapshots", "--from", str(folder), "--db", store_url)
    assert (code, out, err) == (0, "oryx: all 2 snapshots are already stored: nothing to do\n", "")


def test_an_older_oryx_snapshot_of_a_date_seen_later_is_skipped_and_named(capsys, tmp_path, oryx_history, store_url):
    code, _, err = run_tracker(
        capsys,
        "ingest",
        "oryx",
        "--from",
        str(oryx_history / PAIR[1]),
        "--observed-at",
        "2022-07-18T18:00",
        "--db",
        store_url,
    )
    assert code == ExitCode.OK, err
    before = fingerprint(store_url)
    folder = chosen_folder(tmp_path / "history", oryx_history, PAIR)

    code, out, err = run_tracker(capsys, "ingest", "oryx", "--snapshots", "--from", str(folder), "--db", store_url)

    assert code == ExitCode.OK, err
    assert err == (
        f"oryx: skipped {folder / PAIR[1]}: oryx (oryx) already holds figures dated 2022-07-18 seen at "
        "2022-07-18T18:00:00+00:00, after this snapshot's 2022-07-18T11:32:00+00:00: an older snapshot can only "
        "add dates not seen later\n"
    )
    assert "oryx: 1 of 1 snapshots ingested (1 older skipped: their dates hold figures seen later)" in out
    assert stored(store_url, "oryx.tanks", "russia", "2022-07-17") == [876]
    assert stored(store_url, "oryx.tanks", "russia", "2022-07-18") == [865]
    assert fingerprint(store_url) != before  # 2022-07-17 was added; 2022-07-18 as it was


# --- Ctrl-C during a backfill: exit 130 and one line, wherever it lands ---------------------


def test_a_ctrl_c_that_lands_in_a_finalizer_still_ends_the_backfill_with_exit_130(
    capsys, monkeypatch, tmp_path, oryx_history
):
    import signal

    import tracker.ingest.run

    real = tracker.ingest.run.run_ingest
    done = []

    class Finalized:
        def __del__(self) -> None:
            signal.raise_signal(signal.SIGINT)  # as SQLAlchemy's pool finalizer may meet a Ctrl-C

    def run_then_interrupt(*args, **kwargs):
        done.append(real(*args, **kwargs))
        if len(done) == 1:
            Finalized()  # dropped at once: the interrupt is raised inside its finalizer
        return done[-1]

    monkeypatch.setattr(tracker.ingest.run, "run_ingest", run_then_interrupt)
    folder = chosen_folder(tmp_path / "history", oryx_history, (*PAIR, "2022-12-26T1233_02baf9c"))
    url = f"sqlite:///{tmp_path / 'store.db'}"

    code, out, err = run_tracker(capsys, "ingest", "oryx", "--snapshots", "--from", str(folder), "--db", url)

    assert (code, out, err) == (130, "", "interrupted: an unfinished run changes nothing\n")
    assert len(done) == 1 and [r["status"] for r in runs(url)] == ["ok"]


@pytest.mark.parametrize("failure", [AssertionError("pool state"), RuntimeError("half-closed")])
def test_a_library_failure_after_a_ctrl_c_that_landed_inside_it_ends_as_the_interrupt(
    capsys, monkeypatch, tmp_path, oryx_history, failure
):
    """A Ctrl-C swallowed where it landed (here a finalizer) leaves a library to fail on its own
    later (CI once printed 'internal error: AssertionError' before the interrupted line): the
    command still ends with exit 130 and the one line, and the run in progress is not stored."""
    import signal

    import tracker.ingest.run

    real = tracker.ingest.run.run_ingest
    done = []

    class Finalized:
        def __del__(self) -> None:
            signal.raise_signal(signal.SIGINT)

    def interrupted_then_failing(*args, **kwargs):
        if done:
            Finalized()  # the interrupt, swallowed inside the finalizer
            raise failure  # the library, left half-done by it, fails its own way
        done.append(real(*args, **kwargs))
        return done[-1]

    monkeypatch.setattr(tracker.ingest.run, "run_ingest", interrupted_then_failing)
    folder = chosen_folder(tmp_path / "history", oryx_history, (*PAIR, "2022-12-26T1233_02baf9c"))
    url = f"sqlite:///{tmp_path / 'store.db'}"

    code, out, err = run_tracker(capsys, "ingest", "oryx", "--snapshots", "--from", str(folder), "--db", url)

    assert (code, out, err) == (130, "", "interrupted: an unfinished run changes nothing\n")
    assert [r["status"] for r in runs(url)] == ["ok"]


def test_a_failure_without_a_ctrl_c_is_still_an_internal_error_line(capsys, monkeypatch, tmp_path, oryx_history):
    import tracker.ingest.run

    def failing(*args, **kwargs):
        raise AssertionError("pool state")

    monkeypatch.setattr(tracker.ingest.run, "run_ingest", failing)
    folder = chosen_folder(tmp_path / "history", oryx_history, PAIR)

    code, out, err = run_tracker(
        capsys, "ingest", "oryx", "--snapshots", "--from", str(folder), "--db", f"sqlite:///{tmp_path / 's.db'}"
    )

    assert (code, err) == (1, "internal error: AssertionError: pool state (set TRACKER_DEBUG=1 for a traceback)\n")


def _stored_runs(path) -> int:
    """How many runs a store being written holds, read as another process would (0 if not yet)."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.05)
        try:
            return conn.execute("SELECT COUNT(*) FROM ingest_run").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_real_sigints_at_several_moments_of_an_oryx_backfill_are_each_exit_130_and_one_line(tmp_path, oryx_history):
    """Three backfills at once, each sent SIGINT as soon as its store holds 0 (just created), 1 or
    2 runs: the moment a run has committed and its connections are being put away, where a
    Ctrl-C was lost ("Exception ignored in …", then exit 3) or logged with a traceback."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    names = tuple(sorted(p.name for p in oryx_history.iterdir())[100:110])
    procs = {}
    for after_runs in (0, 1, 2):
        folder = chosen_folder(tmp_path / f"history{after_runs}", oryx_history, names)
        store = tmp_path / f"store{after_runs}.db"
        procs[after_runs] = (
            store,
            subprocess.Popen(
                [str(Path(sys.executable).parent / "tracker"), "ingest", "oryx", "--snapshots", "--from",
                 str(folder), "--db", f"sqlite:///{store}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            ),
        )  # fmt: skip
    try:
        waiting = dict(procs)
        while waiting:  # each waits for its event (bounded by the process's own end), then is interrupted
            for after_runs, (store, proc) in list(waiting.items()):
                if proc.poll() is not None or (store.exists() and _stored_runs(store) >= after_runs):
                    proc.send_signal(signal.SIGINT)
                    del waiting[after_runs]
            time.sleep(0.005)
        ended = {after_runs: proc.communicate(timeout=120) for after_runs, (_store, proc) in procs.items()}
    finally:
        for _store, proc in procs.values():
            proc.kill()

    for after_runs, (store, proc) in procs.items():
        out, err = ended[after_runs]
        assert (after_runs, proc.returncode, err) == (
            after_runs,
            130,
            "interrupted: an unfinished run changes nothing\n",
        )
        stored = runs(f"sqlite:///{store}") if _stored_runs(store) else []
        assert all(r["status"] in ("ok", "ok_with_findings") for r in stored)
        assert after_runs <= len(stored) < len(names), out


# --- a value longer than its column is a finding on its record, on both backends --------------

LONG_QUALIFIER = "approximately per preliminary data"  # 34 characters: the column holds 32


def test_the_store_widths_the_parsers_check_are_the_columns_widths():
    from tracker.ingest.values import MAX_METRIC_LABEL, MAX_METRIC_NAME, MAX_QUALIFIER
    from tracker.store import models as m

    assert m.metric.c.name.type.length == MAX_METRIC_NAME
    assert m.metric.c.label.type.length == MAX_METRIC_LABEL
    assert m.observation.c.qualifier.type.length == MAX_QUALIFIER


def test_a_dataset_qualifier_too_long_for_its_column_is_a_finding_and_the_rest_is_stored(
    capsys, store_url, history_dirs, tmp_path
):
    import json
    import shutil

    folder = tmp_path / "dataset"
    shutil.copytree(history_dirs[0], folder)
    path = folder / "russia_losses_personnel.json"
    rows = json.loads(path.read_text())
    assert rows[-1]["date"] == "2023-01-12" and rows[-1]["personnel"] == 113990
    rows[-1]["personnel*"] = LONG_QUALIFIER
    path.write_text(json.dumps(rows))

    code, out, err = run_tracker(capsys, "ingest", "dataset", "--from", str(folder), "--db", store_url)

    assert code == ExitCode.FINDINGS, err
    [finding] = query(store_url, "SELECT message FROM finding WHERE rule = 'bad_value'")
    assert "2023-01-12" in finding[0] and "is 34 characters long (the store keeps at most 32)" in finding[0]
    assert stored(store_url, "personnel", "russia", "2023-01-11") == [112960]
    assert stored(store_url, "personnel", "russia", "2023-01-12") == []


def test_a_csv_qualifier_too_long_for_its_column_is_a_finding_and_the_rest_is_stored(capsys, store_url, tmp_path):
    path = tmp_path / "figures.csv"
    path.write_text(
        "report_date,metric,value,qualifier\n"
        "2023-01-10,personnel,112000,about\n"
        f"2023-01-11,personnel,113290,{LONG_QUALIFIER}\n"
        "2023-01-12,personnel,113990,about\n"
    )

    code, out, err = run_tracker(capsys, "ingest", "csv", "--from", str(path), "--db", store_url)

    assert code == ExitCode.FINDINGS, err
    [finding] = query(store_url, "SELECT message FROM finding WHERE rule = 'bad_value'")
    assert "line 3 2023-01-11 'personnel': qualifier" in finding[0]
    assert "is 34 characters long (the store keeps at most 32); not stored" in finding[0]
    assert stored(store_url, "personnel", "russia", "2023-01-12") == [113990]
    assert stored(store_url, "personnel", "russia", "2023-01-11") == []


def test_an_oryx_type_name_too_long_for_a_series_name_is_a_bad_row_and_the_rest_is_stored(capsys, store_url, tmp_path):
    from tests.test_oryx import HEADER

    name = "Self-propelled anti-aircraft guns with an experimental radar system"  # 67 characters
    folder = tmp_path / "2025-07-20T1000_long"
    folder.mkdir()
    (folder / "totals_by_type.csv").write_text(
        HEADER + "Russia,Tanks,10,1,2,3,16\n" + f"Russia,{name},1,0,0,0,1\n" + "Ukraine,Tanks,5,0,1,1,7\n"
    )

    code, out, err = run_tracker(
        capsys, "ingest", "oryx", "--from", str(folder), "--observed-at", "2025-07-20T10:00", "--db", store_url
    )

    assert code == ExitCode.FINDINGS, err
    [finding] = query(store_url, "SELECT message FROM finding WHERE rule = 'bad_row'")
    assert f"line 3: type '{name[:60]}'… cannot be stored: its series name is 72 characters long" in finding[0]
    assert "(the store keeps at most 64); not stored" in finding[0]
    assert stored(store_url, "oryx.tanks", "russia", "2025-07-20") == [16]
    assert stored(store_url, "oryx.tanks", "ukraine", "2025-07-20") == [7]


# --- a store of many sources: status in a constant number of statements; sources remove -------


def _many_sources_csv(path, sources: int):
    lines = ["report_date,metric,value,source"]
    lines += [f"2024-01-0{day},personnel,{1000 * day + n},many-{n:03d}" for n in range(sources) for day in (1, 2)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _statements(url: str, call) -> int:
    from sqlalchemy import event

    from tracker.store.db import make_engine

    engine = make_engine(url)
    seen = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    try:
        call(engine)
    finally:
        engine.dispose()
    return len([sql for sql in seen if sql.lstrip().upper().startswith("SELECT")])


def test_status_reads_a_store_of_many_sources_in_the_same_few_statements(capsys, store_url, tmp_path):
    from tracker.store.queries import feed_status

    code, _, err = run_tracker(
        capsys, "ingest", "csv", "--from", str(_many_sources_csv(tmp_path / "a.csv", 3)), "--db", store_url
    )
    assert code in (0, 3), err
    few = _statements(store_url, feed_status)
    code, _, err = run_tracker(
        capsys, "ingest", "csv", "--from", str(_many_sources_csv(tmp_path / "b.csv", 40)), "--db", store_url
    )
    assert code in (0, 3), err

    rows = []
    many = _statements(store_url, lambda engine: rows.extend(feed_status(engine)))

    assert len(rows) == 40 and few == many <= 5
    row = next(r for r in rows if r["source"] == "many-007")
    assert (row["latest_report_date"], row["last_run_status"], row["open_findings"]) == ("2024-01-02", "ok", {})


def test_sources_remove_takes_out_a_source_without_figures_and_refuses_one_with_any(capsys, store_url, tmp_path):
    code, _, err = run_tracker(
        capsys, "ingest", "csv", "--from", str(_many_sources_csv(tmp_path / "a.csv", 2)), "--db", store_url
    )
    assert code in (0, 3), err
    code, out, err = run_tracker(capsys, "sources", "add", "typo-key", "--name", "A typo", "--db", store_url)
    assert code == 0, err
    before = fingerprint(store_url)

    code, out, err = run_tracker(capsys, "sources", "remove", "many-001", "--db", store_url)
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == (
        "error: source 'many-001' has 2 figure(s) in the store (revisions included): only a source with none "
        "can be removed\n"
    )
    assert fingerprint(store_url) == before

    code, out, err = run_tracker(capsys, "sources", "remove", "typo-key", "--db", store_url)
    assert (code, out, err) == (0, "removed source typo-key: 0 feed(s), 0 run record(s)\n", "")
    assert count(store_url, "SELECT COUNT(*) FROM source WHERE key = 'typo-key'") == 0
    assert count(store_url, "SELECT COUNT(*) FROM source WHERE key LIKE 'many-%'") == 2

    code, _, err = run_tracker(capsys, "sources", "remove", "typo-key", "--db", store_url)
    assert (code, err) == (
        ExitCode.USAGE,
        "error: source 'typo-key' is not in the store (see `tracker sources list`)\n",
    )


def test_sources_remove_on_a_missing_store_creates_nothing(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'none' / 'store.db'}"

    code, out, err = run_tracker(capsys, "sources", "remove", "typo-key", "--db", url)

    assert (code, out) == (ExitCode.USAGE, "")
    assert err == f"error: source 'typo-key' is not in the store (there is no store at {url})\n"
    assert not (tmp_path / "none").exists()


def test_a_run_whose_only_new_findings_are_info_exits_0_as_the_readme_says(capsys, sqlite_url, tmp_path):
    from tests.test_oryx import HEADER

    folder = tmp_path / "2025-07-20T1000_new-type"
    folder.mkdir()
    (folder / "totals_by_type.csv").write_text(HEADER + "Russia,Tanks,10,1,2,3,16\nRussia,Hovercraft,1,0,0,0,1\n")

    code, out, err = run_tracker(
        capsys, "ingest", "oryx", "--from", str(folder), "--observed-at", "2025-07-20T10:00", "--db", sqlite_url
    )

    assert code == ExitCode.OK, err
    assert query(sqlite_url, "SELECT rule, severity FROM finding") == [("unmapped_type", "info")]
    assert "1 new findings (0 warnings)" in out
