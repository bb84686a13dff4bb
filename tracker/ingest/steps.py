"""The full path of one ingest run, on a SQLAlchemy engine: fetch -> raw archive -> parse -> store
(revisions) -> validate -> run record. tracker.ingest.run.run_ingest runs it when its unchanged-payload
step (tracker.ingest.repeat) could not confirm the run.

Everything a run changes is written in one transaction, so a crash or a kill leaves the store as
it was. A run that fails still leaves a record of itself (and, for a payload that could not be
parsed, its raw bytes) written separately after the rollback, so the failure can be inspected.
`_store_run` writes one run in steps sharing a small run context (`_Run`): diff the totals, diff
the corrections, the withdrawal rule's holds, notes, claims, validation, finish.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Engine, Row, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from tracker.domain import KYIV
from tracker.errors import (
    BadPayload,
    ExitCode,
    InvalidInput,
    LocalFileError,
    SourceUnreachable,
    StoreError,
    TrackerError,
    internal_error_line,
)
from tracker.ingest import archive, withdrawals
from tracker.ingest.feeds import Feed
from tracker.ingest.parsed import AdjustmentRecord, Fetched, ObservationRecord, ParsedPayload, TotalsTable
from tracker.ingest.validation import Judged, series_name, validate_documented_window, validate_whole, validate_window
from tracker.store import models as m
from tracker.store import registry
from tracker.store.db import as_utc, make_engine, store_failure
from tracker.store.lock import writing
from tracker.store.revisions import Key, Snapshot, Stamp, Values, apply_snapshot, confirm_unchanged
from tracker.store.run_report import NewFinding, RunOptions, RunReport
from tracker.store.source_registry import source_info

# Rules raised while reading a payload (not from the series): re-checked with every new payload.
PARSE_RULES = frozenset(
    {
        "unknown_metric",
        "duplicate_date",
        "duplicate_key",
        "bad_value",
        "bad_row",
        "bad_claim",
        "implausible_date",
        "unmapped_type",
        "parts_mismatch",
    }
)
# The feed's last successful run as last_success reads it: id, digest, n_records, observed_at.
LastRun = Row[int, str | None, int, dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RunRequest:
    """What tracker.ingest.run.run_ingest was asked for one run of a feed, and when the run began."""

    location: str | None
    source: str
    observed_at: dt.datetime | None
    fetch_options: dict[str, object] | None
    options: RunOptions
    started: dt.datetime


@dataclass(frozen=True)
class RunInput:
    """What a run brings to the store besides its parsed payload: when it began, its fetches and
    their digest, the feed's previous successful run, and how it writes (`allow_shrink` applies the
    removals the shrink rule would hold; `role` marks the feed; `dates_by` how its source dates)."""

    started: dt.datetime
    fetched: list[Fetched]
    digest: str
    previous: LastRun | None
    allow_shrink: bool = False
    role: str | None = None
    dates_by: str = "report"


def run_full(url: str, feed: Feed, request: RunRequest) -> RunReport:
    """Fetch, archive, parse, store and validate one payload of a feed (tracker.ingest.run.run_ingest
    says what each option means); never raises for a failed fetch or a bad payload (the report
    says so), raises TrackerError for usage and store errors."""
    clock = time.perf_counter()
    started, observed_at, role = request.started, request.observed_at, request.options.role
    if observed_at is not None:
        observed_at = as_utc(observed_at)
        assert observed_at is not None  # as_utc keeps a moment a moment; only None stays None
        if observed_at > started + dt.timedelta(minutes=5):
            raise InvalidInput(f"--observed-at {observed_at.isoformat()} is in the future")
    report = RunReport(feed.name, request.source, request.location or feed.default_location, observed_at or started)
    engine = make_engine(url)
    try:
        with writing(engine, wait=request.options.lock_wait), collector_paused():
            _run_locked(engine, feed, report, request)
    except StoreError as exc:
        report.error, report.exit_code = str(exc), exc.exit_code
        try:
            report.run_id = _record_failed(engine, report, started, [], role)
        except TrackerError:
            pass
        raise
    except TrackerError:
        raise
    except Exception as exc:
        report.run_id = record_internal_error(engine, [report], started, role, exc)
        raise
    finally:
        report.seconds = time.perf_counter() - clock
        engine.dispose()
    return report


def _run_locked(engine: Engine, feed: Feed, report: RunReport, request: RunRequest) -> None:
    """The run under the writer lock: read what the store holds of the feed (no other writer can
    change it before this run ends), check a backfill's order, fetch, parse, store."""
    name, source, backfill = feed.name, request.source, request.observed_at is not None
    observed_at, allow_shrink = report.observed_at, request.options.allow_shrink
    previous = last_success(engine, name, source)
    dates_by = _dates_by(engine, source)
    # A documented source's snapshot covers its own dates: an older one may still fill a
    # date the store has not seen later (checked once it is read), any other must be in order.
    older = backfill and _is_older(previous, observed_at)
    if backfill and dates_by != "documented":
        _check_order(previous, name, source, observed_at)
        # An accepted withdrawal's removals are revisions at the moment it was accepted.
        _check_order(last_success(engine, name, source, (withdrawals.ACCEPT_STATUS,)), name, source, observed_at)
    fetched: list[Fetched] = []
    try:
        fetched = feed.fetch(request.location, **(request.fetch_options or {}))
        if not backfill:
            report.observed_at = _live_moment(fetched, previous, request.started)
        digest = archive.digest(fetched)
        if dates_by == "documented":
            # The same bytes on another day are that day's figures: a dated snapshot must be
            # parsed again, not confirmed as the previous day's.
            digest = hashlib.sha256(f"{digest} {report.observed_at.date()}".encode()).hexdigest()
        # The same bytes as last time need no parsing: nothing in them can have changed
        # (but --allow-shrink must see what they leave out, to apply removals held before).
        unchanged = previous is not None and previous.digest == digest and not older and not allow_shrink
        parsed = None if unchanged else feed.parse(fetched)
        if parsed is not None and parsed.claims:
            from tracker.ingest.claim_revisions import check_claim_keys

            check_claim_keys(engine, name, source, parsed.claims, report.location)
        if older and parsed is not None:
            _check_history_gap(engine, previous, name, source, observed_at, _dated_window(parsed, dates_by))
    except (SourceUnreachable, BadPayload, LocalFileError) as exc:
        report.error, report.exit_code = str(exc), exc.exit_code
        report.run_id = _record_failed(engine, report, request.started, fetched, request.options.role)
        return
    given = RunInput(request.started, fetched, digest, previous, allow_shrink, request.options.role, dates_by)
    try:
        with run_transaction(engine) as (conn, _first_load):
            _store_run(conn, report, given, parsed)
    except SQLAlchemyError as exc:
        raise store_failure(exc, "store write failed, nothing changed") from None


