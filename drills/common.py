"""What every drill shares: paths, running the real CLI in a subprocess, store fingerprints,
fresh stores on each backend, and a list of failed checks that names each case."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data" / "ua-general-staff"
LATEST = SHARED_DATA / "latest"
HISTORY = SHARED_DATA / "history"
TRACKER = PROJECT_ROOT / ".venv" / "bin" / "tracker"
FIGURES_DIR = PROJECT_ROOT / "var" / "drills"
PG_ENV = "TRACKER_TEST_PG_URL"

# What a failed run may add (its own record and raw bytes), and when a run last saw a row:
# both move by design, so fingerprints leave them out (as tests/storecheck.py does).
RUN_RECORD_TABLES = {"ingest_run", "payload_fetch", "payload_blob"}
SEEN_COLUMNS = {"last_seen_at", "last_seen_run_id", "last_run_id"}


def tracker_command() -> list[str]:
    """The installed console script, else `python -m tracker`; $DRILL_TRACKER (a command line)
    runs the drills against another build, e.g. `python -m tracker` with PYTHONPATH set."""
    if os.environ.get("DRILL_TRACKER"):
        return shlex.split(os.environ["DRILL_TRACKER"])
    return [str(TRACKER)] if TRACKER.exists() else [sys.executable, "-m", "tracker"]


def child_env(cache_dir: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a CLI child: no inherited store, no report cache, no debug tracebacks."""
    env = {k: v for k, v in os.environ.items() if k not in {"TRACKER_DB_URL", "TRACKER_DEBUG"}}
    env["TRACKER_REPORT_CACHE"] = "0"
    # Drills never reach the internet: a default live location would go to a closed local port.
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env[proxy] = "http://127.0.0.1:9"
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    env["XDG_CACHE_HOME"] = cache_dir or tempfile.gettempdir()
    env.update(extra)
    return env


@dataclasses.dataclass
class Result:
    """One finished CLI run: exit code, output, and the child's own peak RSS (KiB)."""

    code: int
    out: str
    err: str
    max_rss_kib: int = 0
    seconds: float = 0.0

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def run_cli(
    *args: str,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
    as_nobody: bool = False,
    cwd: str | None = None,
    preexec: Callable[[], None] | None = None,
    stdout_path: str | None = None,
) -> Result:
    """Run the real CLI in a subprocess; os.wait4 gives this child's own rusage (peak RSS).
    `preexec` runs in the child first (e.g. a file size limit); `stdout_path` takes the output
    instead of a file read back (e.g. /dev/full)."""
    cmd = [*tracker_command(), *args]
    if as_nobody:
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, contextlib.ExitStack() as stack:
        sink = stack.enter_context(open(stdout_path, "wb")) if stdout_path else out
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd, stdout=sink, stderr=err, env=env or child_env(), cwd=cwd or "/", preexec_fn=preexec
        )
        # A hung child is killed so the drill itself always ends.
        timer = threading.Timer(timeout, lambda: _kill(proc.pid))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Result(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_maxrss,
            seconds,
        )


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def one_line_error(result: Result) -> str | None:
    """None when stderr is what a failure may print (one `error: ...` line), else what is wrong."""
    lines = result.err_lines
    if "Traceback" in result.err:
        return "a traceback on stderr"
    if len(lines) != 1:
        return f"{len(lines)} lines on stderr, not one: {result.err[:300]!r}"
    if not lines[0].startswith("error: "):
        return f"stderr line does not start with 'error: ': {lines[0][:200]!r}"
    return None


# --- stores -------------------------------------------------------------------------------------


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL (None for other backends)."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def store_exists(url: str) -> bool:
    path = sqlite_path(url)
    return path is None or path.exists()


