"""Which findings a run's changes produce: the quality rules (tracker.ingest.rules) run over the
series a payload changed, with only as much of the stored series around the change as the rules
can see, so that validating one new day does not read a series' whole history.
"""

from __future__ import annotations

import datetime as dt
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection

from tracker.domain import KYIV
from tracker.store.reading import as_date, fetch
from tracker.store.revisions import Key, Values
from tracker.store.run_report import NewFinding

if TYPE_CHECKING:
    from tracker.ingest.rules import Finding

# Reports read on each side of a window of changed reports; of those, a change can alter the
# findings of REACH on each side: the widest rules look 30 reports away (rules.COARSE_MAX_REACH,
# rules.OUTLIER_SPARSE_WINDOW), so a finding REACH away still sees all it saw before.
CONTEXT = 64
REACH = 32


# The dates each validated series' findings were judged over: open findings outside them stand.
Judged = dict[str, tuple[dt.date, dt.date]]

# A series' current totals, found by the unique key (feed, kind, metric, side, report date), as
# SQL text read through tracker.store.reading.fetch: building and compiling a select per series
# took 0.57 ms a query against 0.02 ms for the query itself, and a day of 589 sources reads
# 5,890 series.
_SERIES = (
    "SELECT report_date, value, qualifier, reported_increase FROM observation WHERE feed_id = :feed "
    "AND kind = 'total' AND metric_id = :metric AND side = :side AND superseded_at IS NULL AND removed = :removed"
)
_BEFORE = _SERIES + " AND report_date < :day ORDER BY report_date DESC LIMIT :limit"
_AFTER = _SERIES + " AND report_date > :day ORDER BY report_date LIMIT :limit"
# A series' own side's corrections: its side also lets the unique key find them (without it,
# SQLite scanned every row of the feed's dates, 1 ms a series).
_ADJUSTMENTS = (
    "SELECT report_date, value FROM observation WHERE feed_id = :feed AND kind = 'adjustment' AND metric_id = :metric "
    "AND side = :side AND superseded_at IS NULL AND removed = :removed AND report_date BETWEEN :first AND :last"
)


def series_name(metric: str, side: str) -> str:
    """How findings name a series: its metric, and whose losses when not Russia's."""
    return metric if side == "russia" else f"{metric} ({side})"


def validate_documented_window(
    conn: Connection,
    feed_id: int,
    totals: dict[Key, Values],
    touched: set[tuple[str, str]],
    names: dict[int, str],
    window: tuple[dt.date, dt.date],
) -> list[NewFinding]:
    """The documented-series rule (a fall is info) over each changed series' window and the last
    point before it."""
    from tracker.ingest import rules

    ids = {name: mid for mid, name in names.items()}
    found: list[NewFinding] = []
    for (name, side), columns in sorted(_touched_series(totals, touched, names).items()):
        points = columns.rows()
        before = _read(conn, _BEFORE, feed_id, ids[name], side, day=window[0], limit=1)
        pts = [rules.Point(d, v, q, inc) for d, v, q, inc in points]
        if before:
            pts.insert(0, rules.Point(before[0][0], before[0][1]))
        label = series_name(name, side)
        found += _worded(rules.check_documented_series(label, pts), label)
    return found


class Columns(NamedTuple):
    """One series' reports in date order, as columns (what rules.check_columns takes)."""

    dates: list[dt.date]
    values: list[Any]
    qualifiers: list[str | None]
    reported: list[int | None]

    def rows(self) -> list[tuple[Any, ...]]:
        return list(zip(self.dates, self.values, self.qualifiers, self.reported, strict=True))


def _touched_series(
    totals: dict[Key, Values], touched: set[tuple[str, str]], names: dict[int, str]
) -> dict[tuple[str, str], Columns]:
    """The reports of each changed (metric, side), by date, as columns: grouped by key, then
    picked column by column in C (a tuple per report cost as much as the rules themselves)."""
    keys: dict[tuple[int, str], list[Key]] = {}
    for key in totals:
        group = keys.get(key[:2])
        if group is None:
            group = keys[key[:2]] = []
        group.append(key)
    series: dict[tuple[str, str], Columns] = {}
    for (metric_id, side), group in keys.items():
        if (names[metric_id], side) not in touched:
            continue
        group.sort(key=itemgetter(2))
        values = list(map(totals.__getitem__, group))
        series[(names[metric_id], side)] = Columns(
            list(map(itemgetter(2), group)),
            list(map(itemgetter(0), values)),
            list(map(itemgetter(1), values)),
            list(map(itemgetter(2), values)),
        )
    return series


def _read(conn: Connection, sql: str, feed_id: int, metric_id: int, side: str, **params: Any) -> list[tuple[Any, ...]]:
    """The rows of one of the series queries above, each led by its report date as a date."""
    rows = fetch(conn, sql, {"feed": feed_id, "metric": metric_id, "side": side, "removed": False, **params})
    return [(as_date(day), *rest) for day, *rest in rows]


