"""Benchmark at scale (issue 12): generate N cumulative totals (sources x 10 metrics x days from
2022-02-24) as CSVs with a `source` column (one file up to 1,500,000 rows, then several: one
payload is at most 64 MiB), then time, as whole `tracker` processes, on SQLite and (with --pg-url
or $TRACKER_TEST_PG_URL) PostgreSQL:

- backfill: `ingest csv` of each file into a new store (one run per source, one transaction a file),
- unchanged: the same files again,
- one new day: a file of the next day's totals for every series,
- records / averages / headline of one generated series,
- compare: the curated claims against the General Staff dataset, loaded into the same store;
- the floor: bench/sqlite_peer.py (csv + sqlite3 executemany of 4 columns, one index, nothing
  checked, no history) on the same files, so the backfill's obs/s has this machine's own
  ceiling beside it;
- then a small store holding just the series the big store's gen-0000 holds (10 metrics x the
  same days): one new day of gen-0000 and its records, alternating with the same steps on the
  big store, --repeats times each (medians): the same query on the same series, with or without
  the rest of the store around it.

Each line gives wall time (process start-up included), observations per second where rows are
written, and the process's peak memory; a summary ends the run: backfill obs/s and peak memory
per backend, and the big store's times for one series' new day and records against the small
store's (issue 12's goals: >= 250,000 obs/s, <= 300 MiB, <= 1.5x). The CSVs are written as a
stream (10,000,000 totals: ~340 MB on disk, little memory).

    .venv/bin/python bench/bench_scale.py --observations 100000 [--pg-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import statistics
import sys
import tempfile
from pathlib import Path

from common import LATEST, ROOT, TRACKER, Timing, compile_tracker, timed

START = dt.date(2022, 2, 24)
METRICS = ("personnel", "tanks", "afv", "artillery", "mlrs", "air_defense", "aircraft", "helicopters", "uav", "ships")
MAX_DAYS = 1700


def shape(observations: int) -> tuple[int, int]:
    """(sources, days) giving at least `observations` totals: up to 1,700 days, then more sources."""
    days = min(MAX_DAYS, max(1, math.ceil(observations / len(METRICS))))
    return math.ceil(observations / (len(METRICS) * days)), days


def write_csv(path: Path, sources: int, days: range, offset: int = 0) -> int:
    """Cumulative totals that rise every day by a per-series step (sources gen-`offset` on);
    returns the rows written."""
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("report_date,metric,value,source\n")
        dates = [(d, (START + dt.timedelta(days=d)).isoformat()) for d in days]
        for s in range(offset, offset + sources):
            key = f"gen-{s:04d}"
            for m, metric in enumerate(METRICS):
                step = 1 + (s * 7 + m * 13) % 97
                out.writelines(f"{day},{metric},{step * (d + 1)},{key}\n" for d, day in dates)
                rows += len(dates)
    return rows


# Rows per backfill file: one payload is at most 64 MiB, so a bigger backfill is several files
# (whole sources each); 1,500,000 generated rows are about 50 MB.
FILE_ROWS = 1_500_000


def write_parts(work: Path, sources: int, days: range) -> tuple[list[Path], int]:
    """The backfill as files of at most FILE_ROWS rows (whole sources each); (paths, rows)."""
    per_file = max(1, FILE_ROWS // (len(METRICS) * len(days)))
    paths, rows = [], 0
    for first in range(0, sources, per_file):
        path = work / f"all-{first // per_file:03d}.csv"
        rows += write_csv(path, min(per_file, sources - first), days, offset=first)
        paths.append(path)
    return paths, rows


RATIO_GOAL = 1.5  # a query or one day's ingest on the big store against the same on the small one
RATE_GOAL = 250_000  # backfill observations per second
MEMORY_GOAL_MIB = 300


def run(label: str, backend: str, cmd: list[str], rows: int | None = None, ok: tuple[int, ...] = (0, 3)) -> Timing:
    """Time one whole tracker process and print its line."""
    t = timed(cmd, ok=ok)
    rate = f"{rows / t.seconds:>12,.0f}" if rows else f"{'':>12}"
    print(f"{label:<18} {backend:<18} {t.seconds:>9.2f} {rate} {t.max_rss_kib / 1024:>9.0f}", flush=True)
    return t


def ingest(path: Path, url: str) -> list[str]:
    return [TRACKER, "ingest", "csv", "--from", str(path), "--source", "gen-0000", "--db", url, "-q"]


def summed(parts: list[Timing]) -> Timing:
    """Processes run in turn as one step: their summed wall and CPU time, the largest peak."""
    return Timing(
        sum(p.seconds for p in parts), max(p.max_rss_kib for p in parts), "", sum(p.cpu_seconds for p in parts)
    )


def run_files(label: str, backend: str, paths: list[Path], url: str, rows: int | None = None) -> Timing:
    """One `ingest csv` process per file, in turn: their summed wall and CPU time, the largest peak."""
    if len(paths) == 1:
        return run(label, backend, ingest(paths[0], url), rows)
    t = summed([timed(ingest(path, url), ok=(0, 3)) for path in paths])
    rate = f"{rows / t.seconds:>12,.0f}" if rows else f"{'':>12}"
    print(f"{label:<18} {backend:<18} {t.seconds:>9.2f} {rate} {t.max_rss_kib / 1024:>9.0f}  ({len(paths)} files)")
    return t


def peer_backfill(parts: list[Path], work: Path, total: int) -> Timing:
    """The bare sqlite3 script over the same files into one database, a process per file as the
    backfill runs them: what reading these files and inserting their rows costs with nothing else."""
    target = work / "peer.db"
    script = [sys.executable, str(Path(__file__).with_name("sqlite_peer.py"))]
    runs = [timed([*script, str(path), str(target)], ok=(0,)) for path in parts]
    stored = runs[-1].stdout.strip()
    if stored != f"{total} rows":
        sys.exit(f"sqlite_peer.py stored {stored!r}, expected {total} rows")
    t = summed(runs)
    print(
        f"{'backfill':<18} {'bare sqlite3 peer':<18} {t.seconds:>9.2f} {total / t.seconds:>12,.0f} {t.max_rss_kib / 1024:>9.0f}"
    )
    for leftover in work.glob("peer.db*"):
        leftover.unlink()
    return t


def bench(
    backend: str,
    url: str,
    small_url: str,
    work: Path,
    parts: list[Path],
    sources: int,
    days: int,
    total: int,
    repeats: int,
) -> dict[str, float | Timing]:
    """Every step on the big store; then, alternating with the small store (so that a busy moment
    of the machine falls on both), one series' next day (10 rows) and its `records`, `repeats`
    times each: the summary compares their medians."""
    db = ["--db", url]
    series = ["--source", "gen-0000"]
    out: dict[str, float | Timing] = {
        "backfill": run_files("backfill", backend, parts, url, total),
        "unchanged": run_files("unchanged", backend, parts, url),
        "new day": run("one new day", backend, ingest(work / "next-day.csv", url), sources * len(METRICS)),
    }
    run("records", backend, [TRACKER, "records", *series, *db])
    run("averages", backend, [TRACKER, "averages", "--period", "month", *series, *db])
    run("headline", backend, [TRACKER, "headline", *series, *db])
    run("ingest GS", backend, [TRACKER, "ingest", "dataset", "--from", str(LATEST), *db, "-q"])
    run("ingest claims", backend, [TRACKER, "ingest", "claims", *db, "-q"])
    run("compare", backend, [TRACKER, "compare", *db])
    small = f"{backend} (small)"
    run("backfill", small, ingest(work / "small.csv", small_url), len(METRICS) * (days + 1))
    times: dict[str, list[float]] = {"series day": [], "small day": [], "records": [], "small records": []}
    for k in range(repeats):
        # gen-0000's next day, after the all-series new day: the same file for both stores.
        next_day = work / f"series-day-{k}.csv"
        write_csv(next_day, 1, range(days + 1 + k, days + 2 + k))
        times["series day"].append(run("new day, 1 source", backend, ingest(next_day, url), len(METRICS)).seconds)
        times["small day"].append(run("new day, 1 source", small, ingest(next_day, small_url), len(METRICS)).seconds)
        times["records"].append(run("records, 1 source", backend, [TRACKER, "records", *series, *db]).seconds)
        small_records = [TRACKER, "records", *series, "--db", small_url]
        times["small records"].append(run("records, 1 source", small, small_records).seconds)
    out.update({k: statistics.median(v) for k, v in times.items()})
    return out


def summary(backend: str, t: dict[str, float | Timing], total: int, floor: Timing | None = None) -> None:
    """The figures issue 12 sets goals for, on one backend (with the bare peer's rate beside
    SQLite's backfill, when it ran)."""
    backfill = t["backfill"]
    assert isinstance(backfill, Timing)
    rate, peak = total / backfill.seconds, backfill.max_rss_kib / 1024

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(
        f"{backend}: backfill {rate:,.0f} obs/s (goal >= {RATE_GOAL:,}: {met(rate >= RATE_GOAL)}), "
        f"peak {peak:.0f} MiB (goal <= {MEMORY_GOAL_MIB}: {met(peak <= MEMORY_GOAL_MIB)})"
    )
    if floor is not None:
        print(
            f"{backend}: the bare sqlite3 peer on the same files: {total / floor.seconds:,.0f} obs/s "
            f"(tracker's backfill takes {backfill.seconds / floor.seconds:.1f}x its time)"
        )
    for label, big_key, small_key in (
        ("one new day of one series", "series day", "small day"),
        ("records of one series", "records", "small records"),
    ):
        big, small = t[big_key], t[small_key]
        assert isinstance(big, float) and isinstance(small, float)
        print(
            f"{backend}: {label}: median {big:.2f} s on the big store, {small:.2f} s on the small one: "
            f"{big / small:.2f}x (goal <= {RATIO_GOAL}x: {met(big / small <= RATIO_GOAL)})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--pg-url", default=os.environ.get("TRACKER_TEST_PG_URL"))
    parser.add_argument("--repeats", type=int, default=3, help="runs of each big/small comparison (medians)")
    args = parser.parse_args()
    if args.observations < 1 or args.repeats < 1:
        sys.exit("--observations and --repeats must be at least 1")
    if not LATEST.is_dir():
        sys.exit(f"shared dataset not found at {LATEST}")
    compile_tracker()
    os.environ["TRACKER_REPORT_CACHE"] = "0"  # every report is a first query
    sources, days = shape(args.observations)
    results: dict[str, dict[str, float | Timing]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        parts, total = write_parts(work, sources, range(days))
        write_csv(work / "next-day.csv", sources, range(days, days + 1))
        write_csv(work / "small.csv", 1, range(days + 1))  # gen-0000 as the big store holds it
        print(f"{total:,} observations: {sources:,} sources x {len(METRICS)} metrics x {days:,} days")
        print(f"small store: gen-0000 alone, {len(METRICS)} metrics x {days + 1:,} days")
        print(f"{'step':<18} {'backend':<18} {'wall s':>9} {'obs/s':>12} {'peak MiB':>9}")
        sqlite_urls = f"sqlite:///{work / 'scale.db'}", f"sqlite:///{work / 'small.db'}"
        results["sqlite"] = bench("sqlite", *sqlite_urls, work, parts, sources, days, total, args.repeats)
        floor = peer_backfill(parts, work, total)
        if args.pg_url:
            sys.path.insert(0, str(ROOT))  # drills/ holds the throwaway-database helper the tests use
            from drills.common import fresh_pg_database

            with fresh_pg_database(args.pg_url) as url, fresh_pg_database(args.pg_url) as small_url:
                results["postgresql"] = bench(
                    "postgresql", url, small_url, work, parts, sources, days, total, args.repeats
                )
        else:
            print("postgresql: skipped (no --pg-url and no $TRACKER_TEST_PG_URL)")
    print("summary")
    for backend, timings in results.items():
        summary(backend, timings, total, floor if backend == "sqlite" else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
