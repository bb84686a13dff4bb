"""Validation speed (issue 12): microseconds per point of `tracker.ingest.rules.check_series`, before
(the per-point rules kept in tests/quality_reference.py) and after, on

(a) every series of the shared dataset (latest and each history snapshot), as the ingest
    passes them, best of --runs;
(b) generated series like bench/bench_scale.py's: --sources x 10 metrics x 1,700 days, totals
    rising every day by a per-series step (600 sources: 6,000 series, 10,200,000 points),
    generated one source at a time outside the timed part.

Both implementations must return the same findings (checked here too). Times are CPU time of
this process (time.process_time), so that other work on a shared machine counts less.

    .venv/bin/python bench/bench_quality.py [--sources 600] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable

from common import LATEST, ROOT

sys.path.insert(0, str(ROOT / "tests"))  # the reference implementation and the series are test code

import quality_reference
from quality_series import dataset_series, rising_series

from tracker.ingest import rules
from tracker.ingest.rules import Finding, Point

Check = Callable[..., list[Finding]]
DAYS = 1700
TODAY = dt.date(2026, 11, 26)


def cpu(check: Check, series: list[tuple[str, list[Point]]]) -> tuple[float, list[list[Finding]]]:
    start = time.process_time()
    found = [check(label, points, today=TODAY) for label, points in series]
    return time.process_time() - start, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=600, help="generated sources (x 10 series of 1,700 days)")
    parser.add_argument("--runs", type=int, default=5, help="runs over the dataset's series (the best counts)")
    args = parser.parse_args()
    if not LATEST.is_dir():
        sys.exit(f"shared dataset not found at {LATEST}")
    before, after = quality_reference.check_series, rules.check_series
    print(f"{'series':<44} {'points':>11} {'before us/pt':>13} {'after us/pt':>12} {'speed-up':>9}")

    folders = [LATEST, *sorted(p for p in (LATEST.parent / "history").iterdir() if p.is_dir())]
    series = [s for folder in folders for s in dataset_series(folder)]
    points = sum(len(p) for _, p in series)
    best = {before: float("inf"), after: float("inf")}
    for _ in range(args.runs):
        for check in (before, after):
            seconds, found = cpu(check, series)
            best[check] = min(best[check], seconds)
            if check is before:
                expected = found
            elif found != expected:
                sys.exit("the fast check_series differs from the reference on the dataset")
    report(f"(a) shared dataset: {len(series)} series, {len(folders)} snapshots", points, best[before], best[after])

    total = {before: 0.0, after: 0.0}
    points = 0
    for source in range(args.sources):
        chunk = rising_series(1, DAYS, first=source)
        points += sum(len(p) for _, p in chunk)
        expected = []
        for check in (before, after):
            seconds, found = cpu(check, chunk)
            total[check] += seconds
            if check is before:
                expected = found
            elif found != expected:
                sys.exit(f"the fast check_series differs from the reference on source {source}")
    report(f"(b) generated: {args.sources * 10:,} series x {DAYS:,} days", points, total[before], total[after])
    return 0


def report(label: str, points: int, before: float, after: float) -> None:
    print(
        f"{label:<44} {points:>11,} {before / points * 1e6:>13.3f} {after / points * 1e6:>12.3f} {before / after:>8.1f}x",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
