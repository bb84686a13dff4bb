"""The floor under issue 12's backfill rate: what this machine takes to read N generated totals
and put them into the store's own observation table, with none of tracker's work around it.

bench_scale.py times tracker's backfill beside bench/sqlite_peer.py (csv + executemany into a
4-column table). This script asks a narrower question: how fast could *any* loader that keeps
the store's row layout go here? It creates a store with tracker's migrations, then, for the same
files bench_scale writes (whole sources, at most 1,500,000 rows a file), in one transaction a
file:

- read: csv.reader over the file, each value made an int, rows kept per source (any loader's
  least work: no date check, no validation, no archive, no diff);
- store: a source, feed and run row per source, then its rows with only metric, report date and
  value varying: on SQLite one executemany binding those three (the rest written into the
  statement, as tracker's bulk insert does), on PostgreSQL one COPY of text built here; the
  first file into the empty table with its secondary index (and on PostgreSQL its foreign keys)
  dropped and its keys unchecked, built and checked after, as tracker's first load does; later
  files with both kept and every key checked, as tracker's later files; then commit.

Each file is read and stored in this one process, one after the other, as a whole `tracker
ingest csv` would (its start-up not counted here). Each backend ends with obs/s for read + store
against the goal (250,000), and for the store step alone. PostgreSQL with --pg-url or
$TRACKER_TEST_PG_URL, in a throwaway database.

    .venv/bin/python bench/bench_floor.py --observations 10000000 [--pg-url URL]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench_scale import METRICS, RATE_GOAL, shape, write_parts
from common import ROOT

sys.path.insert(0, str(ROOT))  # drills.common, for a throwaway PostgreSQL database

from tracker.store.db import open_store

MOMENT = "2026-01-01 00:00:00.000000"  # how SQLAlchemy's DateTime writes a moment on SQLite
# The table's index besides its unique key, which a first load builds after its rows are in.
DROP_WINDOW = "DROP INDEX ix_observation_window"
CREATE_WINDOW = "CREATE INDEX ix_observation_window ON observation (feed_id, report_date)"
# The metrics the generated files name, as ids 1..10 (tracker registers them on first use).
METRIC_ROWS = (
    "INSERT INTO metric (id, name, label, unit, kind, retired) VALUES ({p}, {p}, {p}, 'count', 'count', false)"
)
METRIC_VALUES = [(i, name, name) for i, name in enumerate(METRICS, start=1)]


def read(path: Path) -> dict[str, list[tuple[int, str, int]]]:
    """The file's rows per source as (metric id, report date, value)."""
    ids = {name: i for i, name, _label in METRIC_VALUES}
    rows: dict[str, list[tuple[int, str, int]]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for day, metric, value, source in reader:
            bucket = rows.get(source)
            if bucket is None:
                bucket = rows[source] = []
            bucket.append((ids[metric], day, int(value)))
    return rows


INSERT_RUN = (
    "INSERT INTO ingest_run (feed_name, source_key, feed_id, started_at, observed_at, status, n_records, n_new, "
    "n_revised, n_removed, n_unchanged, n_findings_new, n_findings_open) "
    "VALUES ('csv', {p}, {p}, {p}, {p}, 'ok', 0, 0, 0, 0, 0, 0, 0)"
)
# The columns every row of one source shares, then those of each row.
FIXED = (
    "source_id",
    "feed_id",
    "kind",
    "side",
    "revision",
    "removed",
    "first_seen_at",
    "last_seen_at",
    "run_id",
    "last_seen_run_id",
)
OWN = ("metric_id", "report_date", "value")


def parents(cur: Any, key: str, p: str) -> tuple[object, ...]:
    """A source, feed and run row for one source; the values its observations share."""
    cur.execute(f"INSERT INTO source (key, name) VALUES ({p}, {p}) RETURNING id", (key, key))
    source_id = cur.fetchone()[0]
    cur.execute(f"INSERT INTO feed (name, source_id, role) VALUES ('csv', {p}, 'one-off') RETURNING id", (source_id,))
    feed_id = cur.fetchone()[0]
    cur.execute(INSERT_RUN.format(p=p) + " RETURNING id", (key, feed_id, MOMENT, MOMENT))
    run_id = cur.fetchone()[0]
    return (source_id, feed_id, "total", "russia", 1, False, MOMENT, MOMENT, run_id, run_id)


def store_sqlite(db: sqlite3.Connection, per_source: dict[str, list[tuple[int, str, int]]], first: bool) -> None:
    """One file's sources in one transaction, as described in the module docstring."""
    db.execute(f"PRAGMA foreign_keys={'OFF' if first else 'ON'}")
    db.execute("BEGIN")
    if first:
        db.execute(DROP_WINDOW)
    cur = db.cursor()
    for key, rows in per_source.items():
        shared = parents(cur, key, "?")
        literal = ", ".join(f"'{v}'" if isinstance(v, str) else str(int(v)) for v in shared)  # made here: safe
        db.executemany(
            f"INSERT INTO observation ({', '.join(FIXED + OWN)}) VALUES ({literal}, ?, ?, ?)",
            rows,
        )
    if first:
        db.execute(CREATE_WINDOW)
        if db.execute("PRAGMA foreign_key_check").fetchone() is not None:
            sys.exit("a row names a missing parent")
    db.execute("COMMIT")


def store_postgresql(db: Any, per_source: dict[str, list[tuple[int, str, int]]], first: bool) -> None:
    """One file's sources in one transaction, by COPY of text built here (the least work a row
    can cost in Python); a first file without the secondary index and foreign keys, added after."""
    with db.cursor() as cur:
        keys: list[tuple[str, str]] = []
        if first:
            cur.execute(DROP_WINDOW)
            cur.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'observation'::regclass AND contype = 'f'"
            )
            keys = cur.fetchall()
            for name, _definition in keys:
                cur.execute(f'ALTER TABLE observation DROP CONSTRAINT "{name}"')
        for key, rows in per_source.items():
            lead = "\t".join(str(v).lower() if isinstance(v, bool) else str(v) for v in parents(cur, key, "%s"))
            with cur.copy(f"COPY observation ({', '.join(FIXED + OWN)}) FROM STDIN") as copy:
                copy.write("".join([f"{lead}\t{m}\t{d}\t{v}\n" for m, d, v in rows]))
        if first:
            cur.execute(CREATE_WINDOW)
            for name, definition in keys:
                cur.execute(f'ALTER TABLE observation ADD CONSTRAINT "{name}" {definition}')
    db.commit()