def fingerprint(url: str, *, normalise_ids: bool = True) -> dict[str, str]:
    """A digest of every table's rows except run records and last-seen columns.

    With normalise_ids, every surrogate id (a table's `id` and each foreign key to it) is replaced
    by its rank in that table: PostgreSQL sequences are not rolled back with a killed transaction,
    so a recovered store has the same rows as an uninterrupted one but higher ids. A store that was
    never created has the empty fingerprint.
    """
    if not store_exists(url):
        return {}
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    out: dict[str, str] = {}
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            tables = sorted(insp.get_table_names())
            ranks: dict[str, dict[object, int]] = {}
            if normalise_ids:
                for name in tables:
                    if "id" in {c["name"] for c in insp.get_columns(name)}:
                        ids = [r[0] for r in conn.execute(text(f'SELECT id FROM "{name}" ORDER BY id'))]
                        ranks[name] = {v: i for i, v in enumerate(ids, start=1)}
            for name in tables:
                if name in RUN_RECORD_TABLES:
                    continue
                cols = [c["name"] for c in insp.get_columns(name) if c["name"] not in SEEN_COLUMNS]
                refs = {"id": name} if normalise_ids and "id" in cols else {}
                if normalise_ids:
                    for fk in insp.get_foreign_keys(name):
                        for col in fk["constrained_columns"]:
                            refs[col] = fk["referred_table"]
                listed = ", ".join(f'"{c}"' for c in cols)
                rows = []
                for row in conn.execute(text(f'SELECT {listed} FROM "{name}"')):
                    rows.append(
                        tuple(
                            ranks.get(refs[c], {}).get(v, v) if c in refs and v is not None else v
                            for c, v in zip(cols, row, strict=True)
                        )
                    )
                rows.sort(key=repr)
                out[name] = hashlib.sha256(repr(rows).encode()).hexdigest() + f":{len(rows)}"
    finally:
        engine.dispose()
    return out


def integrity_check(url: str) -> str:
    """SQLite's PRAGMA integrity_check ('ok' when sound); other backends are checked by their server."""
    path = sqlite_path(url)
    if path is None or not path.exists():
        return "ok"
    import sqlite3

    try:
        rows = _integrity_rows(f"file:{path}?mode=ro")
    except sqlite3.OperationalError as exc:
        # A store killed mid-write leaves a write-ahead log that only a writing connection may
        # replay (as the next run's does): a read-only one cannot. Replay it, then check.
        if "readonly" not in str(exc):
            raise
        rows = _integrity_rows(f"file:{path}")
    return "; ".join(str(r[0]) for r in rows)


def _integrity_rows(uri: str) -> list[tuple[object, ...]]:
    import sqlite3

    conn = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


def scalar(url: str, sql: str, **params: object) -> object:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def duplicate_current_rows(url: str) -> int:
    """How many (feed, kind, metric, report_date) keys have more than one current row."""
    sql = (
        "SELECT COUNT(*) FROM (SELECT feed_id, kind, metric_id, report_date FROM observation "
        "WHERE superseded_at IS NULL GROUP BY feed_id, kind, metric_id, report_date HAVING COUNT(*) > 1) d"
    )
    return int(str(scalar(url, sql) or 0))


def pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@contextlib.contextmanager
def fresh_pg_database(admin_url: str, prefix: str = "tracker_drill") -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `admin_url`, dropped afterwards (the
    tests' `pg_url` fixture uses it too)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def fresh_store(backend: str, folder: Path, name: str = "store.db") -> Iterator[str]:
    """The URL of a fresh, not yet created store on a backend ('sqlite' or 'postgresql')."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / name}"
        return
    admin = pg_admin_url()
    if admin is None:
        raise RuntimeError(f"PostgreSQL drill asked for without {PG_ENV}")
    with fresh_pg_database(admin) as url:
        yield url


def backends(requested: str | None = None) -> list[str]:
    """SQLite always; PostgreSQL too when TRACKER_TEST_PG_URL names a server."""
    if requested:
        return [requested]
    return ["sqlite", "postgresql"] if pg_admin_url() else ["sqlite"]


# --- outcomes -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Checks:
    """Failed checks, each naming its case, so a drill reports every failure and not the first."""

    failures: list[str] = dataclasses.field(default_factory=list)

    def check(self, ok: bool, case: str, message: str) -> bool:
        if not ok:
            self.failures.append(f"{case}: {message}")
        return ok

    def __bool__(self) -> bool:
        return not self.failures


def save_figures(drill: str, figures: dict) -> Path:
    """Write a drill's last figures to var/drills/<drill>.json (var/ is not committed)."""
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    path = FIGURES_DIR / f"{drill}.json"
    path.write_text(json.dumps(figures, indent=2, sort_keys=True, default=str) + "\n")
    return path


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--full", action="store_true", help="the full count (make drills), not the CI size")
    return p


def finish(checks: Checks) -> int:
    """Print the failures (if any) and return the process exit code."""
    for failure in checks.failures:
        print(f"FAIL {failure}")
    print("PASS" if checks else f"{len(checks.failures)} check(s) failed")
    return 0 if checks else 1