def _worded(findings: list[Finding], label: str) -> list[NewFinding]:
    return [NewFinding(f.rule, f.severity, f.metric or label, f.report_date, f.message) for f in findings]


def validate_window(
    conn: Connection,
    feed_id: int,
    totals: dict[Key, Values],
    touched: set[tuple[str, str]],
    names: dict[int, str],
    now: dt.datetime,
    stored: bool = True,
) -> tuple[list[NewFinding], Judged]:
    """The daily rules over each changed series of an additive payload (one that adds reports and
    never removes any): the payload's reports, CONTEXT stored reports on each side of them, and
    the findings of the reports within REACH of a changed one.

    Returns the findings and, per series, the dates they were judged over. A series' usual
    precision (quality's coarse rule) is judged on the reports read, not its whole history.
    Without `stored` (the feed held nothing before this run) there is nothing around them to read.
    """
    ids = {name: mid for mid, name in names.items()}
    today = now.astimezone(KYIV).date()
    found: list[NewFinding] = []
    judged: Judged = {}
    for (name, side), own in sorted(_touched_series(totals, touched, names).items()):
        metric_id = ids[name]
        before: list[tuple[Any, ...]] = []
        after: list[tuple[Any, ...]] = []
        adjusted: dict[dt.date, int] = {}
        if stored:
            before = _read(conn, _BEFORE, feed_id, metric_id, side, day=own.dates[0], limit=CONTEXT)
            after = _read(conn, _AFTER, feed_id, metric_id, side, day=own.dates[-1], limit=CONTEXT)
            before.reverse()
        series = own
        if before or after:
            series = Columns(*(list(column) for column in zip(*before, *own.rows(), *after, strict=True)))
        if stored:
            adjusted = _adjustments(conn, feed_id, metric_id, side, series.dates[0], series.dates[-1])
        label = series_name(name, side)
        # Findings of the reports read at the edges are not judged: they lack the context they had.
        first = before[-min(REACH, len(before))][0] if before else own.dates[0]
        last = after[min(REACH, len(after)) - 1][0] if after else own.dates[-1]
        if len(before) < CONTEXT:
            first = dt.date.min  # the series' start was read: nothing before it to lack
        if len(after) < CONTEXT:
            last = dt.date.max
        judged[label] = (first, last)
        checked = _check(label, series, adjusted, today)
        found += _worded([f for f in checked if f.report_date is not None and first <= f.report_date <= last], label)
    return found, judged


def _check(label: str, series: Columns, adjusted: dict[dt.date, int], today: dt.date) -> list[Finding]:
    """The daily rules over one series' reports in date order."""
    from tracker.ingest import rules

    dates, qualifiers, reported = series.dates, series.qualifiers, series.reported
    return rules.check_columns(
        label,
        dates,
        series.values,
        today=today,
        qualifiers=qualifiers if qualifiers.count(None) != len(qualifiers) else None,
        reported=reported if reported.count(None) != len(reported) else None,
        adjustments=[adjusted.get(d, 0) for d in dates] if adjusted else None,
    )


def _adjustments(
    conn: Connection, feed_id: int, metric_id: int, side: str, first: dt.date, last: dt.date
) -> dict[dt.date, int]:
    """The documented corrections of one series between two dates (a correction is not a loss)."""
    rows = _read(conn, _ADJUSTMENTS, feed_id, metric_id, side, first=first, last=last)
    return {day: value for day, value in rows if value is not None}


def validate_whole(
    totals: dict[Key, Values],
    adjustments: dict[Key, Values],
    touched: set[tuple[str, str]],
    names: dict[int, str],
    now: dt.datetime,
    dates_by: str,
) -> list[NewFinding]:
    """Run the quality rules over the current series of every (metric, side) this run changed.

    A source that dates figures by when they were documented (Oryx) has no daily series: only
    its decreases are checked, and they are info (the source corrected itself).
    """
    if not touched:
        return []
    from tracker.ingest import rules

    # A correction applies to its own side's series, as the reports read them (queries.revisions_at).
    adjusted: dict[tuple[str, str], dict[dt.date, int]] = {}
    for (mid, side, d), v in adjustments.items():
        adjusted.setdefault((names[mid], side), {})[d] = v[0]
    today = now.astimezone(KYIV).date()
    found: list[NewFinding] = []
    for (name, side), points in _touched_series(totals, touched, names).items():
        label = series_name(name, side)
        if dates_by == "documented":
            pts = [rules.Point(d, v, q, inc) for d, v, q, inc in points.rows()]
            checked = rules.check_documented_series(label, pts)
        else:
            checked = _check(label, points, adjusted.get((name, side), {}), today)
        found += _worded(checked, label)
    return found