@contextlib.contextmanager
def backend(name: str, work: Path, pg_url: str | None) -> Iterator[tuple[Any, Callable[..., None]]]:
    """A new store of the backend, its schema made by tracker's migrations, with the metrics in;
    (a driver connection to it, its store function)."""
    if name == "sqlite":
        url = f"sqlite:///{work / 'floor.db'}"
        open_store(url, write=True).dispose()
        db: Any = sqlite3.connect(work / "floor.db", isolation_level=None)
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"):  # tracker's writer pragmas
            db.execute(pragma)
        db.executemany(METRIC_ROWS.format(p="?"), METRIC_VALUES)
        try:
            yield db, store_sqlite
        finally:
            db.close()
        return
    import psycopg
    from sqlalchemy.engine import make_url

    from drills.common import fresh_pg_database

    assert pg_url is not None
    with fresh_pg_database(pg_url, prefix="bench_floor") as url:
        open_store(url, write=True).dispose()
        parsed = make_url(url)
        with psycopg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password, dbname=parsed.database
        ) as db:
            with db.cursor() as cur:
                cur.executemany(METRIC_ROWS.format(p="%s"), METRIC_VALUES)
            db.commit()
            yield db, store_postgresql


def run(name: str, work: Path, paths: list[Path], total: int, pg_url: str | None) -> None:
    """Read and store every file on one backend; print a line a file and the totals."""
    print(f"{name}:")
    print(f"{'file':<14} {'rows':>10} {'read s':>8} {'store s':>8} {'obs/s':>10}")
    reading = storing = 0.0
    with backend(name, work, pg_url) as (db, store):
        for n, path in enumerate(paths):
            clock = time.perf_counter()
            per_source = read(path)
            took_read = time.perf_counter() - clock
            rows = sum(map(len, per_source.values()))
            clock = time.perf_counter()
            store(db, per_source, n == 0)
            took_store = time.perf_counter() - clock
            del per_source
            reading, storing = reading + took_read, storing + took_store
            rate = rows / (took_read + took_store)
            print(f"{path.name:<14} {rows:>10,} {took_read:>8.2f} {took_store:>8.2f} {rate:>10,.0f}")
        cur = db.cursor()
        cur.execute("SELECT count(*) FROM observation")
        stored = cur.fetchone()[0]
        cur.close()
        if stored != total:
            sys.exit(f"{name}: stored {stored} rows, expected {total}")
    rate = total / (reading + storing)
    verdict = "within" if rate >= RATE_GOAL else "below"
    print(f"read + store: {reading + storing:.1f} s, {rate:,.0f} obs/s (goal >= {RATE_GOAL:,}: {verdict})")
    print(f"store alone:  {storing:.1f} s, {total / storing:,.0f} obs/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--observations", type=int, default=850_000)
    parser.add_argument("--pg-url", default=os.environ.get("TRACKER_TEST_PG_URL"), help="also on PostgreSQL")
    args = parser.parse_args()
    sources, days = shape(args.observations)
    with tempfile.TemporaryDirectory(prefix="tracker-floor-") as tmp:
        work = Path(tmp)
        paths, total = write_parts(work, sources, range(days))
        print(f"{total:,} totals ({sources} sources x {len(METRICS)} metrics x {days} days) in {len(paths)} file(s)")
        run("sqlite", work, paths, total, None)
        if args.pg_url:
            from sqlalchemy.exc import OperationalError

            try:
                run("postgresql", work, paths, total, args.pg_url)
            except OperationalError as exc:
                sys.exit(f"postgresql: cannot reach the server: {str(exc.orig).splitlines()[0]}")
        else:
            print("postgresql: skipped (no --pg-url and no $TRACKER_TEST_PG_URL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
