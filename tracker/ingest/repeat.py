"""The unchanged-payload step of an ingest run: confirming a repeat on a SQLite store with sqlite3
alone (issues 12 and 25).

Most runs of a daily feed fetch the very bytes the previous run stored. Such a run parses nothing:
it records the run, archives the fetch and moves `last_seen_*` of the rows the previous run saw.
Importing SQLAlchemy and the ORM models to do that takes longer than doing it, so
tracker.ingest.run.run_ingest (the one ingest of the CLI, `tracker daily` and the library) calls
`try_repeat` first: on a plain SQLite file at this tracker's schema, under the same writer lock,
it writes exactly the rows the full path (tracker.ingest.steps, `_store_run` with `parsed=None`)
writes, in one transaction. On any doubt it writes nothing and hands back the feed for the full
path: the feed itself when nothing was fetched yet, else a `Prefetched` one, so that nothing is
fetched twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.errors import ExitCode, StoreError
from tracker.ingest import archive
from tracker.store.lock import store_file_lock
from tracker.store.reading import WRITER_PRAGMAS, as_date, as_moment, open_at_schema, sqlite_file, sqlite_moment
from tracker.store.run_report import SUCCESS_STATUSES, RunReport
from tracker.store.source_registry import source_info

if TYPE_CHECKING:
    from tracker.ingest.feeds import Feed
    from tracker.ingest.parsed import Fetched, ParsedPayload

# The tables whose rows an unchanged repeat confirms; the first two count as "unchanged" records.
COUNTED = ("observation", "claim")
CONFIRMED = (*COUNTED, "report_note")


@dataclass
class Attempt:
    """What `try_repeat` did: the run's report when it confirmed an unchanged repeat (None when
    the normal path must run), and the feed that path runs (it fetches nothing already fetched)."""

    report: RunReport | None
    feed: Feed
    started: dt.datetime | None = None  # when the run began, when it fetched already


class Prefetched:
    """A feed whose fetch hands back what was already fetched, or raises what fetching raised, so
    that the normal path records the same run without fetching again."""

    def __init__(self, feed: Feed, fetched: list[Fetched] | Exception) -> None:
        self.name = feed.name
        self.source = feed.source
        self.default_location = feed.default_location
        self.feed = feed
        self.fetched = fetched

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        """What the wrapped feed's fetch returned (or raised) for the run."""
        if isinstance(self.fetched, Exception):
            raise self.fetched
        return self.fetched

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        return self.feed.parse(fetched)


@dataclass(frozen=True)
class _Previous:
    """The feed's last successful run, and the ids its rows are stored under."""

    run_id: int
    digest: str
    n_records: int
    observed_at: dt.datetime
    feed_id: int
    role: str


def try_repeat(
    url: str,
    feed: Feed,
    *,
    location: str | None = None,
    source: str | None = None,
    fetch_options: dict[str, object] | None = None,
    wait: float = 10.0,
    role: str | None = None,
    started: dt.datetime | None = None,
) -> Attempt:
    """Fetch the feed once and, if its bytes are the previous successful run's, record the run as
    run_ingest records an unchanged one; else write nothing and return the feed to run normally.

    Only a plain SQLite file that this process may write, at the current schema, whose feed has a
    previous successful run and a source that does not date its figures by document, is tried.
    Raises StoreBusy (exit 7) when another writer holds the lock past `wait`, as run_ingest does.
    `role` ("daily") marks the feed as the full path's registry does; `started` is when the run
    began (default: now).
    """
    clock = time.perf_counter()
    started = started or dt.datetime.now(dt.UTC)
    path = sqlite_file(url)
    # SQLAlchemy decodes %XX in a URL's path: such a URL might name another file (and lock).
    if path is None or "%" in url or not _writable(path):
        return Attempt(None, feed)
    source = source or feed.source
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(store_file_lock(path, wait=wait))
        except StoreError:  # a lock file that cannot be used: the normal path records why
            return Attempt(None, feed)
        conn = _open(path)
        if conn is None:
            return Attempt(None, feed)
        stack.callback(conn.close)
        try:
            previous = _previous(conn, feed.name, source)
        except sqlite3.Error:
            previous = None
        if previous is None:
            return Attempt(None, feed)
        try:
            fetched = feed.fetch(location, **(fetch_options or {}))
        except Exception as exc:  # the normal path records (or raises) it as it would have
            return Attempt(None, Prefetched(feed, exc), started)
        shas = [archive.sha256(item.content) for item in fetched]
        if archive.digest(fetched) != previous.digest:
            return Attempt(None, Prefetched(feed, fetched), started)
        # Observed when fetched, under the lock, never before the previous run (as run_ingest).
        observed = max(max((f.fetched_at for f in fetched), default=started), previous.observed_at)
        report = RunReport(feed.name, source, location or feed.default_location, observed)
        try:
            _confirm(conn, report, started, fetched, shas, previous, role)
        except sqlite3.Error:  # rolled back: the normal path tries again and words any failure
            return Attempt(None, Prefetched(feed, fetched), started)
    report.seconds = time.perf_counter() - clock
    return Attempt(report, feed)


