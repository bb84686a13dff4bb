"""The Python API: `tracker.Store`, the one way into a store from a notebook or a script as the
CLI is from a shell (docs/api.md), and the morning job (daily_job) with its chat notice (notify).

A Store holds one URL and, once something is read, one engine (closed by `close()` or by leaving
a `with` block); every read goes through it, a chart's too (tracker.charts.build reads with the
engine it is given), and an ingest run opens its own writer under the writer lock, as the CLI's
does. Each method calls the library function the matching
command calls, so a notebook gets the same figures and the same one-line refusals (InvalidInput,
StoreError) as the shell, with DataFrames (or the library's own result objects) instead of text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.store.source_registry import GENERAL_STAFF

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine

    from tracker.analysis.reconcile import Reconciliation
    from tracker.ingest.feeds import Feed
    from tracker.reports.changes import Changes
    from tracker.reports.options import ReportOptions
    from tracker.store.run_report import RunReport

Day = str | dt.date | None  # a date as the CLI takes it (YYYY-MM-DD) or a date
REPORT_OPTIONS = ("source", "side", "by", "since", "until", "as_of", "last", "include_flagged", "feed")
FEEDS = ("dataset", "api", "csv", "claims", "oryx", "orc-losses")  # as `tracker ingest NAME` names them


def _text(day: Day) -> str | None:
    return day.isoformat() if isinstance(day, dt.date) else day


def _choice(option: str, value: str, allowed: type[Enum]) -> str:
    """One of an option's words, as the CLI's choices check it; InvalidInput naming them."""
    from tracker.errors import InvalidInput

    words = [str(member.value) for member in allowed]
    if value not in words:
        raise InvalidInput(f"{option} {str(value)[:40]!r}: use one of {', '.join(words)}")
    return value


class Store:
    """A tracker store: `Store("sqlite:///tracker.db")`, `Store("postgresql://...")`, a plain file
    path, or `Store()` for the configured default (--db's rule: $TRACKER_DB_URL, else the default
    file)."""

    def __init__(self, url: str | None = None) -> None:
        from tracker.config import resolve_db_url

        self.url = resolve_db_url(url)
        self._engine: Engine | None = None

    def __repr__(self) -> str:
        from tracker.store.db import safe_url

        return f"Store({safe_url(self.url)!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        """The store's one engine, opened for reading when first needed (a missing or outdated
        store is a StoreError saying what to run)."""
        if self._engine is None:
            from tracker.store.db import open_store

            self._engine = open_store(self.url, write=False)
        return self._engine

    def close(self) -> None:
        """Dispose of the engine (the next read opens another)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Library readers that take the URL read through this store's engine meanwhile."""
        from tracker.store.reading import held

        with held(self.url, self.engine):
            yield

    # --- writing ---------------------------------------------------------------------------------

    def ingest(
        self,
        feed: str,
        *,
        from_: str | None = None,
        observed_at: str | dt.datetime | None = None,
        allow_shrink: bool = False,
        wait: float = 10.0,
        **options: Any,
    ) -> RunReport:
        """One run of a feed named as `tracker ingest NAME` names it (FEEDS), from `from_` (a file,
        folder or URL; default: the feed's live location), as that command runs it; the run's
        report (`.status`, `.counts`, `.new_findings`, `.exit_code`). Options of one feed:
        `since`/`until` (api), `source`/`definition`/`side` (csv: a file of one source; a file
        of several is `ingest_csv`)."""
        from tracker.ingest.run import run_ingest
        from tracker.store.lock import check_wait
        from tracker.store.run_report import RunOptions

        wait = check_wait(wait)
        moment = _moment(observed_at)
        if feed == "csv":
            taken = {k: options.pop(k) for k in ("source", "definition", "side") if k in options}
            if allow_shrink:
                options["allow_shrink"] = allow_shrink  # `ingest csv` has no --allow-shrink either
            _no_other(feed, options)
            return self.ingest_csv(from_ or "", observed_at=moment, wait=wait, one_source=True, **taken)[0]
        made, fetch_options = _feed(feed, moment, options)
        _no_other(feed, options)
        return run_ingest(
            self.url,
            made,
            location=from_,
            observed_at=moment,
            fetch_options=fetch_options,
            options=RunOptions(lock_wait=wait, allow_shrink=allow_shrink),
        )

    def ingest_csv(
        self,
        from_: str,
        *,
        source: str = GENERAL_STAFF,
        definition: str | None = None,
        side: str | None = None,
        observed_at: str | dt.datetime | None = None,
        wait: float = 10.0,
        one_source: bool = False,
    ) -> list[RunReport]:
        """`tracker ingest csv`: one run per source of the file (a `source` column, a blank cell
        meaning `source`), all in one transaction. `one_source` refuses a file of several sources
        before anything is stored (what `ingest("csv", ...)`, which returns one report, asks)."""
        from tracker.errors import InvalidInput, TrackerError
        from tracker.ingest.csvload import load_sources, plan_csv
        from tracker.ingest.run import run_ingest
        from tracker.store.lock import check_wait
        from tracker.store.run_report import RunOptions

        wait = check_wait(wait)
        if not from_:
            raise InvalidInput("ingest csv needs from_: a CSV file or URL")
        moment = _moment(observed_at)
        plan = plan_csv(self.url, from_, source=source, definition=definition, side=side)
        if one_source and len(plan.readings) > 1:
            raise InvalidInput(
                f"{from_} holds {len(plan.readings):,} sources: Store.ingest_csv runs each (one report per source)"
            )
        if not plan.bulk or plan.survey is None or isinstance(plan.fetched, TrackerError):
            return [
                run_ingest(
                    self.url, plan.feed(), location=from_, observed_at=moment, options=RunOptions(lock_wait=wait)
                )
            ]
        return load_sources(
            self.url, plan.fetched, from_, plan.readings, plan.survey, observed_at=moment, lock_wait=wait
        )

    # --- reading ---------------------------------------------------------------------------------

    def _options(self, metric: str, **given: Any) -> ReportOptions:
        """The report options the commands validate, with this store's URL."""
        from tracker.errors import InvalidInput
        from tracker.reports.options import DEFAULT_SIDE, By, Filters, report_options

        unknown = sorted(set(given) - set(REPORT_OPTIONS))
        if unknown:
            raise InvalidInput(f"unknown option {', '.join(unknown)}: use {', '.join(REPORT_OPTIONS)}")
        return report_options(
            metric=metric,
            source=given.get("source") or GENERAL_STAFF,
            by=_choice("by", given.get("by", "report"), By),
            format="table",
            include_flagged=bool(given.get("include_flagged", False)),
            db=self.url,
            filters=Filters(
                since=_text(given.get("since")),
                until=_text(given.get("until")),
                as_of=_text(given.get("as_of")),
                side=given.get("side") or DEFAULT_SIDE,
                last=given.get("last"),
                feed=given.get("feed"),
            ),
        )

    def series(self, metric: str = "personnel", **options: Any) -> pd.DataFrame:
        """`tracker series`: the daily series (total, increment, span, flags, ...) indexed by
        report_date. Options as the report commands': source, side, by ("report"/"covered"),
        since, until, as_of, last (e.g. (4, "weeks")), feed."""
        from tracker.reports.options import load_series

        opts = self._options(metric, **options)
        with self._reading():
            _whole, cut = load_series(opts)
        return _indexed(cut)

    def records(
        self,
        metric: str = "personnel",
        *,
        top: int = 10,
        streak_threshold: float | None = None,
        milestone_step: int | None = None,
        **options: Any,
    ) -> dict[str, pd.DataFrame]:
        """`tracker records`: each record table (deadliest_day, record_progression, top_days,
        deadliest_7_days, deadliest_month, deadliest_year, streaks, milestones, excluded_months,
        excluded_years, excluded) as a DataFrame, its note in `attrs["note"]`."""
        import pandas as pd

        from tracker.analysis.daily_rows import records_of
        from tracker.config import number_in_range, whole_number
        from tracker.ingest.values import MOST_FIGURE
        from tracker.reports.options import load_daily_rows, refuse_documented

        top = whole_number(top, "top", low=1, high=100_000)
        if streak_threshold is not None:
            streak_threshold = number_in_range(streak_threshold, "streak_threshold", low=0, high=MOST_FIGURE)
        if milestone_step is not None:
            milestone_step = whole_number(milestone_step, "milestone_step", low=1, high=MOST_FIGURE)
        opts = self._options(metric, **options)
        with self._reading():
            daily = load_daily_rows(opts)
        refuse_documented(daily, "daily records")
        found, _threshold, _step = records_of(
            daily,
            metric=opts.metric,
            top=top,
            streak_threshold=streak_threshold,
            milestone_step=milestone_step,
            include_flagged=opts.include_flagged,
        )
        out: dict[str, pd.DataFrame] = {}
        for name, table in {**found.tables, "excluded": found.excluded}.items():
            frame = pd.DataFrame(table.rows, columns=table.columns)
            frame.attrs["note"] = found.notes.get(name, "")
            out[name] = frame
        return out

    def averages(
        self, metric: str = "personnel", *, period: str = "month", rolling: int | None = None, **options: Any
    ) -> pd.DataFrame:
        """`tracker averages`: per period ("day", "week", "month", "quarter", "year", "all") the
        days, total, daily average and changes; or, with `rolling`, the N-day rolling average."""
        from tracker.analysis.averages import averages_table
        from tracker.config import whole_number
        from tracker.reports.options import Period, load_series, refuse_documented

        period = _choice("period", period, Period)
        if rolling is not None:
            rolling = whole_number(rolling, "rolling", low=1, high=10_000, unit="days")
        opts = self._options(metric, **options)
        with self._reading():
            whole, cut = load_series(opts)
        if rolling or period == "day":
            refuse_documented(cut, "daily increments")
        return averages_table(cut, period=period, rolling=rolling, context=whole)

    def compare(
        self,
        *,
        source: str | None = None,
        metric: str | None = None,
        kind: str | None = None,
        period: str | None = None,
        convention: str | None = None,
        feed: str | None = None,
    ) -> pd.DataFrame:
        """`tracker compare`: each stored claim judged against the General Staff's series (the
        series figure, the ratio, the verdict), by its source's date convention unless
        `convention` ("report" or "covered") says otherwise."""
        import pandas as pd

        from tracker.reports.comparison import compare_rows
        from tracker.reports.options import By

        chosen = _choice("convention", convention, By) if convention is not None else None
        found = compare_rows(
            self.engine, source=source, metric=metric, kind=kind, period=period, convention=chosen, feed=feed
        )
        frame = pd.DataFrame(found.rows)
        frame.attrs["latest"] = found.latest
        return frame

    def changes(self, since: str = "last-run", until: str | None = None, *, source: str | None = None) -> Changes:
        """`tracker changes`: what the runs of a window changed, per feed (new reports, revisions,
        removals, records and milestones, findings, claims). `since`: a time, a day, "today",
        "yesterday" (Kyiv) or "last-run"."""
        from tracker.reports.changes import collect_changes
        from tracker.reports.window import parse_window

        window = parse_window(since, until)  # a bad window is refused before the store is opened
        return collect_changes(self.engine, window, source=source)

    def reconcile(
        self,
        source: str = GENERAL_STAFF,
        *,
        metric: str | None = None,
        since: Day = None,
        until: Day = None,
        as_of: Day = None,
    ) -> Reconciliation:
        """`tracker reconcile`: where the feeds of one source disagree on a report's figure (with
        the verdict), the dates one feed has and another lacks, and a summary per metric."""
        from tracker.reports.reconcile_outputs import read_reconciliation, reconcile_options

        opts = reconcile_options(
            source=source,
            metric=metric,
            since=_text(since),
            until=_text(until),
            as_of=_text(as_of),
            all_dates=False,
            format="table",
            db=self.url,
        )
        with self._reading():
            found: Reconciliation = read_reconciliation(opts)
        return found

    def chart(
        self,
        kind: str,
        out: str | Path,
        metric: str = "personnel",
        *,
        size: tuple[int, int] | None = None,
        dpi: float | None = None,
        **options: Any,
    ) -> Path:
        """`tracker chart KIND --out OUT`: one chart written to `out` (.png or .svg); the path.
        `size` is (width, height) in pixels; the other options are the report options."""
        from tracker.charts.build import ChartRequest, build_chart, check_chart
        from tracker.charts.layout import DEFAULT_DPI, DEFAULT_SIZE
        from tracker.config import number_in_range, whole_number

        opts = self._options(metric, **options)
        width, height = size or DEFAULT_SIZE
        size_px = (
            whole_number(width, "size width", low=10, high=99_999, unit="pixels"),
            whole_number(height, "size height", low=10, high=99_999, unit="pixels"),
        )
        dots = number_in_range(dpi or DEFAULT_DPI, "dpi", low=30, high=1200, unit="dots per inch")
        request = ChartRequest.of(opts, size_px, dots)
        out = check_chart(kind, out)  # a bad kind or suffix is refused before the store is opened
        return build_chart(kind, request, out, self.engine)


