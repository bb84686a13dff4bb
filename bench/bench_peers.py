"""Benchmark (issue 12): tracker side by side with the plain tools a person would use instead,
one table per run. Whole processes (start-up included), medians of --runs, peak memory (max RSS)
the highest of the runs:

- backfill of the shared dataset into a new SQLite store vs `sqlite-utils insert` of the same
  totals (as JSON) into a new table; the unchanged re-ingest vs the same peer;
- the first `records` after new data (a fresh report cache) and `records` from the cache vs a
  plain pandas script computing the same records from the dataset's JSON;
- one CSV of 850,000 totals (50 sources x 10 metrics x 1,700 days, with a source column) into a
  new store (`ingest csv`, medians of --csv-runs) vs bench/sqlite_peer.py: csv + sqlite3
  executemany in one transaction + one index; and tracker's peak memory there.

    .venv/bin/python bench/bench_peers.py [--runs 5] [--csv-runs 3]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from bench_scale import METRICS, write_csv
from common import BIN, LATEST, TRACKER, Summary, arguments, long_rows, plain_records_script, summarise, timed

HERE = Path(__file__).resolve().parent
CSV_SOURCES, CSV_DAYS = 50, 1700
MEMORY_GOAL_MIB = 300


def _more(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv-runs", type=int, default=3, help="runs of the 850,000-total CSV case")


def shared_dataset(tmp: Path, runs: int) -> dict[str, Summary]:
    """Backfill, unchanged re-ingest, first and cached `records`, and their peers."""
    rows = long_rows(tmp)
    plain = plain_records_script(tmp)
    times: dict[str, list] = {k: [] for k in ("su", "backfill", "again", "first", "cached", "pandas")}
    for i in range(runs):
        times["su"].append(timed([str(BIN / "sqlite-utils"), "insert", str(tmp / f"su{i}.db"), "totals", str(rows)]))
        url = f"sqlite:///{tmp / f'tracker{i}.db'}"
        ingest = [TRACKER, "ingest", "dataset", "--from", str(LATEST), "--db", url, "--quiet"]
        times["backfill"].append(timed(ingest, ok=(0, 3)))
        times["again"].append(timed(ingest, ok=(0, 3)))
        # A fresh cache folder per run: the first `records` computes (and stores) the answer,
        # the second is served from the cache.
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp / f"cache{i}")}
        env.pop("TRACKER_REPORT_CACHE", None)
        records = [TRACKER, "records", "--db", url]
        times["first"].append(timed(records, env=env))
        times["cached"].append(timed(records, env=env))
        times["pandas"].append(timed(plain))
        print(f"  shared dataset: run {i + 1}/{runs} done", file=sys.stderr, flush=True)
    return {k: summarise(v) for k, v in times.items()}


def big_csv(tmp: Path, runs: int) -> dict[str, Summary]:
    """One CSV of 850,000 totals into a new store: tracker vs the bare sqlite3 script."""
    path = tmp / "big.csv"
    total = write_csv(path, CSV_SOURCES, range(CSV_DAYS))
    print(f"csv: {total:,} totals ({CSV_SOURCES} sources x {len(METRICS)} metrics x {CSV_DAYS:,} days)")
    times: dict[str, list] = {"peer": [], "tracker": []}
    for i in range(runs):
        peer_db, store = tmp / f"peer{i}.db", tmp / f"big{i}.db"
        peer = timed([sys.executable, str(HERE / "sqlite_peer.py"), str(path), str(peer_db)])
        if peer.stdout.strip() != f"{total} rows":
            sys.exit(f"sqlite_peer.py stored {peer.stdout.strip()!r}, expected {total} rows")
        times["peer"].append(peer)
        ingest = [TRACKER, "ingest", "csv", "--from", str(path), "--source", "gen-0000", "--db", str(store), "-q"]
        times["tracker"].append(timed(ingest, ok=(0, 3)))
        stored = _observations(store)
        if stored != total:
            sys.exit(f"tracker stored {stored:,} observations from the CSV, expected {total:,}")
        for db in (peer_db, store):
            for leftover in db.parent.glob(db.name + "*"):
                leftover.unlink()
        print(f"  csv: run {i + 1}/{runs} done", file=sys.stderr, flush=True)
    return {k: summarise(v) for k, v in times.items()}


def _observations(store: Path) -> int:
    """Observations in a tracker SQLite store: the same rows as the peer's, or the race is void."""
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM observation").fetchone()[0])
    finally:
        db.close()


def _cell(s: Summary) -> str:
    return f"{s.seconds:.2f} s (cpu {s.cpu_seconds:.2f}), {s.max_rss_kib / 1024:.0f} MiB"


def main() -> int:
    args = arguments(__doc__, runs=5, more=_more)
    if args.runs < 1 or args.csv_runs < 1:
        sys.exit("--runs and --csv-runs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        shared = shared_dataset(Path(tmp), args.runs)
        big = big_csv(Path(tmp), args.csv_runs)
    lines = [
        ("backfill, shared dataset", shared["backfill"], shared["su"], 1.0),
        ("re-ingest, unchanged", shared["again"], shared["su"], 0.3),
        ("records, first after new data", shared["first"], shared["pandas"], 1.0),
        ("records, from the cache", shared["cached"], shared["pandas"], 0.3),
        ("850,000-total CSV, new store", big["tracker"], big["peer"], 2.0),
    ]
    rows = [("work", "tracker", "peer", "ratio", "goal", "met?")]
    for work, mine, peer, goal in lines:
        ratio = mine.seconds / peer.seconds
        rows.append((work, _cell(mine), _cell(peer), f"{ratio:.2f}x", f"<= {goal}x", "yes" if ratio <= goal else "no"))
    peak = big["tracker"].max_rss_kib / 1024
    rows.append(
        (
            "850,000-total CSV, peak memory",
            f"{peak:.0f} MiB",
            "",
            "",
            f"<= {MEMORY_GOAL_MIB} MiB",
            "yes" if peak <= MEMORY_GOAL_MIB else "no",
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(
        f"medians of {args.runs} runs ({args.csv_runs} for the CSV), whole processes: wall time (the ratio's), "
        "user + system CPU time, highest peak RSS"
    )
    for r in rows:
        print(" | ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    print(
        "peers: sqlite-utils insert of the same totals as JSON (ingest rows); bench_records' plain pandas "
        "script (records rows); bench/sqlite_peer.py, csv + sqlite3 executemany + one index (CSV row)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