def record_internal_error(
    engine: Engine, reports: list[RunReport], started: dt.datetime, role: str | None, exc: BaseException
) -> int | None:
    """Record runs ended by an unexpected exception (a bug, not bad input) as failed, exit 1, with
    the error's one line; their transaction has rolled back, so nothing else of them is stored.
    Returns the first run's id (None when even the record cannot be written: the caller re-raises
    the original error, which says more than the store's)."""
    first: int | None = None
    for report in reports:
        report.error, report.exit_code, report.status = internal_error_line(exc), ExitCode.INTERNAL, "failed"
        try:
            run_id = _record_failed(engine, report, started, [], role)
        except TrackerError:
            return first
        report.run_id = run_id
        first = run_id if first is None else first
    return first


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a payload is parsed and stored: a run creates up to
    millions of tuples that hold no cycles, and the collector traversed the young ones some
    6,000 times in an 850,000-row load (0.55 s of 15 s; 0.11 s of a 1.2 s dataset backfill).
    Reference counting still frees everything; the collector is on again after, whatever
    happened."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextmanager
def run_transaction(engine: Engine) -> Iterator[tuple[Connection, bool]]:
    """The transaction a run (or a file's runs) is stored in, and whether it is the store's first
    load (it holds no observation yet; read under the writer lock, so it stays so).

    A first load on SQLite checks its rows' foreign keys once, at its end (PRAGMA
    foreign_key_check, 0.19 s for 850,000 rows), instead of once per row (two fifths of a row's
    insert); a row naming a missing parent is a StoreError, and the transaction rolls back.
    """
    with engine.connect() as conn:
        first_load = conn.execute(select(m.observation.c.id).limit(1)).first() is None
    with engine.execution_options(sqlite_foreign_keys=not first_load).begin() as conn:
        yield conn, first_load
        if first_load and conn.dialect.name == "sqlite":
            missing = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if missing:
                table, rowid, parent, _key = missing[0]
                raise StoreError(
                    f"store write failed, nothing changed: {len(missing):,} row(s) name a missing parent "
                    f"(first: {table} row {rowid} -> {parent})"
                )


def _dates_by(engine: Engine, source: str) -> str:
    """How the source dates its figures, as the store knows it (tracker sources add may say)."""
    from tracker.store.sources import stored_source

    with engine.connect() as conn:
        return stored_source(conn, source).dates_by


