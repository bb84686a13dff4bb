"""The first query fast (issue 12): a report served from the cache imports neither pandas nor
SQLAlchemy, a computed one on SQLite reads with sqlite3 alone, one series is read by an index
seek, the cache keys a store by its file, and the readers answer exactly as SQLAlchemy did."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.clirun import run_tracker
from tracker.reports import cache
from tracker.store import reading
from tracker.store.db import open_store
from tracker.store.queries import feeds_for, latest_figures, observations_frame, series_query

HEAVY = ("pandas", "numpy", "sqlalchemy", "sqlalchemy.orm", "rich", "matplotlib", "httpx", "alembic")
# Runs the console entry point as cron does and lists which heavy modules the process imported.
# The code's part of the cache key is pinned: others editing the tree between the two processes
# of a test would otherwise make the second a miss.
PROBE = (
    "import sys\n"
    "sys.argv = ['tracker', *sys.argv[1:]]\n"
    "import tracker.reports.cache\n"
    "tracker.reports.cache._code_key = 'pinned by tests/test_first_query.py'\n"
    "from tracker.cli import main\n"
    "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
    f"print('IMPORTED', sorted(m for m in {HEAVY!r} if m in sys.modules), 'EXIT', code, file=sys.stderr)\n"
)


def _process(args: list[str], cache_home: Path, **env: str) -> tuple[list[str], str, int]:
    """(the heavy modules a whole `tracker` process imported, its stdout, its exit code)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "XDG_CACHE_HOME": str(cache_home), **env},
    )
    line = next(line for line in done.stderr.splitlines() if line.startswith("IMPORTED "))
    imported, code = line.removeprefix("IMPORTED ").split(" EXIT ")
    return json.loads(imported.replace("'", '"')), done.stdout, int(code)


@pytest.fixture(scope="module")
def copied_store(tmp_path_factory, full_store_url) -> str:
    """The session's full store, copied: the processes here must see a file nobody else writes."""
    source = Path(full_store_url.removeprefix("sqlite:///"))
    target = tmp_path_factory.mktemp("first") / "full.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


# --- what a process imports -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "computing"),
    [(["records"], []), (["headline"], ["numpy", "pandas"]), (["averages", "--period", "month"], ["numpy", "pandas"])],
)
def test_a_report_served_from_the_cache_imports_no_pandas_no_sqlalchemy_and_no_rich(
    command, computing, copied_store, tmp_path
):
    computed, first, code = _process([*command, "--db", copied_store], tmp_path)
    assert code == 0
    assert (
        computed == computing
    )  # records computes on rows (tracker.analysis.daily_rows); the probe sees pandas elsewhere

    served, again, code = _process([*command, "--db", copied_store], tmp_path)

    assert code == 0
    assert again == first
    assert served == []


def test_a_computed_report_on_sqlite_imports_pandas_but_no_sqlalchemy(copied_store, tmp_path):
    imported, out, code = _process(["headline", "--db", copied_store], tmp_path, TRACKER_REPORT_CACHE="0")

    assert code == 0
    assert "Personnel" in out
    assert imported == ["numpy", "pandas"]


def test_latest_on_sqlite_imports_neither_sqlalchemy_nor_pandas(copied_store, tmp_path):
    imported, out, code = _process(["latest", "--db", copied_store], tmp_path)

    assert code == 0
    assert "Personnel" in out
    assert imported == []


def test_an_ingest_and_status_import_sqlalchemy_core_but_neither_its_orm_nor_pandas(latest_dir, tmp_path):
    db = ["--db", str(tmp_path / "store.db")]
    ingested, _out, ingest_code = _process(["ingest", "dataset", "--from", str(latest_dir), *db, "-q"], tmp_path)
    status, out, status_code = _process(["status", *db], tmp_path)

    assert (ingest_code, status_code) == (3, 0)  # 3: the dataset's known findings
    assert "ua-dataset" in out
    assert ingested == status == ["sqlalchemy"]


