"""The floor under issue 12's backfill rate: what this machine takes to read N generated totals
and put them into the store's own observation table, with none of tracker's work around it.

bench_scale.py times tracker's backfill beside bench/sqlite_peer.py (csv + executemany into a
4-column table). This script asks a narrower question: how fast could *any* loader that keeps
the store's row layout go here? It creates a store with tracker's migrations, then, for the same
files bench_scale writes (whole sources, at most 1,500,000 rows a file), in one transaction a
file:

- read: csv.reader over the file, each value made an int, rows kept per source (any loader's
  least work: no date check, no validation, no archive, no diff);
- store: a source, feed and run row per source, then one executemany per source binding only
  metric, report date and value (everything else written into the statement, as tracker's bulk
  insert does); the first file into the empty table with its two secondary indexes dropped and
  foreign keys unchecked, built and checked after (as tracker's first load), later files with
  both kept and keys checked (as tracker's later files); then commit.

Each file is read and stored in this one process, one after the other, as a whole `tracker
ingest csv` would (its start-up not counted here). The summary gives obs/s for read + store
against the goal (250,000), and the store step alone.

    .venv/bin/python bench/bench_floor.py --observations 10000000
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench_scale import METRICS, RATE_GOAL, shape, write_parts

from tracker.store.db import open_store

MOMENT = "2026-01-01 00:00:00.000000"  # how SQLAlchemy's DateTime writes a moment on SQLite
SECONDARY = ("ix_observation_window",)  # the table's index besides its unique key


def read(path: Path) -> dict[str, list[tuple[int, str, int]]]:
    """The file's rows per source as (metric id, report date, value)."""
    ids = {name: i for i, name in enumerate(METRICS, start=1)}
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


def store(db: sqlite3.Connection, per_source: dict[str, list[tuple[int, str, int]]], first: bool) -> None:
    """One file's sources in one transaction, as described in the module docstring."""
    db.execute(f"PRAGMA foreign_keys={'OFF' if first else 'ON'}")
    db.execute("BEGIN")
    if first:
        for name in SECONDARY:
            db.execute(f"DROP INDEX {name}")
    for key, rows in per_source.items():
        source_id = db.execute("INSERT INTO source (key, name) VALUES (?, ?)", (key, key)).lastrowid
        feed_id = db.execute(
            "INSERT INTO feed (name, source_id, role) VALUES ('csv', ?, 'one-off')", (source_id,)
        ).lastrowid
        run_id = db.execute(
            "INSERT INTO ingest_run (feed_name, source_key, feed_id, started_at, observed_at, status, n_records, "
            "n_new, n_revised, n_removed, n_unchanged, n_findings_new, n_findings_open) "
            "VALUES ('csv', ?, ?, ?, ?, 'ok', 0, 0, 0, 0, 0, 0, 0)",
            (key, feed_id, MOMENT, MOMENT),
        ).lastrowid
        fixed = f"{source_id}, {feed_id}, 'total', 'russia', 1, 0, '{MOMENT}', '{MOMENT}', {run_id}, {run_id}"  # ids this script made: integers
        db.executemany(
            "INSERT INTO observation (source_id, feed_id, kind, side, revision, removed, first_seen_at, "
            f"last_seen_at, run_id, last_seen_run_id, metric_id, report_date, value) VALUES ({fixed}, ?, ?, ?)",
            rows,
        )
    if first:
        db.execute("CREATE INDEX ix_observation_window ON observation (feed_id, report_date)")
        if db.execute("PRAGMA foreign_key_check").fetchone() is not None:
            sys.exit("a row names a missing parent")
    db.execute("COMMIT")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--observations", type=int, default=850_000)
    args = parser.parse_args()
    sources, days = shape(args.observations)
    with tempfile.TemporaryDirectory(prefix="tracker-floor-") as tmp:
        work = Path(tmp)
        paths, total = write_parts(work, sources, range(days))
        url = f"sqlite:///{work / 'floor.db'}"
        open_store(url, write=True).dispose()  # the store's schema, by tracker's own migrations
        db = sqlite3.connect(work / "floor.db", isolation_level=None)
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"):  # tracker's writer pragmas
            db.execute(pragma)
        db.executemany(
            "INSERT INTO metric (id, name, label, unit, kind, retired) VALUES (?, ?, ?, 'count', 'count', 0)",
            [(i, name, name) for i, name in enumerate(METRICS, start=1)],
        )
        print(f"{total:,} totals ({sources} sources x {len(METRICS)} metrics x {days} days) in {len(paths)} file(s)")
        print(f"{'file':<14} {'rows':>10} {'read s':>8} {'store s':>8} {'obs/s':>10}")
        reading = storing = 0.0
        for n, path in enumerate(paths):
            clock = time.perf_counter()
            per_source = read(path)
            took_read = time.perf_counter() - clock
            rows = sum(map(len, per_source.values()))
            clock = time.perf_counter()
            store(db, per_source, first=n == 0)
            took_store = time.perf_counter() - clock
            del per_source
            reading, storing = reading + took_read, storing + took_store
            print(
                f"{path.name:<14} {rows:>10,} {took_read:>8.2f} {took_store:>8.2f} {rows / (took_read + took_store):>10,.0f}"
            )
        db.close()
        stored = sqlite3.connect(work / "floor.db").execute("SELECT count(*) FROM observation").fetchone()[0]
        if stored != total:
            sys.exit(f"stored {stored} rows, expected {total}")
    rate = total / (reading + storing)
    print(
        f"read + store: {reading + storing:.1f} s, {rate:,.0f} obs/s (goal >= {RATE_GOAL:,}: {'within' if rate >= RATE_GOAL else 'below'})"
    )
    print(f"store alone:  {storing:.1f} s, {total / storing:,.0f} obs/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
