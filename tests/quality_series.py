"""Series for comparing implementations of `tracker.ingest.rules.check_series` (tests and bench):
the shared dataset's series as the ingest passes them, generated steadily rising series as
bench/bench_scale.py writes them, and seeded random series that exercise every rule."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from tracker.ingest.feeds.dataset import DatasetFeed
from tracker.ingest.rules import FIRST_REPORT_DATE, Point

SCALE_START = dt.date(2022, 2, 24)  # bench/bench_scale.py's first report date
SCALE_METRICS = 10


def dataset_series(folder: Path) -> list[tuple[str, list[Point]]]:
    """Every (metric, side) series of one dataset snapshot, built as tracker/ingest.py `_validate`
    builds them: totals sorted by report date, each with the documented adjustment of its
    (metric, date) and the qualifier and reported increase the feed parsed."""
    feed = DatasetFeed()
    parsed = feed.parse(feed.fetch(str(folder)))
    adjusted: dict[tuple[str, dt.date], int] = {}
    for a in parsed.adjustments:
        adjusted[(a.metric, a.report_date)] = a.delta
    by_series: dict[tuple[str, str], dict[dt.date, Point]] = {}
    for o in parsed.totals():
        if o.kind != "total":
            continue
        point = Point(
            o.report_date, o.value, o.qualifier, o.reported_increase, adjusted.get((o.metric, o.report_date), 0)
        )
        by_series.setdefault((o.metric, o.side), {})[o.report_date] = point
    out = []
    for (metric, side), points in sorted(by_series.items()):
        label = metric if side == "russia" else f"{metric} ({side})"
        out.append((label, [points[d] for d in sorted(points)]))
    return out


def rising_series(sources: int, days: int, first: int = 0) -> list[tuple[str, list[Point]]]:
    """bench/bench_scale.py's data for sources first..first + sources - 1: per source and
    metric, totals rising every day by a step."""
    dates = [SCALE_START + dt.timedelta(days=d) for d in range(days)]
    out = []
    for s in range(first, first + sources):
        for m in range(SCALE_METRICS):
            step = 1 + (s * 7 + m * 13) % 97
            out.append((f"gen-{s:04d}/m{m}", [Point(day, step * (d + 1)) for d, day in enumerate(dates)]))
    return out


def random_series(rng: random.Random) -> list[Point]:
    """A series built to hit every rule and its edges: noisy daily increments around a level
    (some sparse, many zeros), flat runs, stretches rounded to 10s..10,000s (some with an
    "about" qualifier), spikes, missing dates, decreases (some documented by an adjustment,
    some over-explained), reported increases (right, off, off by the adjustment), first reports
    on or after the invasion's first report date, and dates after `today`. A quarter of them
    rise strictly (no flat run, no fall: every report a new total), rounded stretches included."""
    n = rng.choice((0, 1, 2, 3, 5, 8, 15, 30, 60, 120, 250))
    level = rng.choice((0, 1, 3, 8, 40, 300, 1000, 20_000))
    zero_share = rng.choice((0.0, 0.0, 0.1, 0.3, 0.7))
    start = FIRST_REPORT_DATE if rng.random() < 0.3 else FIRST_REPORT_DATE + dt.timedelta(days=rng.randrange(1, 800))
    total = rng.choice((0, 0, 7, 60, 900, 1000, 9_800, 95_000, 1_000_000))
    strict = rng.random() < 0.25  # every report a new, higher total
    day = start
    points: list[Point] = []
    usual_q = rng.choice((None, None, "about"))
    i = 0
    while i < n:
        kind = rng.random()
        if i == 0 and rng.random() < 0.2:  # open with a rounded stretch
            kind = 0.1
        if kind < 0.06 and n - i > 3 and not strict:  # a flat run
            for _ in range(rng.randrange(1, 6)):
                points.append(Point(day, total, usual_q))
                day += dt.timedelta(days=1)
                i += 1
            continue
        if kind < 0.12 and n - i > 4:  # a rounded stretch: totals to a coarse unit, maybe flat
            unit = rng.choice((10, 100, 1000, 10_000))
            q = rng.choice((usual_q, "about", "more"))
            for _ in range(rng.randrange(3, 14)):
                if strict or rng.random() < 0.7:
                    total = (total // unit + rng.randrange(1 if strict else 0, 3)) * unit
                points.append(Point(day, total, q))
                day += dt.timedelta(days=1)
                i += 1
            continue
        inc = 0 if rng.random() < zero_share else max(0, round(rng.gauss(level, level**0.5 * 3 + 1)))
        if strict:
            inc = max(1, inc)
        adjustment = 0
        if kind < 0.16:  # a spike
            inc = inc * rng.randrange(3, 12) + rng.randrange(0, 50)
        elif kind < 0.20 and not strict:  # a decrease, documented or not, or an adjustment the totals do not show
            inc = -rng.randrange(1, 300)
            adjustment = rng.choice((0, inc, inc - 5, inc + 5, rng.randrange(-20, 20)))
        elif kind < 0.23:
            adjustment = rng.randrange(-30, 30)
        if kind > 0.97:  # missing report dates
            day += dt.timedelta(days=rng.randrange(1, 5))
        total += inc
        reported = None
        r = rng.random()
        if r < 0.15:
            reported = inc
        elif r < 0.2:
            reported = inc + rng.randrange(-10, 10)
        elif r < 0.25:
            reported = inc - adjustment
        q = usual_q if rng.random() > 0.02 else rng.choice(("about", "more", None))
        points.append(Point(day, total, q, reported, adjustment))
        day += dt.timedelta(days=1)
        i += 1
    return points
