"""What the runs of a window wrote, read from the store: the runs, each revision of a figure, a
report note or a claim they stored beside the revision it followed, and the findings they opened.

Every revision row names the run that wrote it (`run_id`), a run its moment (`observed_at`, which
is every row's `first_seen_at`), a finding the run that first found it. A window selects runs; the
changes are the rows those runs wrote, as plain dicts (JSON-ready). The news in them (records,
milestones, increments) is tracker.analysis.news', their collection tracker.reports.changes'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, func, select

from tracker.domain import METRICS
from tracker.store import models as m
from tracker.store.db import as_utc
from tracker.store.queries import observation_rows
from tracker.store.reading import as_date, as_moment, fetch
from tracker.store.run_report import ACCEPTED_STATUS
from tracker.store.sources import require_source

CHUNK = 500  # run ids per IN (...) list
ONE_TICK = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Window:
    """Which runs to read: those observed in [since, until] (both inclusive), or each feed's most
    recent successful run (`last_run`), or the runs named by id (`run_ids`, e.g. one daily job's)."""

    asked: str
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    last_run: bool = False
    run_ids: tuple[int, ...] = ()


@dataclass(eq=False)  # compared (and hashed) by identity: one per feed
class FeedChangeRows:
    """Everything the selected runs of one feed wrote. A claim's row holds its change, key,
    claimant (`source`) and both revisions as stored (`new`, `old`: all None for a first one)."""

    feed: str
    source: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    new_reports: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    removals: list[dict[str, Any]] = field(default_factory=list)
    readds: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return any(
            (self.new_reports, self.revisions, self.removals, self.readds, self.findings, self.claims, self.notes)
        )


def read_changes(conn: Connection, window: Window, *, source: str | None = None) -> list[FeedChangeRows]:
    """What the runs of `window` wrote, per feed (in the order of their first run); with `source`,
    only that source's feeds and the claims it made (InvalidInput when the store knows no such
    source)."""
    if source is not None:
        require_source(conn, source)
    runs = _select_runs(conn, window)
    feeds: dict[int, FeedChangeRows] = {}
    for run in runs:
        key = run["feed_id"]
        if key not in feeds:
            feeds[key] = FeedChangeRows(feed=run["feed"], source=run["source"])
        feeds[key].runs.append({k: v for k, v in run.items() if k != "feed_id"})
    # An accepted withdrawal's run wrote removals (tracker.ingest.withdrawals): they are changes too.
    ok_ids = [r["id"] for r in runs if r["status"] in (*m.SUCCESS_STATUSES, ACCEPTED_STATUS)]
    by_run = {r["id"]: feeds[r["feed_id"]] for r in runs}
    _observation_changes(conn, ok_ids, by_run)
    _note_changes(conn, ok_ids, by_run)
    _claim_changes(conn, ok_ids, by_run)
    _findings(conn, ok_ids, by_run)
    out = list(feeds.values())
    if source is not None:
        out = [_only_source(f, source) for f in out]
        out = [f for f in out if f.source == source or f.claims]
    return out


def _only_source(changes: FeedChangeRows, source: str) -> FeedChangeRows:
    """A feed of another source keeps only the claims `source` made (a claims file holds many)."""
    if changes.source == source:
        return changes
    return FeedChangeRows(
        changes.feed, changes.source, changes.runs, claims=[c for c in changes.claims if c["source"] == source]
    )


def known_before_and_after(runs: Sequence[dict[str, Any]]) -> tuple[dt.datetime, dt.datetime] | None:
    """The moments a feed's series are read as known at: just before its first successful run of
    the window and at its last (None without a successful run)."""
    ok = [r for r in runs if r["status"] in m.SUCCESS_STATUSES]
    if not ok:
        return None
    return min(r["observed_at"] for r in ok) - ONE_TICK, max(r["observed_at"] for r in ok)


def series_as_known(
    conn: Connection, changes: FeedChangeRows, metric: str, side: str, known_at: dt.datetime
) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """One series of the feed as known at `known_at`: tracker.store.queries.observation_rows."""
    return observation_rows(conn, source=changes.source, metric=metric, known_at=known_at, feed=changes.feed, side=side)


def _select_runs(conn: Connection, window: Window) -> list[dict[str, Any]]:
    run = m.ingest_run.c
    query = select(run.id, run.feed_id, run.feed_name, run.source_key, run.observed_at, run.status, run.error).where(
        run.feed_id.is_not(None)
    )
    if window.run_ids:
        query = query.where(run.id.in_(window.run_ids))
    elif window.last_run:
        latest = (
            select(run.feed_id, func.max(run.id).label("id"))
            .where(run.status.in_(m.SUCCESS_STATUSES))
            .group_by(run.feed_id)
            .subquery()
        )
        query = query.join(latest, latest.c.id == run.id)
    else:
        if window.since is not None:
            query = query.where(run.observed_at >= window.since)
        if window.until is not None:
            query = query.where(run.observed_at <= window.until)
    rows = conn.execute(query.order_by(run.observed_at, run.id)).all()
    return [
        {
            "id": r.id,
            "feed_id": r.feed_id,
            "feed": r.feed_name,
            "source": r.source_key,
            "observed_at": as_utc(r.observed_at),
            "status": r.status,
            "error": r.error,
        }
        for r in rows
    ]


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _classify(revision: int, removed: bool, previous_removed: bool | None) -> str:
    """new, revised, removed or re-added: what one revision row did to its key."""
    if removed:
        return "removed"
    if revision == 1 or previous_removed is None:
        return "new"
    return "re-added" if previous_removed else "revised"


# Each revision a run stored, beside the revision it followed (if any): SQL text read through
# tracker.store.reading.fetch, since a SQLAlchemy Row per row was most of the cost of `changes`
# after a backfill of 850,000 figures.
_OBSERVATION_CHANGES = (
    "SELECT o.run_id, o.kind, metric.name, o.side, o.report_date, o.revision, o.value, o.qualifier, "
    "o.reported_increase, o.removed, o.first_seen_at, p.value, p.qualifier, p.removed, p.first_seen_at "
    "FROM observation o JOIN metric ON metric.id = o.metric_id LEFT OUTER JOIN observation p "
    "ON p.feed_id = o.feed_id AND p.kind = o.kind AND p.metric_id = o.metric_id AND p.side = o.side "
    "AND p.report_date = o.report_date AND p.revision = o.revision - 1 WHERE o.run_id IN ({runs})"
)


def _observation_changes(conn: Connection, run_ids: list[int], by_run: dict[int, FeedChangeRows]) -> None:
    moments: dict[Any, dt.datetime | None] = {}  # a run's figures share their first-seen moment

    def moment(value: Any) -> dt.datetime | None:
        if value not in moments:
            moments[value] = as_moment(value)
        return moments[value]

    for ids in _chunks(run_ids):
        params = {f"r{i}": run_id for i, run_id in enumerate(ids)}
        sql = _OBSERVATION_CHANGES.format(runs=", ".join(f":{name}" for name in params))
        for row in fetch(conn, sql, params):
            changes = by_run[row[0]]
            what, out = _figure_change(row, moment)
            if what == "new":
                changes.new_reports.append(out)
            elif what == "revised":
                changes.revisions.append(out)
            elif what == "removed":
                changes.removals.append(out)
            else:
                changes.readds.append(out)
    order = {name: i for i, name in enumerate(METRICS)}
    for changes in set(by_run.values()):
        for rows in (changes.new_reports, changes.revisions, changes.removals, changes.readds):
            rows.sort(key=lambda x: (x["seen_at"], x["report_date"], order.get(x["metric"], 99), x["kind"], x["side"]))


def _figure_change(row: Sequence[Any], moment: Any) -> tuple[str, dict[str, Any]]:
    """What one row of _OBSERVATION_CHANGES did (new, revised, removed, re-added), as a plain row."""
    run_id, kind, metric, side, day, revision, value, qualifier, increase, removed, seen = row[:11]
    old_value, old_qualifier, old_removed, old_seen = row[11:]
    what = _classify(revision, bool(removed), None if old_removed is None else bool(old_removed))
    out: dict[str, Any] = {
        "report_date": as_date(day),
        "metric": metric,
        "kind": kind,
        "side": side,
        "run_id": run_id,
        "seen_at": moment(seen),
    }
    if what == "new":
        out.update(value=value, qualifier=qualifier, reported_increase=increase)
    elif what == "revised":
        out.update(
            old_value=old_value,
            value=value,
            old_qualifier=old_qualifier,
            qualifier=qualifier,
            old_seen_at=moment(old_seen),
        )
    elif what == "removed":
        out.update(old_value=old_value, old_seen_at=moment(old_seen))
    else:
        out.update(value=value, qualifier=qualifier, removed_at=moment(old_seen))
    return what, out


def _note_changes(conn: Connection, run_ids: list[int], by_run: dict[int, FeedChangeRows]) -> None:
    notes = m.report_note
    prev = notes.alias("previous")
    for ids in _chunks(run_ids):
        query = (
            select(
                notes.c.run_id,
                notes.c.key,
                notes.c.report_date,
                notes.c.revision,
                notes.c.text,
                notes.c.removed,
                notes.c.first_seen_at,
                prev.c.text.label("old_text"),
                prev.c.removed.label("old_removed"),
            )
            .outerjoin(
                prev,
                and_(
                    prev.c.feed_id == notes.c.feed_id,
                    prev.c.key == notes.c.key,
                    prev.c.report_date == notes.c.report_date,
                    prev.c.revision == notes.c.revision - 1,
                ),
            )
            .where(notes.c.run_id.in_(ids))
            .order_by(notes.c.report_date, notes.c.key)
        )
        for r in conn.execute(query):
            what = _classify(r.revision, bool(r.removed), None if r.old_removed is None else bool(r.old_removed))
            by_run[r.run_id].notes.append(
                {
                    "change": what,
                    "key": r.key,
                    "report_date": r.report_date,
                    "old_text": r.old_text if what in ("revised", "removed") else None,
                    "text": r.text,
                    "seen_at": as_utc(r.first_seen_at),
                }
            )


def _claim_changes(conn: Connection, run_ids: list[int], by_run: dict[int, FeedChangeRows]) -> None:
    claim = m.claim
    prev = claim.alias("previous")
    claimant = m.source.alias("claimant")
    for ids in _chunks(run_ids):
        query = (
            select(claim, prev, claimant.c.key.label("claimant"))
            .outerjoin(
                prev,
                and_(
                    prev.c.feed_id == claim.c.feed_id,
                    prev.c.claim_key == claim.c.claim_key,
                    prev.c.revision == claim.c.revision - 1,
                ),
            )
            .outerjoin(claimant, claimant.c.id == claim.c.source_id)
            .where(claim.c.run_id.in_(ids))
            .order_by(claim.c.claim_key)
        )
        width = len(claim.c)
        for r in conn.execute(query):
            new = dict(zip(claim.c.keys(), r[:width], strict=True))
            old = dict(zip(prev.c.keys(), r[width : 2 * width], strict=True))
            has_old = old["id"] is not None
            what = _classify(new["revision"], bool(new["removed"]), bool(old["removed"]) if has_old else None)
            by_run[new["run_id"]].claims.append(
                {
                    "change": what,
                    "key": new["claim_key"],
                    "source": r.claimant if what != "removed" else None,
                    "new": new,
                    "old": old,
                }
            )
    _claimant_of_removed(conn, by_run)


def _claimant_of_removed(conn: Connection, by_run: dict[int, FeedChangeRows]) -> None:
    """A removal revision carries no values: its claimant is the one the claim had before."""
    claim = m.claim
    missing = {c["key"] for f in set(by_run.values()) for c in f.claims if c["source"] is None}
    if not missing:
        return
    rows = conn.execute(
        select(claim.c.claim_key, m.source.c.key)
        .join(m.source, m.source.c.id == claim.c.source_id)
        .where(claim.c.claim_key.in_(sorted(missing)))
    ).all()
    owner = {key: source for key, source in rows}
    for changes in set(by_run.values()):
        for c in changes.claims:
            if c["source"] is None:
                c["source"] = owner.get(c["key"])


def _findings(conn: Connection, run_ids: list[int], by_run: dict[int, FeedChangeRows]) -> None:
    f = m.finding.c
    for ids in _chunks(run_ids):
        query = (
            select(f.run_id, f.severity, f.rule, f.metric, f.report_date, f.message, f.status)
            .where(f.run_id.in_(ids))
            .order_by(f.report_date, f.id)
        )
        for r in conn.execute(query):
            by_run[r.run_id].findings.append(
                {
                    "severity": r.severity,
                    "rule": r.rule,
                    "metric": r.metric,
                    "report_date": r.report_date,
                    "message": r.message,
                    "status": r.status,
                }
            )
