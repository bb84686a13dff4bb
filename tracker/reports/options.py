"""The options every report shares (metric, source, dates, convention, format, flags, store),
validated, and loading the daily series they ask for.

No typer and no pandas at import time: the CLI, notebooks and the charts build a ReportOptions
and call the report functions with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from tracker.errors import InvalidInput
from tracker.sources import GENERAL_STAFF

if TYPE_CHECKING:
    import pandas as pd


class By(str, Enum):
    """Which day a figure is dated by."""

    report = "report"
    covered = "covered"


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Period(str, Enum):
    """What an average is taken over."""

    day = "day"
    week = "week"
    month = "month"
    year = "year"
    all = "all"


DEFAULT_SOURCE = GENERAL_STAFF
DEFAULT_METRIC = "personnel"


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

    @property
    def label(self) -> str:
        from tracker.metrics import METRICS

        return METRICS[self.metric].label

    def describe(self) -> dict[str, Any]:
        """What was asked, for the header of every output."""
        from tracker.analysis.series import CONVENTION_TEXT

        return {
            "metric": self.metric,
            "label": self.label,
            "source": self.source,
            "by": self.by,
            "convention": CONVENTION_TEXT[self.by],
            "since": self.since,
            "until": self.until,
            "as_of": self.as_of,
            "include_flagged": self.include_flagged,
        }


def parse_date(text: str | None, option: str) -> dt.date | None:
    """A date written YYYY-MM-DD (tracker.values' strict rule), or InvalidInput naming the option."""
    from tracker.values import parse_iso_date

    if text is None:
        return None
    try:
        return parse_iso_date(text)
    except ValueError as exc:
        raise InvalidInput(f"{option}: {exc}: {text[:40]!r}") from None


def report_options(
    *,
    metric: str,
    source: str,
    since: str | None,
    until: str | None,
    as_of: str | None,
    by: By | str,
    format: OutputFormat | str,
    include_flagged: bool,
    db: str | None,
) -> ReportOptions:
    """Validate the shared options: a known metric, real dates, since not after until."""
    from tracker.metrics import resolve

    try:
        canonical = resolve(metric).name
    except KeyError as exc:
        raise InvalidInput(str(exc.args[0])) from None
    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    when = parse_date(as_of, "--as-of")
    if when and when > dt.date.today():
        raise InvalidInput(f"--as-of {when} is in the future: nothing was known on that day yet")
    if start and end and start > end:
        raise InvalidInput(f"--since {start} is after --until {end}")
    return ReportOptions(
        canonical, source, start, end, when, By(by).value, OutputFormat(format).value, include_flagged, db
    )


def load_daily(opts: ReportOptions) -> pd.DataFrame:
    """The daily series the options ask for: read from the store, flagged, cut to the dates."""
    return load_series(opts)[1]


def load_series(opts: ReportOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the whole daily series as known then, its cut to --since/--until)."""
    from tracker.analysis.series import between, daily_series
    from tracker.config import resolve_db_url
    from tracker.store.db import open_store
    from tracker.store.queries import observations_frame

    engine = open_store(resolve_db_url(opts.db), write=False)
    try:
        obs = observations_frame(engine, source=opts.source, metric=opts.metric, as_of=opts.as_of)
    finally:
        engine.dispose()
    if obs.empty:
        raise InvalidInput(
            f"no reports of {opts.metric} from {opts.source} in the store"
            + (f" up to {opts.as_of}" if opts.as_of else "")
        )
    daily = daily_series(obs, by=opts.by, metric=opts.metric, today=opts.as_of or dt.date.today())
    cut = between(daily, opts.since, opts.until)
    if cut.empty:
        raise InvalidInput(
            f"no {opts.metric} figures dated between {opts.since or 'the start'} "
            f"and {opts.until or 'the end'} (by {opts.by}); the series runs "
            f"{daily['date'].min().date()} to {daily['date'].max().date()}"
        )
    return daily, cut
