"""Which feed a report read, and whether the source's other feeds agree with the figures it used.

Every series report (records, series, headline, averages) reads one feed of its source
(tracker.store.queries.resolve_feed: --feed, else $TRACKER_FEED where the source has it, else
the open dataset's `ua-dataset`, else the fullest feed) and never switches. Beside it, the other
feeds' totals of the same metric are read and reconciled (tracker.analysis.reconcile): a report
date where the read feed's total is contradicted and not backed by the arbiter is *disputed*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

    import pandas as pd
    from sqlalchemy import Connection, Engine

    from tracker.analysis.reconcile import Disagreement

DISPUTED_MARK = "†"
DISPUTED_NOTE = (
    f"{DISPUTED_MARK} disputed: the source's other feeds give another total for this report and the arbiter "
    "(the neighbouring totals, the increase the official page states) does not back this feed's; "
    "`tracker reconcile` shows each feed's value and why."
)


@dataclass
class FeedCheck:
    """The feed a report read, the source's feeds of the metric, and the report dates where the
    read feed disagrees with another (and, of those, where its figure is disputed)."""

    feed: str
    feeds: list[str]
    disagreements: dict[dt.date, Disagreement] = field(default_factory=dict)

    @property
    def disputed(self) -> dict[dt.date, Disagreement]:
        """The disagreements whose read-feed value the arbiter does not back."""
        return {d: x for d, x in self.disagreements.items() if self.feed not in x.backed}

    def others(self, day: dt.date) -> dict[str, int] | None:
        """The other feeds' totals of a disputed report date (None when it is not disputed)."""
        found = self.disputed.get(day)
        return None if found is None else {f: v for f, v in found.values.items() if f != self.feed}

    def agree(self, dates: Iterable[dt.date]) -> bool | None:
        """Whether the other feeds agree on every one of these report dates (None: no other feed)."""
        if len(self.feeds) < 2:
            return None
        return not any(d in self.disagreements for d in dates)

    def fields(self, dates: Iterable[dt.date]) -> dict[str, Any]:
        """`feed`, `feeds` and `feeds_agree` for a report's JSON."""
        return {"feed": self.feed, "feeds": self.feeds, "feeds_agree": self.agree(dates)}

    def reasons(self) -> dict[dt.date, str]:
        """report date -> the reason a disputed figure is flagged, in words."""
        out = {}
        for day, x in self.disputed.items():
            others = ", ".join(f"{f} {v:,}" for f, v in x.values.items() if f != self.feed)
            out[day] = (
                f"{self.feed} gives {x.values[self.feed]:,}, {others}; arbiter: "
                + (f"backs {x.verdict}" if x.backed else "undecided")
                + f" ({x.cls})"
            )
        return out


def check_feeds(
    conn: Engine | Connection | sqlite3.Connection,
    *,
    source: str,
    metric: str,
    feed: str,
    side: str = "russia",
    as_of: dt.date | None = None,
) -> FeedCheck:
    """Reconcile `metric` across the source's feeds (as known on `as_of`) for the report read from `feed`."""
    from tracker.analysis.reconcile import reconcile
    from tracker.store.queries import _connection
    from tracker.store.transcriptions import feed_totals, official_pages, source_feeds

    opened = _connection(conn)
    try:
        if len(source_feeds(opened, source)) < 2:
            return FeedCheck(feed, [feed])
        totals = feed_totals(opened, source, metrics=[metric], side=side, as_of=as_of)
        by_feed = totals.get(metric, {})
        if feed not in by_feed or len(by_feed) < 2:
            return FeedCheck(feed, sorted(by_feed) or [feed])
        pages = official_pages(opened, source, as_of=as_of)
    finally:
        if opened is not conn:
            opened.close()
    found = reconcile({metric: by_feed}, pages=pages)
    return FeedCheck(feed, sorted(by_feed), {d.report_date: d for d in found.disagreements if feed in d.values})


def staff_personnel(engine: Engine, feed: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The General Staff's personnel series `compare` judges claims against, from the feed the
    rule chooses, and {"feed", "feeds_agree"} for each of its rows (over the whole series)."""
    from tracker.store.queries import observations_frame
    from tracker.store.source_registry import GENERAL_STAFF

    staff = observations_frame(engine, source=GENERAL_STAFF, metric="personnel", feed=feed)
    check = check_feeds(engine, source=GENERAL_STAFF, metric="personnel", feed=staff.attrs["feed"])
    return staff, {"feed": check.feed, "feeds_agree": check.agree(ts.date() for ts in staff["report_date"])}
