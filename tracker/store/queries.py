"""Reading the store: series as known at any moment, the latest figures, and feed status.

Time travel has two clocks. `known_at` reads revisions as they stood at a moment. `as_of` answers
as a reader would have on a date: only reports dated up to that day, with the values known by
its end; where the store first saw a report only later (it was not watching then), the earliest
revision it has stands in, and the frame says so in `known_late`.

The series readers (observations_frame, revisions_at, feeds_for, latest_figures) are plain SQL
that reads one series through the unique key (feed, kind, metric, side, report date, revision), on
a SQLAlchemy connection or a sqlite3 one (tracker.store.reading): a report on a SQLite store
imports no SQLAlchemy at all.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from tracker.domain import KYIV, METRICS
from tracker.errors import InvalidInput
from tracker.store.reading import as_date, as_moment, fetch
from tracker.store.source_registry import GENERAL_STAFF, SourceInfo, source_info, with_overrides

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Connection, Engine

FRAME_COLUMNS = [
    "report_date",
    "value",
    "qualifier",
    "reported_increase",
    "adjustment",
    "lineage",
    "revision",
    "first_seen_at",
    "known_late",
]


def end_of_day(day: dt.date) -> dt.datetime:
    """The last moment of a day (UTC): what a reader could know on that date."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


# The fields of a source a store records: tracker.store.sources.SOURCE_FIELDS (tests keep them equal).
SOURCE_FIELDS = ("name", "url", "dates_by", "side", "definition", "licence")


def feeds_for(conn: Connection | sqlite3.Connection, source: str) -> list[tuple[int, str]]:
    """(feed id, name) of a source's feeds, the one with most current totals first."""
    rows = fetch(
        conn,
        "SELECT feed.id, feed.name, count(observation.id) FROM feed JOIN source ON source.id = feed.source_id "
        "LEFT OUTER JOIN observation ON observation.feed_id = feed.id AND observation.superseded_at IS NULL "
        'WHERE source."key" = :source GROUP BY feed.id, feed.name ORDER BY count(observation.id) DESC, feed.id',
        {"source": source},
    )
    return [(r[0], r[1]) for r in rows]


def stored_metrics(conn: Connection | sqlite3.Connection, source: str, side: str) -> list[str]:
    """The metrics a source holds current totals of for a side, by name."""
    rows = fetch(
        conn,
        "SELECT DISTINCT metric.name FROM observation JOIN source ON source.id = observation.source_id "
        'JOIN metric ON metric.id = observation.metric_id WHERE source."key" = :source AND observation.side = :side '
        "AND observation.superseded_at IS NULL AND observation.kind = 'total' ORDER BY metric.name",
        {"source": source, "side": side},
    )
    return [r[0] for r in rows]


def source_as_stored(conn: Connection | sqlite3.Connection, key: str) -> SourceInfo:
    """One source as the store knows it: the registry's, with the fields the store's own record
    of it sets (as tracker.store.sources.stored_source, without importing the models)."""
    rows = fetch(conn, f'SELECT {", ".join(SOURCE_FIELDS)} FROM source WHERE "key" = :key', {"key": key})
    if not rows:
        return source_info(key)
    return with_overrides(source_info(key), **dict(zip(SOURCE_FIELDS, rows[0], strict=True)))


def series_query(
    feed_id: int, kind: str, metric_id: int, side: str, *, until: dt.date | None, current: bool
) -> tuple[str, dict[str, Any]]:
    """(SQL, parameters) reading one series' revisions (only the current ones when `current`),
    up to a report date: an index seek on the unique key whatever the store holds."""
    sql = (
        "SELECT report_date, revision, value, qualifier, reported_increase, removed, first_seen_at, "
        "superseded_at, definition FROM observation "
        "WHERE feed_id = :feed AND kind = :kind AND metric_id = :metric AND side = :side"
    )
    params: dict[str, Any] = {"feed": feed_id, "kind": kind, "metric": metric_id, "side": side}
    if until is not None:
        sql += " AND report_date <= :until"
        params["until"] = until
    if current:
        sql += " AND superseded_at IS NULL"
    return sql, params