def _writable(path: Path) -> bool:
    """An existing store file that this process may write, in a folder it may write (SQLite's
    journal and the lock file live there); anything else is for tracker.store.db to word."""
    return path.is_file() and os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _open(path: Path) -> sqlite3.Connection | None:
    """A connection set up as tracker.store.db sets up a SQLite engine's (WRITER_PRAGMAS, explicit
    transactions), if the file is a store at this tracker's schema."""
    return open_at_schema(path, WRITER_PRAGMAS, own_transactions=True)


def _previous(conn: sqlite3.Connection, feed: str, source: str) -> _Previous | None:
    """The feed's last successful run and its feed id, when a repeat of it may be confirmed here:
    not for a source that dates its figures by document (the same bytes on another day are that
    day's figures, which run_ingest parses again)."""
    row = conn.execute("SELECT dates_by FROM source WHERE key = :source", {"source": source}).fetchone()
    # The store's record of a source overrides the registry's fields it sets (tracker.store.sources).
    dates_by = row[0] if row is not None and row[0] not in (None, "") else source_info(source).dates_by
    if dates_by == "documented":
        return None
    marks = ", ".join(f":s{i}" for i in range(len(SUCCESS_STATUSES)))
    found = conn.execute(
        "SELECT r.id, r.digest, r.n_records, r.observed_at, f.id, f.role FROM ingest_run r "
        "JOIN source s ON s.key = r.source_key JOIN feed f ON f.name = r.feed_name AND f.source_id = s.id "
        f"WHERE r.feed_name = :feed AND r.source_key = :source AND r.status IN ({marks}) "
        "ORDER BY r.id DESC LIMIT 1",
        {"feed": feed, "source": source, **{f"s{i}": s for i, s in enumerate(SUCCESS_STATUSES)}},
    ).fetchone()
    if found is None or found[1] is None:
        return None
    run_id, digest, n_records, observed_at, feed_id, role = found
    moment = as_moment(observed_at)
    assert moment is not None  # observed_at is NOT NULL
    return _Previous(run_id, digest, n_records, moment, feed_id, role)