def test_changes_after_a_run_compute_on_rows_without_pandas(latest_dir, tmp_path):
    db = ["--db", str(tmp_path / "store.db")]
    _process(["ingest", "dataset", "--from", str(latest_dir), *db, "-q"], tmp_path)

    imported, out, code = _process(["changes", "--since", "last-run", *db], tmp_path)

    assert code == 0
    assert "22,461 new figures in 1,626 reports" in out
    assert imported == ["sqlalchemy"]


def _names(app) -> dict[str, set[str]]:
    """Each top-level command (an empty set) and group (its commands' names) of a typer app."""
    out: dict[str, set[str]] = {c.name: set() for c in app.registered_commands}
    for group in app.registered_groups:
        out[group.name] = {c.name for c in group.typer_instance.registered_commands}
        out[group.name] |= {g.name for g in group.typer_instance.registered_groups}
    return out


def test_the_command_line_knows_which_modules_provide_every_command_and_group():
    import tracker.cli as cli

    assert set(_names(cli.build_app())) == set(cli.PROVIDERS)


@pytest.mark.parametrize("name", sorted(__import__("tracker.cli").cli.PROVIDERS))
def test_a_command_run_alone_is_the_command_the_whole_command_line_has(name):
    """`main` builds only the modules the command named first needs: the command (or the group
    with every one of its commands) must be the same as in the whole command line."""
    import tracker.cli as cli

    alone = _names(cli._app_for([name, "--help"]))
    assert alone[name] == _names(cli.build_app())[name]
    assert len(alone) > 1  # typer runs an app of one command as that command: a group it must stay


# --- reading with sqlite3 -----------------------------------------------------------------------


def test_the_readers_schema_revision_and_source_fields_are_the_models():
    from tracker.store import queries
    from tracker.store.models import SCHEMA_REVISION
    from tracker.store.sources import SOURCE_FIELDS

    assert reading.SCHEMA_REVISION == SCHEMA_REVISION
    assert queries.SOURCE_FIELDS == SOURCE_FIELDS


@pytest.mark.parametrize(
    "asked",
    [
        {"metric": "personnel"},
        {"metric": "tanks", "as_of": pd.Timestamp("2024-11-11").date()},
        {"metric": "vehicles_fuel_tanks"},  # the sum of the two categories it absorbed, before its merge
        {"metric": "personnel", "as_of": pd.Timestamp("2022-03-01").date()},
    ],
)
def test_sqlite3_and_sqlalchemy_read_the_same_series(copied_store, asked):
    engine = open_store(copied_store, write=False)
    reader = reading.sqlite_reader(copied_store)
    assert reader is not None
    try:
        by_sqlalchemy = observations_frame(engine, **asked)
        by_sqlite3 = observations_frame(reader, **asked)
        pd.testing.assert_frame_equal(by_sqlite3, by_sqlalchemy)
        assert by_sqlite3.attrs == by_sqlalchemy.attrs
        assert len(by_sqlite3) > 0
        assert latest_figures(reader) == latest_figures(engine)
        assert feeds_for(reader, "ua-general-staff") == [(1, "ua-dataset")]
    finally:
        reader.close()
        engine.dispose()


def test_the_sqlite_reader_declines_what_it_cannot_read_alone(tmp_path, copied_store):
    assert reading.sqlite_reader(f"sqlite:///{tmp_path / 'missing.db'}") is None
    assert not (tmp_path / "missing.db").exists()  # and creates nothing
    assert reading.sqlite_reader("postgresql://postgres@127.0.0.1:1/x") is None
    assert reading.sqlite_reader(f"{copied_store}?mode=ro") is None
    older = tmp_path / "older.db"
    with sqlite3.connect(copied_store.removeprefix("sqlite:///")) as src, sqlite3.connect(older) as dst:
        src.backup(dst)
    with sqlite3.connect(older) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0003_older'")
    assert reading.sqlite_reader(f"sqlite:///{older}") is None


