"""Reading every feed (transcription) of one source at once: what `tracker reconcile` compares
and what tells a report whether its figures are disputed.

Plain SQL on a SQLAlchemy connection or a sqlite3 one (tracker.store.reading), like
tracker.store.queries: three queries whatever the number of feeds and metrics (the source's
feeds, the metrics' ids, then the totals), and one for the official pages. Time travel follows
tracker.store.queries: `known_at` reads the revisions current at a moment; `as_of` reads the
reports dated up to a day with what was known by its end, a report first seen later standing in
with its first revision.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tracker.store.reading import as_date, as_moment, fetch

if TYPE_CHECKING:
    from sqlalchemy import Connection

SOURCE_URL_KEY = "source_url"  # tracker.store.notes.SOURCE_URL_KEY, without importing SQLAlchemy

# metric -> feed -> report date -> total
Totals = dict[str, dict[str, dict[dt.date, int]]]


def source_feeds(conn: Connection | sqlite3.Connection, source: str) -> list[tuple[int, str]]:
    """(id, name) of every feed of a source, by name."""
    rows = fetch(
        conn,
        'SELECT feed.id, feed.name FROM feed JOIN source ON source.id = feed.source_id WHERE source."key" = :source '
        "ORDER BY feed.name",
        {"source": source},
    )
    return [(int(r[0]), str(r[1])) for r in rows]


def _moment(known_at: dt.datetime | None, as_of: dt.date | None) -> dt.datetime | None:
    if known_at is None and as_of is not None:
        return dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    return as_moment(known_at)


def _pick(
    rows: Iterable[tuple[Any, ...]], known_at: dt.datetime | None, fallback_earliest: bool
) -> dict[tuple[Any, ...], tuple[Any, bool]]:
    """key -> (value, removed) of the revision current at `known_at` (every row is current when
    None), as tracker.store.queries.revisions_at picks it. Rows: (*key, revision, value, removed,
    first_seen_at, superseded_at)."""
    out: dict[tuple[Any, ...], tuple[Any, bool]] = {}
    earliest: dict[tuple[Any, ...], tuple[int, Any, bool]] = {}
    for *key_parts, revision, value, removed, first_seen, superseded_at in rows:
        key = tuple(key_parts)
        if known_at is None:
            out[key] = (value, bool(removed))
            continue
        first, superseded = as_moment(first_seen), as_moment(superseded_at)
        if first is not None and first <= known_at and (superseded is None or superseded > known_at):
            out[key] = (value, bool(removed))
        elif fallback_earliest and first is not None and first > known_at:
            if key not in earliest or revision < earliest[key][0]:
                earliest[key] = (revision, value, bool(removed))
    for key, (revision, value, removed) in earliest.items():
        if key not in out and revision == 1:
            out[key] = (value, removed)
    return out


def feed_totals(
    conn: Connection | sqlite3.Connection,
    source: str,
    *,
    metrics: Iterable[str] | None = None,
    side: str = "russia",
    known_at: dt.datetime | None = None,
    as_of: dt.date | None = None,
) -> Totals:
    """Every feed's totals of a source (of the given metrics, else all), as known then:
    metric -> feed -> report date -> total. Removed reports are left out."""
    feeds = dict(source_feeds(conn, source))
    if not feeds:
        return {}
    moment = _moment(known_at, as_of)
    wanted = sorted(set(metrics)) if metrics is not None else None
    names: dict[int, str] = {}
    sql = (
        "SELECT feed_id, metric_id, report_date, revision, value, removed, first_seen_at, superseded_at "
        f"FROM observation WHERE feed_id IN ({', '.join(str(i) for i in feeds)}) AND kind = 'total' "
        "AND side = :side"
    )
    params: dict[str, Any] = {"side": side}
    if wanted is not None:
        placeholders = ", ".join(f":m{i}" for i in range(len(wanted)))
        found = fetch(conn, f"SELECT id, name FROM metric WHERE name IN ({placeholders})", {
            f"m{i}": name for i, name in enumerate(wanted)
        }) if wanted else []  # fmt: skip
        names = {int(r[0]): str(r[1]) for r in found}
        if not names:
            return {}
        sql += f" AND metric_id IN ({', '.join(str(i) for i in names)})"
    else:
        names = {int(r[0]): str(r[1]) for r in fetch(conn, "SELECT id, name FROM metric", {})}
    if moment is None:
        sql += " AND superseded_at IS NULL"
    if as_of is not None:
        sql += " AND report_date <= :until"
        params["until"] = as_of
    picked = _pick(fetch(conn, sql, params), moment, fallback_earliest=as_of is not None)
    out: Totals = {}
    for (feed_id, metric_id, day), (value, removed) in picked.items():
        if removed or value is None or metric_id not in names:
            continue
        out.setdefault(names[metric_id], {}).setdefault(feeds[feed_id], {})[as_date(day)] = int(value)
    return out


def official_pages(
    conn: Connection | sqlite3.Connection,
    source: str,
    *,
    known_at: dt.datetime | None = None,
    as_of: dt.date | None = None,
) -> dict[dt.date, str]:
    """The official page of each report date of a source, as known then (the notes of key
    "source_url" any of its feeds stored; tracker.store.notes.source_urls reads the current ones
    the same way): where two feeds name different pages, the feed first by name gives it."""
    feeds = dict(source_feeds(conn, source))
    if not feeds:
        return {}
    moment = _moment(known_at, as_of)
    sql = (
        "SELECT feed_id, report_date, revision, text, removed, first_seen_at, superseded_at FROM report_note "
        f'WHERE feed_id IN ({", ".join(str(i) for i in feeds)}) AND "key" = :key'
    )
    params: dict[str, Any] = {"key": SOURCE_URL_KEY}
    if moment is None:
        sql += " AND superseded_at IS NULL"
    if as_of is not None:
        sql += " AND report_date <= :until"
        params["until"] = as_of
    picked = _pick(fetch(conn, sql, params), moment, fallback_earliest=as_of is not None)
    out: dict[dt.date, str] = {}
    for (_feed, day), (text, removed) in sorted(picked.items(), key=lambda item: feeds[item[0][0]], reverse=True):
        if not removed and text:
            out[as_date(day)] = str(text)
    return out
