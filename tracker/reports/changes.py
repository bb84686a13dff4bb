"""What the runs of a window changed, per feed: new reports, revisions, removals and re-adds,
new records, milestones passed, new findings, new or revised claims and report notes.

Pure reads of what the store already keeps: every revision row names the run that wrote it
(`run_id`), a run its moment (`observed_at`, which is every row's `first_seen_at`), a finding the
run that first found it. A window selects runs; the changes are the rows those runs wrote. A new
record or milestone compares the series as known just before the window's first run of a feed
with the series as known after its last (observations_frame(known_at=...)), with the records
rules of `tracker.analysis` (doubtful days left out), so `changes` and `records` agree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, select
from sqlalchemy.exc import SQLAlchemyError

from tracker.claims.claim import STORED_FIELDS
from tracker.domain import KYIV, METRICS
from tracker.errors import InvalidInput
from tracker.store import models as m
from tracker.store.db import as_utc, store_failure
from tracker.store.run_report import ACCEPTED_STATUS

if TYPE_CHECKING:
    from tracker.analysis.daily_rows import DailyRows

LAST_RUN = "last-run"
YESTERDAY = "yesterday"
TODAY = "today"
CHUNK = 500  # run ids per IN (...) list
ONE_TICK = dt.timedelta(microseconds=1)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:?\d{2}(:?\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
TIME_HELP = "a time (2024-11-11T08:00, UTC unless it names an offset), a Kyiv day (2024-11-11), yesterday or today"


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


# --- the window ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Which runs to read: those observed in [since, until] (both inclusive), or each feed's most
    recent successful run (`last_run`), or the runs named by id (`run_ids`, e.g. one daily job's)."""

    asked: str
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    last_run: bool = False
    run_ids: tuple[int, ...] = ()


def _kyiv_day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=KYIV).astimezone(dt.UTC)


def parse_time(text: str, option: str, *, now: dt.datetime, end_of_day: bool = False) -> dt.datetime:
    """A moment from the command line: an ISO time (UTC unless it names an offset), a Kyiv day
    (its start, or with `end_of_day` its last moment), "today" or "yesterday" (Kyiv)."""
    value = text.strip()
    today = now.astimezone(KYIV).date()
    day: dt.date | None = None
    if value in (TODAY, YESTERDAY):
        day = today if value == TODAY else today - dt.timedelta(days=1)
    elif value.isascii() and _DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{option}: no such calendar date: {text[:40]!r}") from None
    from tracker.ingest.snapshots import check_span, parse_moment

    if day is not None:
        try:
            moment = _kyiv_day_start(day + dt.timedelta(days=1)) - ONE_TICK if end_of_day else _kyiv_day_start(day)
            check_span(moment, value)
        except (InvalidInput, OverflowError):
            raise InvalidInput(f"{option} {value}: a day from 1970-01-01 to 9999-12-30") from None
        return moment
    if not (value.isascii() and _MOMENT.fullmatch(value)):
        raise InvalidInput(f"{option}: expected {TIME_HELP}, got {text[:40]!r}")
    try:
        return parse_moment(value).astimezone(dt.UTC)
    except InvalidInput as exc:
        if "outside the times" in str(exc):
            raise InvalidInput(f"{option} {value}: a time from 1970-01-01 to 9999-12-30 (UTC)") from None
        raise InvalidInput(f"{option}: expected {TIME_HELP}, got {text[:40]!r}") from None


def parse_window(since: str, until: str | None = None, *, now: dt.datetime | None = None) -> Window:
    """The window `--since` / `--until` ask for. "last-run": each feed's most recent successful run
    (after `tracker daily`, that job's runs); "yesterday": from the start of yesterday (Kyiv)."""
    now = now or dt.datetime.now(dt.UTC)
    if since.strip() == LAST_RUN:
        if until is not None:
            raise InvalidInput("--until cannot be used with --since last-run (it is each feed's last run)")
        return Window(asked=LAST_RUN, last_run=True)
    start = parse_time(since, "--since", now=now)
    if start > now:
        raise InvalidInput(f"--since {since.strip()[:40]} is in the future: nothing has changed there yet")
    end = parse_time(until, "--until", now=now, end_of_day=True) if until is not None else None
    if end is not None and end < start:
        raise InvalidInput(f"--until {until} is before --since {since}")
    asked = f"since {since.strip()}" + (f" until {until.strip()}" if until is not None else "")
    return Window(asked=asked, since=start, until=end)