def last_success(
    engine: Engine, feed: str, source: str, statuses: tuple[str, ...] = m.SUCCESS_STATUSES
) -> LastRun | None:
    """The feed's last successful run: what the store currently holds for it (the latest observed;
    an older dated snapshot added to the history later does not become it), or its last run of one
    of `statuses`."""
    with engine.connect() as conn:
        return conn.execute(
            select(m.ingest_run.c.id, m.ingest_run.c.digest, m.ingest_run.c.n_records, m.ingest_run.c.observed_at)
            .where(
                m.ingest_run.c.feed_name == feed,
                m.ingest_run.c.source_key == source,
                m.ingest_run.c.status.in_(statuses),
            )
            .order_by(m.ingest_run.c.observed_at.desc(), m.ingest_run.c.id.desc())
            .limit(1)
        ).first()


def _live_moment(fetched: list[Fetched], previous: LastRun | None, started: dt.datetime) -> dt.datetime:
    """When a live run observed its payload: its fetch time, taken under the writer lock, so runs
    that waited for each other are in order; never before the feed's last run (a clock that
    stepped back must not make revisions claim a false history)."""
    moment = max((f.fetched_at for f in fetched), default=started)
    last = as_utc(previous.observed_at) if previous is not None else None
    return max(moment, last) if last is not None else moment


def _check_order(previous: LastRun | None, feed: str, source: str, observed_at: dt.datetime) -> None:
    """Backfilled snapshots must arrive in time order, or revisions would claim a false history."""
    last = as_utc(previous.observed_at) if previous is not None else None
    if last is not None and last > observed_at:
        raise InvalidInput(
            f"{feed} ({source}) was already observed at {last.isoformat()}; "
            f"a snapshot observed at {observed_at.isoformat()} is older — ingest snapshots in time order"
        )


def _is_older(previous: LastRun | None, observed_at: dt.datetime) -> bool:
    last = as_utc(previous.observed_at) if previous is not None else None
    return last is not None and last > observed_at


def _check_history_gap(
    engine: Engine,
    previous: LastRun | None,
    feed: str,
    source: str,
    observed_at: dt.datetime,
    window: tuple[dt.date, dt.date] | None,
) -> None:
    """An older dated snapshot is history to add when every row the store holds of its feed in
    its date window was last seen no later than the snapshot (usually: none at all). Its rows then
    enter as revisions first seen at its own moment, and what the store saw later still follows
    them; otherwise it would rewrite what was seen after it: InvalidInput, nothing stored."""
    if window is None:  # records outside the snapshot's own dates: only in time order
        _check_order(previous, feed, source, observed_at)
        return
    latest: dt.datetime | None = None
    with engine.connect() as conn:
        for table in (m.observation, m.report_note):
            seen = conn.execute(
                select(func.max(table.c.last_seen_at))
                .select_from(table.join(m.feed, m.feed.c.id == table.c.feed_id))
                .join(m.source, m.source.c.id == m.feed.c.source_id)
                .where(m.feed.c.name == feed, m.source.c.key == source, table.c.report_date.between(*window))
            ).scalar()
            moment = as_utc(seen) if seen is not None else None
            if moment is not None and (latest is None or moment > latest):
                latest = moment
    if latest is not None and latest > observed_at:
        days = window[0].isoformat() if window[0] == window[1] else f"{window[0]} to {window[1]}"
        raise InvalidInput(
            f"{feed} ({source}) already holds figures dated {days} seen at {latest.isoformat()}, after this "
            f"snapshot's {observed_at.isoformat()}: an older snapshot can only add dates not seen later"
        )


def _ensure_ids(conn: Connection, feed_name: str, source_key: str, location: str, role: str | None) -> tuple[int, int]:
    source_id = registry.source_ids(conn, [source_key])[source_key]
    return source_id, registry.feed_id(conn, feed_name, source_id, location, role)


def _archive(conn: Connection, run_id: int, fetched: Iterable[Fetched]) -> None:
    for item in fetched:
        sha = archive.sha256(item.content)
        blob_id = conn.execute(select(m.payload_blob.c.id).where(m.payload_blob.c.sha256 == sha)).scalar()
        if blob_id is None:
            blob_id = conn.execute(
                insert(m.payload_blob)
                .values(sha256=sha, size=len(item.content), compression="zlib", content=archive.compress(item.content))
                .returning(m.payload_blob.c.id)
            ).scalar_one()
        conn.execute(
            insert(m.payload_fetch).values(
                run_id=run_id,
                blob_id=blob_id,
                location=item.location,
                final_location=item.final_location,
                role=item.role,
                fetched_at=item.fetched_at,
                content_type=(item.content_type or "")[:200] or None,
                status_code=item.status,
            )
        )


