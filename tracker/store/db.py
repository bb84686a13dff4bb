"""Opening a store: engines for SQLite (WAL, busy timeout) or PostgreSQL (timeouts), and its schema state.

A brand-new empty database is created from the models and stamped with the current Alembic
revision in ONE transaction (Alembic's documented "create from scratch" path, much faster than
replaying migrations): a kill at any moment leaves either no tracker tables or a complete,
stamped store. An existing store is upgraded through Alembic by writers; readers on an outdated
store are told the exact command to run, and a store newer than this tracker is refused by all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from tracker.errors import InvalidInput, StoreError, TrackerError
from tracker.store.models import SCHEMA_REVISION, metadata
from tracker.store.reading import BUSY_TIMEOUT_S, WRITER_PRAGMAS, frozen_store, reader_uri

# The Alembic scripts: shipped in the package as tracker/_migrations (a link to the checkout's
# migrations/ in a source tree, a copy in a wheel); the checkout's folder if the link is missing.
_PACKAGE = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = next(
    (p for p in (_PACKAGE / "_migrations", _PACKAGE.parent / "migrations") if p.is_dir()), _PACKAGE / "_migrations"
)
# PostgreSQL: how long to wait for a session (libpq and psycopg round up to whole seconds, at
# least 2); the other bounds of a session are in tracker.store.pgsession.
CONNECT_TIMEOUT_S = 10
ENV_CONNECT_TIMEOUT = "TRACKER_DB_CONNECT_TIMEOUT"
# Serialises the creation of a PostgreSQL store (a transaction-scoped advisory lock, distinct
# from the writer lock's key so that a writer holding that lock may still create the schema).
PG_CREATE_LOCK_KEY = 0x7472_6364  # "trcd"
VERSION_TABLE = "alembic_version"


# --- URLs and engines --------------------------------------------------------------------------


def check_url(url: str) -> URL:
    """The parsed URL, or the one-line reason it cannot name a store.

    An in-memory or empty SQLite URL (`sqlite://`, `sqlite:///`, `:memory:`, `file::memory:`,
    `mode=memory`) would take a whole run and save nothing: a usage error (exit 2). A path in the
    host position (`sqlite://rel.db`) is a StoreError that says how to write it.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError for a malformed URL
        raise StoreError(f"not a database URL: {url[:200]!r} ({exc})") from None
    if parsed.get_backend_name() != "sqlite":
        return parsed
    if parsed.host:
        meant = parsed.host + (f"/{parsed.database}" if parsed.database else "")
        raise StoreError(
            f"{url[:200]!r} puts the file where a host goes: write sqlite:///{meant} (relative to the "
            f"current folder), sqlite:////absolute/path.db, or a plain path"
        )
    if _sqlite_in_memory(parsed):
        raise InvalidInput(
            f"{url[:200]!r} names no SQLite file (an in-memory database saves nothing): give a file, "
            "e.g. sqlite:///path/to/tracker.db or a plain path"
        )
    return parsed


def _sqlite_in_memory(parsed: URL) -> bool:
    database = parsed.database
    if not database or database == ":memory:" or parsed.query.get("mode") == "memory":
        return True
    if database.startswith("file:"):  # an SQLite URI filename: file:PATH?mode=memory&...
        path, _, query = database[len("file:") :].partition("?")
        return path in ("", ":memory:") or "memory" in parse_qs(query).get("mode", [])
    return False


