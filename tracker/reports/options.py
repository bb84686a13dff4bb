"""The options every report shares (metric, source, side, dates, convention, format, flags,
store), validated, and loading the daily series they ask for.

No typer and no pandas at import time: the CLI, notebooks and the charts build a ReportOptions
and call the report functions with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from enum import Enum
from typing import TYPE_CHECKING, Any

from tracker.domain import kyiv_today
from tracker.errors import InvalidInput
from tracker.store.source_registry import GENERAL_STAFF

if TYPE_CHECKING:
    import pandas as pd

    from tracker.analysis.daily_rows import DailyRows
    from tracker.reports.feedcheck import FeedCheck


class By(str, Enum):
    """Which day a figure is dated by."""

    report = "report"
    covered = "covered"


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Side(str, Enum):
    """Whose losses a series counts (tracker.store.sources.SIDES)."""

    russia = "russia"
    ukraine = "ukraine"


class Period(str, Enum):
    """What an average is taken over."""

    day = "day"
    week = "week"
    month = "month"
    year = "year"
    all = "all"


DEFAULT_SOURCE = GENERAL_STAFF
DEFAULT_METRIC = "personnel"
DEFAULT_SIDE = "russia"
SIDE_NAMES = {"russia": "Russia", "ukraine": "Ukraine"}

# --last N UNIT: N's largest value (10,000 months reach back 833 years: every date a window can
# name stays a real date), and the unit's accepted spellings, by the unit they mean.
LAST_MOST = 10_000
LAST_UNITS = {
    "day": "days",
    "days": "days",
    "week": "weeks",
    "weeks": "weeks",
    "month": "months",
    "months": "months",
}


@dataclass(frozen=True)
class Last:
    """`--last N days|weeks|months`: the latest N calendar days, ISO weeks or calendar months in
    view, counted back from the latest date of the series (the latest week or month may be partial)."""

    n: int
    unit: str  # "days", "weeks" or "months"

    def __str__(self) -> str:
        return f"{self.n} {self.unit if self.n != 1 else self.unit[:-1]}"

    def window(self, end: dt.date) -> tuple[dt.date, dt.date]:
        """(first day, last day) of the N units ending with the one holding `end`."""
        if self.unit == "days":
            return end - dt.timedelta(days=self.n - 1), end
        if self.unit == "weeks":
            monday = end - dt.timedelta(days=end.weekday())
            return monday - dt.timedelta(weeks=self.n - 1), end
        months = end.year * 12 + end.month - 1 - (self.n - 1)
        return dt.date(months // 12, months % 12 + 1, 1), end


def parse_last(value: tuple[int | str, str] | list[Any] | None) -> Last | None:
    """`--last 4 weeks` as a Last, or InvalidInput saying what is accepted."""
    from tracker.config import whole_number

    if value is None:
        return None
    n, unit = value
    name = LAST_UNITS.get(str(unit).strip().lower())
    if name is None:
        raise InvalidInput(
            f"--last {str(n)[:20]} {str(unit)[:20]!r}: the unit is days, weeks or months (e.g. --last 4 weeks)"
        )
    try:
        count = whole_number(n, "N", low=1, high=LAST_MOST)
    except InvalidInput as exc:
        raise InvalidInput(f"--last {str(n)[:20]} {unit}: {exc}") from None
    return Last(count, name)


@dataclass(frozen=True)
class ReportOptions:
    """The shared options, validated."""

    metric: str
    source: str
    since: dt.date | None
    until: dt.date | None
    as_of: dt.date | None
    by: str
    format: str
    include_flagged: bool
    db: str | None
    side: str = DEFAULT_SIDE  # whose losses
    last: Last | None = None  # --last N days|weeks|months, resolved against the series loaded
    feed: str | None = None  # --feed: the feed to read (it must exist), else the default rule
    feed_setting: str | None = None  # $TRACKER_FEED when the report was asked (part of the cache key)

    @property
    def label(self) -> str:
        """The metric's own label (a loaded series' label follows its definition: `series_label`)."""
        from tracker.domain import METRICS

        return METRICS[self.metric].label

    def describe(self) -> dict[str, Any]:
        """What was asked, for the header of every output."""
        from tracker.analysis.daily_rows import CONVENTION_TEXT

        return {
            "metric": self.metric,
            "label": self.label,
            "source": self.source,
            "side": self.side,
            "by": self.by,
            "convention": CONVENTION_TEXT[self.by],
            "since": self.since,
            "until": self.until,
            "as_of": self.as_of,
            "last": str(self.last) if self.last else None,
            "include_flagged": self.include_flagged,
        }


def parse_date(text: str | None, option: str) -> dt.date | None:
    """A date written YYYY-MM-DD (tracker.ingest.values' strict rule), or InvalidInput naming the option."""
    from tracker.ingest.values import parse_iso_date

    if text is None:
        return None
    try:
        return parse_iso_date(text)
    except ValueError as exc:
        raise InvalidInput(f"{option}: {exc}: {text[:40]!r}") from None


def parse_window(
    since: str | None, until: str | None, as_of: str | None
) -> tuple[dt.date | None, dt.date | None, dt.date | None]:
    """--since, --until and --as-of read and checked together: as-of not in the future, since not
    after until (InvalidInput naming the option otherwise)."""
    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    when = parse_date(as_of, "--as-of")
    if when and when > kyiv_today():
        raise InvalidInput(f"--as-of {when} is in the future: nothing was known on that day yet")
    if start and end and start > end:
        raise InvalidInput(f"--since {start} is after --until {end}")
    return start, end, when


@dataclass(frozen=True)
class Filters:
    """What narrows the series a report reads, as asked (dates as the CLI takes them, YYYY-MM-DD):
    whose losses (`side`), which feed, the days (`since`/`until` or `last`, e.g. (4, "weeks")) and
    the day it is known as of (`as_of`). Every one is optional: none is the whole series, as
    known now, from the feed the default rule chooses."""

    since: str | None = None
    until: str | None = None
    as_of: str | None = None
    side: Side | str = DEFAULT_SIDE
    last: tuple[int | str, str] | list[Any] | None = None
    feed: str | None = None


NO_FILTERS = Filters()
FILTERS = tuple(f.name for f in fields(Filters))  # the options a Filters holds, by their names


def report_options(
    *,
    metric: str,
    source: str,
    by: By | str,
    format: OutputFormat | str,
    include_flagged: bool,
    db: str | None,
    filters: Filters = NO_FILTERS,
) -> ReportOptions:
    """Validate the shared options: a known metric and side, real dates, since not after until,
    and --last or --since/--until (both choose the days: one or the other)."""
    from tracker.domain import SIDES, resolve

    try:
        canonical = resolve(metric).name
    except KeyError as exc:
        raise InvalidInput(str(exc.args[0])) from None
    start, end, when = parse_window(filters.since, filters.until, filters.as_of)
    side = filters.side.value if isinstance(filters.side, Side) else filters.side
    if side not in SIDES:
        raise InvalidInput(f"--side {side[:40]!r}: use one of {', '.join(SIDES)}")
    window = parse_last(filters.last)
    if window and (start or end):
        given = " and ".join(f"{o} {v}" for o, v in (("--since", start), ("--until", end)) if v)
        raise InvalidInput(f"--last {window} and {given} both choose the days: give one or the other")
    import os

    from tracker.store.queries import ENV_FEED

    feed = filters.feed
    if feed is not None and not feed.strip():
        raise InvalidInput("--feed: name a feed of the source (`tracker status` lists them)")
    return ReportOptions(
        canonical,
        source,
        start,
        end,
        when,
        By(by).value,
        OutputFormat(format).value,
        include_flagged,
        db,
        side,
        window,
        feed.strip() if feed else None,
        os.environ.get(ENV_FEED, "").strip() or None,
    )


def side_phrase(side: str) -> str:
    """How a header names whose losses a series counts: nothing for Russia's (every source's
    default), "Ukraine's losses" otherwise."""
    return "" if side == DEFAULT_SIDE else f"{SIDE_NAMES.get(side, side)}'s losses"


def source_name(key: str) -> str:
    """A source's short name for sentences: "Oryx" for "Oryx (visually confirmed ...)"."""
    from tracker.store.source_registry import source_info

    return source_info(key).name.split(" (")[0]


def refuse_documented(daily: pd.DataFrame | DailyRows, what: str) -> None:
    """Refuse a day-by-day answer (`what`: "daily records", "daily increments", ...) on a series
    dated by when losses were documented (Oryx): a day's change is the documenting, not the losses."""
    if daily.attrs.get("dates_by") == "documented":
        who = source_name(str(daily.attrs.get("source", "")))
        raise InvalidInput(
            f"{who}'s dates are when a loss was documented, not when it happened: {what} mean nothing; "
            "try `averages --period week|month`"
        )


def read_observations(opts: ReportOptions, store: Any = None, *, feedcheck: bool = True) -> pd.DataFrame:
    """The stored series the options name (tracker.store.queries.observations_frame), from the
    feed they choose, refused when there is none (or --by covered on a series dated by when losses
    were documented); with `feedcheck`, the other feeds' check in `attrs["feedcheck"]` and its
    disputed report dates in `attrs["disputed"]`. The one reader of a series for reports, the
    site and the charts alike: read through `store` when given (an engine or connection its
    caller holds, as the charts' Loader does), else from `opts.db`: a SQLite store at this
    tracker's schema with sqlite3 alone (tracker.store.reading), so a report imports no
    SQLAlchemy; any other through tracker.store.db."""
    from tracker.config import resolve_db_url
    from tracker.store.queries import observations_frame
    from tracker.store.reading import read_store

    def read(store: Any) -> pd.DataFrame:
        obs = observations_frame(
            store, source=opts.source, metric=opts.metric, as_of=opts.as_of, side=opts.side, feed=opts.feed
        )
        _check_observations(opts, obs.empty, obs.attrs.get("dates_by"))
        if feedcheck:
            check = _check_feeds(store, opts, obs.attrs["feed"])
            obs.attrs.update(feedcheck=check, disputed=check.reasons())
        return obs

    return read(store) if store is not None else read_store(resolve_db_url(opts.db), read)


def daily_of(opts: ReportOptions, obs: pd.DataFrame) -> pd.DataFrame:
    """The whole daily series of read observations (tracker.analysis.series.daily_series), dated
    as the options ask, with today the --as-of day or Kyiv's."""
    from tracker.analysis.series import daily_series

    return daily_series(obs, by=opts.by, metric=opts.metric, today=opts.as_of or kyiv_today())


def load_daily(opts: ReportOptions) -> pd.DataFrame:
    """The daily series the options ask for: read from the store, flagged, cut to the dates."""
    return load_series(opts)[1]


def load_series(opts: ReportOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the whole daily series as known then, its cut to --since/--until or --last).

    Both frames carry the series' attrs (source, side, metric, definition, dates_by, by, feed,
    feedcheck); the cut's `window` attr holds the (first, last) day asked for, resolved from --last."""
    from tracker.analysis.series import between

    daily = daily_of(opts, read_observations(opts))
    since, until = _days_asked(opts, daily["date"].max().date())
    cut = between(daily, since, until)
    if cut.empty:
        raise _nothing_between(opts, since, until, daily["date"].min().date(), daily["date"].max().date())
    cut.attrs["window"] = (since, until)
    return daily, cut