def _record_failed(
    engine: Engine, report: RunReport, started: dt.datetime, fetched: list[Fetched], role: str | None
) -> int | None:
    """A failed run's record and raw bytes, in a transaction of their own."""
    try:
        with engine.begin() as conn:
            run_id = _insert_run(
                conn,
                report,
                started,
                role,
                finished_at=utcnow(),
                status="failed",
                error=report.error,
                exit_code=int(report.exit_code),
                digest=archive.digest(fetched) if fetched else None,
            ).run_id
            _archive(conn, run_id, fetched)
            return int(run_id)
    except SQLAlchemyError as exc:
        raise store_failure(exc, "could not record the failed run") from None


class OpenedRun(NamedTuple):
    """A run's row, inserted as running: its source's, feed's and own ids."""

    source_id: int
    feed_id: int
    run_id: int


def open_run(conn: Connection, report: RunReport, started: dt.datetime, digest: str, role: str | None) -> OpenedRun:
    """Insert the run's row as running (its feed and source registered if new); the run's id is
    set on `report`. A file of many sources opens all its runs first, so they are numbered in the
    order its sources are listed, not in the order their last rows come."""
    opened = _insert_run(conn, report, started, role, status="running", digest=digest)
    report.run_id = opened.run_id
    return opened


def _insert_run(
    conn: Connection, report: RunReport, started: dt.datetime, role: str | None, **values: Any
) -> OpenedRun:
    """The run's row (`values` say how it stands), its feed and source registered if new."""
    source_id, feed_id = _ensure_ids(conn, report.feed, report.source, report.location, role)
    run_id = conn.execute(
        insert(m.ingest_run)
        .values(
            feed_name=report.feed,
            source_key=report.source,
            feed_id=feed_id,
            location=report.location,
            started_at=started,
            observed_at=report.observed_at,
            **values,
        )
        .returning(m.ingest_run.c.id)
    ).scalar_one()
    return OpenedRun(source_id, feed_id, run_id)


# The observation table's key and value columns, as its revisions are diffed.
OBS_KEY = ("metric_id", "side", "report_date")
OBS_VALUES = ("value", "qualifier", "reported_increase", "definition")


@dataclass
class _Run:
    """One parsed run being stored: its connection, report, ids and payload, what it asked
    (`given`), and what its steps learn on the way (the payload's rows by kind, the states after
    the diff, the keys that moved, the withdrawal rule's holds)."""

    conn: Connection
    report: RunReport
    ids: OpenedRun
    parsed: ParsedPayload
    given: RunInput
    metric_ids: dict[str, int]
    names: dict[int, str]
    implausible: list[NewFinding]
    dropped: set[tuple[str, dt.date]]
    window: tuple[dt.date, dt.date] | None  # a dated snapshot's own dates
    additive: tuple[dt.date, dt.date] | None  # an additive payload's dates
    stored_before: dict[tuple[str, int], int]
    held: bool  # whether the feed held anything before this run
    by_kind: dict[str, dict[Key, Values]] = field(default_factory=dict)
    states: dict[str, dict[Key, Values]] = field(default_factory=dict)
    state_adjustments: dict[Key, Values] = field(default_factory=dict)
    changed: set[Key] = field(default_factory=set)
    changed_adj: set[Key] = field(default_factory=set)
    held_before: dict[withdrawals.HeldKey, tuple[int, int, bool]] = field(default_factory=dict)
    holding: withdrawals.Holding | None = None
    held_finding: NewFinding | None = None
    claims_held: NewFinding | None = None  # a claims file's withdrawal_held finding

    @property
    def now(self) -> dt.datetime:
        return self.report.observed_at

    @property
    def stamp(self) -> Stamp:
        """The revisions' run and moment, and the source every observation and note row names."""
        return Stamp(self.now, self.ids.run_id, {"source_id": self.ids.source_id})

    @property
    def where(self) -> ColumnElement[bool] | None:
        """The dates the payload is diffed against: a dated snapshot's or an additive payload's."""
        bounds = self.window or self.additive
        return m.observation.c.report_date.between(*bounds) if bounds is not None else None


def _store_run(
    conn: Connection, report: RunReport, given: RunInput, parsed: ParsedPayload | None, opened: OpenedRun | None = None
) -> None:
    """Record the run (in the row `opened` by open_run, else a new one); `parsed` is None when
    the payload is the previous run's bytes again.

    Removals the shrink rule judges suspicious are held (tracker.ingest.withdrawals), unless
    `given.allow_shrink`: the rest of the run is stored.
    """
    opened = opened or open_run(conn, report, given.started, given.digest, given.role)
    _archive(conn, opened.run_id, given.fetched)
    if parsed is None:
        assert given.previous is not None, "only a repeat of the previous run's bytes skips parsing"
        _confirm_repeat(conn, report, opened, given.previous)
    else:
        run = _begin(conn, report, opened, parsed, given)
        _diff_totals(run)
        _diff_corrections(run)
        _record_withdrawals(run)
        _store_notes(run)
        _store_claims(run)
        _validate(run)
    _finish(conn, report, opened)


