"""Benchmark at scale (issue 12): generate N cumulative totals (sources x 10 metrics x days from
2022-02-24) as one CSV with a `source` column, then time, as whole `tracker` processes, on SQLite
and (with --pg-url or $TRACKER_TEST_PG_URL) PostgreSQL:

- backfill: `ingest csv` of the whole file into a new store (one run per source),
- unchanged: the same file again,
- one new day: a file of the next day's totals for every series,
- records / averages / headline of one generated series,
- compare: the curated claims against the General Staff dataset, loaded into the same store.

Each line gives wall time (process start-up included), observations per second where rows are
written, and the process's peak memory.

    .venv/bin/python bench/bench_scale.py --observations 100000 [--pg-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import tempfile
from pathlib import Path

from common import LATEST, ROOT, TRACKER, timed

START = dt.date(2022, 2, 24)
METRICS = ("personnel", "tanks", "afv", "artillery", "mlrs", "air_defense", "aircraft", "helicopters", "uav", "ships")
MAX_DAYS = 1700


def shape(observations: int) -> tuple[int, int]:
    """(sources, days) giving at least `observations` totals: up to 1,700 days, then more sources."""
    days = min(MAX_DAYS, max(1, math.ceil(observations / len(METRICS))))
    return math.ceil(observations / (len(METRICS) * days)), days


def write_csv(path: Path, sources: int, days: range) -> int:
    """Cumulative totals that rise every day by a per-series step; returns the rows written."""
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("report_date,metric,value,source\n")
        for s in range(sources):
            key = f"gen-{s:04d}"
            for m, metric in enumerate(METRICS):
                step = 1 + (s * 7 + m * 13) % 97
                for d in days:
                    day = START + dt.timedelta(days=d)
                    out.write(f"{day.isoformat()},{metric},{step * (d + 1)},{key}\n")
                    rows += 1
    return rows


def run(label: str, backend: str, cmd: list[str], rows: int | None = None, ok: tuple[int, ...] = (0, 3)) -> None:
    t = timed(cmd, ok=ok)
    rate = f"{rows / t.seconds:>12,.0f}" if rows else f"{'':>12}"
    print(f"{label:<14} {backend:<10} {t.seconds:>9.2f} {rate} {t.max_rss_kib / 1024:>9.0f}", flush=True)


def bench(backend: str, url: str, work: Path, sources: int, days: int, total: int) -> None:
    full, new_day = work / "all.csv", work / "next-day.csv"
    db = ["--db", url]
    run("backfill", backend, [TRACKER, "ingest", "csv", "--from", str(full), "--source", "gen-0000", *db, "-q"], total)
    run("unchanged", backend, [TRACKER, "ingest", "csv", "--from", str(full), "--source", "gen-0000", *db, "-q"])
    run(
        "one new day",
        backend,
        [TRACKER, "ingest", "csv", "--from", str(new_day), "--source", "gen-0000", *db, "-q"],
        sources * len(METRICS),
    )
    env_free = ["--source", "gen-0000", *db]
    run("records", backend, [TRACKER, "records", *env_free])
    run("averages", backend, [TRACKER, "averages", "--period", "month", *env_free])
    run("headline", backend, [TRACKER, "headline", *env_free])
    run("ingest GS", backend, [TRACKER, "ingest", "dataset", "--from", str(LATEST), *db, "-q"])
    run("ingest claims", backend, [TRACKER, "ingest", "claims", *db, "-q"])
    run("compare", backend, [TRACKER, "compare", *db])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--pg-url", default=os.environ.get("TRACKER_TEST_PG_URL"))
    args = parser.parse_args()
    if args.observations < 1:
        sys.exit("--observations must be at least 1")
    if not LATEST.is_dir():
        sys.exit(f"shared dataset not found at {LATEST}")
    os.environ["TRACKER_REPORT_CACHE"] = "0"  # every report is a first query
    sources, days = shape(args.observations)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        total = write_csv(work / "all.csv", sources, range(days))
        write_csv(work / "next-day.csv", sources, range(days, days + 1))
        print(f"{total:,} observations: {sources:,} sources x {len(METRICS)} metrics x {days:,} days")
        print(f"{'step':<14} {'backend':<10} {'wall s':>9} {'obs/s':>12} {'peak MiB':>9}")
        bench("sqlite", f"sqlite:///{work / 'scale.db'}", work, sources, days, total)
        if args.pg_url:
            sys.path.insert(0, str(ROOT))  # drills/ holds the throwaway-database helper the tests use
            from drills.common import fresh_pg_database

            with fresh_pg_database(args.pg_url) as url:
                bench("postgresql", url, work, sources, days, total)
        else:
            print("postgresql: skipped (no --pg-url and no $TRACKER_TEST_PG_URL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