def _indexed(daily: pd.DataFrame) -> pd.DataFrame:
    """The daily frame indexed by report_date, its attrs kept."""
    out = daily.set_index("report_date")
    out.attrs.update(daily.attrs)
    return out


def _moment(observed_at: str | dt.datetime | None) -> dt.datetime | None:
    """--observed-at as the CLI reads it (ISO 8601, UTC if no offset), or a datetime as it is."""
    if observed_at is None or isinstance(observed_at, dt.datetime):
        return observed_at
    from tracker.ingest.snapshots import parse_moment

    return parse_moment(observed_at)


def _no_other(feed: str, options: dict[str, Any]) -> None:
    """InvalidInput naming the options left over: not the feed's."""
    if options:
        from tracker.errors import InvalidInput

        raise InvalidInput(f"ingest {feed!r} takes no option {', '.join(sorted(options))}")


def _feed(name: str, moment: dt.datetime | None, options: dict[str, Any]) -> tuple[Feed, dict[str, object] | None]:
    """(the feed `tracker ingest NAME` runs, its fetch options), built as that command builds
    them; the options it takes are popped from `options` (those left are not this feed's)."""
    from tracker.errors import InvalidInput

    if name == "dataset":
        from tracker.ingest.feeds.dataset import DatasetFeed

        return DatasetFeed(), None
    if name == "orc-losses":
        from tracker.ingest.feeds.orc_losses import OrcLossesFeed

        return OrcLossesFeed(), None
    if name == "claims":
        from tracker.ingest.feeds.claims import ClaimsFeed

        return ClaimsFeed(), None
    if name == "oryx":
        from tracker.ingest.feeds.oryx import OryxFeed

        return OryxFeed(observed_at=moment), None
    if name == "api":
        from tracker.ingest.feeds.warship import WarshipFeed, date_range
        from tracker.reports.options import parse_date

        since, until = _text(options.pop("since", None)), _text(options.pop("until", None))
        fetch = date_range(parse_date(since, "since"), parse_date(until, "until"))
        return WarshipFeed(), fetch  # type: ignore[return-value]  # its fetch names its options; Feed's takes any
    raise InvalidInput(f"unknown feed {name!r}: use one of {', '.join(FEEDS)}")
