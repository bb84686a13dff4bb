"""A CSV file of many sources' totals (a `source` column) loaded in one transaction, one run per
source: `tracker ingest csv` on a file of 50 or 600 sources.

The file is read once (it is under the payload size limit), surveyed in one cheap pass, then
parsed once more, each source's payload handed to its run as soon as its last row is read, so
what is held at once is one source's rows, not the file's. Every run is written in the same
transaction: a crash or a kill leaves the store as it was. A load into a new store builds the
observation table's secondary indexes after the rows are in, and checks its foreign keys then (on
PostgreSQL by adding them back, on SQLite with PRAGMA foreign_key_check): one sort, one check,
instead of millions of B-tree inserts and lookups; the unique key, which every per-feed query of a
run uses, stays throughout.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from tracker.errors import BadPayload, StoreError, TrackerError
from tracker.ingest import archive
from tracker.ingest.feeds.csvfeed import CsvFeed, CsvReading, SourceSurvey, parse_sources, survey_sources
from tracker.ingest.parsed import Fetched, ParsedPayload
from tracker.ingest.steps import (
    LastRun,
    OpenedRun,
    RunInput,
    _check_order,
    _dates_by,
    _live_moment,
    _record_failed,
    _store_run,
    collector_paused,
    last_success,
    open_run,
    plausible_dates,
    record_internal_error,
    run_transaction,
    utcnow,
)
from tracker.store import models as m
from tracker.store.db import make_engine, store_failure
from tracker.store.lock import writing
from tracker.store.run_report import RunReport

FEED = "csv"
# Rows of sources begun but not finished that one pass may hold; a file interleaving its sources
# more than this is parsed in several passes, a group of sources at a time.
PARSE_BUDGET = 300_000


class _Plan:
    """What one source's run starts from: the feed's last success, and this file as it reads it."""

    def __init__(self, report: RunReport, previous: LastRun | None, dates_by: str, items: list[Fetched]) -> None:
        self.report = report
        self.previous = previous
        self.dates_by = dates_by
        self.items = items
        self.digest = archive.digest(items)

    @property
    def unchanged(self) -> bool:
        return self.previous is not None and self.previous.digest == self.digest


def load_sources(
    url: str,
    fetched: list[Fetched],
    location: str,
    readings: dict[str, CsvReading],
    survey: SourceSurvey,
    *,
    observed_at: dt.datetime | None = None,
    lock_wait: float = 10.0,
    progress: Callable[[RunReport], object] | None = None,
) -> list[RunReport]:
    """One run per source of `readings` (in their order), all in one transaction; never raises
    for a bad file (every run is recorded as failed, with the reason), raises TrackerError for
    usage and store errors as `tracker.ingest.run.run_ingest` does.

    `progress` is called with each source's report as its run is written (before the commit: a
    failure after it still leaves nothing behind)."""
    started = utcnow()
    engine = make_engine(url)
    reports = [RunReport(FEED, key, location, observed_at or started) for key in readings]
    plans: dict[str, _Plan] = {}
    try:
        with writing(engine, wait=lock_wait), collector_paused():
            for report, (key, reading) in zip(reports, readings.items(), strict=True):
                previous = last_success(engine, FEED, key)
                if observed_at is not None:
                    _check_order(previous, FEED, key, observed_at)
                items = fetched if reading.plain else [*fetched, reading.as_fetched()]
                if observed_at is None:
                    report.observed_at = _live_moment(items, previous, started)
                plans[key] = _Plan(report, previous, _dates_by(engine, key), items)
            try:
                with run_transaction(engine) as (conn, first_load):
                    _store_all(conn, started, fetched, readings, survey, plans, first_load, progress)
            except BadPayload as exc:
                for plan in plans.values():
                    plan.report.error, plan.report.exit_code = str(exc), exc.exit_code
                    plan.report.status = "failed"
                    plan.report.run_id = _record_failed(engine, plan.report, started, plan.items, None)
            except SQLAlchemyError as exc:
                raise store_failure(exc, "store write failed, nothing changed") from None
    except StoreError as exc:
        for report in reports:
            report.error, report.exit_code, report.status = str(exc), exc.exit_code, "failed"
        try:
            _record_failed(engine, reports[0], started, [], None)
        except TrackerError:
            pass
        raise
    except TrackerError:
        raise
    except Exception as exc:
        record_internal_error(engine, reports, started, None, exc)
        raise
    finally:
        engine.dispose()
    return reports


def _store_all(
    conn: Connection,
    started: dt.datetime,
    fetched: list[Fetched],
    readings: dict[str, CsvReading],
    survey: SourceSurvey,
    plans: dict[str, _Plan],
    first_load: bool,
    progress: Callable[[RunReport], object] | None = None,
) -> None:
    """Every source's run; unchanged sources are confirmed without parsing the file for them. A
    first load builds the observation indexes after the rows are in. The runs are opened first,
    in the sources' order, so their ids follow it (a source's run is stored when its last row is
    read)."""
    deferred = _defer_indexes(conn) if first_load else []
    opened = {key: open_run(conn, plan.report, started, plan.digest, None) for key, plan in plans.items()}
    for key, plan in plans.items():
        if plan.unchanged:
            _store_one(conn, plan, started, None, opened[key], progress)
    changed = {key: readings[key] for key, plan in plans.items() if not plan.unchanged}
    if changed:
        plausible = {key: plausible_dates(key, plans[key].report.observed_at) for key in changed}
        for key, parsed in parse_sources(fetched, changed, survey, PARSE_BUDGET, plausible, compact=True):
            _store_one(conn, plans[key], started, parsed, opened[key], progress)
    for build in deferred:
        build()


def _store_one(
    conn: Connection,
    plan: _Plan,
    started: dt.datetime,
    parsed: ParsedPayload | None,
    opened: OpenedRun,
    progress: Callable[[RunReport], object] | None,
) -> None:
    clock = time.perf_counter()
    given = RunInput(started, plan.items, plan.digest, plan.previous, dates_by=plan.dates_by)
    _store_run(conn, plan.report, given, parsed, opened)
    plan.report.seconds = time.perf_counter() - clock
    if progress is not None:
        progress(plan.report)


def _defer_indexes(conn: Connection) -> list[Callable[[], object]]:
    """Drop the (empty) observation table's secondary indexes, and on PostgreSQL its foreign keys
    (each row's check is a query there: three quarters of a row's cost in a COPY); returns what
    builds them again after the load, where a foreign key is checked in one pass over the table.
    The transaction's rollback restores them."""
    obs = m.observation
    rebuild: list[Callable[[], object]] = []
    for index in sorted(obs.indexes, key=lambda i: str(i.name)):
        index.drop(conn)
        rebuild.append(partial(index.create, conn))
    if conn.dialect.name == "postgresql":
        # As the store defines them (read back, so what is re-added is exactly what was dropped).
        keys = conn.exec_driver_sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'observation'::regclass AND contype = 'f' ORDER BY conname"
        ).all()
        quote = conn.dialect.identifier_preparer.quote
        for name, definition in keys:
            conn.exec_driver_sql(f"ALTER TABLE observation DROP CONSTRAINT {quote(name)}")
            add = f"ALTER TABLE observation ADD CONSTRAINT {quote(name)} {definition}"
            rebuild.append(partial(conn.exec_driver_sql, add))
    return rebuild