def load_daily_rows(opts: ReportOptions) -> DailyRows:
    """load_daily without pandas (tracker.analysis.daily_rows): the same rows, attrs and refusals,
    read as read_observations reads (observation_rows is observations_frame's rows)."""
    from tracker.analysis.daily_rows import between_rows, daily_rows
    from tracker.config import resolve_db_url
    from tracker.store.queries import observation_rows
    from tracker.store.reading import read_store

    def read(store: Any) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
        rows, attrs = observation_rows(
            store, source=opts.source, metric=opts.metric, as_of=opts.as_of, side=opts.side, feed=opts.feed
        )
        _check_observations(opts, not rows, attrs.get("dates_by"))
        check = _check_feeds(store, opts, attrs["feed"])
        return rows, {**attrs, "feedcheck": check, "disputed": check.reasons()}

    rows, attrs = read_store(resolve_db_url(opts.db), read)
    daily = daily_rows(rows, attrs, by=opts.by, metric=opts.metric, today=opts.as_of or kyiv_today())
    dates = [r["date"] for r in daily.rows]
    since, until = _days_asked(opts, max(dates))
    cut = between_rows(daily, since, until)
    if not cut.rows:
        raise _nothing_between(opts, since, until, min(dates), max(dates))
    cut.attrs["window"] = (since, until)
    return cut