def sqlite_path(url: URL | str) -> Path | None:
    """The file of a SQLite store (None for other backends, and for URLs that name no file)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite" or parsed.host or _sqlite_in_memory(parsed):
        return None
    database = str(parsed.database)
    if database.startswith("file:") and parsed.query.get("uri") in ("true", "1"):  # an SQLite URI filename
        database = database[len("file:") :].partition("?")[0]
    return Path(database)


def connect_timeout(parsed: URL | None = None) -> int:
    """Seconds to wait for a PostgreSQL session: the URL's connect_timeout, else
    $TRACKER_DB_CONNECT_TIMEOUT (finite, > 0), else CONNECT_TIMEOUT_S; at least 2 as in libpq."""
    from tracker.config import env_seconds, positive_seconds

    given = parsed.query.get("connect_timeout") if parsed is not None else None
    if isinstance(given, str):
        seconds = positive_seconds(given, "connect_timeout in the database URL")
    else:
        seconds = env_seconds(ENV_CONNECT_TIMEOUT, CONNECT_TIMEOUT_S)
    return max(2, math.ceil(seconds))


def make_engine(url: str, *, write: bool = True) -> Engine:
    """An engine for the URL; SQLite gets WAL, a busy timeout, foreign keys and real BEGINs,
    PostgreSQL a connect timeout, lock and statement timeouts (longer for a writer), TCP
    keepalives and a bound on any wait for the server (tracker.store.pgsession)."""
    parsed = check_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            _check_sqlite_location(path)
            if not write and frozen_store(path):  # a read-only folder: read the file as it is
                parsed = make_url(f"sqlite:///{reader_uri(path)}&uri=true")
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            # pysqlite's own transaction handling defers BEGIN; take control so that a run is
            # one real transaction (SQLAlchemy's documented recipe).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            for pragma in WRITER_PRAGMAS:
                cur.execute(pragma)
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            options = conn.get_execution_options()
            # execution_options(sqlite_foreign_keys=False): a bulk load into an empty table checks
            # its foreign keys once, at its end (tracker.ingest.csvload), not once per row. The pragma
            # changes nothing inside a transaction, so it is set before every BEGIN.
            conn.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if options.get('sqlite_foreign_keys', True) else 'OFF'}")
            # execution_options(sqlite_begin="IMMEDIATE") takes the write lock at BEGIN, so that
            # what the transaction reads first is already the latest state.
            conn.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', '')}".strip())

        return engine
    connect_args: dict[str, object] = {}
    bounds = None
    if parsed.get_backend_name() == "postgresql":
        from tracker.store import pgsession

        bounds = pgsession.limits(write=write)
        connect_args["connect_timeout"] = connect_timeout(parsed)
        connect_args.update(pgsession.connect_args(parsed, bounds))
    try:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except Exception as exc:
        raise StoreError(f"cannot open {safe_url(url)}: {exc}") from None
    if bounds is not None and engine.dialect.driver == "psycopg":
        pgsession.bound_connections(engine, bounds)
    return engine


def _check_sqlite_location(path: Path) -> None:
    """A store path must be a file (or nothing yet) in a folder that exists or can be made."""
    if path.is_dir():
        raise StoreError(f"store path {path} is a directory, not a SQLite file")
    parent = path.parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store's folder {parent}: {exc.strerror or exc}") from None


def check_writable(engine: Engine) -> None:
    """A writer needs to write the SQLite file and its folder (journal and lock files live there)."""
    path = sqlite_path(engine.url)
    if path is None:
        return
    folder = path.parent
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(f"store {path} is read-only: a writer needs write access to it and to its folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(
            f"store folder {folder} is not writable: a writer creates {path.name}.lock and SQLite's journal there"
        )


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid URL>"


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


# --- connections -------------------------------------------------------------------------------


def connect(engine: Engine) -> Connection:
    """A connection, or a StoreError that says why none could be had (e.g. a PostgreSQL server
    that accepts but never answers: "cannot connect ... within N s")."""
    try:
        return engine.connect()
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        timed_out = type(orig).__name__ == "ConnectionTimeout" or "timeout expired" in str(orig or exc)
        if engine.dialect.name == "postgresql" and timed_out:
            seconds = connect_timeout(engine.url)
            raise StoreError(
                f"cannot connect to {_where(engine)} within {seconds} s: the server did not answer "
                f"(${ENV_CONNECT_TIMEOUT} sets the wait)"
            ) from None
        verb = "open store" if engine.dialect.name == "sqlite" else "connect to"
        raise store_failure(exc, f"cannot {verb} {_where(engine)}") from None


@contextlib.contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    with connect(engine) as conn:
        try:
            yield conn
        except SQLAlchemyError as exc:
            raise store_failure(exc, f"cannot open store {_where(engine)}") from None


def store_failure(exc: BaseException, doing: str) -> TrackerError:
    """A database error as the one-line error it means, `doing` first: on PostgreSQL a lock
    timeout is exit 7, a statement timeout, a silent server or a lost connection exit 6 (see
    tracker.store.pgsession); anything else a StoreError with the error's first line."""
    from tracker.store.pgsession import failure

    return failure(exc, doing)


