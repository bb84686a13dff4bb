"""Upsert with revisions: compare a payload with the current rows and record only what changed.

Values are never updated in place. For every key of a revision-aware table the payload either
confirms the current row (its `last_seen_*` moves on), changes it (the current row is superseded
and the next revision inserted), re-adds a removed one, or — inside the payload's scope — no
longer contains it (a removal revision is inserted).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, bindparam, false, insert, select, update

from tracker.store.reading import sqlite_moment
from tracker.store.run_report import RevisionCounts

CHUNK = 500  # ids per IN (...) list: well under SQLite's bound-parameter limit


# A row's key columns and its value columns, in the order the caller names them (any SQL values).
Key = tuple[Any, ...]
Values = tuple[Any, ...]


@dataclass(frozen=True)
class CurrentRow:
    id: int
    revision: int
    removed: bool
    values: Values


def current_rows(
    conn: Connection,
    table: Table,
    filters: Mapping[str, object],
    key_cols: Sequence[str],
    value_cols: Sequence[str],
    where: ColumnElement[bool] | None = None,
) -> dict[Key, CurrentRow]:
    """The open (not superseded) row of every key matching the filters (and `where`)."""
    cols = [
        table.c.id,
        table.c.revision,
        table.c.removed,
        *(table.c[k] for k in key_cols),
        *(table.c[v] for v in value_cols),
    ]
    condition = and_(table.c.superseded_at.is_(None), *(table.c[k] == v for k, v in filters.items()))
    if where is not None:
        condition = and_(condition, where)
    out: dict[Key, CurrentRow] = {}
    nk = len(key_cols)
    for row in conn.execute(select(*cols).where(condition)):
        key = tuple(row[3 : 3 + nk])
        out[key] = CurrentRow(row[0], row[1], bool(row[2]), tuple(row[3 + nk :]))
    return out


# What `hold` is given: the keys a payload would remove and the current rows; it names those to hold.
Hold = Callable[[list[Key], Mapping[Key, CurrentRow]], set[Key]]


@dataclass(frozen=True)
class Snapshot:
    """One payload's rows of a revision-aware table, and the rows they are compared with.

    `filters` pick the stored rows (e.g. one feed and kind), `key_cols`/`value_cols` name the
    columns of `incoming`'s keys and values, `in_scope` says which missing keys the payload
    removes. `where` bounds what the payload is compared with (a payload of one date window is
    diffed against that window only; every incoming key must lie inside it). `hold`, given the
    keys the payload would remove and the current rows, names those to hold back
    (tracker.ingest.withdrawals): they stay current, neither removed nor seen.
    """

    filters: Mapping[str, object]
    key_cols: Sequence[str]
    value_cols: Sequence[str]
    incoming: Mapping[Key, Values]
    in_scope: Callable[[Key], bool]
    where: ColumnElement[bool] | None = None
    hold: Hold | None = None


@dataclass(frozen=True)
class Stamp:
    """Which run writes the revisions, observed when, and the values every row it inserts shares."""

    now: dt.datetime
    run_id: int
    extra: Mapping[str, object] | None = None


@dataclass
class _Diff:
    """What a snapshot changes: rows to insert (key, values, revision, removed), ids to supersede
    and ids seen again, with the counts and the keys whose current value moved."""

    counts: RevisionCounts = field(default_factory=RevisionCounts)
    changed: set[Key] = field(default_factory=set)
    inserts: list[tuple[Any, ...]] = field(default_factory=list)
    supersede: list[int] = field(default_factory=list)
    seen: list[int] = field(default_factory=list)


def apply_snapshot(
    conn: Connection,
    table: Table,
    snapshot: Snapshot,
    stamp: Stamp,
    *,
    state_out: dict[Key, Values] | None = None,
    held_out: set[Key] | None = None,
) -> tuple[RevisionCounts, set[Key]]:
    """Record one payload's rows as revisions of `table`.

    Returns the counts and the keys whose current value changed (new, revised, removed or
    re-added), so that callers validate only what moved. `state_out`, if given, is filled with
    every present key's current values after the payload, sparing callers a re-read. The keys
    `snapshot.hold` holds back are added to `held_out`.
    """
    s = snapshot
    current = current_rows(conn, table, s.filters, s.key_cols, s.value_cols, s.where)
    fixed = {
        **s.filters,
        **(stamp.extra or {}),
        "first_seen_at": stamp.now,
        "last_seen_at": stamp.now,
        "superseded_at": None,
        "run_id": stamp.run_id,
        "last_seen_run_id": stamp.run_id,
    }
    if not current:  # a new feed, or a window it has nothing in: every row is new, a first revision
        counts = RevisionCounts(new=len(s.incoming))
        if s.incoming:
            first = {**fixed, "revision": 1, "removed": False}
            rows = list(map(tuple.__add__, s.incoming, s.incoming.values()))
            bulk_insert(conn, table, first, (*s.key_cols, *s.value_cols), rows)
        if state_out is not None:
            state_out.update(s.incoming)
        return counts, set(s.incoming)
    diff = _diff(s, current)
    held = _removals(s, current, diff)
    if held_out is not None:
        held_out |= held
    if diff.supersede:
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(superseded_at=stamp.now)
            .execution_options(synchronize_session=False),
            [{"row_id": i} for i in diff.supersede],
        )
    mark_seen(conn, table, diff.seen, stamp.now, stamp.run_id)
    bulk_insert(conn, table, fixed, (*s.key_cols, *s.value_cols, "revision", "removed"), diff.inserts)
    if state_out is not None:
        _fill_state(state_out, s, current, diff.inserts)
    return diff.counts, diff.changed


def _diff(s: Snapshot, current: Mapping[Key, CurrentRow]) -> _Diff:
    """Each incoming key against its current row: new, re-added, seen again or revised."""
    diff = _Diff()
    counts, changed = diff.counts, diff.changed
    for key, values in s.incoming.items():
        cur = current.get(key)
        if cur is None:
            diff.inserts.append((*key, *values, 1, False))
            counts.new += 1
            changed.add(key)
        elif cur.removed:
            diff.supersede.append(cur.id)
            diff.inserts.append((*key, *values, cur.revision + 1, False))
            counts.readded += 1
            changed.add(key)
        elif cur.values == tuple(values):
            diff.seen.append(cur.id)
            counts.unchanged += 1
        else:
            diff.supersede.append(cur.id)
            diff.inserts.append((*key, *values, cur.revision + 1, False))
            counts.revised += 1
            changed.add(key)
    return diff


def _removals(s: Snapshot, current: Mapping[Key, CurrentRow], diff: _Diff) -> set[Key]:
    """The current keys in scope the payload no longer holds become removal revisions, but for
    those `hold` holds back; returns the held ones."""
    gone = [key for key, cur in current.items() if not cur.removed and key not in s.incoming and s.in_scope(key)]
    held = s.hold(gone, current) if s.hold is not None and gone else set()
    removal = (None,) * len(s.value_cols)
    for key in gone:
        if key not in held:
            cur = current[key]
            diff.supersede.append(cur.id)
            diff.inserts.append((*key, *removal, cur.revision + 1, True))
            diff.counts.removed += 1
            diff.changed.add(key)
    return held


def _fill_state(
    state_out: dict[Key, Values], s: Snapshot, current: Mapping[Key, CurrentRow], inserts: list[tuple[Any, ...]]
) -> None:
    """Every present key's current values after the payload."""
    nk, nv = len(s.key_cols), len(s.value_cols)
    state_out.update((key, cur.values) for key, cur in current.items() if not cur.removed)
    for row in inserts:
        if row[-1]:
            state_out.pop(row[:nk], None)
        else:
            state_out[row[:nk]] = row[nk : nk + nv]


