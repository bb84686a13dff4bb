"""PostgreSQL never hangs (issue 26, item 2): a table lock held by another session, or a link that
stops carrying bytes after the handshake, ends a command in one line with exit 7 or 6.

Every session the store opens carries lock_timeout, statement_timeout, TCP keepalives and a TCP
user timeout, and the client itself gives up on a server that does not answer within the
statement timeout plus the network timeout. The tests set those small through the settings and
assert exit codes and messages, never a duration; every wait in them has its own limit.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.asuser import TRACKER
from tests.clirun import run_tracker
from tracker.errors import ExitCode
from tracker.store.db import make_engine

SAMPLE_CSV = Path(__file__).resolve().parent.parent / "data" / "sample" / "ua-general-staff-personnel.csv"
# Bounds a hung test only: the tracker must give up on its own, long before this.
SUBPROCESS_LIMIT_S = 60


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["TRACKER_REPORT_CACHE"] = "0"
    env.update(settings)
    return env


def _tracker(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TRACKER), *args], env=env, capture_output=True, text=True, timeout=SUBPROCESS_LIMIT_S, check=False
    )


def _one_error_line(err: str) -> str:
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err[len("error: ") : -1]


@pytest.fixture
def sample_pg(pg_url: str, capsys) -> str:
    """A PostgreSQL store holding the bundled sample."""
    code, _, err = run_tracker(capsys, "ingest", "csv", "--from", str(SAMPLE_CSV), "--db", pg_url)
    assert code in (ExitCode.OK, ExitCode.FINDINGS), err
    return pg_url


def test_sessions_carry_lock_and_statement_timeouts_and_tcp_keepalives(pg_url: str, monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_DB_LOCK_TIMEOUT", "7")
    monkeypatch.setenv("TRACKER_DB_NETWORK_TIMEOUT", "30")
    engine = make_engine(pg_url, write=False)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW lock_timeout")).scalar() == "7s"
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "2min"
            assert conn.execute(text("SHOW tcp_user_timeout")).scalar() == "0"  # the server's own side
            params = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
        assert (params["keepalives"], params["keepalives_idle"], params["keepalives_interval"]) == ("1", "10", "5")
        assert (params["keepalives_count"], params["tcp_user_timeout"]) == ("3", "30000")
    finally:
        engine.dispose()


def test_a_setting_in_the_url_wins_over_the_defaults(pg_url: str) -> None:
    engine = make_engine(pg_url + "?keepalives_idle=42", write=False)
    try:
        with engine.connect() as conn:
            params = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
        assert params["keepalives_idle"] == "42"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRACKER_DB_LOCK_TIMEOUT", "nan"),
        ("TRACKER_DB_STATEMENT_TIMEOUT", "0"),
        ("TRACKER_DB_NETWORK_TIMEOUT", "١٠"),
        ("TRACKER_DB_NETWORK_TIMEOUT", "1e309"),
    ],
)
def test_a_timeout_setting_that_is_not_finite_positive_ascii_seconds_is_a_usage_error(
    capsys, monkeypatch, pg_url: str, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    code, out, err = run_tracker(capsys, "headline", "--db", pg_url)

    assert (code, out) == (ExitCode.USAGE, "")
    assert _one_error_line(err).startswith(f"${name} must be ")


@pytest.mark.parametrize(
    "command",
    [("headline",), ("ingest", "csv", "--from", str(SAMPLE_CSV))],
    ids=["headline", "ingest"],
)
def test_a_table_lock_held_by_another_session_ends_in_exit_7_within_the_lock_timeout(
    capsys, sample_pg: str, command: tuple[str, ...]
) -> None:
    import psycopg

    url = make_url(sample_pg)
    holder = psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        holder.execute("LOCK TABLE observation IN ACCESS EXCLUSIVE MODE")  # held until rollback

        done = _tracker(*command, "--db", sample_pg, env=_env(TRACKER_DB_LOCK_TIMEOUT="0.5"))
    finally:
        holder.rollback()
        holder.close()

    assert (done.returncode, done.stdout if command[0] == "headline" else "") == (ExitCode.BUSY, "")
    assert _one_error_line(done.stderr).endswith(
        "the store is locked by another session: gave up after waiting 0.5 s ($TRACKER_DB_LOCK_TIMEOUT sets the wait)"
    )
    code, _, err = run_tracker(capsys, *command, "--db", sample_pg)  # the lock released, all is as it was
    assert code in (ExitCode.OK, ExitCode.FINDINGS), err


class StallingProxy:
    """A TCP proxy on 127.0.0.1 that carries a PostgreSQL session's startup (up to the server's
    first ReadyForQuery) and then stops forwarding in both directions, its sockets held open, as
    a broken middlebox does. Stops itself after `lifetime` seconds."""

    def __init__(self, upstream: tuple[str, int], lifetime: float = 90.0) -> None:
        self.upstream = upstream
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stalled = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._lifetime = threading.Timer(lifetime, self._stop.set)
        self._lifetime.daemon = True
        self._lifetime.start()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._handshake, args=(client,), daemon=True).start()

    def _handshake(self, client: socket.socket) -> None:
        server = socket.create_connection(self.upstream, timeout=5)
        client.settimeout(5)
        self._held += [client, server]
        try:
            client_bytes = _read_exactly(client, 4)
            length = struct.unpack("!I", client_bytes)[0]
            server.sendall(client_bytes + _read_exactly(client, length - 4))  # the startup message
            # The server's answers, message by message, up to its first ReadyForQuery ('Z');
            # a trust server asks for no password, so nothing more comes from the client.
            for _ in range(1000):
                header = _read_exactly(server, 5)
                body = _read_exactly(server, struct.unpack("!I", header[1:])[0] - 4)
                client.sendall(header + body)
                if header[:1] == b"Z":
                    self.stalled += 1
                    return  # from here on nothing is forwarded: the sockets stay open, unread
        except OSError:
            return

    def close(self) -> None:
        self._stop.set()
        self._lifetime.cancel()
        self._thread.join(timeout=5)
        for held in self._held:
            held.close()
        self.sock.close()


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


@pytest.fixture
def stalling_proxy(sample_pg: str) -> Iterator[tuple[StallingProxy, str]]:
    url = make_url(sample_pg)
    proxy = StallingProxy((url.host or "127.0.0.1", url.port or 5432))
    try:
        yield proxy, url.set(port=proxy.port, query={"sslmode": "disable"}).render_as_string(hide_password=False)
    finally:
        proxy.close()


@pytest.mark.parametrize(
    "command",
    [("headline",), ("ingest", "csv", "--from", str(SAMPLE_CSV))],
    ids=["headline", "ingest"],
)
def test_a_link_that_stops_forwarding_after_the_handshake_ends_in_exit_6_in_one_line(
    stalling_proxy: tuple[StallingProxy, str], command: tuple[str, ...]
) -> None:
    proxy, url = stalling_proxy
    settings = {"TRACKER_DB_STATEMENT_TIMEOUT": "0.5", "TRACKER_DB_NETWORK_TIMEOUT": "0.5"}

    done = _tracker(*command, "--db", url, env=_env(**settings))

    assert (done.returncode, done.stdout) == (ExitCode.STORE, "")
    assert _one_error_line(done.stderr).endswith(
        f"the store at {url} did not answer within 1 s (the statement timeout and the network timeout): "
        "connection given up ($TRACKER_DB_STATEMENT_TIMEOUT, $TRACKER_DB_NETWORK_TIMEOUT)"
    )
    assert proxy.stalled >= 1


def test_a_timeout_below_a_millisecond_is_one_millisecond_never_postgresqls_no_limit() -> None:
    from tracker.store.pgsession import Limits, connect_args

    options = connect_args(make_url("postgresql://u@h/db"), Limits(statement=0.0001, lock=0.0004, network=0.5))[
        "options"
    ]

    assert options == "-c statement_timeout=1 -c lock_timeout=1"
