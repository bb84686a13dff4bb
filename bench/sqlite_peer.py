"""The peer of `tracker ingest csv` in bench_peers.py: what a person would write with Python's
sqlite3 alone. Reads a CSV of totals (header report_date,metric,value,source) with csv, inserts
every row with executemany into a table (source, report_date, metric, value) in one
transaction, then creates one index on (source, metric, report_date). No validation, no history.
A second file into the same database appends to the table, its index kept row by row (as
tracker's second file of a backfill keeps its indexes).

    python bench/sqlite_peer.py FILE.csv NEW.db
"""

from __future__ import annotations

import csv
import sqlite3
import sys


def main(source: str, target: str) -> int:
    db = sqlite3.connect(target)
    with open(source, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        with db:  # one transaction, committed at the end
            db.execute("CREATE TABLE IF NOT EXISTS totals (source TEXT, report_date TEXT, metric TEXT, value INTEGER)")
            db.executemany(f"INSERT INTO totals ({', '.join(header)}) VALUES ({', '.join('?' * len(header))})", reader)
            db.execute("CREATE INDEX IF NOT EXISTS totals_series ON totals (source, metric, report_date)")
        count = db.execute("SELECT count(*) FROM totals").fetchone()[0]
    db.close()
    print(f"{count} rows")  # in the table, this file's and any before it
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
