"""One writer at a time: a lock file beside a SQLite store, an advisory lock on PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

from tracker.errors import StoreBusy

PG_LOCK_KEY = 0x7472_6163  # "trac": one key for every tracker writer on the database
POLL_SECONDS = 0.2


@contextlib.contextmanager
def writer_lock(engine: Engine, *, wait: float = 10.0) -> Iterator[None]:
    """Hold the store's writer lock; wait up to `wait` seconds, then raise StoreBusy."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        with _file_lock(Path(database + ".lock"), wait):
            yield
    elif engine.dialect.name == "postgresql":
        with _pg_lock(engine, wait):
            yield
    else:
        yield


@contextlib.contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[None]:
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                    raise StoreBusy(
                        f"another tracker run (pid {holder}) is writing to this store; "
                        f"waited {wait:g}s — try again later or pass --wait SECONDS"
                    ) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


@contextlib.contextmanager
def _pg_lock(engine: Engine, wait: float) -> Iterator[None]:
    with engine.connect() as conn:
        deadline = time.monotonic() + wait
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY}).scalar():
            conn.rollback()
            if time.monotonic() >= deadline:
                raise StoreBusy(
                    f"another tracker run is writing to this store; waited {wait:g}s — "
                    "try again later or pass --wait SECONDS"
                )
            time.sleep(POLL_SECONDS)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
            conn.commit()
