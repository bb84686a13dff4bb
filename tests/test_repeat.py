"""An unchanged repeat confirmed with sqlite3 alone (issue 12, tracker.ingest.repeat): it writes exactly what
the normal path writes and prints the same line, takes the same writer lock, fetches once, and
leaves to the normal path every case it is not sure of (PostgreSQL, an older schema, a changed or
failed fetch, a documented-dates source, a backfill)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import tracker.ingest.repeat
from tests.clirun import run_tracker
from tracker.errors import ExitCode, SourceUnreachable, StoreBusy
from tracker.ingest.feeds.dataset import FILES, DatasetFeed
from tracker.ingest.parsed import Fetched
from tracker.ingest.repeat import Attempt, Prefetched, try_repeat
from tracker.ingest.run import run_ingest
from tracker.store.reading import SCHEMA_REVISION
from tracker.store.run_report import RunReport

# What differs between two runs of the same bytes: when each started and finished.
RUN_TIMES = {"ingest_run": {"started_at", "finished_at"}}


class CountingFeed(DatasetFeed):
    """The dataset feed, counting its fetches (and raising `fails` instead, if given)."""

    def __init__(self, fails: Exception | None = None) -> None:
        self.fetches = 0
        self.fails = fails

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        self.fetches += 1
        if self.fails is not None:
            raise self.fails
        return super().fetch(location, **options)


def _path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _copy(url: str, target: Path) -> str:
    """A copy of the store at `url` (SQLite's backup: the WAL's pages included)."""
    src, dst = sqlite3.connect(_path(url)), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return f"sqlite:///{target}"


def dump(url: str, skip: dict[str, set[str]] | None = None, *, times: bool = True) -> dict[str, list[tuple]]:
    """Every row of every table, all columns but those `skip` names (and, with times=False, every
    timestamp column: *_at), in rowid order."""
    db = sqlite3.connect(f"file:{_path(url)}?mode=ro", uri=True)
    try:
        out = {}
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
            cols = [
                c[1]
                for c in db.execute(f'PRAGMA table_info("{table}")')
                if c[1] not in (skip or {}).get(table, set()) and (times or not c[1].endswith("_at"))
            ]
            listed = ", ".join(f'"{c}"' for c in cols)
            out[table] = db.execute(f'SELECT {listed} FROM "{table}" ORDER BY rowid').fetchall()
        return out
    finally:
        db.close()


def one(url: str, sql: str) -> object:
    db = sqlite3.connect(f"file:{_path(url)}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def masked(line: str) -> str:
    """A quiet summary line without its timestamp and its seconds: what two runs share."""
    return re.sub(r" \[\d+\.\d\ds\]$", "", re.sub(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", "", line.rstrip("\n")))


@pytest.fixture(scope="module")
def stores(tmp_path_factory, history_dirs, latest_dir) -> dict[str, str]:
    """Two SQLite stores, made by the normal path: `older` holds the first history snapshot,
    `base` holds it and then the latest one (so it has superseded rows the repeat must not touch)."""
    folder = tmp_path_factory.mktemp("repeat")
    older = f"sqlite:///{folder / 'older.db'}"
    assert run_ingest(older, DatasetFeed(), location=str(history_dirs[0])).status in ("ok", "ok_with_findings")
    base = _copy(older, folder / "base.db")
    assert run_ingest(base, DatasetFeed(), location=str(latest_dir)).status in ("ok", "ok_with_findings")
    return {"older": older, "base": base}


def _expected_line(url: str, location: Path) -> str:
    """The unchanged summary of the latest dataset, with the numbers read from the store."""
    records = one(url, "SELECT n_records FROM ingest_run ORDER BY id DESC LIMIT 1")
    seen = one(url, "SELECT count(*) FROM observation WHERE superseded_at IS NULL AND removed = 0")
    opened = one(url, "SELECT count(*) FROM finding WHERE status = 'open'")
    latest = one(url, "SELECT max(report_date) FROM observation WHERE kind = 'total' AND superseded_at IS NULL")
    return (
        f"ua-dataset (ua-general-staff) from {location}: unchanged — {records:,} records, 0 new, 0 revised, "
        f"0 removed, 0 re-added, {seen:,} unchanged, 0 new findings (0 warnings), {opened:,} open, latest report {latest}"
    )


# --- the same store, the same line --------------------------------------------------------------


def test_a_confirmed_repeat_writes_exactly_the_rows_the_normal_path_writes(stores, tmp_path, latest_dir, monkeypatch):
    normal, fast = _copy(stores["base"], tmp_path / "normal.db"), _copy(stores["base"], tmp_path / "fast.db")
    before = dump(fast)
    fetched = DatasetFeed().fetch(str(latest_dir))  # one fetch for both: the same fetch times

    with monkeypatch.context() as patched:  # run_ingest's full path, its first step declining
        patched.setattr(tracker.ingest.repeat, "try_repeat", lambda url, feed, **options: Attempt(None, feed))
        expected = run_ingest(normal, Prefetched(DatasetFeed(), fetched), location=str(latest_dir))
    attempt = try_repeat(fast, Prefetched(DatasetFeed(), fetched), location=str(latest_dir))

    assert expected.status == "unchanged"
    assert attempt.report is not None
    assert dump(fast, RUN_TIMES) == dump(normal, RUN_TIMES)
    after = dump(fast)
    assert len(after["ingest_run"]) == len(before["ingest_run"]) + 1
    assert len(after["payload_fetch"]) == len(before["payload_fetch"]) + len(FILES)
    assert after["payload_blob"] == before["payload_blob"]  # the same bytes, stored once
    confirmed = one(fast, f"SELECT count(*) FROM observation WHERE last_seen_run_id = {attempt.report.run_id}")
    assert confirmed == expected.counts.unchanged == attempt.report.counts.unchanged
    assert confirmed == one(fast, "SELECT count(*) FROM observation WHERE superseded_at IS NULL AND removed = 0")
    assert one(fast, "SELECT count(*) FROM observation WHERE superseded_at IS NOT NULL") > 0  # left as they were
    for f in dataclasses.fields(RunReport):
        if f.name != "seconds":
            mine, theirs = getattr(attempt.report, f.name), getattr(expected, f.name)
            if f.name in ("counts", "adjustments"):
                mine, theirs = dataclasses.asdict(mine), dataclasses.asdict(theirs)
            assert mine == theirs, f.name
    assert masked(attempt.report.summary()) == masked(expected.summary())


def test_ingest_dataset_prints_the_same_line_whichever_path_confirms_the_repeat(
    stores, tmp_path, latest_dir, capsys, monkeypatch
):
    normal, fast = _copy(stores["base"], tmp_path / "normal.db"), _copy(stores["base"], tmp_path / "fast.db")
    confirmed: list[bool] = []
    real = tracker.ingest.repeat.try_repeat

    def spy(url, feed, **options):
        attempt = real(url, feed, **options)
        confirmed.append(attempt.report is not None)
        return attempt

    monkeypatch.setattr(tracker.ingest.repeat, "try_repeat", spy)
    code_fast, out_fast, err_fast = run_tracker(
        capsys, "ingest", "dataset", "--from", str(latest_dir), "--db", fast, "--quiet"
    )
    monkeypatch.setattr(tracker.ingest.repeat, "try_repeat", lambda url, feed, **options: Attempt(None, feed))
    code_normal, out_normal, err_normal = run_tracker(
        capsys, "ingest", "dataset", "--from", str(latest_dir), "--db", normal, "--quiet"
    )

    assert confirmed == [True]
    assert code_fast == code_normal == ExitCode.OK
    assert err_fast == err_normal == ""
    assert out_fast.count("\n") == out_normal.count("\n") == 1
    assert masked(out_fast) == masked(out_normal) == _expected_line(stores["base"], latest_dir)
    assert dump(fast, times=False) == dump(normal, times=False)


def test_an_unchanged_ingest_dataset_on_sqlite_imports_no_sqlalchemy(tmp_path, latest_dir):
    probe = (
        "import sys\n"
        "sys.argv = ['tracker', *sys.argv[1:]]\n"
        "from tracker.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "heavy = sorted(m for m in ('sqlalchemy', 'tracker.ingest.steps', 'tracker.store.models') if m in sys.modules)\n"
        "print('IMPORTED', heavy, 'EXIT', code, file=sys.stderr)\n"
    )
    url = f"sqlite:///{tmp_path / 'store.db'}"
    args = ["ingest", "dataset", "--from", str(latest_dir), "--db", url, "--quiet"]

    def process() -> tuple[list[str], str, int]:
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120)
        line = next(line for line in done.stderr.splitlines() if line.startswith("IMPORTED "))
        imported, code = line.removeprefix("IMPORTED ").split(" EXIT ")
        return json.loads(imported.replace("'", '"')), done.stdout, int(code)

    first, _, code = process()
    assert code == ExitCode.FINDINGS  # the dataset's new findings
    assert first == [
        "sqlalchemy",
        "tracker.ingest.steps",
        "tracker.store.models",
    ]  # the probe sees an import where there is one

    again, out, code = process()

    assert code == ExitCode.OK
    assert masked(out) == _expected_line(url, latest_dir)
    assert again == []


# --- fetched once -------------------------------------------------------------------------------


def test_a_changed_payload_is_fetched_once_and_stored_as_the_normal_path_stores_it(
    stores, tmp_path, latest_dir, capsys
):
    from tracker.commands.ingest import run_feed

    tried, normal = _copy(stores["older"], tmp_path / "tried.db"), _copy(stores["older"], tmp_path / "normal.db")
    feed = CountingFeed()

    code = run_feed(feed, str(latest_dir), tried, quiet=True, wait=5, observed_at=None)
    expected = run_ingest(normal, DatasetFeed(), location=str(latest_dir))

    assert feed.fetches == 1
    assert code == expected.exit_code == ExitCode.FINDINGS
    assert masked(capsys.readouterr().out) == masked(expected.summary())
    assert dump(tried, times=False) == dump(normal, times=False)


def test_over_http_a_changed_then_an_unchanged_payload_request_each_file_once(stores, tmp_path, latest_dir, capsys):
    from tracker.commands.ingest import run_feed
    from tracker.ingest.http import make_client

    url = _copy(stores["older"], tmp_path / "store.db")
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.path)
        name = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(
            200, content=(latest_dir / name).read_bytes(), headers={"content-type": "application/json"}
        )

    client = make_client(transport=httpx.MockTransport(handler))
    base = "https://data.example.test/data"
    options: dict[str, object] = {"client": client}

    changed = run_feed(DatasetFeed(), base, url, quiet=True, wait=5, observed_at=None, fetch_options=options)
    assert requested == [f"/data/{name}" for name in FILES.values()]
    assert ": ok_with_findings — " in capsys.readouterr().out

    unchanged = run_feed(DatasetFeed(), base, url, quiet=True, wait=5, observed_at=None, fetch_options=options)

    assert (changed, unchanged) == (ExitCode.FINDINGS, ExitCode.OK)
    assert requested == [f"/data/{name}" for name in FILES.values()] * 2
    assert f"from {base}: unchanged — " in capsys.readouterr().out
    assert one(url, "SELECT status FROM ingest_run ORDER BY id DESC LIMIT 1") == "unchanged"


def test_a_failed_fetch_is_tried_once_and_recorded_by_the_normal_path(stores, tmp_path, latest_dir, capsys):
    from tracker.commands.ingest import run_feed

    url = _copy(stores["base"], tmp_path / "store.db")
    feed = CountingFeed(fails=SourceUnreachable("https://data.example.test/data: connection refused"))

    code = run_feed(feed, str(latest_dir), url, quiet=True, wait=5, observed_at=None)

    assert feed.fetches == 1
    assert code == ExitCode.UNREACHABLE
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"error: ua-dataset (ua-general-staff) from {latest_dir}: failed — "
        "https://data.example.test/data: connection refused\n"
    )
    assert one(url, "SELECT status || ' ' || exit_code || ' ' || error FROM ingest_run ORDER BY id DESC LIMIT 1") == (
        "failed 4 https://data.example.test/data: connection refused"
    )


# --- the normal path when in doubt --------------------------------------------------------------


def test_a_store_at_an_older_schema_is_left_to_the_normal_path_which_upgrades_it(stores, tmp_path, latest_dir, capsys):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from tracker.store.db import MIGRATIONS_DIR

    url = _copy(stores["base"], tmp_path / "store.db")
    engine = create_engine(url)  # foreign keys off, as a batch migration recreating tables needs
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003_feed_roles")
    engine.dispose()
    assert one(url, "SELECT version_num FROM alembic_version") == "0003_feed_roles"
    runs = one(url, "SELECT count(*) FROM ingest_run")
    feed = CountingFeed()

    attempt = try_repeat(url, feed, location=str(latest_dir))

    assert attempt.report is None and attempt.feed is feed
    assert feed.fetches == 0
    assert one(url, "SELECT count(*) FROM ingest_run") == runs
    code, out, err = run_tracker(capsys, "ingest", "dataset", "--from", str(latest_dir), "--db", url, "-q")
    assert (code, err) == (ExitCode.OK, "")
    assert f"from {latest_dir}: unchanged — " in out
    assert one(url, "SELECT version_num FROM alembic_version") == SCHEMA_REVISION


def test_a_missing_store_or_another_backend_is_left_to_the_normal_path_unfetched(tmp_path, latest_dir):
    feed = CountingFeed()
    missing = tmp_path / "missing.db"

    for url in (
        f"sqlite:///{missing}",
        "postgresql://tracker@127.0.0.1:1/tracker",  # never connected to
        f"sqlite:///{tmp_path}/a%20b.db",  # SQLAlchemy would read the path as "a b.db"
    ):
        attempt = try_repeat(url, feed, location=str(latest_dir))
        assert attempt.report is None and attempt.feed is feed, url

    assert feed.fetches == 0
    assert not missing.exists()
    assert sorted(os.listdir(tmp_path)) == []


def test_a_source_that_dates_by_document_is_left_to_the_normal_path_unfetched(stores, tmp_path, latest_dir, capsys):
    url = _copy(stores["base"], tmp_path / "store.db")
    code, _, err = run_tracker(capsys, "sources", "add", "ua-general-staff", "--dates-by", "documented", "--db", url)
    assert (code, err) == (ExitCode.OK, "")
    feed = CountingFeed()

    attempt = try_repeat(url, feed, location=str(latest_dir))

    assert attempt.report is None and attempt.feed is feed
    assert feed.fetches == 0


def test_a_backfill_with_observed_at_is_left_to_the_normal_path(stores, tmp_path, latest_dir, capsys, monkeypatch):
    url = _copy(stores["base"], tmp_path / "store.db")
    tried: list[str] = []
    monkeypatch.setattr(tracker.ingest.repeat, "try_repeat", lambda url, feed, **options: tried.append(url))
    moment = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()

    code, out, err = run_tracker(
        capsys, "ingest", "dataset", "--from", str(latest_dir), "--db", url, "-q", "--observed-at", moment
    )

    assert (code, err) == (ExitCode.OK, "")
    assert tried == []
    assert masked(out) == _expected_line(stores["base"], latest_dir)


def test_on_postgresql_the_normal_path_confirms_the_repeat(pg_url, latest_dir, capsys, monkeypatch):
    confirmed: list[bool] = []
    real = tracker.ingest.repeat.try_repeat

    def spy(url, feed, **options):
        attempt = real(url, feed, **options)
        confirmed.append(attempt.report is not None)
        return attempt

    monkeypatch.setattr(tracker.ingest.repeat, "try_repeat", spy)
    args = ("ingest", "dataset", "--from", str(latest_dir), "--db", pg_url, "-q")
    first, _, _ = run_tracker(capsys, *args)
    again, out, err = run_tracker(capsys, *args)

    assert (first, again, err) == (ExitCode.FINDINGS, ExitCode.OK, "")
    assert confirmed == [False, False]
    assert f"from {latest_dir}: unchanged — " in out


# --- one writer at a time -----------------------------------------------------------------------

HOLDER = (
    "import sys\n"
    "from pathlib import Path\n"
    "from tracker.store.lock import store_file_lock\n"
    "with store_file_lock(Path(sys.argv[1]), wait=0):\n"
    "    print('locked', flush=True)\n"
    "    sys.stdin.read()\n"  # held until the test closes our stdin
)


def test_a_repeat_while_another_process_holds_the_writer_lock_exits_7_and_writes_nothing(
    stores, tmp_path, latest_dir, capsys
):
    url = _copy(stores["base"], tmp_path / "store.db")
    before = dump(url)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(_path(url))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        code, out, err = run_tracker(
            capsys, "ingest", "dataset", "--from", str(latest_dir), "--db", url, "-q", "--wait", "0.3"
        )
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)

    assert code == ExitCode.BUSY
    assert out == ""
    assert err == (
        f"error: another tracker run (pid {holder.pid}) is writing to this store; waited 0.3s — "
        "try again later or pass --wait SECONDS\n"
    )
    assert dump(url) == before


def test_the_sqlite3_path_and_every_other_writer_take_one_lock(sqlite_url):
    from tracker.store.db import open_store
    from tracker.store.lock import store_file_lock, writer_lock

    engine = open_store(sqlite_url, write=True)
    try:
        with store_file_lock(_path(sqlite_url), wait=0), pytest.raises(StoreBusy), writer_lock(engine, wait=0):
            pass
        with writer_lock(engine, wait=0), pytest.raises(StoreBusy), store_file_lock(_path(sqlite_url), wait=0):
            pass
        with store_file_lock(_path(sqlite_url), wait=0):  # released by both
            pass
    finally:
        engine.dispose()


# --- the light report is the ingest report --------------------------------------------------------


# --- one write path: the library and the daily job take the same first step (issue 25) ----------

LIBRARY_PROBE = (
    "import sys\n"
    "from tracker.ingest.feeds.dataset import DatasetFeed\n"
    "from tracker.ingest.run import run_ingest\n"
    "report = run_ingest(sys.argv[1], DatasetFeed(), location=sys.argv[2])\n"
    "heavy = sorted(m for m in ('sqlalchemy', 'tracker.ingest.steps', 'tracker.store.models') if m in sys.modules)\n"
    "print('IMPORTED', heavy, 'STATUS', report.status, report.counts.unchanged)\n"
)


def test_run_ingest_called_as_a_library_confirms_an_unchanged_repeat_with_sqlite3_alone(stores, tmp_path, latest_dir):
    url = _copy(stores["base"], tmp_path / "store.db")

    done = subprocess.run(
        [sys.executable, "-c", LIBRARY_PROBE, url, str(latest_dir)], capture_output=True, text=True, timeout=120
    )

    current = one(url, "SELECT count(*) FROM observation WHERE superseded_at IS NULL AND removed = 0")
    assert done.stdout == f"IMPORTED [] STATUS unchanged {current}\n", done.stderr[-500:]
    assert one(url, "SELECT status FROM ingest_run ORDER BY id DESC LIMIT 1") == "unchanged"


# The tables an unchanged dataset step writes (the daily job's report cache aside).
WRITTEN = ("feed", "ingest_run", "payload_fetch", "payload_blob", "observation", "report_note", "claim", "finding")


def test_the_daily_jobs_unchanged_dataset_step_takes_the_sqlite3_step_and_writes_what_the_full_path_writes(
    stores, tmp_path, latest_dir, monkeypatch
):
    from tracker.api.daily_job import DailySettings, run_daily

    fast, normal = _copy(stores["base"], tmp_path / "fast.db"), _copy(stores["base"], tmp_path / "normal.db")
    assert one(fast, "SELECT role FROM feed WHERE name = 'ua-dataset'") == "one-off"  # ingested by hand
    real = tracker.ingest.repeat.try_repeat
    confirmed: list[tuple[str, bool]] = []

    def spy(url, feed, **options):
        attempt = real(url, feed, **options)
        confirmed.append((feed.name, attempt.report is not None))
        return attempt

    settings = DailySettings(dataset_from=str(latest_dir))
    monkeypatch.setattr(tracker.ingest.repeat, "try_repeat", spy)
    fast_lines = [step.line for step in run_daily(fast, settings)]
    monkeypatch.setattr(tracker.ingest.repeat, "try_repeat", lambda url, feed, **options: Attempt(None, feed))
    normal_lines = [step.line for step in run_daily(normal, settings)]

    assert confirmed == [("ua-dataset", True), ("claims-file", False)]  # the claims file is new here
    assert [masked(line) for line in fast_lines[:1]] == [masked(line) for line in normal_lines[:1]]
    assert ": unchanged — " in fast_lines[0]
    # The daily job marks the feed as one `tracker status` judges, whichever path confirms the run.
    assert one(fast, "SELECT role FROM feed WHERE name = 'ua-dataset'") == "daily"
    fast_rows, normal_rows = dump(fast, times=False), dump(normal, times=False)
    assert {t: fast_rows[t] for t in WRITTEN} == {t: normal_rows[t] for t in WRITTEN}