# --- what changed ----------------------------------------------------------------------------------


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


@dataclass(eq=False)  # compared (and hashed) by identity: one per feed
class FeedChanges:
    """Everything the selected runs of one feed changed. Rows are plain dicts (JSON-ready)."""

    feed: str
    source: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    new_reports: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    removals: list[dict[str, Any]] = field(default_factory=list)
    readds: list[dict[str, Any]] = field(default_factory=list)
    records: list[NewRecord] = field(default_factory=list)
    milestones: list[MilestonePassed] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return any(
            (self.new_reports, self.revisions, self.removals, self.readds, self.findings, self.claims, self.notes)
        )


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
        if source is not None:
            _check_source(conn, source)
        runs = _select_runs(conn, window)
        feeds: dict[int, FeedChanges] = {}
        for run in runs:
            key = run["feed_id"]
            if key not in feeds:
                feeds[key] = FeedChanges(feed=run["feed"], source=run["source"])
            feeds[key].runs.append({k: v for k, v in run.items() if k != "feed_id"})
        # An accepted withdrawal's run wrote removals (tracker.ingest.withdrawals): they are changes too.
        ok_ids = [r["id"] for r in runs if r["status"] in (*m.SUCCESS_STATUSES, ACCEPTED_STATUS)]
        by_run = {r["id"]: feeds[r["feed_id"]] for r in runs}
        _observation_changes(conn, ok_ids, by_run)
        _note_changes(conn, ok_ids, by_run)
        _claim_changes(conn, ok_ids, by_run)
        _findings(conn, ok_ids, by_run)
        for feed_id, changes in feeds.items():
            _records_and_increments(conn, changes, [r for r in runs if r["feed_id"] == feed_id])
    finally:
        if conn is not engine:
            conn.close()
    out = list(feeds.values())
    if source is not None:
        out = [_only_source(f, source) for f in out]
        out = [f for f in out if f.source == source or f.claims]
    return Changes(window, out)


def _check_source(conn: Connection, source: str) -> None:
    from tracker.store.sources import require_source

    require_source(conn, source)


def _only_source(changes: FeedChanges, source: str) -> FeedChanges:
    """A feed of another source keeps only the claims `source` made (a claims file holds many)."""
    if changes.source == source:
        return changes
    return FeedChanges(
        changes.feed, changes.source, changes.runs, claims=[c for c in changes.claims if c["source"] == source]
    )


