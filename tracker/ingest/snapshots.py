"""Archived snapshots of a feed ("git scraping"): the moments they were fetched, and backfilling a
folder of them in time order so that revisions carry their true history."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import ExitCode, InvalidInput, LocalFileError

if TYPE_CHECKING:
    from tracker.ingest.feeds import Feed
    from tracker.store.run_report import RunReport

# A snapshot folder's name starts with its fetch time: 2023-01-12T1204_day323, 2022-03-28T0443_36f9122.
SNAPSHOT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:?\d{2}(?::?\d{2})?)")
_COMPACT_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2})(\d{2})(\d{2})?")


def parse_moment(text: str) -> dt.datetime:
    """An ISO 8601 moment, UTC when it names no offset; '2023-01-12T1204' (as in snapshot folder
    names) is accepted too."""
    value = text.strip()
    match = _COMPACT_TIME.fullmatch(value)
    if match:
        value = f"{match[1]}T{match[2]}:{match[3]}" + (f":{match[4]}" if match[4] else "")
    try:
        if not value.isascii() or not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ][\d:.]+([+-]\d{2}:?\d{2}|Z)?)?", value):
            raise ValueError
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"not an ISO 8601 time: {text[:60]!r} (e.g. 2023-01-12T12:04 or 2023-01-12T12:04:00+00:00)"
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    check_span(moment, text)
    return moment


# The times a run can have happened at: from the Unix epoch to the day before the calendar's last
# (a Kyiv day's end, or a moment's offset, must still fit in it).
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 30, 23, 59, 59, tzinfo=dt.UTC)


def check_span(moment: dt.datetime, text: str) -> None:
    """InvalidInput for a moment outside EARLIEST..LATEST (one rule for every time the tool reads)."""
    try:
        inside = EARLIEST <= moment.astimezone(dt.UTC) <= LATEST
    except OverflowError:
        inside = False
    if not inside:
        raise InvalidInput(f"{text.strip()[:60]!r} is outside the times a run can have: 1970-01-01 to 9999-12-30 (UTC)")


def snapshot_folders(root: Path, on_skip: Callable[[str], None] | None = None) -> list[tuple[Path, dt.datetime]]:
    """The snapshot folders under `root` with their fetch times, oldest first.

    An entry that is not a folder (a file, a link to a file) is not a snapshot: it is left out,
    and `on_skip` is told its one line. A broken link may hide a snapshot in the middle of the
    history (ingesting around it would store a false one): it is LocalFileError (exit 6), naming
    every such entry, before anything is ingested.
    """
    if not root.is_dir():
        raise InvalidInput(f"{root}: not a folder of snapshot folders")
    found = []
    broken = []
    try:
        entries = sorted(root.iterdir())
    except OSError as exc:
        raise LocalFileError(f"{root}: cannot list the snapshot folders: {exc.strerror}") from None
    for child in entries:
        if child.is_symlink() and not child.exists():
            broken.append(child)
            continue
        if not child.is_dir():
            if on_skip is not None:
                on_skip(f"{child}: skipped, not a snapshot folder")
            continue
        match = SNAPSHOT_NAME.match(child.name)
        if not match:
            raise InvalidInput(
                f"{child}: snapshot folder names must start with their fetch time, e.g. 2023-01-12T1204_day323"
            )
        found.append((child, parse_moment(match[1])))
    if broken:
        named = ", ".join(str(p) for p in broken[:3]) + (f" and {len(broken) - 3} more" if len(broken) > 3 else "")
        raise LocalFileError(f"{named}: a broken link where a snapshot folder should be; nothing was ingested")
    if not found:
        raise InvalidInput(f"{root}: no snapshot folders")
    return sorted(found, key=lambda item: item[1])


def ingest_snapshots(
    url: str,
    make_feed: Callable[[], Feed],
    folders: Iterable[tuple[Path, dt.datetime]],
    *,
    wait: float = 10.0,
    allow_shrink: bool = False,
    dated_feed: Callable[[dt.datetime], Feed] | None = None,
    progress: Callable[[RunReport], None] | None = None,
    on_refused: Callable[[Path, str], None] | None = None,
) -> list[RunReport]:
    """Ingest each snapshot as observed at its fetch time; stops at the first failed run (a
    later snapshot would otherwise be read against the wrong history).

    `dated_feed`, when given, makes each snapshot's feed from its moment instead of `make_feed`
    (a feed whose files carry no date, such as Oryx's, dates its figures by it); `progress` is
    called after each run; `on_refused`, when given, is told of each snapshot refused as out of
    order (InvalidInput) and the backfill goes on, else the refusal is raised.
    """
    from tracker.ingest import interrupts
    from tracker.ingest.run import run_ingest
    from tracker.store.run_report import RunOptions

    reports: list[RunReport] = []
    for folder, moment in folders:
        interrupts.check()  # a Ctrl-C that landed in a finalizer during the last run stops here
        feed = dated_feed(moment) if dated_feed is not None else make_feed()
        try:
            options = RunOptions(lock_wait=wait, allow_shrink=allow_shrink)
            report = run_ingest(url, feed, location=str(folder), observed_at=moment, options=options)
        except InvalidInput as exc:
            if on_refused is None:
                raise
            on_refused(folder, str(exc))  # an older snapshot whose dates the store saw later
            continue
        reports.append(report)
        if progress is not None:
            progress(reports[-1])
        if reports[-1].exit_code not in (ExitCode.OK, ExitCode.FINDINGS):
            break
    return reports


def not_yet_seen(
    url: str, feed: str, source: str, folders: list[tuple[Path, dt.datetime]]
) -> tuple[list[tuple[Path, dt.datetime]], dt.datetime | None]:
    """The snapshots a backfill of a dated feed (Oryx's) still has to run, and the feed's last
    observed moment.

    A snapshot observed at the moment of a stored successful run is already in the store (a
    re-run of a backfill skips it); the last one seen is read again (as unchanged) so that the
    backfill resumes there. An older snapshot not yet stored is history to add: it runs, in time
    order, and adds its dates if the store has not seen them later (run_ingest decides).
    """
    from sqlalchemy import select

    from tracker.store import models as m
    from tracker.store.db import as_utc, open_store, sqlite_file_missing

    if sqlite_file_missing(url):
        return folders, None
    engine = open_store(url, write=True)
    try:
        with engine.connect() as conn:
            runs = m.ingest_run
            stored = {
                as_utc(moment)
                for (moment,) in conn.execute(
                    select(runs.c.observed_at).where(
                        runs.c.feed_name == feed, runs.c.source_key == source, runs.c.status.in_(m.SUCCESS_STATUSES)
                    )
                )
            }
    finally:
        engine.dispose()
    last = max((moment for moment in stored if moment is not None), default=None)
    if last is None:
        return folders, None
    return [(folder, at) for folder, at in folders if at >= last or at not in stored], last
