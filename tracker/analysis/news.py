"""The news in what a window's runs changed: a one-day record set, a milestone passed, and each new
report's increment. Pure, on the changed rows (tracker.store.run_changes) and a series as known just
before the window's first run of a feed and after its last (tracker.analysis.daily_rows), with the
records rules `tracker records` uses (doubtful days left out), so `changes` and `records` agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tracker.analysis.daily_rows import DailyRows, deadliest_day_record, milestone_record, split_rows
from tracker.domain import METRICS

Series = tuple[str, str]  # (metric, side)


def record_wording(metric: str) -> str:
    """What a one-day record of a metric is called: "deadliest day" for personnel, "most tanks in
    one day" for equipment (the category as its label names it: "most drones in one day")."""
    spec = METRICS.get(metric)
    if spec is None:
        return f"highest one-day figure of {metric}"
    if spec.name == "personnel":
        return "deadliest day"
    noun = spec.label.split(" (")[0]
    # A label starts with a capital for tables; keep acronyms (UAV) as they are.
    noun = noun[0].lower() + noun[1:] if noun[1:2].islower() else noun
    return f"most {noun} in one day" if spec.kind == "equipment" else f"most {spec.unit} in one day"


@dataclass(frozen=True)
class NewRecord:
    """A one-day record set in the window: the new figure, and the peak it beat (as known before)."""

    feed: str
    source: str
    metric: str
    side: str
    wording: str
    value: int
    report_date: dt.date
    total: int
    previous_value: int
    previous_report_date: dt.date

    @property
    def margin(self) -> int:
        return self.value - self.previous_value


@dataclass(frozen=True)
class MilestonePassed:
    """A multiple of the metric's milestone step first passed by a report of the window."""

    feed: str
    source: str
    metric: str
    side: str
    milestone: int
    report_date: dt.date
    total: int
    flags: str


@dataclass(frozen=True)
class Moved:
    """The series a feed's runs moved: `touched`, each with the report dates they brought or changed
    (a removal moves a series too); `fresh`, the totals first reported in the window; `old`, the
    series they revised, removed or re-added anything of."""

    touched: dict[Series, set[dt.date]]
    fresh: dict[Series, set[dt.date]]
    old: set[Series]

    def first_seen(self, key: Series, daily: DailyRows) -> bool:
        """Whether every report of the series after the window was first reported in it, nothing of
        the series revised, removed or re-added there: then the series before the window was empty,
        and reading it (all its revisions, at a million rows a feed) is skipped."""
        if key in self.old:
            return False
        new = self.fresh.get(key, set())
        return len(new) >= len(daily.rows) and all(r["report_date"] in new for r in daily.rows)


def moved_series(
    new_reports: Sequence[dict[str, Any]],
    revisions: Sequence[dict[str, Any]],
    removals: Sequence[dict[str, Any]],
    readds: Sequence[dict[str, Any]],
) -> Moved:
    """Which series the changed rows moved, and how; a merged category's series moves with its
    predecessors'."""
    touched: dict[Series, set[dt.date]] = {}
    for row in removals:
        touched.setdefault((row["metric"], row["side"]), set())
    for row in [*new_reports, *revisions, *readds]:
        touched.setdefault((row["metric"], row["side"]), set()).add(row["report_date"])
    fresh: dict[Series, set[dt.date]] = {}
    for row in new_reports:
        if row["kind"] == "total":
            fresh.setdefault((row["metric"], row["side"]), set()).add(row["report_date"])
    old = {(r["metric"], r["side"]) for r in [*revisions, *removals, *readds]}
    for spec in METRICS.values():
        for pred in spec.predecessors:
            for by_series in (touched, fresh):
                for (metric, side), dates in list(by_series.items()):
                    if metric == pred:
                        by_series.setdefault((spec.name, side), set()).update(dates)
            old |= {(spec.name, side) for metric, side in old if metric == pred}
    return Moved(touched, fresh, old)


def deadliest(daily: DailyRows) -> dict[str, Any] | None:
    """The series' deadliest day among the days records count (none flagged), or None."""
    top = deadliest_day_record(split_rows(daily, include_flagged=False)[0]).rows
    return top[0] if top else None


def milestones(daily: DailyRows, metric: str) -> list[dict[str, Any]]:
    """Each milestone of the metric the series' totals passed, on the report that passed it."""
    return milestone_record(daily, METRICS[metric].milestone_step).rows


def may_be_news(after: DailyRows, metric: str, moved: set[dt.date]) -> bool:
    """Whether the series after the runs has its deadliest day or a milestone on a report they
    brought: only then is the series before worth reading (a record or milestone must be one)."""
    top = deadliest(after)
    dates = {r["report_date"] for r in [*([top] if top else []), *milestones(after, metric)]}
    return bool(dates & moved)


@dataclass(frozen=True)
class SeriesOf:
    """One series of one feed: whose news it is."""

    feed: str
    source: str
    metric: str
    side: str


def new_record(series: SeriesOf, before: DailyRows, after: DailyRows, moved: set[dt.date]) -> NewRecord | None:
    """The deadliest day after the runs, if it beats the one before and is a report they brought
    (a day that only moved into the counted days, e.g. by a flag, is not news)."""
    top, peak = deadliest(after), deadliest(before)
    if top is None or peak is None:
        return None
    if not float(top["increment"]) > float(peak["increment"]) or top["report_date"] not in moved:
        return None
    return NewRecord(
        feed=series.feed,
        source=series.source,
        metric=series.metric,
        side=series.side,
        wording=record_wording(series.metric),
        value=int(top["increment"]),
        report_date=top["report_date"],
        total=int(top["total"]),
        previous_value=int(peak["increment"]),
        previous_report_date=peak["report_date"],
    )


def milestones_passed(series: SeriesOf, before: DailyRows, after: DailyRows) -> list[MilestonePassed]:
    """The milestones the series after the runs has passed that the series before had not."""
    known = {row["milestone"] for row in milestones(before, series.metric)}
    return [
        MilestonePassed(
            feed=series.feed,
            source=series.source,
            metric=series.metric,
            side=series.side,
            milestone=int(row["milestone"]),
            report_date=row["report_date"],
            total=int(row["total"]),
            flags=str(row["flags"] or ""),
        )
        for row in milestones(after, series.metric)
        if row["milestone"] not in known
    ]


def in_metric_order(
    records: Sequence[NewRecord], passed: Sequence[MilestonePassed]
) -> tuple[list[NewRecord], list[MilestonePassed]]:
    """Records and milestones in the order of the metrics (milestones by size within one)."""
    order = {name: i for i, name in enumerate(METRICS)}
    return (
        sorted(records, key=lambda r: order.get(r.metric, 99)),
        sorted(passed, key=lambda x: (order.get(x.metric, 99), x.milestone)),
    )


def with_increments(rows: Sequence[dict[str, Any]], series: dict[Series, DailyRows]) -> list[dict[str, Any]]:
    """Each row with its increment, span and flags from the series after the window (a total's;
    None, None and "" for any other figure)."""
    lookup = {
        key: {r["report_date"]: (r["increment"], r["span_days"], r["flags"]) for r in daily.rows}
        for key, daily in series.items()
    }
    out = []
    for row in rows:
        found = lookup.get((row["metric"], row["side"]), {}).get(row["report_date"]) if row["kind"] == "total" else None
        increment, span, flags = found if found is not None else (None, None, "")
        out.append(
            {
                **row,
                "increment": None if increment is None else int(increment),
                "span_days": None if span is None else int(span),
                "flags": flags or "",
            }
        )
    return out