def _check_feeds(store: Any, opts: ReportOptions, feed: str) -> FeedCheck:
    """The source's other feeds of the series against the one read (tracker.reports.feedcheck)."""
    from tracker.reports.feedcheck import check_feeds

    return check_feeds(store, source=opts.source, metric=opts.metric, feed=feed, side=opts.side, as_of=opts.as_of)


def _check_observations(opts: ReportOptions, empty: bool, dates_by: str | None) -> None:
    """Refuse a series with no report, and --by covered on a series dated by documentation."""
    whose = f" ({side_phrase(opts.side)})" if side_phrase(opts.side) else ""
    if empty:
        raise InvalidInput(
            f"no reports of {opts.metric}{whose} from {opts.source} in the store"
            + (f" up to {opts.as_of}" if opts.as_of else "")
        )
    if opts.by == By.covered.value and dates_by == "documented":
        raise InvalidInput(
            f"--by covered: {source_name(opts.source)} dates a figure by when the loss was documented, "
            "not by a day it covers; use --by report"
        )


def _days_asked(opts: ReportOptions, latest: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """(since, until) as asked: --since/--until, or --last resolved against the latest date."""
    if opts.last is not None:
        return opts.last.window(latest)
    return opts.since, opts.until


def _nothing_between(
    opts: ReportOptions, since: dt.date | None, until: dt.date | None, first: dt.date, last: dt.date
) -> InvalidInput:
    whose = f" ({side_phrase(opts.side)})" if side_phrase(opts.side) else ""
    return InvalidInput(
        f"no {opts.metric}{whose} figures dated between {since or 'the start'} "
        f"and {until or 'the end'} (by {opts.by}); the series runs {first} to {last}"
    )