def _confirm(
    conn: sqlite3.Connection,
    report: RunReport,
    started: dt.datetime,
    fetched: Sequence[Fetched],
    shas: Sequence[str],
    previous: _Previous,
    role: str | None,
) -> None:
    """Record the run as tracker.ingest.steps._store_run records a repeat of the previous run's
    bytes, in one transaction: the feed's role (as tracker.store.registry.feed_id sets it), the run
    row, the archive of its fetches, every row the previous run saw seen again, and the counts;
    findings stand as they are."""
    now = sqlite_moment(report.observed_at)
    feed_id = previous.feed_id
    conn.execute("BEGIN IMMEDIATE")
    try:
        if role is not None and previous.role not in (role, "retired"):
            conn.execute("UPDATE feed SET role = :role WHERE id = :feed", {"role": role, "feed": feed_id})
        run_id = report.run_id = _open_run(conn, report, started, fetched, feed_id)
        for item, sha in zip(fetched, shas, strict=True):
            _archive(conn, run_id, item, sha)
        seen = {"now": now, "run": run_id, "feed": feed_id, "previous": previous.run_id}
        confirmed = {
            table: conn.execute(
                f"UPDATE {table} SET last_seen_at = :now, last_seen_run_id = :run WHERE feed_id = :feed "
                "AND last_seen_run_id = :previous AND superseded_at IS NULL AND removed = 0",
                seen,
            ).rowcount
            for table in CONFIRMED
        }
        report.n_records = previous.n_records
        report.counts.unchanged = sum(confirmed[table] for table in COUNTED)
        report.status, report.exit_code = "unchanged", ExitCode.OK
        report.open_findings = conn.execute(
            "SELECT count(*) FROM finding WHERE feed_id = :feed AND status = 'open'", seen
        ).fetchone()[0]
        latest = conn.execute(
            "SELECT max(report_date) FROM observation WHERE feed_id = :feed AND kind = 'total' "
            "AND superseded_at IS NULL AND removed = 0",
            seen,
        ).fetchone()[0]
        report.latest_report_date = as_date(latest) if latest is not None else None
        _finish_run(conn, report, run_id)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _open_run(
    conn: sqlite3.Connection, report: RunReport, started: dt.datetime, fetched: Sequence[Fetched], feed_id: int
) -> int:
    """The run's row, as running (as tracker.ingest.steps.open_run inserts it); its id."""
    return _insert(
        conn,
        "ingest_run",
        feed_name=report.feed,
        source_key=report.source,
        feed_id=feed_id,
        location=report.location,
        started_at=sqlite_moment(started),
        observed_at=sqlite_moment(report.observed_at),
        status="running",
        digest=archive.digest(fetched),
        **dict.fromkeys(("n_records", "n_new", "n_revised", "n_removed", "n_unchanged"), 0),
        **dict.fromkeys(("n_findings_new", "n_findings_open"), 0),
    )


def _finish_run(conn: sqlite3.Connection, report: RunReport, run_id: int) -> None:
    """The run's row finished with what `report` says (as tracker.ingest.steps._finish writes it)."""
    conn.execute(
        "UPDATE ingest_run SET finished_at = :finished, status = :status, exit_code = :code, "
        "n_records = :records, n_new = 0, n_revised = 0, n_removed = 0, n_unchanged = :unchanged, "
        "n_findings_new = 0, n_findings_open = :open WHERE id = :run",
        {
            "finished": sqlite_moment(dt.datetime.now(dt.UTC)),
            "status": report.status,
            "code": int(report.exit_code),
            "records": report.n_records,
            "unchanged": report.counts.unchanged,
            "open": report.open_findings,
            "run": run_id,
        },
    )


def _archive(conn: sqlite3.Connection, run_id: int, item: Fetched, sha: str) -> None:
    """One fetch's record, its bytes stored once per distinct content (as tracker.ingest.steps._archive)."""
    row = conn.execute("SELECT id FROM payload_blob WHERE sha256 = :sha", {"sha": sha}).fetchone()
    if row is not None:
        blob_id = row[0]
    else:
        content = archive.compress(item.content)
        blob_id = _insert(conn, "payload_blob", sha256=sha, size=len(item.content), compression="zlib", content=content)
    _insert(
        conn,
        "payload_fetch",
        run_id=run_id,
        blob_id=blob_id,
        location=item.location,
        final_location=item.final_location,
        role=item.role,
        fetched_at=sqlite_moment(item.fetched_at),
        content_type=(item.content_type or "")[:200] or None,
        status_code=item.status,
    )


def _insert(conn: sqlite3.Connection, table: str, **values: Any) -> int:
    """Insert one row (the table and column names are this module's own); its id."""
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    cursor = conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
    assert cursor.lastrowid is not None
    return cursor.lastrowid