def _confirm_repeat(conn: Connection, report: RunReport, opened: OpenedRun, previous: LastRun) -> None:
    """The same bytes as the previous run: confirm what it saw; findings stand as they are. (On a
    SQLite file, tracker.ingest.repeat writes the same rows with sqlite3 before this path is needed.)"""
    seen = {"feed_id": opened.feed_id, "previous_run_id": previous.id, "now": report.observed_at}
    report.n_records = previous.n_records
    report.counts.unchanged = sum(
        confirm_unchanged(conn, table, **seen, run_id=opened.run_id) for table in (m.observation, m.claim)
    )
    confirm_unchanged(conn, m.report_note, **seen, run_id=opened.run_id)
    report.status = "unchanged"


def _begin(conn: Connection, report: RunReport, opened: OpenedRun, parsed: ParsedPayload, given: RunInput) -> _Run:
    """The run context of a parsed payload: its metrics' ids, the dates set aside, the window it
    is diffed in, and what the feed held before it."""
    report.n_records = (
        parsed.n_totals + len(parsed.adjustments) + len(parsed.directions) + len(parsed.notes) + len(parsed.claims)
    )
    table = parsed.table
    ids = registry.metric_ids(
        conn,
        set(map(attrgetter("metric"), parsed.observations))
        | (set(map(itemgetter(0), table.rows)) if table is not None else set())
        | {a.metric for a in parsed.adjustments}
        | set(parsed.scope.metrics),
        parsed.metric_specs,
    )
    implausible, dropped = _implausible_dates(parsed, report.source, report.observed_at)
    window = _dated_window(parsed, given.dates_by)
    additive = _additive_window(parsed, dropped) if window is None else None
    run = _Run(
        conn,
        report,
        opened,
        parsed,
        given,
        ids,
        {v: k for k, v in ids.items()},
        implausible,
        dropped,
        window,
        additive,
        {},
        False,
    )
    obs = m.observation
    run.stored_before = _current_counts(conn, opened.feed_id, run.where)
    # Whether the feed held anything before this run: a first load has no stored context to read.
    run.held = bool(run.stored_before) or (
        conn.execute(select(obs.c.id).where(obs.c.feed_id == opened.feed_id).limit(1)).first() is not None
    )
    return run


def _incoming_totals(run: _Run) -> dict[str, dict[Key, Values]]:
    """The payload's totals, and the status parts of a total for sources that give them, by kind;
    a kind the store holds but this payload lacks is still diffed, so its rows in scope are removed."""
    ids, dropped = run.metric_ids, run.dropped
    by_kind: dict[str, dict[Key, Values]] = {"total": {}}
    for kind, _metric_id in run.stored_before:
        if kind != "adjustment":
            by_kind.setdefault(kind, {})
    for o in run.parsed.observations:
        if not dropped or (o.metric, o.report_date) not in dropped:
            values = (o.value, o.qualifier, o.reported_increase, o.definition)
            by_kind.setdefault(o.kind, {})[(ids[o.metric], o.side, o.report_date)] = values
    if run.parsed.table is not None:
        by_kind["total"].update(_table_rows(run.parsed.table, ids, dropped))
    return by_kind


def _diff_totals(run: _Run) -> None:
    """Diff the totals (and status parts) kind by kind. Removals the shrink rule judges suspicious
    are held, not applied (tracker.ingest.withdrawals), and so are a documented snapshot's figures that
    fall far below the series' last point."""
    conn, feed_id, parsed, names, dropped = run.conn, run.ids.feed_id, run.parsed, run.names, run.dropped
    run.by_kind = by_kind = _incoming_totals(run)
    run.held_before = withdrawals.open_keys(conn, feed_id) if run.held else {}
    run.holding = holding = withdrawals.Holding(run.given.allow_shrink, set(run.held_before))
    if run.window is not None and run.held:
        holding.hold_drops(by_kind, withdrawals.documented_drops(conn, feed_id, by_kind["total"], run.window[0]))

    def in_scope(key: Key) -> bool:
        return (names[key[0]], key[2]) not in dropped and parsed.scope.covers(names[key[0]], key[2])

    where = run.where
    for kind, incoming in by_kind.items():
        dates = withdrawals.whole_series_dates(conn, feed_id, kind) if where is not None else None
        filters = {"feed_id": feed_id, "kind": kind}
        rows = Snapshot(filters, OBS_KEY, OBS_VALUES, incoming, in_scope, where, holding.hold(kind, dates))
        counts, moved = apply_snapshot(conn, m.observation, rows, run.stamp, state_out=run.states.setdefault(kind, {}))
        run.report.counts.add(counts)
        if kind == "total":
            run.changed |= moved


