"""Reading a SQLite store with the standard library alone: the report path's light way in.

A report on a SQLite store reads a few hundred to a few thousand rows; importing SQLAlchemy
(and its ORM, through tracker.store.models) costs more than reading them. So the readers in
tracker.store.queries take either a SQLAlchemy Connection or a `sqlite3.Connection` and run the
same SQL text (named `:params`, which both accept); `sqlite_reader` opens the latter, for reading
only, on a plain SQLite file at this tracker's schema. Anything else (another backend, a URL with
options, a missing file, another or no schema revision) gets None, and the caller opens the
store through tracker.store.db as usual, which says exactly what is wrong.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

if TYPE_CHECKING:
    from sqlalchemy import Connection

T = TypeVar("T")

# The schema this tracker reads (tracker.store.models takes it from here, so that checking it
# does not import the ORM models).
SCHEMA_REVISION = "0007_withdrawals"
BUSY_TIMEOUT_S = 5.0  # how long a connection waits for a writer's commit
# How every writer's connection to a SQLite store is set up (tracker.store.db's engines, and
# tracker.ingest.repeat's sqlite3 connection): readers never block the writer nor it them, a commit
# survives a crash (WAL with NORMAL loses at most the last commits on power loss), keys checked.
WRITER_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


def sqlite_file(url: str) -> Path | None:
    """The file a plain `sqlite:///PATH` URL names; None for anything with options or no file."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    path = url[len("sqlite:///") :]
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path)


def sqlite_reader(url: str) -> sqlite3.Connection | None:
    """A read-only sqlite3 connection to the store at `url`, if it is a SQLite file at this
    tracker's schema; else None (open it with tracker.store.db.open_store to learn why). It
    writes nothing: `query_only` is on."""
    path = sqlite_file(url)
    if path is None or not path.is_file():
        return None
    return open_at_schema(path, ("PRAGMA query_only=ON",), read_only=True)  # a reader never writes


def frozen_store(path: Path) -> bool:
    """True when the store at `path` sits in a folder this process cannot write (a read-only
    filesystem, another user's folder): SQLite cannot make the WAL's shared-memory file there, so
    a reader opens it `immutable=1` (reading the file as it is; no writer can be at work in a
    folder where none can create the lock file and the journal)."""
    return path.is_file() and not os.access(path.parent, os.W_OK | os.X_OK)


def reader_uri(path: Path) -> str:
    """The SQLite URI a reader opens `path` with: `mode=ro&immutable=1` for a frozen store,
    else `mode=rw` (an existing file only, never a new empty database)."""
    mode = "mode=ro&immutable=1" if frozen_store(path) else "mode=rw"
    return f"file:{quote(str(path.resolve()))}?{mode}"


def open_at_schema(
    path: Path, setup: Sequence[str], *, own_transactions: bool = False, read_only: bool = False
) -> sqlite3.Connection | None:
    """A sqlite3 connection to the existing store file at `path`, `setup` statements run first
    (with `own_transactions`, the caller begins and ends them: sqlite3 never does), if it is at this
    tracker's schema; else None (none, another or several revisions: the SQLAlchemy
    path upgrades the store or says what is wrong). `read_only`: opened as `reader_uri` says."""
    try:
        # mode=rw opens an existing file only, never a new empty database (read-only where the
        # file is, as a SQLAlchemy reader does); unlike mode=ro it may remove the empty log it
        # leaves on close.
        conn = sqlite3.connect(
            reader_uri(path) if read_only else f"file:{quote(str(path.resolve()))}?mode=rw",
            uri=True,
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None if own_transactions else "DEFERRED",
        )
    except sqlite3.Error:
        return None
    try:
        for statement in setup:
            conn.execute(statement)
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        versions = []
    if versions != [(SCHEMA_REVISION,)]:
        conn.close()
        return None
    return conn


# The engine a tracker.Store holds open, with its URL: read_store reads that URL through it.
_HELD: ContextVar[tuple[str, Any] | None] = ContextVar("tracker_held_store", default=None)


@contextmanager
def held(url: str, engine: Any) -> Iterator[None]:
    """Meanwhile, read_store reads the store at `url` through `engine` (a tracker.Store's one
    engine) instead of opening a connection of its own."""
    token = _HELD.set((url, engine))
    try:
        yield
    finally:
        _HELD.reset(token)


def read_store(url: str, read: Callable[[Any], T]) -> T:
    """`read` given the store at `url` to read: the engine `held` for it, if any; else a sqlite3
    connection when `sqlite_reader` can open one (no SQLAlchemy imported), else an engine opened
    by tracker.store.db (which says what is wrong with a store it cannot open). A sqlite3 error
    is the store error tracker.store.db words."""
    from tracker.errors import StoreError

    holding = _HELD.get()
    if holding is not None and holding[0] == url:
        return read(holding[1])

    reader = sqlite_reader(url)
    if reader is not None:
        try:
            return read(reader)
        except sqlite3.Error as exc:  # busy past the timeout, a damaged file
            raise StoreError(f"cannot read store {url}: {exc}") from None
        finally:
            reader.close()
    from tracker.store.db import open_store

    engine = open_store(url, write=False)
    try:
        return read(engine)
    finally:
        engine.dispose()


def fetch(conn: Connection | sqlite3.Connection, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of one query, on either kind of connection. sqlite3 is given dates as ISO text,
    as SQLAlchemy stores them in SQLite (its own date adapters are deprecated)."""
    if not isinstance(conn, sqlite3.Connection) and conn.dialect.name == "sqlite":
        # The connection's own sqlite3 connection, in the same transaction: a text query's rows
        # come back as the driver gives them either way, and a SQLAlchemy Row per row made
        # reading a 1,700-report series take 14.6-20.9 ms instead of 10.8-13.2.
        driver = conn.connection.driver_connection
        if isinstance(driver, sqlite3.Connection):
            conn = driver
    if isinstance(conn, sqlite3.Connection):
        plain = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items()}
        return conn.execute(sql, plain).fetchall()
    from sqlalchemy import text

    return [tuple(row) for row in conn.execute(text(sql), dict(params))]


def sqlite_moment(value: dt.datetime) -> str:
    """A moment as SQLAlchemy's DateTime stores it in SQLite: naive UTC with microseconds (what
    as_moment reads back)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def as_date(value: Any) -> dt.date:
    """A DATE column's value: a date from PostgreSQL, ISO text from SQLite."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def as_moment(value: Any) -> dt.datetime | None:
    """A timestamp column's value in UTC: aware from PostgreSQL, text in UTC without a zone from
    SQLite (None stays None)."""
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