# Which feed a report reads when none is named: the open dataset's, the fullest transcription of
# the General Staff's reports; a source without it (every other source) reads its fullest feed.
DEFAULT_FEED = "ua-dataset"
# A setting naming the feed to read instead, for any source that has a feed of that name.
ENV_FEED = "TRACKER_FEED"


def _resolve_feed(conn: Connection | sqlite3.Connection, source: str, feed: str | None) -> int:
    return resolve_feed(conn, source, feed)[0]


def resolve_feed(conn: Connection | sqlite3.Connection, source: str, feed: str | None) -> tuple[int, str]:
    """(id, name) of the feed a report of `source` reads: `feed` when given (it must exist), else
    $TRACKER_FEED when the source has a feed of that name, else DEFAULT_FEED when it has one, else
    its fullest feed (most current totals). Never another feed than the one named."""
    import os

    wanted = [feed] if feed is not None else [n for n in (os.environ.get(ENV_FEED, "").strip(), DEFAULT_FEED) if n]
    for name in wanted:  # named: found by its key, without counting every feed's rows
        named = fetch(
            conn,
            'SELECT feed.id FROM feed JOIN source ON source.id = feed.source_id WHERE source."key" = :source '
            "AND feed.name = :feed",
            {"source": source, "feed": name},
        )
        if named:
            return int(named[0][0]), name
    feeds = feeds_for(conn, source)
    if not feeds:
        raise InvalidInput(f"no data for source {source!r} in the store")
    if feed is None:
        return feeds[0]
    raise InvalidInput(f"source {source!r} has no feed {feed[:60]!r}; it has {', '.join(n for _, n in feeds)}")


class Revision(NamedTuple):
    """One report's figure as the store knew it then."""

    value: Any  # the total (or the adjustment's delta)
    qualifier: str | None
    reported_increase: int | None
    revision: int
    first_seen_at: dt.datetime
    known_late: bool  # first seen only after the moment asked about: its earliest revision stands in
    removed: bool = False
    definition: str | None = None  # what the figure counts, as stored (None: the source's default)


def revisions_at(
    conn: Connection | sqlite3.Connection,
    feed_id: int,
    kind: str,
    metric: str,
    *,
    known_at: dt.datetime | None,
    until: dt.date | None,
    fallback_earliest: bool,
    side: str = "russia",
) -> dict[dt.date, Revision]:
    """report_date -> the revision current at `known_at` (now when None); with
    `fallback_earliest`, a report first seen later stands in with its first revision.

    One series is read by an index seek on the unique key (feed_id, kind, metric_id, side, ...):
    the metric's id is looked up first, so the plan does not hang on a join.
    """
    ids = fetch(conn, "SELECT id FROM metric WHERE name = :metric", {"metric": metric})
    if not ids:
        return {}
    sql, params = series_query(feed_id, kind, ids[0][0], side, until=until, current=known_at is None)
    out: dict[dt.date, Revision] = {}
    earliest: dict[dt.date, Revision] = {}
    for day, rev, value, qual, inc, removed, first_seen, superseded_at, definition in fetch(conn, sql, params):
        d = as_date(day)
        first = cast(dt.datetime, as_moment(first_seen))  # first_seen_at is NOT NULL
        superseded = as_moment(superseded_at)
        row = Revision(value, qual, inc, rev, first, False, bool(removed), definition)
        if known_at is None or (first <= known_at and (superseded is None or superseded > known_at)):
            out[d] = row
        elif fallback_earliest and first > known_at and (d not in earliest or rev < earliest[d].revision):
            earliest[d] = row
    for d, row in earliest.items():
        if d not in out and row.revision == 1:  # never known by then: the first revision we have stands in
            out[d] = row._replace(known_late=True)
    return {d: row for d, row in out.items() if not row.removed}


