"""A store opens, creates, locks and refuses safely: every refusal is one line with its exit code,
and nothing stored is ever lost or left half-made.

Covers: atomic creation and adoption of an unstamped store; in-memory and malformed SQLite URLs;
a store from a newer tracker; unwritable folders, read-only files and directories; a lock path
that is a link or not a regular file; a PostgreSQL server that never answers; --wait values.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.asuser import PYTHON, TRACKER, run_as_user
from tests.clirun import run_tracker
from tests.storecheck import fingerprint
from tracker.errors import ExitCode, InvalidInput
from tracker.store import db
from tracker.store.db import make_engine, open_store, safe_url, schema_revision, upgrade
from tracker.store.lock import check_wait, writer_lock
from tracker.store.models import SCHEMA_REVISION, metadata

SAMPLE_CSV = Path(__file__).resolve().parent.parent / "data" / "sample" / "ua-general-staff-personnel.csv"
SAMPLE_ROWS = sum(1 for _ in SAMPLE_CSV.open()) - 1


def _ingest_args(url: str) -> tuple[str, ...]:
    return ("ingest", "csv", "--from", str(SAMPLE_CSV), "--db", url)


def _ingest_report(url: str):  # type: ignore[no-untyped-def]
    """Ingest the sample CSV through the library (a writer)."""
    from tracker.ingest.feeds.csvfeed import CsvFeed
    from tracker.ingest.run import run_ingest

    return run_ingest(url, CsvFeed(), location=str(SAMPLE_CSV))


def _created(url: str) -> str:
    """A complete store at the current schema, holding the sample CSV, without a lock file."""
    report = _ingest_report(url)
    assert report.status in ("ok", "ok_with_findings"), report.error
    path = db.sqlite_path(url)
    if path is not None:
        Path(f"{path}.lock").unlink()  # as if copied in: each test plants its own lock path
    return url


def _state(url: str) -> tuple[str | None, set[str]]:
    """(Alembic version, tracker tables) read with a plain engine, no tracker code involved."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            version = None
            if "alembic_version" in names:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    return version, names & set(metadata.tables)


def _one_error_line(err: str) -> str:
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err[len("error: ") : -1]


# --- 1. creation is atomic; an unstamped store is adopted when its schema matches ---------------


def test_tables_left_without_an_alembic_stamp_are_adopted_by_db_upgrade(capsys, store_url: str) -> None:
    engine = make_engine(store_url)
    metadata.create_all(engine)  # exactly what a kill before the stamp left behind
    engine.dispose()
    where = safe_url(store_url)

    code, _, err = run_tracker(capsys, "status", "--db", store_url)
    assert code == ExitCode.STORE
    assert _one_error_line(err) == (
        f"{where} has tracker tables but no Alembic version (its creation was interrupted?): "
        "run `tracker db upgrade` to check its schema and adopt it"
    )

    code, out, err = run_tracker(capsys, "db", "upgrade", "--db", store_url)
    assert (code, err) == (0, "")
    assert out == f"{where}: adopted: schema matched, stamped at {SCHEMA_REVISION}\n"
    assert _state(store_url) == (SCHEMA_REVISION, set(metadata.tables))
    code, out, _ = run_tracker(capsys, "db", "upgrade", "--db", store_url)
    assert (code, out) == (0, f"{where}: already at {SCHEMA_REVISION}\n")


def test_a_writer_adopts_an_unstamped_store_whose_schema_matches(store_url: str) -> None:
    engine = make_engine(store_url)
    metadata.create_all(engine)
    engine.dispose()

    report = _ingest_report(store_url)

    assert report.status == "ok" and report.counts.new == SAMPLE_ROWS
    assert _state(store_url)[0] == SCHEMA_REVISION


