"""Opening a store: engines for SQLite (WAL, busy timeout) or PostgreSQL, and its schema state.

A brand-new empty database is created from the models and stamped with the current Alembic
revision (Alembic's documented "create from scratch" path, and much faster than replaying
migrations); an existing one is upgraded through Alembic by writers, while readers on an
outdated store are told the exact command to run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from tracker.errors import StoreError
from tracker.store.models import SCHEMA_REVISION, Base

BUSY_TIMEOUT_MS = 5000
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL, a busy timeout, foreign keys and real BEGINs."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError for a malformed URL
        raise StoreError(f"not a database URL: {url!r} ({exc})") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            parent = Path(parsed.database).parent
            if not parent.exists():
                parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # pysqlite's own transaction handling defers BEGIN; take control so that a run is
            # one real transaction (SQLAlchemy's documented recipe).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN")

        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except Exception as exc:
        raise StoreError(f"cannot open {safe_url(url)}: {exc}") from None


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid URL>"


def schema_revision(engine: Engine) -> str | None:
    """The store's Alembic revision; None for an empty database."""
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            if "alembic_version" not in names:
                if names & set(Base.metadata.tables):
                    raise StoreError(
                        f"{safe_url(str(engine.url))} has tracker tables but no Alembic version; "
                        "it was not created by tracker"
                    )
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except StoreError:
        raise
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open store {safe_url(str(engine.url))}: {error_line(exc)}") from None


def upgrade(engine: Engine) -> str:
    """Bring the store to the current schema; returns what was done."""
    current = schema_revision(engine)
    if current == SCHEMA_REVISION:
        return f"already at {SCHEMA_REVISION}"
    try:
        if current is None:
            Base.metadata.create_all(engine, checkfirst=False)  # schema_revision saw no tracker table
            with engine.begin() as conn:
                conn.execute(
                    text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
                )
                conn.execute(text("DELETE FROM alembic_version"))
                conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": SCHEMA_REVISION})
            return f"created at {SCHEMA_REVISION}"
        run_alembic_upgrade(engine)
        return f"upgraded {current} -> {SCHEMA_REVISION}"
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate {safe_url(str(engine.url))}: {error_line(exc)}") from None


def run_alembic_upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations in migrations/ against this engine."""
    from alembic import command
    from alembic.config import Config

    if not MIGRATIONS_DIR.is_dir():
        raise StoreError(f"migrations not found at {MIGRATIONS_DIR} (install tracker from a checkout)")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def sqlite_file_missing(url: str) -> bool:
    """True for a SQLite URL whose file does not exist (connecting would create it)."""
    try:
        parsed = make_url(url)
    except Exception:
        return False
    database = parsed.database
    return (
        parsed.get_backend_name() == "sqlite"
        and bool(database)
        and database != ":memory:"
        and not Path(database).exists()
    )


def open_store(url: str, *, write: bool) -> Engine:
    """An engine on a store at the current schema.

    Writers create or upgrade the store; readers of a missing or outdated one get a StoreError
    that says exactly what to run, and leave nothing behind.
    """
    if not write and sqlite_file_missing(url):
        raise StoreError(f"no tracker store at {safe_url(url)}: run `tracker ingest ...` or `tracker db upgrade` first")
    engine = make_engine(url)
    current = schema_revision(engine)
    if current == SCHEMA_REVISION:
        return engine
    if write:
        upgrade(engine)
        return engine
    where = safe_url(url)
    if current is None:
        raise StoreError(f"no tracker store at {where}: run `tracker ingest ...` or `tracker db upgrade` first")
    raise StoreError(
        f"store {where} is at schema {current}, this tracker needs {SCHEMA_REVISION}: run `tracker db upgrade`"
    )


def error_line(exc: BaseException) -> str:
    """The first line of a database error, for one-line messages."""
    msg = str(getattr(exc, "orig", None) or exc)
    return msg.strip().splitlines()[0] if msg.strip() else type(exc).__name__


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A moment in UTC (None stays None); SQLite hands back stored UTC times without their zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