def observations_frame(
    engine: Engine | Connection | sqlite3.Connection,
    *,
    source: str = GENERAL_STAFF,
    metric: str = "personnel",
    as_of: dt.date | None = None,
    known_at: dt.datetime | None = None,
    feed: str | None = None,
    side: str = "russia",
) -> pd.DataFrame:
    """One source's cumulative series for a metric and side (whose losses), with merged
    predecessors, as known then.

    Columns: report_date, value, qualifier, reported_increase, adjustment, lineage, revision,
    first_seen_at, known_late. Sorted by report_date. `attrs` say whose series it is: source,
    side, metric and definition (what the figures count: the latest report's, else the source's).
    `engine` may be a SQLAlchemy engine or connection, or a sqlite3 one (tracker.store.reading).
    """
    import pandas as pd

    rows, attrs = observation_rows(
        engine, source=source, metric=metric, as_of=as_of, known_at=known_at, feed=feed, side=side
    )
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    frame["report_date"] = pd.to_datetime(frame["report_date"])
    frame["value"] = frame["value"].astype("int64")
    frame["adjustment"] = frame["adjustment"].astype("int64")
    frame["reported_increase"] = pd.to_numeric(frame["reported_increase"], errors="coerce").astype("float64")
    frame["known_late"] = frame["known_late"].astype(bool)
    frame = frame.sort_values("report_date", ignore_index=True)
    frame.attrs.update(attrs)
    return frame


def observation_rows(
    engine: Engine | Connection | sqlite3.Connection,
    *,
    source: str = GENERAL_STAFF,
    metric: str = "personnel",
    as_of: dt.date | None = None,
    known_at: dt.datetime | None = None,
    feed: str | None = None,
    side: str = "russia",
) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """What observations_frame holds, without pandas: (rows in FRAME_COLUMNS order with dates as
    dt.date, sorted by report date; the frame's attrs). The `records` command reads this."""
    from tracker.store.typemap import load_typemap

    # A source with its own types (Oryx) answers a canonical metric with the sum of the types
    # that count toward it, and one of its types with that type's series.
    typemap = load_typemap(source)
    own_type = typemap is not None and metric in typemap.metrics
    if metric not in METRICS and not own_type:
        raise InvalidInput(f"unknown metric {metric!r}; known: {', '.join(sorted(METRICS))}")
    if typemap is not None and metric in METRICS and not typemap.parts(metric):
        raise InvalidInput(
            f"{source} has no types counted as {metric!r}; it has {', '.join(typemap.canonical)} "
            f"(and its own types: {', '.join(typemap.metrics)})"
        )
    if as_of is not None and known_at is None:
        known_at = end_of_day(as_of)
    known_at = as_moment(known_at)
    conn = _connection(engine)
    try:
        feed_id, feed_name = resolve_feed(conn, source, feed)
        fallback = as_of is not None
        if typemap is not None and not own_type:
            rows, stored_definition = _composite(conn, feed_id, typemap.parts(metric), known_at, as_of, fallback, side)
        else:
            rows, stored_definition = _with_lineage(conn, feed_id, metric, known_at, as_of, fallback, side)
        info = source_as_stored(conn, source)
    finally:
        if conn is not engine:  # opened here
            conn.close()
    # Ingest keeps implausible dates out of the series; a store written before it did may still
    # hold some (1600-01-01, 2999-01-01), which must not break every report.
    first, last = source_info(source).plausible_start, dt.datetime.now(KYIV).date()
    rows = sorted((row for row in rows if first <= row[0] <= last), key=lambda row: row[0])
    attrs = {
        "source": source,
        "side": side,
        "metric": metric,
        "definition": info.definition_for(
            METRICS[metric].kind if metric in METRICS else "equipment", stored_definition
        ),
        "dates_by": info.dates_by,
        "feed": feed_name,
    }
    return rows, attrs


def _connection(engine: Engine | Connection | sqlite3.Connection) -> Connection | sqlite3.Connection:
    """A connection to read with: a new one for an engine (closed by the caller), else the one given."""
    if isinstance(engine, sqlite3.Connection):
        return engine
    from sqlalchemy import Engine

    return engine.connect() if isinstance(engine, Engine) else engine


