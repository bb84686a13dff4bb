"""What the runs of a window changed, per feed: new reports, revisions, removals and re-adds,
new records, milestones passed, new findings, new or revised claims and report notes.

The glue of three layers: the rows the window's runs wrote come from the store
(tracker.store.run_changes.read_changes), the news in them (records, milestones, increments) from the
analysis (tracker.analysis.news), on each touched series as known just before the window's first
run of a feed and after its last; the window from tracker.reports.window.parse_window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from tracker.analysis.daily_rows import BY_REPORT, DailyRows, daily_rows
from tracker.analysis.news import (
    MilestonePassed,
    NewRecord,
    SeriesOf,
    in_metric_order,
    may_be_news,
    milestones_passed,
    moved_series,
    new_record,
    with_increments,
)
from tracker.claims.claim import STORED_FIELDS, figure_label
from tracker.domain import KYIV, METRICS
from tracker.store.db import as_utc, store_failure
from tracker.store.run_changes import FeedChangeRows, Window, known_before_and_after, read_changes, series_as_known

# What a claim's revision can change, besides its source (tracker.claims.claim.STORED_FIELDS).
CLAIM_FIELDS = tuple(f for f in STORED_FIELDS if f != "source")


@dataclass(eq=False)  # compared (and hashed) by identity: one per feed
class FeedChanges(FeedChangeRows):
    """Everything the selected runs of one feed changed, with the news in it. Rows are plain dicts
    (JSON-ready)."""

    records: list[NewRecord] = field(default_factory=list)
    milestones: list[MilestonePassed] = field(default_factory=list)


@dataclass
class Changes:
    """What a window's runs changed, per feed (feeds in the order of their first run)."""

    window: Window
    feeds: list[FeedChanges]

    @property
    def records(self) -> list[NewRecord]:
        return [r for f in self.feeds for r in f.records]

    @property
    def milestones(self) -> list[MilestonePassed]:
        return [x for f in self.feeds for x in f.milestones]


def collect_changes(engine: Engine | Connection, window: Window, *, source: str | None = None) -> Changes:
    """What the runs of `window` changed, per feed; with `source`, only that source's feeds and
    the claims it made (InvalidInput when the store knows no such source)."""
    try:
        return _collect(engine, window, source)
    except SQLAlchemyError as exc:
        raise store_failure(exc, "cannot read the store's changes") from None


def _collect(engine: Engine | Connection, window: Window, source: str | None) -> Changes:
    conn = engine.connect() if isinstance(engine, Engine) else engine
    try:
        feeds = [_feed_changes(rows) for rows in read_changes(conn, window, source=source)]
        for feed in feeds:
            _add_news(conn, feed)
    finally:
        if conn is not engine:
            conn.close()
    return Changes(window, feeds)


def _feed_changes(rows: FeedChangeRows) -> FeedChanges:
    """The store's rows of one feed, its claims as people read them, ready for the news."""
    feed = FeedChanges(**{f.name: getattr(rows, f.name) for f in fields(rows)})
    feed.claims = [_claim_row(c) for c in rows.claims]
    return feed


def _claim_row(change: dict[str, Any]) -> dict[str, Any]:
    """A claim's change with its figure worded (tracker.claims.claim.figure_label) and the fields
    a revision changed."""
    what, new, old = change["change"], change["new"], change["old"]
    has_old = old["id"] is not None
    shown = old if what == "removed" else new
    return {
        "change": what,
        "key": change["key"],
        "source": change["source"],
        "metric": shown["metric"],
        "kind": shown["kind"],
        "period_end": shown["period_end"],
        "figure": figure_label(shown["qualifier"], shown["low"], shown["best"], shown["high"]),
        "old_figure": figure_label(old["qualifier"], old["low"], old["best"], old["high"])
        if what == "revised"
        else None,
        "best": new["best"],
        "old_best": old["best"] if has_old else None,
        "published_date": shown["published_date"],
        "changed": [f for f in CLAIM_FIELDS if what == "revised" and old[f] != new[f]],
        "old_seen_at": as_utc(old["first_seen_at"]) if has_old else None,
        "seen_at": as_utc(new["first_seen_at"]),
    }


def _add_news(conn: Connection, feed: FeedChanges) -> None:
    """Each new report's increment (as the series stood after the feed's runs), and the records and
    milestones those runs set: the series before its first run against the series after its last."""
    moments = known_before_and_after(feed.runs)
    if moments is None:
        return
    before_at, after_at = moments
    moved = moved_series(feed.new_reports, feed.revisions, feed.removals, feed.readds)
    after: dict[tuple[str, str], DailyRows] = {}
    records: list[NewRecord] = []
    passed: list[MilestonePassed] = []
    for (metric, side), dates in moved.touched.items():
        if metric not in METRICS:
            continue
        daily_after = after[(metric, side)] = _daily(conn, feed, metric, side, after_at)
        if METRICS[metric].retired or not daily_after.rows or moved.first_seen((metric, side), daily_after):
            continue  # a series first seen in the window has no record or milestone to beat
        if not may_be_news(daily_after, metric, dates):
            continue
        daily_before = _daily(conn, feed, metric, side, before_at)
        if not daily_before.rows:
            continue  # a series first seen in the window has no record or milestone to beat
        series = SeriesOf(feed.feed, feed.source, metric, side)
        record = new_record(series, daily_before, daily_after, dates)
        if record is not None:
            records.append(record)
        passed += milestones_passed(series, daily_before, daily_after)
    feed.new_reports = with_increments(feed.new_reports, after)
    feed.readds = with_increments(feed.readds, after)
    feed.records, feed.milestones = in_metric_order(records, passed)


def _daily(conn: Connection, changes: FeedChanges, metric: str, side: str, known_at: dt.datetime) -> DailyRows:
    """The series by report date as known at `known_at`, as plain rows (tracker.analysis.daily_rows:
    the rules `tracker records` and tracker.analysis share, without a DataFrame per series)."""
    rows, attrs = series_as_known(conn, changes, metric, side, known_at)
    return daily_rows(rows, attrs, by=BY_REPORT, metric=metric, today=known_at.astimezone(KYIV).date())
