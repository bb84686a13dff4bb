"""Archived snapshots of a feed ("git scraping"): the moments they were fetched, and backfilling a
folder of them in time order so that revisions carry their true history."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import ExitCode, InvalidInput

if TYPE_CHECKING:
    from tracker.feeds import Feed
    from tracker.run_report import RunReport

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


def snapshot_folders(root: Path) -> list[tuple[Path, dt.datetime]]:
    """The snapshot folders under `root` with their fetch times, oldest first."""
    if not root.is_dir():
        raise InvalidInput(f"{root}: not a folder of snapshot folders")
    found = []
    for child in sorted(p for p in root.iterdir() if p.is_dir()):
        match = SNAPSHOT_NAME.match(child.name)
        if not match:
            raise InvalidInput(
                f"{child}: snapshot folder names must start with their fetch time, e.g. 2023-01-12T1204_day323"
            )
        found.append((child, parse_moment(match[1])))
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
) -> list[RunReport]:
    """Ingest each snapshot as observed at its fetch time; stops at the first failed run (a
    later snapshot would otherwise be read against the wrong history).

    `dated_feed`, when given, makes each snapshot's feed from its moment instead of `make_feed`
    (a feed whose files carry no date, such as Oryx's, dates its figures by it); `progress` is
    called after each run.
    """
    from tracker.ingest import run_ingest

    reports: list[RunReport] = []
    for folder, moment in folders:
        feed = dated_feed(moment) if dated_feed is not None else make_feed()
        reports.append(
            run_ingest(url, feed, location=str(folder), observed_at=moment, lock_wait=wait, allow_shrink=allow_shrink)
        )
        if progress is not None:
            progress(reports[-1])
        if reports[-1].exit_code not in (ExitCode.OK, ExitCode.FINDINGS):
            break
    return reports


def not_yet_seen(
    url: str, feed: str, source: str, folders: list[tuple[Path, dt.datetime]]
) -> tuple[list[tuple[Path, dt.datetime]], dt.datetime | None]:
    """The snapshots a store has not yet passed, and the feed's last observed moment.

    A snapshot older than the feed's last successful run cannot be ingested any more (revisions
    must arrive in time order); it is already in the store if the same folder was backfilled
    before, so a re-run of a backfill resumes at the last snapshot seen (which reads as unchanged).
    """
    from tracker.ingest import last_success
    from tracker.store.db import as_utc, open_store, sqlite_file_missing

    if sqlite_file_missing(url):
        return folders, None
    engine = open_store(url, write=True)
    try:
        previous = last_success(engine, feed, source)
    finally:
        engine.dispose()
    moment = as_utc(previous.observed_at) if previous is not None else None
    if moment is None:
        return folders, None
    return [(folder, at) for folder, at in folders if at >= moment], moment