def test_a_report_on_an_older_store_still_says_what_to_run(capsys, copied_store, tmp_path):
    older = tmp_path / "older.db"
    with sqlite3.connect(copied_store.removeprefix("sqlite:///")) as src, sqlite3.connect(older) as dst:
        src.backup(dst)
    with sqlite3.connect(older) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0003_feed_roles'")

    code, _, err = run_tracker(capsys, "records", "--db", str(older))

    assert code == 6
    assert err.strip().endswith("run `tracker db upgrade`")


def _plan(reader: sqlite3.Connection, sql: str, params: dict) -> list[str]:
    plain = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in params.items()}
    return [row[3] for row in reader.execute(f"EXPLAIN QUERY PLAN {sql}", plain)]


def test_one_series_is_read_by_index_seeks_on_its_feed_kind_metric_and_side(copied_store):
    reader = reading.sqlite_reader(copied_store)
    assert reader is not None
    try:
        current = _plan(reader, *series_query(1, "total", 1, "russia", until=None, current=True))
        as_of = _plan(reader, *series_query(1, "total", 1, "russia", until=dt.date(2024, 1, 1), current=False))
    finally:
        reader.close()
    series = "feed_id=? AND kind=? AND metric_id=? AND side=?"
    # the unique index's (feed_id, kind, metric_id, side, report_date, revision): its first four
    # columns name the series, the fifth serves a range of report dates
    assert current == [f"SEARCH observation USING INDEX sqlite_autoindex_observation_1 ({series})"]
    assert as_of == [f"SEARCH observation USING INDEX sqlite_autoindex_observation_1 ({series} AND report_date<?)"]


# --- the cache's key --------------------------------------------------------------------------


def _records_key(db: str):
    from tracker.reports.options import report_options

    opts = report_options(
        metric="personnel",
        source="ua-general-staff",
        by="report",
        format="table",
        include_flagged=False,
        db=db,
    )
    return cache._cache_key("records", opts, {})


def test_the_cache_names_a_store_by_its_file_not_by_how_db_spells_it(copied_store, monkeypatch):
    path = copied_store.removeprefix("sqlite:///")
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("TRACKER_DB_URL", copied_store)

    assert _records_key(path) == _records_key(copied_store) == _records_key(None) is not None


def test_an_empty_log_left_by_a_reader_changes_no_cache_key(tmp_path, monkeypatch):
    store = tmp_path / "s.db"
    with sqlite3.connect(store) as conn:
        conn.execute("CREATE TABLE t (x)")
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    before = _records_key(str(store))

    Path(f"{store}-wal").touch()
    assert _records_key(str(store)) == before

    Path(f"{store}-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(28))  # a log with content
    assert _records_key(str(store)) != before


# --- records split the series once ------------------------------------------------------------


def test_records_made_with_one_shared_split_equal_each_record_made_alone(latest_dir):
    """records() splits the series into counted and left-out days once for all its records."""
    from frames import observations_frame as frame_from_files

    from tracker.analysis import (
        daily_series,
        deadliest_day,
        deadliest_period,
        deadliest_window,
        record_progression,
        records,
        top_days,
    )

    daily = daily_series(frame_from_files(latest_dir, "personnel"), metric="personnel")
    for include_flagged in (False, True):
        together = records(daily, include_flagged=include_flagged).results
        alone = {
            "deadliest_day": deadliest_day(daily, include_flagged=include_flagged),
            "record_progression": record_progression(daily, include_flagged=include_flagged),
            "top_days": top_days(daily, 10, include_flagged=include_flagged),
            "deadliest_7_days": deadliest_window(daily, 7, include_flagged=include_flagged),
            "deadliest_month": deadliest_period(daily, "month", include_flagged=include_flagged),
            "deadliest_year": deadliest_period(daily, "year", include_flagged=include_flagged),
        }
        for name, result in alone.items():
            pd.testing.assert_frame_equal(together[name].table, result.table)
            pd.testing.assert_frame_equal(together[name].excluded, result.excluded)
