"""Benchmark: tracker.store.pgcopy.copy_rows (COPY FROM STDIN) against the driver's executemany,
writing the same N rows of 8 columns (shaped like observations) into a fresh table of a
throwaway PostgreSQL database, one transaction each, commit included. In-process timings.

    .venv/bin/python bench/bench_pgcopy.py [--rows 1000000] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from common import ROOT

COLUMNS = ("source_id", "metric_id", "report_date", "value", "run_id", "first_seen_at", "last_seen_at", "note")
TABLE = (
    "CREATE TABLE {name} (source_id integer NOT NULL, metric_id integer NOT NULL, report_date date NOT NULL, "
    "value bigint, run_id integer NOT NULL, first_seen_at timestamptz NOT NULL, last_seen_at timestamptz NOT NULL, "
    "note text)"
)


def rows(n: int) -> Iterator[tuple[Any, ...]]:
    """N observation-like rows: 10 metrics per series, one row per day from 2022-02-24."""
    start = dt.date(2022, 2, 24)
    seen = dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)
    days = [start + dt.timedelta(days=d) for d in range(1700)]
    for i in range(n):
        series, d = divmod(i, 1700)
        yield (series // 10, series % 10, days[d], (d + 1) * 17, 1, seen, seen, None if i % 3 else "checked")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=os.environ.get("TRACKER_TEST_PG_URL"))
    args = parser.parse_args()
    if not args.pg_url:
        sys.exit("no PostgreSQL server: give --pg-url or set $TRACKER_TEST_PG_URL")
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import create_engine, text

    from drills.common import fresh_pg_database
    from tracker.store.pgcopy import copy_rows

    insert = f"INSERT INTO via_executemany ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    with fresh_pg_database(args.pg_url, prefix="bench_pgcopy") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            for name in ("via_copy", "via_executemany"):
                conn.execute(text(TABLE.format(name=name)))
        print(f"{args.rows:,} rows x {len(COLUMNS)} columns, one transaction each, commit included")
        print(f"{'method':<28} {'seconds':>9} {'rows/s':>12}")
        results = {}
        for label, name in (("COPY (copy_rows)", "via_copy"), ("executemany (psycopg)", "via_executemany")):
            start = time.perf_counter()
            with engine.begin() as conn:
                if name == "via_copy":
                    written = copy_rows(conn, name, COLUMNS, rows(args.rows))
                else:
                    conn.exec_driver_sql(insert, list(rows(args.rows)))
                    written = args.rows
            seconds = time.perf_counter() - start
            with engine.connect() as conn:
                stored = conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            assert stored == written == args.rows, (stored, written)
            results[label] = args.rows / seconds
            print(f"{label:<28} {seconds:>9.2f} {args.rows / seconds:>12,.0f}", flush=True)
        engine.dispose()
    copy, many = results.values()
    print(f"COPY is {copy / many:.1f}x executemany")
    return 0


if __name__ == "__main__":
    sys.exit(main())
