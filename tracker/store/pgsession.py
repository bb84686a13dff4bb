"""PostgreSQL sessions that never hang: every connection the store opens carries a lock timeout, a
statement timeout, TCP keepalives and a TCP user timeout, and the client gives up on a server
that does not answer at all.

Why each bound, and its default (seconds; each a setting, validated like the HTTP ones):
- connect_timeout (`$TRACKER_DB_CONNECT_TIMEOUT`, 10): a server that accepts and never completes
  the startup.
- lock_timeout (`$TRACKER_DB_LOCK_TIMEOUT`, 30): a table or row lock held by another session (a
  `LOCK TABLE`, a migration, a long VACUUM FULL): the statement fails, and the command ends with
  exit 7 like a writer lock held by another run.
- statement_timeout (`$TRACKER_DB_STATEMENT_TIMEOUT`, 120 for readers, 300 for writers): the server
  cancels a statement that runs longer. A writer's largest statement is the COPY of one file's rows
  (a CSV is refused over 64 MiB; 850,000 rows COPY in about 15 s), so 300 s leaves a wide margin
  for a ten-million-row store on a slow disk while still ending a stuck run.
- `$TRACKER_DB_NETWORK_TIMEOUT` (30): how long the link may stay silent. From it: TCP keepalives
  (idle a third of it, then 3 probes a sixth of it apart: a dead peer is noticed within it) and
  libpq's tcp_user_timeout (data unacknowledged for that long drops the connection). A middlebox
  that acknowledges every byte and forwards none defeats both, and the server never sees the
  query to cancel it: so the client waits for any answer at most the statement timeout plus the
  network timeout, then drops the connection (exit 6).

A parameter given in the database URL (`?keepalives_idle=5`, `?options=-c lock_timeout=...`)
wins over these defaults.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL

    from tracker.errors import TrackerError

ENV_STATEMENT_TIMEOUT = "TRACKER_DB_STATEMENT_TIMEOUT"
ENV_LOCK_TIMEOUT = "TRACKER_DB_LOCK_TIMEOUT"
ENV_NETWORK_TIMEOUT = "TRACKER_DB_NETWORK_TIMEOUT"
WRITER_STATEMENT_TIMEOUT_S = 300
READER_STATEMENT_TIMEOUT_S = 120
LOCK_TIMEOUT_S = 30
NETWORK_TIMEOUT_S = 30
# PostgreSQL keeps these timeouts in milliseconds in a 32-bit int (about 24.8 days): a day is
# more than any statement of ours needs, and keeps every value far from that limit.
MOST_SECONDS = 86_400
KEEPALIVE_PROBES = 3
# libpq parameters set from the settings (a URL's own value wins).
LIBPQ_KEEPALIVES = ("keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout")


class Limits(NamedTuple):
    """A session's bounds, in seconds."""

    statement: float
    lock: float
    network: float

    @property
    def answer(self) -> float:
        """How long the client waits for any answer before it drops the connection."""
        return self.statement + self.network


def limits(*, write: bool) -> Limits:
    """The settings from the environment (InvalidInput for a value that is not finite, above 0,
    at most a day, in ASCII digits)."""
    from tracker.config import env_seconds

    default = WRITER_STATEMENT_TIMEOUT_S if write else READER_STATEMENT_TIMEOUT_S
    return Limits(
        env_seconds(ENV_STATEMENT_TIMEOUT, default, at_most=MOST_SECONDS),
        env_seconds(ENV_LOCK_TIMEOUT, LOCK_TIMEOUT_S, at_most=MOST_SECONDS),
        env_seconds(ENV_NETWORK_TIMEOUT, NETWORK_TIMEOUT_S, at_most=MOST_SECONDS),
    )


def connect_args(parsed: URL, bounds: Limits) -> dict[str, object]:
    """libpq parameters and server options for a session with `bounds` (the URL's own win)."""
    network = math.ceil(bounds.network)
    keepalives: dict[str, object] = {
        "keepalives": 1,
        "keepalives_idle": max(1, network // 3),
        "keepalives_interval": max(1, network // 6),
        "keepalives_count": KEEPALIVE_PROBES,
        "tcp_user_timeout": network * 1000,
    }
    args = {name: value for name, value in keepalives.items() if name not in parsed.query}
    given = parsed.query.get("options")
    options = [given] if isinstance(given, str) else list(given or ())
    # In whole milliseconds, at least 1: PostgreSQL reads 0 as "no limit".
    statement_ms, lock_ms = (max(1, round(seconds * 1000)) for seconds in (bounds.statement, bounds.lock))
    server = [f"-c statement_timeout={statement_ms}", f"-c lock_timeout={lock_ms}"]
    args["options"] = " ".join([*server, *options])  # the URL's own options last: they win
    return args


def bound_connections(engine: Engine, bounds: Limits) -> None:
    """Make every connection of `engine` a psycopg connection that waits for the server's answer at
    most `bounds.answer` seconds, then closes itself and raises NoAnswer (a psycopg
    OperationalError, so SQLAlchemy drops the connection as lost)."""
    from sqlalchemy import event

    where = engine.url.render_as_string(hide_password=True)
    connection_class = _bounded_class(bounds, where)

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: object, _record: object, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> object:
        return connection_class.connect(*cargs, **cparams)


def _bounded_class(bounds: Limits, where: str) -> Any:
    import psycopg
    from psycopg import errors

    answer = bounds.answer
    message = (
        f"the store at {where} did not answer within {answer:g} s (the statement timeout and the network "
        f"timeout): connection given up (${ENV_STATEMENT_TIMEOUT}, ${ENV_NETWORK_TIMEOUT})"
    )

    class NoAnswer(psycopg.OperationalError):
        """The server (or the link to it) gave no answer within the session's bound."""

    class BoundedConnection(psycopg.Connection[Any]):
        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            try:
                return super().wait(gen, interval=interval, timeout=answer if timeout is None else timeout)
            except errors._WaitTimeout:  # psycopg's own "no answer within timeout" (3.3+)
                self.pgconn.finish()  # its state is unknown: never used again
                raise NoAnswer(message) from None

    return BoundedConnection


def failure(exc: BaseException, doing: str) -> TrackerError:
    """A database error as the one-line TrackerError it means: a lock timeout is StoreLocked
    (exit 7); a statement timeout, a server that stopped answering or a lost connection are
    StoreError (exit 6), saying which setting bounds them."""
    from tracker.errors import StoreError, StoreLocked
    from tracker.store.db import error_line

    orig = getattr(exc, "orig", None) or exc
    cause = orig.__cause__ or orig.__context__
    for candidate in (orig, cause):
        if type(candidate).__name__ == "NoAnswer":
            return StoreError(str(candidate))
    state = getattr(orig, "sqlstate", None)
    if state == "55P03":  # lock_not_available: lock_timeout expired
        seconds = limits(write=False).lock
        return StoreLocked(
            f"{doing}: the store is locked by another session: gave up after waiting {seconds:g} s "
            f"(${ENV_LOCK_TIMEOUT} sets the wait)"
        )
    if state == "57014" and "statement timeout" in str(orig):
        return StoreError(
            f"{doing}: a statement ran past the store's statement timeout (${ENV_STATEMENT_TIMEOUT}; by default "
            f"{READER_STATEMENT_TIMEOUT_S} s to read, {WRITER_STATEMENT_TIMEOUT_S} s to write)"
        )
    return StoreError(f"{doing}: {error_line(exc)}")