def _with_lineage(
    conn: Connection | sqlite3.Connection,
    feed_id: int,
    metric: str,
    known_at: dt.datetime | None,
    as_of: dt.date | None,
    fallback: bool,
    side: str,
) -> tuple[list[tuple[Any, ...]], str | None]:
    """Rows of the metric (in FRAME_COLUMNS order), before its merge date the sum of the
    categories it absorbed; and the definition stored with its latest report."""
    spec = METRICS.get(metric)  # None for a source's own type (Oryx's): no predecessors

    def revisions(kind: str, name: str) -> dict[dt.date, Revision]:
        return revisions_at(
            conn, feed_id, kind, name, known_at=known_at, until=as_of, fallback_earliest=fallback, side=side
        )

    own = revisions("total", metric)
    adjustments = {d: r.value for d, r in revisions("adjustment", metric).items()}
    rows = [
        (d, r.value, r.qualifier, r.reported_increase, adjustments.get(d, 0), metric, r.revision, r.first_seen_at,
         r.known_late)
        for d, r in own.items()
    ]  # fmt: skip
    if spec is not None and spec.predecessors and spec.merged_on:
        parts = [revisions("total", p) for p in spec.predecessors]
        common = set.intersection(*(set(p) for p in parts)) if parts else set()
        for d in sorted(common):
            if d >= spec.merged_on or d in own:
                continue
            merged = [p[d] for p in parts]
            present = [name for name, p in zip(spec.predecessors, parts, strict=True) if d in p]
            rows.append(
                (
                    d,
                    sum(r.value for r in merged),
                    None,
                    None,
                    0,
                    "+".join(present),
                    max(r.revision for r in merged),
                    max(r.first_seen_at for r in merged),
                    any(r.known_late for r in merged),
                )
            )
    latest = max(own, default=None)
    return rows, own[latest].definition if latest is not None else None


def _composite(
    conn: Connection | sqlite3.Connection,
    feed_id: int,
    parts: tuple[str, ...],
    known_at: dt.datetime | None,
    as_of: dt.date | None,
    fallback: bool,
    side: str,
) -> tuple[list[tuple[Any, ...]], str | None]:
    """Rows (in FRAME_COLUMNS order) of the sum of a source's types at each snapshot date
    (tracker.store.typemap.composite_rows), and the definition stored with the latest of them."""
    from tracker.store.typemap import composite_rows

    series = {
        name: revisions_at(
            conn, feed_id, "total", name, known_at=known_at, until=as_of, fallback_earliest=fallback, side=side
        )
        for name in parts
    }
    latest = max(((d, r.definition) for s in series.values() for d, r in s.items()), key=lambda t: t[0], default=None)
    return composite_rows(series), latest[1] if latest is not None else None


def latest_figures(
    engine: Engine | sqlite3.Connection, *, source: str = GENERAL_STAFF, feed: str | None = None, side: str = "russia"
) -> list[dict[str, Any]]:
    """The latest report's total and its increase for every metric of a source's series of one side."""
    conn = _connection(engine)
    try:
        feed_id = _resolve_feed(conn, source, feed)
        rows = fetch(
            conn,
            "SELECT metric.name, observation.report_date, observation.value, observation.qualifier "
            "FROM observation JOIN metric ON metric.id = observation.metric_id "
            "WHERE observation.feed_id = :feed AND observation.kind = 'total' AND observation.side = :side "
            "AND observation.superseded_at IS NULL AND observation.removed = :removed "
            "ORDER BY metric.name, observation.report_date DESC",
            {"feed": feed_id, "side": side, "removed": False},
        )
    finally:
        if conn is not engine:  # opened here
            conn.close()
    out: list[dict[str, Any]] = []
    by_metric: dict[str, list[tuple[Any, ...]]] = {}
    for name, d, v, q in rows:
        if len(by_metric.setdefault(name, [])) < 2:
            by_metric[name].append((as_date(d), v, q))
    for name in [n for n in METRICS if n in by_metric]:
        (d, v, q), *prev = by_metric[name]
        if METRICS[name].retired:
            continue
        increase = v - prev[0][1] if prev else None
        span = (d - prev[0][0]).days if prev else None
        out.append(
            {
                "metric": name,
                "label": METRICS[name].label,
                "report_date": d.isoformat(),
                "total": v,
                "qualifier": q,
                "increase": increase,
                "days_since_previous": span,
            }
        )
    return out