# --- schema state ------------------------------------------------------------------------------


def _state(conn: Connection) -> tuple[str | None, set[str]]:
    """(the Alembic revision or None, the tracker tables present)."""
    names = set(inspect(conn).get_table_names())
    revision = None
    if VERSION_TABLE in names:
        versions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        if len(versions) > 1:
            raise StoreError(f"the store has {len(versions)} Alembic versions ({', '.join(versions)}); expected one")
        revision = versions[0] if versions else None
    return revision, names & set(metadata.tables)


def _unstamped(engine: Engine) -> StoreError:
    return StoreError(
        f"{_where(engine)} has tracker tables but no Alembic version (its creation was interrupted?): "
        "run `tracker db upgrade` to check its schema and adopt it"
    )


def schema_revision(engine: Engine) -> str | None:
    """The store's Alembic revision; None for an empty database.

    Tracker tables without a version are a StoreError pointing at `tracker db upgrade`, which
    adopts them when their schema matches the models.
    """
    with _reading(engine) as conn:
        revision, tables = _state(conn)
    if revision is None and tables:
        raise _unstamped(engine)
    return revision


def schema_difference(conn: Connection) -> list[str]:
    """How the database's tracker tables differ from the models (table and column names); [] if not."""
    insp = inspect(conn)
    present = set(insp.get_table_names())
    out = []
    missing = sorted(set(metadata.tables) - present)
    if missing:
        out.append("missing tables " + ", ".join(missing))
    for name, table in sorted(metadata.tables.items()):
        if name not in present:
            continue
        have = {c["name"] for c in insp.get_columns(name)}
        want = {c.name for c in table.columns}
        if want - have:
            out.append(f"{name} lacks {', '.join(sorted(want - have))}")
        if have - want:
            out.append(f"{name} has unknown columns {', '.join(sorted(have - want))}")
    return out


@functools.lru_cache(maxsize=1)
def _lineage() -> frozenset[str] | None:
    """The revisions from the base up to SCHEMA_REVISION, read from migrations/ (None without it)."""
    if not MIGRATIONS_DIR.is_dir():
        return None
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    return frozenset(r.revision for r in script.iterate_revisions(SCHEMA_REVISION, "base") if r is not None)


def refuse_newer(engine: Engine, revision: str) -> None:
    """A store at a revision this tracker's migrations do not lead to was made by a newer tracker:
    neither reading, writing nor migrating it is safe."""
    known = _lineage()
    if known is not None and revision not in known:
        raise StoreError(
            f"the store {_where(engine)} is at schema {revision}, newer than this tracker "
            f"(needs {SCHEMA_REVISION}): upgrade tracker"
        )


def upgrade(engine: Engine) -> str:
    """Bring the store to the current schema; returns what was done.

    An empty database is created and stamped in one transaction; tracker tables without a
    version (what an interrupted creation by an older tracker left) are adopted when their
    tables and columns match the models; an older revision is migrated through Alembic.
    """
    path = sqlite_path(engine.url)
    if path is not None and not path.exists():
        check_writable(engine)  # before connecting creates the file
    with _reading(engine) as conn:
        current, tables = _state(conn)
    if current == SCHEMA_REVISION:
        return f"already at {SCHEMA_REVISION}"
    if current is not None:
        refuse_newer(engine, current)
    check_writable(engine)
    try:
        if current is None:
            done = _create_or_adopt(engine)
            return done if done is not None else upgrade(engine)
        run_alembic_upgrade(engine, SCHEMA_REVISION)
        return f"upgraded {current} -> {SCHEMA_REVISION}"
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate {_where(engine)}: {error_line(exc)}") from None


