"""One ingest run, the one write path of every feed: the CLI's `tracker ingest ...`, `tracker
daily` and any library caller all call `run_ingest`.

Its first step confirms an unchanged repeat: most runs of a daily feed fetch the very bytes the
previous run stored, and on a SQLite file tracker.ingest.repeat records such a run with sqlite3 alone
(no SQLAlchemy imported: importing it took longer than the run). Every other run, and any run
that step is not sure of, takes the full path (tracker.ingest.steps: fetch -> raw archive -> parse
-> store -> validate -> run record) with what the first step fetched, so nothing is fetched twice.
This module imports neither SQLAlchemy nor the ORM models: the full path is imported when needed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection
from typing import TYPE_CHECKING

from tracker.ingest import repeat
from tracker.store.run_report import RunOptions, RunReport

if TYPE_CHECKING:
    from tracker.claims.claim import ClaimRecord
    from tracker.ingest.feeds import Feed

DEFAULT_OPTIONS = RunOptions()


def run_ingest(
    url: str,
    feed: Feed,
    *,
    location: str | None = None,
    source: str | None = None,
    observed_at: dt.datetime | None = None,
    fetch_options: dict[str, object] | None = None,
    options: RunOptions = DEFAULT_OPTIONS,
) -> RunReport:
    """Fetch, archive, parse, store and validate one payload of a feed; never raises for a
    failed fetch or a bad payload (the report says so), raises TrackerError for usage and store
    errors (StoreBusy, exit 7, when another run holds the writer lock past `options.lock_wait`).

    `observed_at` backfills an archived snapshot at its true time and must not be older than what
    the store has seen of the feed; a live run is observed when it fetched, under the writer lock.
    `options` say how it writes (tracker.store.run_report.RunOptions: lock wait, allow_shrink, role).

    A live run that is not told to apply held removals (`options.allow_shrink`) first tries the
    unchanged-payload step; a backfill checks its order against the store and --allow-shrink must
    see what the bytes leave out, so both take the full path at once.
    """
    clock = time.perf_counter()
    started = dt.datetime.now(dt.UTC)
    if observed_at is None and not options.allow_shrink:
        attempt = repeat.try_repeat(
            url,
            feed,
            location=location,
            source=source,
            fetch_options=fetch_options,
            wait=options.lock_wait,
            role=options.role,
            started=started,
        )
        if attempt.report is not None:
            attempt.report.seconds = time.perf_counter() - clock
            return attempt.report
        feed = attempt.feed
    from tracker.ingest.steps import RunRequest, run_full

    request = RunRequest(location, source or feed.source, observed_at, fetch_options, options, started)
    report = run_full(url, feed, request)
    report.seconds = time.perf_counter() - clock
    return report


def ingest_claim(
    url: str, claim: ClaimRecord, *, lock_wait: float = 10.0, sources: Collection[str] | None = None
) -> RunReport:
    """Write one claim a person typed (`tracker claims add`) as its own run of the "cli" feed: it
    never removes other claims. Raises InvalidInput when the store already holds the claim."""
    from tracker.ingest.claim_revisions import check_new_claim
    from tracker.ingest.feeds.claims import SingleClaimFeed
    from tracker.store.db import open_store

    engine = open_store(url, write=True)
    try:
        with engine.connect() as conn:
            check_new_claim(conn, claim)
    finally:
        engine.dispose()
    return run_ingest(url, SingleClaimFeed(claim, sources), options=RunOptions(lock_wait=lock_wait))