def _status_facts(
    engine: Engine, today: dt.date
) -> tuple[list[Any], dict[int, Any], dict[int, Any], dict[int, dict[str, int]], dict[int, list[Any]]]:
    """What feed_status reads: every feed with its latest plausible report (dated by `today` at the
    latest), its last observed success, its last run, its open findings by severity, its held
    withdrawals."""
    from sqlalchemy import func, select

    from tracker.store import models as m

    obs, runs, finding = m.observation, m.ingest_run, m.finding
    # Five statements whatever the number of feeds (a CSV of 20,000 sources made it 80,000): the
    # run aggregates in one pass each over ingest_run (it has no feed index), the latest report by
    # the observation window index, feed by feed, inside one statement.
    latest_report = (
        select(func.max(obs.c.report_date))
        .where(
            obs.c.feed_id == m.feed.c.id,
            obs.c.kind == "total",
            obs.c.superseded_at.is_(None),
            obs.c.removed.is_(False),
            obs.c.report_date <= today,
        )
        .scalar_subquery()
    )
    with engine.connect() as conn:
        feeds = conn.execute(
            select(m.feed.c.id, m.feed.c.name, m.source.c.key, m.feed.c.role, latest_report)
            .join(m.source, m.source.c.id == m.feed.c.source_id)
            .order_by(m.feed.c.id)
        ).all()
        # The latest observed success: an older dated snapshot backfilled later is not it.
        last_ok = dict(
            conn.execute(
                select(runs.c.feed_id, func.max(runs.c.observed_at))
                .where(runs.c.status.in_(m.SUCCESS_STATUSES))
                .group_by(runs.c.feed_id)
            ).all()
        )
        last_ids = select(func.max(runs.c.id).label("id")).group_by(runs.c.feed_id).subquery()
        last_run = {
            row.feed_id: row
            for row in conn.execute(
                select(runs.c.feed_id, runs.c.status, runs.c.error).join(last_ids, last_ids.c.id == runs.c.id)
            )
        }
        open_by: dict[int, dict[str, int]] = {}
        for feed_id, severity, n in conn.execute(
            select(finding.c.feed_id, finding.c.severity, func.count())
            .where(finding.c.status == "open")
            .group_by(finding.c.feed_id, finding.c.severity)
        ):
            open_by.setdefault(feed_id, {})[severity] = n
        held = _held(conn)
    return list(feeds), last_ok, last_run, open_by, held


def feed_status(engine: Engine, *, now: dt.datetime | None = None, stale_hours: float = 36.0) -> list[dict[str, Any]]:
    """Per feed: its role, last successful run, latest report date, staleness and open findings.

    Only "daily" feeds are judged (`judged`, and `stale` can be true only for them): a one-off CSV
    or an API range tried once is listed but never turns status red. The latest report is the
    latest plausible one: a date after today (Kyiv) does not make a stale feed look fresh.
    """
    from tracker.store.db import as_utc

    now = now or dt.datetime.now(dt.UTC)
    feeds, last_ok, last_run, open_by, held = _status_facts(engine, now.astimezone(KYIV).date())
    out: list[dict[str, Any]] = []
    for feed_id, name, source, role, latest in feeds:
        last = last_run.get(feed_id)
        seen = last_ok.get(feed_id)
        observed = as_utc(seen) if seen is not None else None
        age_hours = (now - observed).total_seconds() / 3600 if observed else None
        # A report dated D is published on the morning of D (Kyiv): its age counts from then.
        report_age = (
            (now - dt.datetime.combine(latest, dt.time(), tzinfo=KYIV)).total_seconds() / 3600 if latest else None
        )
        judged = role == "daily"
        out.append(
            {
                "feed": name,
                "source": source,
                "role": role,
                "judged": judged,
                "last_success": observed.isoformat(timespec="seconds") if observed else None,
                "last_run_status": last.status if last else None,
                "last_run_error": last.error if last else None,
                "latest_report_date": latest.isoformat() if latest else None,
                "hours_since_success": round(age_hours, 1) if age_hours is not None else None,
                "latest_report_age_hours": round(report_age, 1) if report_age is not None else None,
                # Feeds without daily reports (the claims file) are judged by their last success only.
                "stale": judged
                and (
                    age_hours is None
                    or age_hours > stale_hours
                    or (report_age is not None and report_age > stale_hours)
                ),
                "open_findings": open_by.get(feed_id, {}),
                "withdrawals_held": held.get(feed_id, []),
            }
        )
    return out