def bulk_insert(
    conn: Connection, table: Table, fixed: Mapping[str, object], cols: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert many rows (`fixed` values shared by all, then one tuple per row for `cols`)
    straight through the driver: PostgreSQL's COPY, SQLite's executemany.

    SQLAlchemy's per-row parameter processing took more time than the database itself, so it
    is used only for a backend that is neither (correct, not fast).
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from tracker.store.pgcopy import copy_rows

        copy_rows(conn, table.name, [*fixed, *cols], rows, shared=tuple(fixed.values()))
        return
    if conn.dialect.name == "sqlite":
        _sqlite_insert(conn, table, fixed, cols, rows)
        return
    conn.execute(insert(table), [{**fixed, **dict(zip(cols, row, strict=True))} for row in rows])


def _sqlite_insert(
    conn: Connection, table: Table, fixed: Mapping[str, object], cols: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """executemany binding only what varies from row to row.

    Each bound value costs SQLite and the driver more than the rest of a row's insert (17
    columns bound: 6 µs a row; 3 bound: 2.5 µs), so the shared values, and the columns that turn
    out the same in every row (a file's side, its blank qualifiers, a first revision), are
    written into the statement once; a column of dates is bound as their text, each distinct
    date converted once.
    """
    first = rows[0]
    # Columns that may be the same throughout (not the numbers and dates that key a row).
    maybe = [i for i, v in enumerate(first) if v is None or isinstance(v, str | bool)]
    same = {i for i in maybe if len(set(map(itemgetter(i), rows))) == 1}
    if len(same) == len(cols):
        same.discard(min(same))  # a statement binds at least one value
    shared = {**fixed, **{cols[i]: first[i] for i in sorted(same)}}
    bound = [i for i in range(len(cols)) if i not in same]
    prep = conn.dialect.identifier_preparer
    names = ", ".join(prep.quote(c) for c in [*shared, *(cols[i] for i in bound)])
    values = [_sqlite_literal(_sqlite_value(v)) for v in shared.values()] + ["?"] * len(bound)
    sql = f"INSERT INTO {prep.format_table(table)} ({names}) VALUES ({', '.join(values)})"
    register_sqlite_adapters()  # for dates the conversion below does not see
    # The bound columns, picked and zipped back into rows in C: a pass in Python per row and
    # column had come to cost as much as the insert.
    columns: list[Iterable[Any]] = [map(itemgetter(i), rows) for i in bound]
    dated = [n for n, i in enumerate(bound) if type(first[i]) is dt.date]
    if len(dated) == 1:
        at = bound[dated[0]]
        text = {d: d if d is None else _sqlite_value(d) for d in set(map(itemgetter(at), rows))}
        columns[dated[0]] = map(text.__getitem__, map(itemgetter(at), rows))
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def register_sqlite_adapters() -> None:
    """Let sqlite3 write dates and datetimes as SQLAlchemy's SQLite types store them (a date as
    YYYY-MM-DD, a moment as naive UTC with microseconds), in C for a date: the bulk insert binds
    the driver's values directly. SQLAlchemy converts its own parameters before they reach here."""
    sqlite3.register_adapter(dt.date, dt.date.isoformat)
    sqlite3.register_adapter(dt.datetime, sqlite_moment)


def _sqlite_literal(value: object) -> str:
    """A shared value written into a statement: an integer, a float, NULL or quoted text."""
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return repr(int(value) if isinstance(value, bool) else value)
    if isinstance(value, str) and "\0" not in value:
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"not a value to write into SQL: {type(value).__name__}")


def _sqlite_value(value: object) -> object:
    # The storage formats of SQLAlchemy's SQLite DateTime and Date types (UTC, as stored).
    if isinstance(value, dt.datetime):
        return sqlite_moment(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def mark_seen(conn: Connection, table: Table, ids: Iterable[int], now: dt.datetime, run_id: int) -> None:
    """Move last_seen_* of unchanged rows to this run."""
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        conn.execute(update(table).where(table.c.id.in_(chunk)).values(last_seen_at=now, last_seen_run_id=run_id))


def confirm_unchanged(
    conn: Connection, table: Table, *, feed_id: int, previous_run_id: int, now: dt.datetime, run_id: int
) -> int:
    """An identical payload again: every row the previous run saw is seen again; nothing else."""
    result = conn.execute(
        update(table)
        .where(
            table.c.feed_id == feed_id,
            table.c.last_seen_run_id == previous_run_id,
            table.c.superseded_at.is_(None),
            table.c.removed == false(),
        )
        .values(last_seen_at=now, last_seen_run_id=run_id)
    )
    return int(result.rowcount or 0)