def test_unstamped_tables_that_differ_from_the_models_stay_an_error_that_says_what_differs(
    capsys, store_url: str
) -> None:
    engine = make_engine(store_url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE claim"))
        conn.execute(text("ALTER TABLE source ADD COLUMN extra_note TEXT"))
        conn.execute(text("ALTER TABLE metric DROP COLUMN unit"))
    engine.dispose()
    before = _state(store_url)

    code, out, err = run_tracker(capsys, "db", "upgrade", "--db", store_url)

    assert (code, out) == (ExitCode.STORE, "")
    assert _one_error_line(err) == (
        f"{safe_url(store_url)} has tracker tables but no Alembic version, and they differ from schema "
        f"{SCHEMA_REVISION}: missing tables claim; metric lacks unit; source has unknown columns extra_note"
    )
    assert _state(store_url) == before  # not stamped, nothing created


def test_a_creation_that_fails_before_its_stamp_leaves_no_tracker_table(store_url: str, monkeypatch) -> None:
    def crash(_conn):  # type: ignore[no-untyped-def]
        raise RuntimeError("killed between the tables and the stamp")

    monkeypatch.setattr(db, "_stamp", crash)
    with pytest.raises(RuntimeError):
        open_store(store_url, write=True)
    assert _state(store_url) == (None, set())
    monkeypatch.undo()

    engine = open_store(store_url, write=True)  # the next writer simply creates it
    assert schema_revision(engine) == SCHEMA_REVISION
    engine.dispose()


CREATE_IN_CHILD = """
import sys
from sqlalchemy import create_engine
from tracker.store.db import open_store
create_engine(sys.argv[1]).dispose()  # imports the dialect and driver: what is left is the creation
print("ready", flush=True)
open_store(sys.argv[1], write=True).dispose()
print("created", flush=True)
"""
KILL_TRIES = 10
# Kills land at random moments within this many seconds after the child is ready. Creating a
# store took 30-250 ms here (SQLite, PostgreSQL), so kills fall before, during and after it; the
# test holds whichever way each falls, on any machine.
KILL_WINDOW_S = 0.15


def _reset(url: str, tmp_path: Path, attempt: int) -> str:
    """A fresh, empty store location for one attempt."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / f'kill{attempt}.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def test_killing_store_creation_at_random_moments_never_leaves_a_stuck_store(
    store_url: str, tmp_path: Path, capsys
) -> None:
    rng = random.Random(20261126)
    outcomes = []
    for attempt in range(1, KILL_TRIES + 1):
        url = _reset(store_url, tmp_path, attempt)
        child = subprocess.Popen(
            [sys.executable, "-c", CREATE_IN_CHILD, url], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
            time.sleep(rng.uniform(0, KILL_WINDOW_S))
            child.kill()
        finally:
            child.wait(timeout=60)
            assert child.stdout is not None
            child.stdout.close()
        path = db.sqlite_path(url)
        if path is not None and not path.exists():
            outcomes.append("absent")
        else:
            version, tables = _state(url)
            assert (version, tables) in ((None, set()), (SCHEMA_REVISION, set(metadata.tables)))
            outcomes.append("empty" if version is None else "complete")
        # Never stuck: the next writer creates it, or finds it complete.
        engine = make_engine(url)
        assert upgrade(engine) == (
            f"already at {SCHEMA_REVISION}" if outcomes[-1] == "complete" else f"created at {SCHEMA_REVISION}"
        )
        assert schema_revision(engine) == SCHEMA_REVISION
        engine.dispose()
    with capsys.disabled():
        print(f"\n  killed creations: {sorted(outcomes)}")


def test_writers_creating_the_same_new_store_at_once_all_succeed_and_one_creates_it(store_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    children = [
        subprocess.Popen(
            [str(TRACKER), "db", "upgrade", "--db", store_url], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        results.append((child.returncode, out.decode().split(": ", 1)[-1], err.decode()))

    assert sorted(results) == sorted(
        [(0, f"created at {SCHEMA_REVISION}\n", "")] + [(0, f"already at {SCHEMA_REVISION}\n", "")] * 3
    )
    assert _state(store_url) == (SCHEMA_REVISION, set(metadata.tables))


# --- 2. an in-memory or empty SQLite URL saves nothing: refused -----------------------------------

MEMORY_URLS = [
    "sqlite://",
    "sqlite:///",
    "sqlite:///:memory:",
    "sqlite:///file::memory:?uri=true",
    "sqlite:///file:tracker?mode=memory&cache=shared&uri=true",
]
COMMANDS = [
    ("ingest", "csv", "--from", str(SAMPLE_CSV)),
    ("status",),
    ("latest",),
    ("findings",),
    ("records",),
    ("db", "upgrade"),
    ("db", "current"),
]


@pytest.mark.parametrize("url", MEMORY_URLS)
def test_an_in_memory_sqlite_url_is_refused_by_every_command_as_a_usage_error(
    capsys, url: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in COMMANDS:
        code, out, err = run_tracker(capsys, *command, "--db", url)
        assert (code, out) == (ExitCode.USAGE, ""), command
        assert _one_error_line(err) == (
            f"{url!r} names no SQLite file (an in-memory database saves nothing): give a file, "
            "e.g. sqlite:///path/to/tracker.db or a plain path"
        ), command
    assert os.listdir(tmp_path) == []


def test_an_unset_variable_in_tracker_db_url_is_refused_not_ingested_into_memory(
    capsys, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRACKER_DB_URL", "sqlite:///")  # cron: TRACKER_DB_URL=sqlite:///$STORE, $STORE unset

    code, out, err = run_tracker(capsys, "ingest", "csv", "--from", str(SAMPLE_CSV))

    assert (code, out) == (ExitCode.USAGE, "")
    assert "'sqlite:///' names no SQLite file" in _one_error_line(err)
    assert os.listdir(tmp_path) == []


# --- 3. a store made by a newer tracker ----------------------------------------------------------


def test_a_store_stamped_by_a_newer_tracker_is_refused_to_readers_writers_and_db_upgrade(
    capsys, store_url: str
) -> None:
    _created(store_url)
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    before = fingerprint(store_url)
    expected = (
        f"the store {safe_url(store_url)} is at schema 9999_future, newer than this tracker "
        f"(needs {SCHEMA_REVISION}): upgrade tracker"
    )
    for command in (("status",), ("latest",), _ingest_args(store_url)[:-2], ("db", "upgrade")):
        code, out, err = run_tracker(capsys, *command, "--db", store_url)
        assert (code, out) == (ExitCode.STORE, ""), command
        assert _one_error_line(err) == expected, command
    assert fingerprint(store_url) == before
    assert _state(store_url)[0] == "9999_future"


def test_a_store_at_an_older_revision_is_still_upgraded_by_a_writer(store_url: str) -> None:
    from tracker.store.db import run_alembic_upgrade

    engine = make_engine(store_url)
    run_alembic_upgrade(engine, "0001_initial")
    engine.dispose()

    report = _ingest_report(store_url)

    assert report.status == "ok" and report.counts.new == SAMPLE_ROWS
    assert _state(store_url)[0] == SCHEMA_REVISION


# --- 4. environment errors are StoreErrors (exit 6), one line, store unchanged ----------------------


def test_a_sqlite_url_with_the_file_in_the_host_position_says_how_to_write_it(
    capsys, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (("status",), ("ingest", "csv", "--from", str(SAMPLE_CSV)), ("db", "upgrade")):
        code, out, err = run_tracker(capsys, *command, "--db", "sqlite://rel.db")
        assert (code, out) == (ExitCode.STORE, ""), command
        assert _one_error_line(err) == (
            "'sqlite://rel.db' puts the file where a host goes: write sqlite:///rel.db (relative to the "
            "current folder), sqlite:////absolute/path.db, or a plain path"
        )
    assert os.listdir(tmp_path) == []


def test_a_store_path_that_is_a_directory_is_refused(capsys, tmp_path: Path) -> None:
    folder = tmp_path / "store.db"
    folder.mkdir()
    for command in (("status",), ("ingest", "csv", "--from", str(SAMPLE_CSV)), ("db", "upgrade")):
        for db_arg in (str(folder), f"sqlite:///{folder}"):
            code, out, err = run_tracker(capsys, *command, "--db", db_arg)
            assert (code, out) == (ExitCode.STORE, ""), command
            assert _one_error_line(err) == f"store path {folder} is a directory, not a SQLite file"
    assert os.listdir(folder) == []


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder the unprivileged user can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="tracker-safety-"))
    path.chmod(0o755)
    home = path / "home"
    home.mkdir()
    home.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def test_a_writer_in_a_folder_it_cannot_write_is_refused_and_the_store_is_unchanged(shared_dir: Path) -> None:
    store = shared_dir / "ro-folder" / "store.db"
    store.parent.mkdir()
    url = _created(f"sqlite:///{store}")
    store.chmod(0o666)  # the file is writable: only the folder (lock file, journal) is not
    store.parent.chmod(0o755)
    before, names = fingerprint(url), sorted(os.listdir(store.parent))

    done = run_as_user(str(TRACKER), *_ingest_args(url), home=shared_dir / "home")

    assert (done.returncode, done.stdout) == (ExitCode.STORE, "")
    assert _one_error_line(done.stderr) == (
        f"store folder {store.parent} is not writable: a writer creates store.db.lock and SQLite's journal there"
    )
    assert fingerprint(url) == before
    assert sorted(os.listdir(store.parent)) == names  # no lock file, no journal


LOCK_IN_CHILD = """
import sys
from tracker.errors import TrackerError
from tracker.store.db import make_engine
from tracker.store.lock import writer_lock
try:
    with writer_lock(make_engine(sys.argv[1]), wait=0):
        print("locked")
except TrackerError as exc:
    print(f"{int(exc.exit_code)} {type(exc).__name__}: {exc}")
"""


def test_a_lock_file_that_cannot_be_created_is_a_store_error(shared_dir: Path) -> None:
    store = shared_dir / "ro-folder" / "store.db"
    store.parent.mkdir()
    _created(f"sqlite:///{store}")
    store.parent.chmod(0o755)

    done = run_as_user(str(PYTHON), "-c", LOCK_IN_CHILD, f"sqlite:///{store}", home=shared_dir / "home")

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"6 StoreError: cannot create or open the lock file {store}.lock: Permission denied\n"
    assert not Path(f"{store}.lock").exists()


@pytest.mark.parametrize("mode", [0o444, 0o644])
def test_a_read_only_store_file_is_refused_to_a_writer(shared_dir: Path, mode: int) -> None:
    store = shared_dir / "ro-file" / "store.db"
    store.parent.mkdir()
    url = _created(f"sqlite:///{store}")
    store.chmod(mode)  # owned by root: read-only for the unprivileged user either way
    store.parent.chmod(0o777)
    before = fingerprint(url)

    done = run_as_user(str(TRACKER), *_ingest_args(url), home=shared_dir / "home")

    assert (done.returncode, done.stdout) == (ExitCode.STORE, "")
    assert _one_error_line(done.stderr) == (
        f"store {store} is read-only: a writer needs write access to it and to its folder"
    )
    assert fingerprint(url) == before
    assert not Path(f"{store}.lock").exists()


def test_a_new_store_in_a_read_only_folder_is_refused_and_nothing_is_created(shared_dir: Path) -> None:
    folder = shared_dir / "ro-new"
    folder.mkdir()
    folder.chmod(0o755)

    done = run_as_user(str(TRACKER), "db", "upgrade", "--db", str(folder / "new.db"), home=shared_dir / "home")

    assert (done.returncode, done.stdout) == (ExitCode.STORE, "")
    assert _one_error_line(done.stderr) == (
        f"store folder {folder} is not writable: a writer creates new.db.lock and SQLite's journal there"
    )
    assert os.listdir(folder) == []


# --- 5. the lock file is ours, a regular file, never followed ----------------------------------------


@pytest.mark.parametrize("target_exists", [True, False], ids=["link-to-a-file", "dangling-link"])
def test_a_lock_path_that_is_a_symlink_is_refused_and_its_target_is_untouched(
    capsys, tmp_path: Path, target_exists: bool
) -> None:
    url = _created(f"sqlite:///{tmp_path / 'store.db'}")
    target = tmp_path / "precious.txt"
    if target_exists:
        target.write_text("a file the lock must never truncate\n")
    lock = tmp_path / "store.db.lock"
    lock.symlink_to(target)
    before = fingerprint(url)

    code, out, err = run_tracker(capsys, *_ingest_args(url))

    assert (code, out) == (ExitCode.STORE, "")
    assert _one_error_line(err) == f"lock file {lock} is a symbolic link: refusing to follow it (remove it)"
    assert fingerprint(url) == before
    assert lock.is_symlink()
    if target_exists:
        assert target.read_text() == "a file the lock must never truncate\n"
    else:
        assert not target.exists()


@pytest.mark.parametrize("kind", ["directory", "fifo", "hard-link"])
def test_a_lock_path_that_is_not_our_own_regular_file_is_refused(capsys, tmp_path: Path, kind: str) -> None:
    url = _created(f"sqlite:///{tmp_path / 'store.db'}")
    lock = tmp_path / "store.db.lock"
    other = tmp_path / "other.txt"
    if kind == "directory":
        lock.mkdir()
    elif kind == "fifo":
        os.mkfifo(lock)
    else:
        other.write_text("someone else's file\n")
        os.link(other, lock)
    before = fingerprint(url)

    code, out, err = run_tracker(capsys, *_ingest_args(url))

    assert (code, out) == (ExitCode.STORE, "")
    what = "has other hard links" if kind == "hard-link" else "is not a regular file"
    assert _one_error_line(err) == f"lock file {lock} {what}: refusing to use it (remove it)"
    assert fingerprint(url) == before
    if kind == "fifo":
        assert stat.S_ISFIFO(lock.lstat().st_mode)
    if kind == "hard-link":
        assert other.read_text() == "someone else's file\n"


def test_a_stale_regular_lock_file_is_reused_and_holds_our_pid(tmp_path: Path) -> None:
    url = _created(f"sqlite:///{tmp_path / 'store.db'}")
    lock = tmp_path / "store.db.lock"
    lock.write_text("999999 left by a run that was killed\n")
    engine = make_engine(url)

    with writer_lock(engine, wait=0):
        assert lock.read_text() == str(os.getpid())
        assert not lock.is_symlink() and lock.stat().st_nlink == 1
    engine.dispose()


# --- 6. a PostgreSQL server that accepts and never answers ---------------------------------------------


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never says a word; stops itself after `lifetime` s."""

    def __init__(self, lifetime: float = 90.0) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._lifetime = threading.Timer(lifetime, self._stop.set)  # stops by itself, even if never closed
        self._lifetime.daemon = True
        self._lifetime.start()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            self._held.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._lifetime.cancel()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


@pytest.mark.parametrize(
    "command", [("status",), ("ingest", "csv", "--from", str(SAMPLE_CSV))], ids=["status", "ingest"]
)
def test_a_postgresql_server_that_never_answers_ends_in_a_store_error_within_the_connect_timeout(
    silent_server: SilentServer, command: tuple[str, ...]
) -> None:
    url = f"postgresql://tracker@127.0.0.1:{silent_server.port}/tracker"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["TRACKER_DB_CONNECT_TIMEOUT"] = "2"

    # The subprocess timeout only bounds a hung test; the tracker must give up on its own.
    done = subprocess.run(
        [str(TRACKER), *command, "--db", url], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert (done.returncode, done.stdout) == (ExitCode.STORE, "")
    assert _one_error_line(done.stderr) == (
        f"cannot connect to {url} within 2 s: the server did not answer ($TRACKER_DB_CONNECT_TIMEOUT sets the wait)"
    )
    assert silent_server.accepted >= 1


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_a_connect_timeout_that_is_not_finite_and_positive_is_a_usage_error(
    capsys, monkeypatch, value: str, silent_server: SilentServer
) -> None:
    monkeypatch.setenv("TRACKER_DB_CONNECT_TIMEOUT", value)

    code, out, err = run_tracker(capsys, "status", "--db", f"postgresql://tracker@127.0.0.1:{silent_server.port}/t")

    assert (code, out) == (ExitCode.USAGE, "")
    assert _one_error_line(err) == (
        f"$TRACKER_DB_CONNECT_TIMEOUT must be a finite number of seconds above 0, not {value!r}"
    )
    assert silent_server.accepted == 0


def test_postgresql_sessions_carry_a_statement_timeout_longer_for_writers(pg_url: str) -> None:
    for write, expected in ((True, "5min"), (False, "2min")):
        engine = make_engine(pg_url + "?options=-c%20application_name%3Dsafety", write=write)
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == expected
            assert conn.execute(text("SHOW application_name")).scalar() == "safety"  # the URL's own options kept
        engine.dispose()


def test_a_postgresql_writer_waits_for_the_advisory_lock_no_longer_than_wait(pg_url: str) -> None:
    from tracker.errors import StoreBusy

    engine = open_store(pg_url, write=True)
    other = make_engine(pg_url)
    with writer_lock(engine, wait=0):
        with pytest.raises(StoreBusy) as caught, writer_lock(other, wait=0.5):
            pass
    assert str(caught.value) == (
        "another tracker run is writing to this store; waited 0.5s — try again later or pass --wait SECONDS"
    )
    with writer_lock(other, wait=0):  # released when the first writer ended
        pass
    engine.dispose()
    other.dispose()


# --- 7. --wait values -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.5, "soon"])
def test_check_wait_refuses_nan_infinity_negatives_and_non_numbers(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_wait(value)  # type: ignore[arg-type]
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(caught.value) == f"--wait must be a finite number of seconds, 0 or more, not {str(value)!r}"


@pytest.mark.parametrize(("value", "expected"), [(0, 0.0), (2, 2.0), (0.3, 0.3), ("1.5", 1.5)])
def test_check_wait_accepts_finite_seconds_from_zero(value: object, expected: float) -> None:
    assert check_wait(value) == expected  # type: ignore[arg-type]


def test_writer_lock_refuses_a_wait_that_could_never_end_before_touching_the_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url, write=True)

    with pytest.raises(InvalidInput, match=r"^--wait must be a finite number of seconds, 0 or more, not 'nan'$"):
        with writer_lock(engine, wait=math.nan):
            pass
    assert not (tmp_path / "store.db.lock").exists()
    engine.dispose()