@dataclass
class CsvPlan:
    """A CSV file read once and planned: its sources' readings in run order, loaded by
    load_sources (one run per source, in one transaction), or, for a file that cannot be read, as
    the one failed run of `source` that records why (`tracker ingest csv` and
    `tracker.Store.ingest("csv", ...)` alike)."""

    location: str
    source: str  # --source: the first run, and the owner of blank source cells
    fetched: list[Fetched] | TrackerError  # a failure to read is recorded by the run that meets it
    survey: SourceSurvey | None  # None for a file that cannot be read at all
    readings: dict[str, CsvReading]
    unnamed: list[str]  # sources neither the registry nor the store knows by name

    @property
    def bulk(self) -> bool:
        """Whether the file's sources are loaded by load_sources (else its one run records why it
        cannot be read)."""
        return self.survey is not None and not isinstance(self.fetched, TrackerError)

    def feed(self) -> CsvFeed:
        """The one run's feed of a file that cannot be read (the run records why)."""
        return CsvFeed(self.readings[self.source], self.fetched)


def plan_csv(url: str, location: str, *, source: str, definition: str | None, side: str | None) -> CsvPlan:
    """Read the file once and plan its runs: each source's side (given, else the store's or the
    registry's), the definition given. InvalidInput for a bad --source, --side or --definition."""
    from tracker.domain import SERIES_DEFINITIONS, SIDES
    from tracker.errors import InvalidInput
    from tracker.store.source_registry import SOURCE_KEY, check_choice, source_info
    from tracker.store.sources import sources_for_run

    if not SOURCE_KEY.fullmatch(source):
        raise InvalidInput(
            f"--source must be a short key of lowercase letters, digits, '.', '_' or '-': {source[:80]!r}"
        )
    side = check_choice("side", side, SIDES)
    definition = check_choice("definition", definition, SERIES_DEFINITIONS)
    fetched = _read_once(location)
    survey = _survey(fetched, source)
    known = sources_for_run(url)
    keys = survey.order if survey is not None else [source]
    readings = {
        key: CsvReading(key, key == source, side or (known.get(key) or source_info(key)).side, definition)
        for key in keys
    }
    unnamed = [k for k in keys if (known.get(k) or source_info(k)).name == k]
    return CsvPlan(location, source, fetched, survey, readings, unnamed)


def _read_once(location: str) -> list[Fetched] | TrackerError:
    """The file, read once for all of its sources; a failure to read it is handed to the run that
    records it (InvalidInput, a usage error, is raised: nothing to record)."""
    from tracker.errors import LocalFileError, SourceUnreachable

    try:
        return CsvFeed().fetch(location)
    except (SourceUnreachable, BadPayload, LocalFileError) as exc:
        return exc


def _survey(fetched: list[Fetched] | TrackerError, default: str) -> SourceSurvey | None:
    """The sources of a file with a `source` column; None for a file without one, or one that
    cannot be read at all (its one run records why)."""
    if isinstance(fetched, TrackerError):
        return None
    try:
        return survey_sources(fetched, default)
    except BadPayload:
        return None
