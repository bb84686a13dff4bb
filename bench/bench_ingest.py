"""Benchmark: the first backfill and an unchanged re-ingest of the full shared dataset on SQLite,
against `sqlite-utils insert` loading the same rows into a fresh table. Wall times include
process start-up for both; medians of several runs; peak memory (max RSS) of the backfill.

    .venv/bin/python bench/bench_ingest.py [--runs 7]
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from common import BIN, LATEST, TRACKER, arguments, long_rows, timed


def main() -> None:
    args = arguments(__doc__, runs=7)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        rows = long_rows(tmpdir)
        baseline, first, again, rss = [], [], [], []
        for i in range(args.runs):
            db = tmpdir / f"su{i}.db"
            baseline.append(timed([str(BIN / "sqlite-utils"), "insert", str(db), "totals", str(rows)]).seconds)
            store = tmpdir / f"tracker{i}.db"
            ingest = [TRACKER, "ingest", "dataset", "--from", str(LATEST), "--db", str(store), "--quiet"]
            backfill = timed(ingest, ok=(0, 3))
            first.append(backfill.seconds)
            rss.append(backfill.max_rss_kib)
            again.append(timed(ingest).seconds)
        base = statistics.median(baseline)
        print(f"sqlite-utils insert (baseline): median {base:.3f} s over {args.runs} runs")
        for label, values, goal in (
            ("tracker first backfill", first, 1.0),
            ("tracker re-ingest unchanged", again, 0.5),
        ):
            med = statistics.median(values)
            verdict = "meets" if med / base <= goal else "misses"
            print(f"{label}: median {med:.3f} s = {med / base:.2f}x baseline (goal <= {goal}x: {verdict})")
        print(f"peak memory of the first backfill: {max(rss) / 1024:.0f} MiB (max RSS)")


if __name__ == "__main__":
    main()