def _create_or_adopt(engine: Engine) -> str | None:
    """Create or adopt the schema in one transaction; None if another process stamped it meanwhile."""
    with connect(engine) as conn:
        # Serialise concurrent creators, then read the state again under that lock.
        if engine.dialect.name == "sqlite":
            conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_CREATE_LOCK_KEY})
            current, tables = _state(conn)
            if current is not None:
                return None
            if tables:
                diff = schema_difference(conn)
                if diff:
                    raise StoreError(
                        f"{_where(engine)} has tracker tables but no Alembic version, and they differ from "
                        f"schema {SCHEMA_REVISION}: " + "; ".join(diff)
                    )
                _stamp(conn)
                return f"adopted: schema matched, stamped at {SCHEMA_REVISION}"
            metadata.create_all(conn, checkfirst=False)
            _stamp(conn)
            return f"created at {SCHEMA_REVISION}"


def _stamp(conn: Connection) -> None:
    # The table as Alembic creates it, so Alembic's own commands read and update it.
    conn.execute(
        text(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
    )
    conn.execute(text(f"DELETE FROM {VERSION_TABLE}"))
    conn.execute(text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:v)"), {"v": SCHEMA_REVISION})


def run_alembic_upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations in migrations/ against this engine."""
    from alembic import command
    from alembic.config import Config

    if not MIGRATIONS_DIR.is_dir():
        raise StoreError(f"migrations not found at {MIGRATIONS_DIR} (reinstall tracker)")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def sqlite_file_missing(url: str) -> bool:
    """True for a SQLite URL whose file does not exist (connecting would create it)."""
    try:
        path = sqlite_path(url)
    except Exception:
        return False
    return path is not None and not path.exists()


def open_store(url: str, *, write: bool) -> Engine:
    """An engine on a store at the current schema.

    Writers create, adopt or upgrade the store; readers of a missing or outdated one get a
    StoreError that says exactly what to run, and leave nothing behind. A store newer than this
    tracker is refused to both.
    """
    check_url(url)
    if not write and sqlite_file_missing(url):
        from tracker.config import named_in

        raise StoreError(
            f"no tracker store at {safe_url(url)}{named_in(url)}: run `tracker ingest ...` or `tracker db upgrade` "
            "first (or `make demo` in the checkout)"
            if named_in(url)
            else f"no tracker store at {safe_url(url)}: run `tracker ingest ...` or `tracker db upgrade` first"
        )
    engine = make_engine(url, write=write)
    try:
        if write:
            check_writable(engine)
        with _reading(engine) as conn:
            current, tables = _state(conn)
        if current == SCHEMA_REVISION:
            return engine
        if current is not None:
            refuse_newer(engine, current)
        if write:
            upgrade(engine)
            return engine
        where = _where(engine)
        if current is None and tables:
            raise _unstamped(engine)
        if current is None:
            raise StoreError(f"no tracker store at {where}: run `tracker ingest ...` or `tracker db upgrade` first")
        raise StoreError(
            f"store {where} is at schema {current}, this tracker needs {SCHEMA_REVISION}: run `tracker db upgrade`"
        )
    except BaseException:
        engine.dispose()
        raise


def uncaught_store_error(exc: BaseException) -> TrackerError | None:
    """The one-line error a database error that no command caught means (a lock timeout: exit 7;
    a statement timeout, a silent server, a lost connection: exit 6); None for anything else."""
    if not isinstance(exc, SQLAlchemyError):
        return None
    return store_failure(exc, "cannot read or write the store")


def error_line(exc: BaseException) -> str:
    """The first line of a database error, for one-line messages."""
    msg = str(getattr(exc, "orig", None) or exc)
    return msg.strip().splitlines()[0] if msg.strip() else type(exc).__name__


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A moment in UTC (None stays None); SQLite hands back stored UTC times without their zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