def _diff_corrections(run: _Run) -> None:
    """Diff the payload's corrections of earlier totals (kind "adjustment"), removed only when the
    payload holds them all."""
    parsed, ids, dropped = run.parsed, run.metric_ids, run.dropped
    assert run.holding is not None  # set by _diff_totals
    adjustments = {
        (ids[a.metric], "russia", a.report_date): (a.delta,)
        for a in parsed.adjustments
        if (a.metric, a.report_date) not in dropped
    }
    rows = Snapshot(
        {"feed_id": run.ids.feed_id, "kind": "adjustment"},
        OBS_KEY,
        ("value",),
        adjustments,
        lambda key: "adjustment" in parsed.complete_kinds,
        hold=run.holding.hold("adjustment", None),
    )
    counts, run.changed_adj = apply_snapshot(run.conn, m.observation, rows, run.stamp, state_out=run.state_adjustments)
    run.report.adjustments = counts
    run.by_kind["adjustment"] = adjustments


def _record_withdrawals(run: _Run) -> None:
    """Open a withdrawal for what this run newly held, close what came back or was removed."""
    assert run.holding is not None  # set by _diff_totals
    run.held_finding, run.report.held = withdrawals.record(
        run.conn,
        feed_id=run.ids.feed_id,
        feed_label=run.report.feed,
        stamp=Stamp(run.now, run.ids.run_id),
        holding=run.holding,
        before=run.held_before,
        incoming=run.by_kind,
        names=run.names,
    )


def _store_notes(run: _Run) -> None:
    """Diff the reports' notes (their direction, their official page). A report set aside for its
    date (before the source began, after the run's day) keeps its notes out of the store as well
    as its figures; a note is part of its report: it stays while the report's figures are held."""
    parsed = run.parsed
    assert run.holding is not None  # set by _diff_totals
    held_dates = {key[3] for key in run.holding.held}
    aside = {day for _metric, day in run.dropped} | set(parsed.implausible)
    directions = {("greatest_losses_direction", d): (text,) for d, text in parsed.directions.items()}
    directions.update((key, (text,)) for key, text in parsed.notes.items())
    if aside:
        directions = {key: text for key, text in directions.items() if key[1] not in aside}
    rows = Snapshot(
        {"feed_id": run.ids.feed_id},
        ("key", "report_date"),
        ("text",),
        directions,
        lambda key: "note" in parsed.complete_kinds and key[1] not in held_dates,
    )
    apply_snapshot(run.conn, m.report_note, rows, run.stamp)


def _store_claims(run: _Run) -> None:
    """Diff the payload's claims (a claims file's), removed only when the payload holds them all."""
    parsed = run.parsed
    if parsed.claims or "claim" in parsed.complete_kinds:
        from tracker.ingest.claim_revisions import apply_claims

        applied = apply_claims(
            run.conn,
            run_id=run.ids.run_id,
            now=run.now,
            claims=parsed.claims,
            complete="claim" in parsed.complete_kinds,
            allow_shrink=run.given.allow_shrink,
            feed_label=run.report.feed,
        )
        run.report.counts.add(applied.counts)
        run.claims_held, run.report.held = applied.finding, run.report.held + applied.held


def _validate(run: _Run) -> None:
    """Validate the series the run moved (a dated snapshot's window, an additive payload's dates,
    else the whole series) and record the findings; the run's status follows from them."""
    conn, feed_id, names, now, report = run.conn, run.ids.feed_id, run.names, run.now, run.report
    moved = set(map(itemgetter(0, 1), run.changed)) | set(map(itemgetter(0, 1), run.changed_adj))
    touched = {(names[mid], side) for mid, side in moved}
    totals = run.states["total"]
    judged: Judged | None = None
    if run.window is not None:
        checked = validate_documented_window(conn, feed_id, totals, touched, names, run.window)
    elif run.additive is not None and run.given.dates_by != "documented":
        checked, judged = validate_window(conn, feed_id, totals, touched, names, now, stored=run.held)
    else:
        checked = validate_whole(totals, run.state_adjustments, touched, names, now, run.given.dates_by)
    # What is wrong with the payload itself first: the summary shows the first findings.
    produced = [
        NewFinding(i.rule, i.severity, i.metric, i.report_date, i.message) for i in run.parsed.issues
    ] + run.implausible
    validated = {series_name(name, side) for name, side in touched}
    report.new_findings = _upsert_findings(run, produced + checked, validated, judged)
    report.new_findings += [f for f in (run.held_finding, run.claims_held) if f is not None]
    warnings = any(f.severity == "warning" for f in report.new_findings)
    report.status = "ok_with_findings" if warnings else "ok"