def _held(conn: Connection) -> dict[int, list[dict[str, Any]]]:
    """Every feed's held withdrawals (tracker.ingest.withdrawals), for `tracker status`: one statement."""
    from sqlalchemy import select

    from tracker.store import models as m

    w, r = m.withdrawal, m.withdrawal_row
    of_claims = select(r.c.id).where(r.c.withdrawal_id == w.c.id, r.c.kind == m.CLAIM_ROW_KIND).exists()
    rows = conn.execute(
        select(w.c.feed_id, w.c.run_id, w.c.n_rows, w.c.metrics, w.c.first_date, w.c.last_date, of_claims)
        .where(w.c.status == "held")
        .order_by(w.c.id)
    ).all()
    out: dict[int, list[dict[str, Any]]] = {}
    for feed_id, run, n, metrics, first, last, claims in rows:
        out.setdefault(feed_id, []).append(
            {
                "run": run,
                "rows": n,
                "of": "claims" if claims else "rows",
                "metrics": metrics,
                "first_date": first.isoformat(),
                "last_date": last.isoformat(),
            }  # fmt: skip
        )
    return out


def set_feed_role(engine: Engine, name: str, role: str, *, source: str | None = None) -> list[str]:
    """Set the role of the feed(s) called `name` (of `source`, if given); returns "feed (source)"
    of each one changed. Raises InvalidInput naming the feeds there are when none matches."""
    from sqlalchemy import select, update

    from tracker.store import models as m

    with engine.begin() as conn:
        query = select(m.feed.c.id, m.feed.c.name, m.source.c.key).join(m.source, m.source.c.id == m.feed.c.source_id)
        rows = conn.execute(query).all()
        hits = [r for r in rows if r.name == name and (source is None or r.key == source)]
        if not hits:
            known = ", ".join(sorted({f"{r.name} ({r.key})" for r in rows})) or "none yet"
            raise InvalidInput(f"no feed {name!r}{f' of {source!r}' if source else ''} in the store; feeds: {known}")
        conn.execute(update(m.feed).where(m.feed.c.id.in_([r.id for r in hits])).values(role=role))
    return [f"{r.name} ({r.key})" for r in hits]


def list_findings(
    engine: Engine,
    *,
    status: str = "open",
    rule: str | None = None,
    metric: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Findings, newest report dates first, with the feed they were found in."""
    from sqlalchemy import select

    from tracker.store import models as m
    from tracker.store.db import as_utc

    f = m.finding.c
    query = (
        select(m.feed.c.name, f.severity, f.rule, f.metric, f.report_date, f.message, f.status, f.first_seen_at)
        .join(m.feed, m.feed.c.id == f.feed_id)
        .order_by(f.report_date.desc(), f.id.desc())
    )
    if status != "all":
        query = query.where(f.status == status)
    if rule:
        query = query.where(f.rule == rule)
    if metric:
        query = query.where(f.metric == metric)
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [
            {
                "feed": r[0],
                "severity": r[1],
                "rule": r[2],
                "metric": r[3],
                "report_date": r[4].isoformat() if r[4] else None,
                "message": r[5],
                "status": r[6],
                "first_seen_at": cast(dt.datetime, as_utc(r[7])).isoformat(timespec="seconds"),  # NOT NULL
            }
            for r in conn.execute(query)
        ]


def report_urls(
    engine: Engine | Connection | sqlite3.Connection,
    *,
    source: str = GENERAL_STAFF,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict[dt.date, str]:
    """tracker.store.notes.source_urls in plain SQL, on either kind of connection (a report on a
    SQLite store imports no SQLAlchemy): the official page of each report date of a source that
    any of its feeds names, the feed first by name winning where two name different pages."""
    sql = (
        "SELECT report_note.report_date, report_note.text FROM report_note "
        "JOIN feed ON feed.id = report_note.feed_id JOIN source ON source.id = report_note.source_id "
        'WHERE report_note."key" = :key AND report_note.superseded_at IS NULL AND NOT report_note.removed '
        'AND source."key" = :source'
    )
    params: dict[str, Any] = {"key": "source_url", "source": source}
    if since is not None:
        sql += " AND report_note.report_date >= :since"
        params["since"] = since
    if until is not None:
        sql += " AND report_note.report_date <= :until"
        params["until"] = until
    conn = _connection(engine)
    try:
        rows = fetch(conn, sql + " ORDER BY report_note.report_date, feed.name DESC", params)
    finally:
        if conn is not engine:
            cast(Any, conn).close()
    # Ordered by feed name descending within a date, so the first feed by name is written last.
    return {as_date(day): text for day, text in rows if text}