def _select_runs(conn: Connection, window: Window) -> list[dict[str, Any]]:
    run = m.ingest_run.c
    query = select(run.id, run.feed_id, run.feed_name, run.source_key, run.observed_at, run.status, run.error).where(
        run.feed_id.is_not(None)
    )
    if window.run_ids:
        query = query.where(run.id.in_(window.run_ids))
    elif window.last_run:
        latest = (
            select(run.feed_id, _max(run.id).label("id"))
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


def _max(column: Any) -> Any:
    from sqlalchemy import func

    return func.max(column)


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


def _observation_changes(conn: Connection, run_ids: list[int], by_run: dict[int, FeedChanges]) -> None:
    from tracker.store.reading import as_date, as_moment, fetch

    moments: dict[Any, dt.datetime | None] = {}  # a run's figures share their first-seen moment

    def moment(value: Any) -> dt.datetime | None:
        if value not in moments:
            moments[value] = as_moment(value)
        return moments[value]

    for ids in _chunks(run_ids):
        params = {f"r{i}": run_id for i, run_id in enumerate(ids)}
        sql = _OBSERVATION_CHANGES.format(runs=", ".join(f":{name}" for name in params))
        for row in fetch(conn, sql, params):
            run_id, kind, metric, side, day, revision, value, qualifier, increase, removed, seen = row[:11]
            old_value, old_qualifier, old_removed, old_seen = row[11:]
            changes = by_run[run_id]
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
                changes.new_reports.append(out)
            elif what == "revised":
                out.update(
                    old_value=old_value,
                    value=value,
                    old_qualifier=old_qualifier,
                    qualifier=qualifier,
                    old_seen_at=moment(old_seen),
                )
                changes.revisions.append(out)
            elif what == "removed":
                out.update(old_value=old_value, old_seen_at=moment(old_seen))
                changes.removals.append(out)
            else:
                out.update(value=value, qualifier=qualifier, removed_at=moment(old_seen))
                changes.readds.append(out)
    order = {name: i for i, name in enumerate(METRICS)}
    for changes in set(by_run.values()):
        for rows in (changes.new_reports, changes.revisions, changes.removals, changes.readds):
            rows.sort(key=lambda x: (x["seen_at"], x["report_date"], order.get(x["metric"], 99), x["kind"], x["side"]))


def _note_changes(conn: Connection, run_ids: list[int], by_run: dict[int, FeedChanges]) -> None:
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


# What a claim's revision can change, besides its source (tracker.claims.claim.STORED_FIELDS).
CLAIM_FIELDS = tuple(f for f in STORED_FIELDS if f != "source")


def _claim_changes(conn: Connection, run_ids: list[int], by_run: dict[int, FeedChanges]) -> None:
    from tracker.claims.claim import figure_label

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
            shown = old if what == "removed" else new
            changed = [f for f in CLAIM_FIELDS if what == "revised" and old[f] != new[f]]
            by_run[new["run_id"]].claims.append(
                {
                    "change": what,
                    "key": new["claim_key"],
                    "source": r.claimant if what != "removed" else None,
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
                    "changed": changed,
                    "old_seen_at": as_utc(old["first_seen_at"]) if has_old else None,
                    "seen_at": as_utc(new["first_seen_at"]),
                }
            )
    _claimant_of_removed(conn, by_run)


def _claimant_of_removed(conn: Connection, by_run: dict[int, FeedChanges]) -> None:
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


def _findings(conn: Connection, run_ids: list[int], by_run: dict[int, FeedChanges]) -> None:
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


# --- records, milestones and increments ------------------------------------------------------------


def _records_and_increments(conn: Connection, changes: FeedChanges, runs: list[dict[str, Any]]) -> None:
    """Each new report's increment (as the series stood after the feed's runs), and the records and
    milestones those runs set: the series before its first run against the series after its last."""
    ok = [r for r in runs if r["status"] in m.SUCCESS_STATUSES]
    if not ok:
        return
    before_at = min(r["observed_at"] for r in ok) - ONE_TICK
    after_at = max(r["observed_at"] for r in ok)
    # (metric, side) -> the report dates the runs brought or changed; a removal moves a series too
    touched: dict[tuple[str, str], set[dt.date]] = {}
    for row in changes.removals:
        touched.setdefault((row["metric"], row["side"]), set())
    for row in [*changes.new_reports, *changes.revisions, *changes.readds]:
        touched.setdefault((row["metric"], row["side"]), set()).add(row["report_date"])
    # The totals first reported in the window, and the series it revised, removed or re-added
    # anything of: a series of neither kind whose every report is among the first was not there
    # before.
    fresh: dict[tuple[str, str], set[dt.date]] = {}
    for row in changes.new_reports:
        if row["kind"] == "total":
            fresh.setdefault((row["metric"], row["side"]), set()).add(row["report_date"])
    moved_old = {(r["metric"], r["side"]) for r in [*changes.revisions, *changes.removals, *changes.readds]}
    for spec in METRICS.values():  # a merged category's series moves with its predecessors'
        for pred in spec.predecessors:
            for by_series in (touched, fresh):
                for (metric, side), dates in list(by_series.items()):
                    if metric == pred:
                        by_series.setdefault((spec.name, side), set()).update(dates)
            moved_old |= {(spec.name, side) for metric, side in moved_old if metric == pred}
    after: dict[tuple[str, str], DailyRows] = {}
    for (metric, side), dates in touched.items():
        if metric not in METRICS:
            continue
        daily_after = _daily(conn, changes, metric, side, after_at)
        after[(metric, side)] = daily_after
        spec = METRICS[metric]
        if spec.retired or not daily_after.rows or _first_seen_in_window(daily_after, fresh, moved_old, (metric, side)):
            continue  # a series first seen in the window has no record or milestone to beat
        if not _may_be_news(daily_after, metric, dates):
            continue
        daily_before = _daily(conn, changes, metric, side, before_at)
        if not daily_before.rows:
            continue  # a series first seen in the window has no record or milestone to beat
        record = _new_record(changes, metric, side, daily_before, daily_after, dates)
        if record is not None:
            changes.records.append(record)
        changes.milestones.extend(_milestones_passed(changes, metric, side, daily_before, daily_after))
    _attach_increments(changes.new_reports, after)
    _attach_increments(changes.readds, after)
    order = {name: i for i, name in enumerate(METRICS)}
    changes.records.sort(key=lambda r: order.get(r.metric, 99))
    changes.milestones.sort(key=lambda x: (order.get(x.metric, 99), x.milestone))


def _first_seen_in_window(
    daily: DailyRows,
    fresh: dict[tuple[str, str], set[dt.date]],
    moved_old: set[tuple[str, str]],
    key: tuple[str, str],
) -> bool:
    """Whether every report of the series after the window was first reported in it, nothing of
    the series revised, removed or re-added there: then the series before the window was empty,
    and reading it (all its revisions, at a million rows a feed) is skipped."""
    if key in moved_old:
        return False
    new = fresh.get(key, set())
    return len(new) >= len(daily.rows) and all(r["report_date"] in new for r in daily.rows)


def _daily(conn: Connection, changes: FeedChanges, metric: str, side: str, known_at: dt.datetime) -> DailyRows:
    """The series by report date as known at `known_at`, as plain rows (tracker.analysis.daily_rows: the
    rules `tracker records` and tracker.analysis share, without a DataFrame per series)."""
    from tracker.analysis.daily_rows import BY_REPORT, daily_rows
    from tracker.store.queries import observation_rows

    rows, attrs = observation_rows(
        conn, source=changes.source, metric=metric, known_at=known_at, feed=changes.feed, side=side
    )
    return daily_rows(rows, attrs, by=BY_REPORT, metric=metric, today=known_at.astimezone(KYIV).date())


def _deadliest(daily: DailyRows) -> dict[str, Any] | None:
    """The series' deadliest day among the days records count (none flagged), or None."""
    from tracker.analysis.daily_rows import deadliest_day_record, split_rows

    top = deadliest_day_record(split_rows(daily, include_flagged=False)[0]).rows
    return top[0] if top else None


def _milestones(daily: DailyRows, metric: str) -> list[dict[str, Any]]:
    """Each milestone of the metric the series' totals passed, on the report that passed it."""
    from tracker.analysis.daily_rows import milestone_record

    return milestone_record(daily, METRICS[metric].milestone_step).rows


def _may_be_news(after: DailyRows, metric: str, moved: set[dt.date]) -> bool:
    """Whether the series after the runs has its deadliest day or a milestone on a report they
    brought: only then is the series before worth reading (a record or milestone must be one)."""
    top = _deadliest(after)
    dates = {r["report_date"] for r in [*([top] if top else []), *_milestones(after, metric)]}
    return bool(dates & moved)


def _new_record(
    changes: FeedChanges,
    metric: str,
    side: str,
    before: DailyRows,
    after: DailyRows,
    moved: set[dt.date],
) -> NewRecord | None:
    """The deadliest day after the runs, if it beats the one before and is a report they brought
    (a day that only moved into the counted days, e.g. by a flag, is not news)."""
    top, peak = _deadliest(after), _deadliest(before)
    if top is None or peak is None:
        return None
    if not float(top["increment"]) > float(peak["increment"]) or top["report_date"] not in moved:
        return None
    return NewRecord(
        feed=changes.feed,
        source=changes.source,
        metric=metric,
        side=side,
        wording=record_wording(metric),
        value=int(top["increment"]),
        report_date=top["report_date"],
        total=int(top["total"]),
        previous_value=int(peak["increment"]),
        previous_report_date=peak["report_date"],
    )


def _milestones_passed(
    changes: FeedChanges, metric: str, side: str, before: DailyRows, after: DailyRows
) -> list[MilestonePassed]:
    known = {row["milestone"] for row in _milestones(before, metric)}
    return [
        MilestonePassed(
            feed=changes.feed,
            source=changes.source,
            metric=metric,
            side=side,
            milestone=int(row["milestone"]),
            report_date=row["report_date"],
            total=int(row["total"]),
            flags=str(row["flags"] or ""),
        )
        for row in _milestones(after, metric)
        if row["milestone"] not in known
    ]


def _attach_increments(rows: list[dict[str, Any]], series: dict[tuple[str, str], DailyRows]) -> None:
    """Give each total its increment, span and flags from the series after the window."""
    lookup = {
        key: {r["report_date"]: (r["increment"], r["span_days"], r["flags"]) for r in daily.rows}
        for key, daily in series.items()
    }
    for row in rows:
        found = lookup.get((row["metric"], row["side"]), {}).get(row["report_date"]) if row["kind"] == "total" else None
        increment, span, flags = found if found is not None else (None, None, "")
        row["increment"] = None if increment is None else int(increment)
        row["span_days"] = None if span is None else int(span)
        row["flags"] = flags or ""
