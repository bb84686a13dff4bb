"""Bulk writes to PostgreSQL with COPY ... FROM STDIN (issue 12): rows stream to the server
through psycopg 3 inside the caller's transaction, several times faster than executemany.

Only for a PostgreSQL store opened with the psycopg driver (the project's, see README.md); the
SQLite path keeps using executemany.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

# Dates and datetimes are written as the text psycopg's own text dumpers produce (str(value));
# they recur on every row (the same report dates, one run's timestamps), and psycopg formats each
# anew, which took more time than everything else in a row: the text of each is kept, up to this
# many distinct values, then the memo starts again (bounded memory for any input).
_MEMO_LIMIT = 50_000


def copy_rows(
    conn: Connection,
    table_name: str,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    shared: tuple[Any, ...] = (),
) -> int:
    """Write `rows` into `table_name` with COPY FROM STDIN (text format); returns the number of
    rows written. `columns` names the `shared` values (the same in every row: converted once, not
    once a row), then each row's own, in the order of its tuple.

    Values are adapted as psycopg adapts them (int, str, None, bool, date, tz-aware datetime...)
    and parsed by the server, which checks them against the column types. Nothing is committed:
    the rows become visible when the caller commits and vanish if it rolls back. A value the
    server refuses raises SQLAlchemy's DBAPIError (DataError, IntegrityError...) wrapping
    psycopg's, after which the caller's transaction can only be rolled back.
    `table_name` may be schema-qualified (`schema.table`); names are quoted as identifiers.
    """
    import psycopg
    from psycopg import sql

    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        raise ValueError(f"copy_rows needs PostgreSQL through psycopg, not {conn.dialect.name}+{conn.dialect.driver}")
    if not columns:
        raise ValueError("copy_rows needs at least one column")
    # Begin the SQLAlchemy transaction if the caller has not yet executed anything: otherwise
    # psycopg would open one behind SQLAlchemy's back, which conn.commit() would never commit.
    if not conn.in_transaction():
        conn.begin()
    driver = conn.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise ValueError(f"copy_rows needs a psycopg connection, not {type(driver).__name__}")
    statement = sql.SQL("COPY {table} ({columns}) FROM STDIN").format(
        table=sql.Identifier(*table_name.split(".")),
        columns=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
    )
    text_of = _date_text()
    first = tuple(map(text_of, shared))
    written = 0
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            write = copy.write_row
            for row in rows:
                write(first + tuple(map(text_of, row)))
                written += 1
    except psycopg.Error as exc:
        # The same exception class the rest of the store catches for any database failure.
        raise DBAPIError.instance(statement.as_string(driver), None, exc, psycopg.Error, dialect=conn.dialect) from exc
    return written


def _date_text() -> Callable[[Any], Any]:
    """A converter: a date or datetime to its text (memoised), any other value unchanged."""
    memo: dict[tuple[Any, ...], str] = {}

    def text_of(value: Any) -> Any:
        kind = type(value)  # exact types: a subclass (pandas' Timestamp) is left to psycopg
        if kind is not dt.datetime and kind is not dt.date:
            return value
        # Equal aware datetimes at different offsets print differently: the offset is in the key.
        key = (kind, value, value.utcoffset() if kind is dt.datetime else None)
        text = memo.get(key)
        if text is None:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            text = memo[key] = str(value)
        return text

    return text_of