def _finish(conn: Connection, report: RunReport, opened: OpenedRun) -> None:
    """The run's exit code, its feed's open findings and latest report, and its row finished."""
    obs, feed_id = m.observation, opened.feed_id
    report.exit_code = ExitCode.FINDINGS if report.status == "ok_with_findings" else ExitCode.OK
    report.open_findings = conn.execute(
        select(func.count()).select_from(m.finding).where(m.finding.c.feed_id == feed_id, m.finding.c.status == "open")
    ).scalar_one()
    report.latest_report_date = conn.execute(
        select(func.max(obs.c.report_date)).where(
            obs.c.feed_id == feed_id, obs.c.kind == "total", obs.c.superseded_at.is_(None), obs.c.removed.is_(False)
        )
    ).scalar()
    c = report.counts
    conn.execute(
        update(m.ingest_run)
        .where(m.ingest_run.c.id == opened.run_id)
        .values(
            finished_at=utcnow(),
            status=report.status,
            exit_code=int(report.exit_code),
            n_records=report.n_records,
            n_new=c.new + c.readded,
            n_revised=c.revised,
            n_removed=c.removed,
            n_unchanged=c.unchanged,
            n_findings_new=len(report.new_findings),
            n_findings_open=report.open_findings,
        )
    )


def _table_rows(table: TotalsTable, ids: dict[str, int], dropped: set[tuple[str, dt.date]]) -> dict[Key, Values]:
    """A TotalsTable's rows keyed and valued as the observation table's totals are diffed."""
    side, definitions = table.side, table.definitions
    rows = {k: v for k, v in table.rows.items() if k not in dropped} if dropped else table.rows
    return {
        (ids[metric], side, day): (value, qualifier, None, definitions.get(metric))
        for (metric, day), (value, qualifier) in rows.items()
    }


def plausible_dates(source: str, observed_at: dt.datetime) -> tuple[dt.date, dt.date]:
    """The report dates a run of `source` observed at `observed_at` can store: from the source's
    first plausible report to the run's own day in Kyiv."""
    return source_info(source).plausible_start, observed_at.astimezone(KYIV).date()


def _implausible_dates(
    parsed: ParsedPayload, source: str, observed_at: dt.datetime
) -> tuple[list[NewFinding], set[tuple[str, dt.date]]]:
    """Records dated before the source's plausible start or after the run's own day (Kyiv): one
    finding per report date, and the (metric, date) keys kept out of the series.

    Such a date (1600-01-01, 2999-01-01, a year typed wrong) is a claim we keep in the raw payload
    and name in a finding, but it must not enter the series: it would break every report and
    make a stale feed look fresh.
    """
    start, today = plausible_dates(source, observed_at)
    dated: list[ObservationRecord | AdjustmentRecord] = [*parsed.observations, *parsed.adjustments]
    days = list(map(attrgetter("report_date"), dated))
    dropped: set[tuple[str, dt.date]] = set()
    if days and (min(days) < start or max(days) > today):  # the common case is checked in C
        dropped = {(r.metric, day) for r, day in zip(dated, days, strict=True) if day < start or day > today}
    table = parsed.table.rows if parsed.table is not None else {}
    if table and not all(start <= day <= today for day in set(map(itemgetter(1), table))):
        dropped |= {(metric, day) for metric, day in table if day < start or day > today}
    # Those the feed set aside while reading are not among the records: they need no keys.
    bad: dict[dt.date, list[str]] = {day: list(metrics) for day, metrics in parsed.implausible.items()}
    for metric, day in dropped:
        bad.setdefault(day, []).append(metric)
    findings = []
    for day, metrics in sorted(bad.items()):
        why = f"before {source}'s first plausible report {start}" if day < start else f"after the run's day {today}"
        findings.append(
            NewFinding(
                "implausible_date",
                "warning",
                None,
                day,
                f"a report dated {day} is {why}: its {len(metrics)} value(s) were not stored",
            )
        )
    return findings, dropped


