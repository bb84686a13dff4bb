"""The window of `tracker changes`, `Store.changes` and the page's "what changed", as asked on the
command line: a time (UTC unless it names an offset), a Kyiv day, "today", "yesterday" or
"last-run" (each feed's most recent successful run) -> a tracker.store.run_changes.Window.
"""

from __future__ import annotations

import datetime as dt
import re

from tracker.domain import KYIV
from tracker.errors import InvalidInput
from tracker.store.run_changes import ONE_TICK, Window

LAST_RUN = "last-run"
YESTERDAY = "yesterday"
TODAY = "today"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:?\d{2}(:?\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
TIME_HELP = "a time (2024-11-11T08:00, UTC unless it names an offset), a Kyiv day (2024-11-11), yesterday or today"


def _kyiv_day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=KYIV).astimezone(dt.UTC)


def parse_time(text: str, option: str, *, now: dt.datetime, end_of_day: bool = False) -> dt.datetime:
    """A moment from the command line: an ISO time (UTC unless it names an offset), a Kyiv day
    (its start, or with `end_of_day` its last moment), "today" or "yesterday" (Kyiv)."""
    value = text.strip()
    today = now.astimezone(KYIV).date()
    day: dt.date | None = None
    if value in (TODAY, YESTERDAY):
        day = today if value == TODAY else today - dt.timedelta(days=1)
    elif value.isascii() and _DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{option}: no such calendar date: {text[:40]!r}") from None
    from tracker.ingest.snapshots import check_span, parse_moment

    if day is not None:
        try:
            moment = _kyiv_day_start(day + dt.timedelta(days=1)) - ONE_TICK if end_of_day else _kyiv_day_start(day)
            check_span(moment, value)
        except (InvalidInput, OverflowError):
            raise InvalidInput(f"{option} {value}: a day from 1970-01-01 to 9999-12-30") from None
        return moment
    if not (value.isascii() and _MOMENT.fullmatch(value)):
        raise InvalidInput(f"{option}: expected {TIME_HELP}, got {text[:40]!r}")
    try:
        return parse_moment(value).astimezone(dt.UTC)
    except InvalidInput as exc:
        if "outside the times" in str(exc):
            raise InvalidInput(f"{option} {value}: a time from 1970-01-01 to 9999-12-30 (UTC)") from None
        raise InvalidInput(f"{option}: expected {TIME_HELP}, got {text[:40]!r}") from None


def parse_window(since: str, until: str | None = None, *, now: dt.datetime | None = None) -> Window:
    """The window `--since` / `--until` ask for. "last-run": each feed's most recent successful run
    (after `tracker daily`, that job's runs); "yesterday": from the start of yesterday (Kyiv)."""
    now = now or dt.datetime.now(dt.UTC)
    if since.strip() == LAST_RUN:
        if until is not None:
            raise InvalidInput("--until cannot be used with --since last-run (it is each feed's last run)")
        return Window(asked=LAST_RUN, last_run=True)
    start = parse_time(since, "--since", now=now)
    if start > now:
        raise InvalidInput(f"--since {since.strip()[:40]} is in the future: nothing has changed there yet")
    end = parse_time(until, "--until", now=now, end_of_day=True) if until is not None else None
    if end is not None and end < start:
        raise InvalidInput(f"--until {until} is before --since {since}")
    asked = f"since {since.strip()}" + (f" until {until.strip()}" if until is not None else "")
    return Window(asked=asked, since=start, until=end)
