"""One writer at a time: a lock file beside a SQLite store, an advisory lock on PostgreSQL.

The SQLite lock is taken without SQLAlchemy (`store_file_lock`, given the store's file), so that
a path which writes with sqlite3 alone (tracker.ingest.repeat) takes the very lock every writer takes.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import InvalidInput, StoreBusy, StoreError

if TYPE_CHECKING:
    from sqlalchemy import Engine

PG_LOCK_KEY = 0x7472_6163  # "trac": one key for every tracker writer on the database
POLL_SECONDS = 0.2
# Never follow a link planted at the lock path, never hand the descriptor to a child process,
# never block opening something that is not a regular file (a FIFO).
LOCK_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def check_wait(seconds: float) -> float:
    """A --wait value in seconds: finite and not negative (0 means try once), else InvalidInput."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(f"--wait must be a finite number of seconds, 0 or more, not {str(seconds)[:40]!r}")
    return value


@contextlib.contextmanager
def writer_lock(engine: Engine, *, wait: float = 10.0) -> Iterator[None]:
    """Hold the store's writer lock; wait up to `wait` seconds, then raise StoreBusy."""
    from tracker.store.db import sqlite_path

    wait = check_wait(wait)
    if engine.dialect.name == "sqlite":
        path = sqlite_path(engine.url)
        if path is None:  # an in-memory database has no other writer
            yield
            return
        with store_file_lock(path, wait=wait):
            yield
    elif engine.dialect.name == "postgresql":
        with _pg_lock(engine, wait):
            yield
    else:
        yield


def _open_lock_file(path: Path) -> int:
    """A descriptor on our own regular lock file at `path`, created if missing; StoreError for a
    symbolic link, anything but a regular file, a file with other names, or no permission."""
    try:
        fd = os.open(path, LOCK_OPEN_FLAGS, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StoreError(f"lock file {path} is a symbolic link: refusing to follow it (remove it)") from None
        if exc.errno in (errno.EISDIR, errno.ENXIO, errno.ENODEV):
            raise StoreError(f"lock file {path} is not a regular file: refusing to use it (remove it)") from None
        raise StoreError(f"cannot create or open the lock file {path}: {exc.strerror or exc}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        os.close(fd)
        what = "has other hard links" if stat.S_ISREG(st.st_mode) else "is not a regular file"
        raise StoreError(f"lock file {path} {what}: refusing to use it (remove it)")
    return fd


def lock_file_path(store: Path) -> Path:
    """The lock file of the SQLite store at `store`: beside it, named after it."""
    return Path(f"{store}.lock")


@contextlib.contextmanager
def store_file_lock(store: Path, *, wait: float = 10.0) -> Iterator[None]:
    """Hold the writer lock of the SQLite store at `store` (its lock file beside it); wait up to
    `wait` seconds, then raise StoreBusy."""
    with _file_lock(lock_file_path(store), check_wait(wait)):
        yield


@contextlib.contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[None]:
    import fcntl

    fd = _open_lock_file(path)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                    raise StoreBusy(
                        f"another tracker run (pid {holder}) is writing to this store; "
                        f"waited {wait:g}s — try again later or pass --wait SECONDS"
                    ) from None
                time.sleep(min(POLL_SECONDS, remaining))
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


@contextlib.contextmanager
def _pg_lock(engine: Engine, wait: float) -> Iterator[None]:
    """pg_try_advisory_lock never blocks on the server, so the wait ends at `wait` seconds
    (plus one round trip, itself bounded by the statement timeout)."""
    from sqlalchemy import text

    from tracker.store.db import connect

    with connect(engine) as conn:
        deadline = time.monotonic() + wait
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY}).scalar():
            conn.rollback()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StoreBusy(
                    f"another tracker run is writing to this store; waited {wait:g}s — "
                    "try again later or pass --wait SECONDS"
                )
            time.sleep(min(POLL_SECONDS, remaining))
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
            conn.commit()


@contextlib.contextmanager
def writing(engine: Engine, *, wait: float = 10.0) -> Iterator[None]:
    """What every writer does first: check that the store can be written (before the lock: its
    file lives in the store's folder), take the writer lock, then create, adopt or migrate the
    store under it, so that no two writers migrate at once."""
    from tracker.store.db import check_writable, upgrade

    check_writable(engine)
    with writer_lock(engine, wait=wait):
        upgrade(engine)
        yield