def _current_counts(
    conn: Connection, feed_id: int, where: ColumnElement[bool] | None = None
) -> dict[tuple[str, int], int]:
    """How many current (not removed) rows the feed holds (within `where`), per (kind, metric id)."""
    obs = m.observation
    query = select(obs.c.kind, obs.c.metric_id, func.count()).where(
        obs.c.feed_id == feed_id, obs.c.superseded_at.is_(None), obs.c.removed.is_(False)
    )
    if where is not None:
        query = query.where(where)
    rows = conn.execute(query.group_by(obs.c.kind, obs.c.metric_id)).all()
    return {(kind, metric_id): n for kind, metric_id, n in rows}


def _within(dates: tuple[dt.date, dt.date] | None, day: dt.date | None) -> bool:
    return dates is not None and day is not None and dates[0] <= day <= dates[1]


def _additive_window(parsed: ParsedPayload, dropped: set[tuple[str, dt.date]]) -> tuple[dt.date, dt.date] | None:
    """The dates of an additive payload's reports (one that adds reports and never removes any, a
    person's CSV): it is diffed against the stored rows of those dates only, so a file of one new
    day costs the same on a store of ten million rows as on an empty one."""
    if parsed.scope.metrics or parsed.complete_kinds or parsed.adjustments or parsed.claims:
        return None
    kept = (
        [o for o in parsed.observations if (o.metric, o.report_date) not in dropped] if dropped else parsed.observations
    )
    days = set(map(attrgetter("report_date"), kept))
    if parsed.table is not None:
        rows = parsed.table.rows
        days.update(map(itemgetter(1), (key for key in rows if key not in dropped) if dropped else rows))
    return (min(days), max(days)) if days else None


def _dated_window(parsed: ParsedPayload, dates_by: str) -> tuple[dt.date, dt.date] | None:
    """The date window a dated snapshot (a "documented" source's: one day of Oryx's) covers, when
    every record lies inside it: such a payload is diffed and validated against that window and the
    point before it only, so a backfill of hundreds of snapshots does not re-read the whole history
    on every run."""
    scope = parsed.scope
    if dates_by != "documented" or scope.date_from is None or scope.date_to is None:
        return None
    start, end = scope.date_from, scope.date_to
    if all(start <= day <= end for day in parsed.total_dates()) and not parsed.adjustments:
        return start, end
    return None


def _upsert_findings(
    run: _Run, produced: list[NewFinding], validated: set[str], judged: Judged | None
) -> list[NewFinding]:
    """Insert findings not yet open, refresh the ones still found, resolve the ones gone (for a
    payload of a date window, only the ones dated in it, and for a series validated around what
    changed, only the ones dated where it was `judged`: the others were not looked at)."""
    conn, feed_id, run_id, now, window = run.conn, run.ids.feed_id, run.ids.run_id, run.now, run.window
    table = m.finding
    open_rows = {
        (r.rule, r.metric, r.report_date): r.id
        for r in conn.execute(
            select(table.c.id, table.c.rule, table.c.metric, table.c.report_date).where(
                table.c.feed_id == feed_id, table.c.status == "open"
            )
        )
    }
    new: list[NewFinding] = []
    still: list[int] = []
    keys_now = set()
    for f in produced:
        key = (f.rule, f.metric, f.report_date)
        if key in keys_now:
            continue
        keys_now.add(key)
        if key in open_rows:
            still.append(open_rows[key])
        else:
            new.append(f)
    _insert_findings(run, new)
    for start in range(0, len(still), 500):
        conn.execute(
            update(table).where(table.c.id.in_(still[start : start + 500])).values(last_run_id=run_id, last_seen_at=now)
        )
    gone = [
        fid
        for key, fid in open_rows.items()
        if key not in keys_now
        and (key[0] in PARSE_RULES or key[1] in validated)
        and (window is None or (key[2] is not None and window[0] <= key[2] <= window[1]))
        and (judged is None or key[0] in PARSE_RULES or _within(judged.get(key[1] or ""), key[2]))
    ]
    for start in range(0, len(gone), 500):
        conn.execute(
            update(table)
            .where(table.c.id.in_(gone[start : start + 500]))
            .values(status="resolved", resolved_at=now, last_run_id=run_id)
        )
    return new


def _insert_findings(run: _Run, new: list[NewFinding]) -> None:
    """The run's findings not yet open, opened by it."""
    if not new:
        return
    run_id, now = run.ids.run_id, run.now
    run.conn.execute(
        insert(m.finding),
        [
            dict(
                feed_id=run.ids.feed_id,
                run_id=run_id,
                last_run_id=run_id,
                rule=f.rule,
                severity=f.severity,
                metric=f.metric,
                report_date=f.report_date,
                message=f.message,
                status="open",
                first_seen_at=now,
                last_seen_at=now,
                resolved_at=None,
            )
            for f in new
        ],
    )
