"""Charts from the store: load what each chart needs, draw it, save it; and the standard set.

The drawing functions (tracker.charts.daily, ...) never touch the store; this module is the
one place that does, with one engine per run (its own, or a tracker.Store's) and each series read
once, by the reader the reports use (tracker.reports.options.read_observations).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.charts.layout import DEFAULT_DPI, DEFAULT_SIZE, ChartOptions
from tracker.charts.output import FORMATS, generated_date, image_format, save
from tracker.errors import InvalidInput
from tracker.store.source_registry import GENERAL_STAFF

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure
    from sqlalchemy import Engine

    from tracker.reports.options import ReportOptions

KINDS = ("daily", "cumulative", "monthly", "compare", "equipment", "claimed-vs-confirmed", "ukraine-claims")
STANDARD_SET = KINDS
# Charts of several categories at once, or of claims only (no series, so no metric).
WITHOUT_METRIC = ("equipment", "claimed-vs-confirmed", "ukraine-claims")


@dataclass(frozen=True)
class ChartRequest:
    """What to chart: the common report options plus the image's size."""

    metric: str = "personnel"
    source: str = GENERAL_STAFF
    since: dt.date | None = None
    until: dt.date | None = None
    as_of: dt.date | None = None
    by: str = "report"
    include_flagged: bool = False
    size: tuple[int, int] = DEFAULT_SIZE
    dpi: float = DEFAULT_DPI
    side: str = "russia"  # whose losses
    feed: str | None = None  # the feed to read, else the default rule

    @classmethod
    def of(cls, opts: Any, size: tuple[int, int], dpi: float) -> ChartRequest:
        """The request for validated report options (tracker.reports.options.ReportOptions)."""
        return cls(
            metric=opts.metric,
            source=opts.source,
            since=opts.since,
            until=opts.until,
            as_of=opts.as_of,
            by=opts.by,
            include_flagged=opts.include_flagged,
            size=size,
            dpi=dpi,
            side=opts.side,
            feed=opts.feed,
        )

    def options(self, metric: str) -> ReportOptions:
        """The report options of one of the request's series (the reader's question)."""
        from tracker.reports.options import ReportOptions

        return ReportOptions(
            metric=metric,
            source=self.source,
            since=self.since,
            until=self.until,
            as_of=self.as_of,
            by=self.by,
            format="table",
            include_flagged=self.include_flagged,
            db=None,
            side=self.side,
            feed=self.feed,
        )

    def chart_options(self, generated: dt.date) -> ChartOptions:
        """What every chart builder takes from the request: the days, the size, the dpi."""
        return ChartOptions(since=self.since, until=self.until, size=self.size, dpi=self.dpi, generated=generated)


def file_name(kind: str, metric: str, fmt: str = "png") -> str:
    """'daily-personnel.png'; a chart of several categories has no metric: 'equipment.png'."""
    return f"{kind}.{fmt}" if kind in WITHOUT_METRIC else f"{kind}-{metric}.{fmt}"


class Loader:
    """Reads a store once per run: daily series, observations and claims, as of a date.

    `store` is a URL (the loader opens an engine and `close()` disposes of it: the CLI's way) or
    an engine its caller holds and closes (a tracker.Store's)."""

    def __init__(self, store: str | Engine, request: ChartRequest) -> None:
        self.request = request
        self._own = isinstance(store, str)
        if isinstance(store, str):
            from tracker.store.db import open_store

            self.engine = open_store(store, write=False)
        else:
            self.engine = store
        self._obs: dict[str, pd.DataFrame] = {}
        self._daily: dict[str, pd.DataFrame] = {}
        self._claims: pd.DataFrame | None = None

    def close(self) -> None:
        """Dispose of the engine the loader opened (one it was given stays its owner's)."""
        if self._own:
            self.engine.dispose()

    def observations(self, metric: str) -> pd.DataFrame:
        """The stored series of `metric` as the request asks, read as a report reads it (its
        refusals too); without the other feeds' check, which no chart draws."""
        from tracker.reports.options import read_observations

        if metric not in self._obs:
            self._obs[metric] = read_observations(self.request.options(metric), self.engine, feedcheck=False)
        return self._obs[metric]

    def daily(self, metric: str) -> pd.DataFrame:
        """The whole daily series (averages and records need all of it; charts cut the view)."""
        from tracker.reports.options import daily_of

        if metric not in self._daily:
            self._daily[metric] = daily_of(self.request.options(metric), self.observations(metric))
        return self._daily[metric]

    def claims(self) -> pd.DataFrame:
        """Every current claim (an empty frame if none was ingested)."""
        if self._claims is None:
            from tracker.claims.queries import claims_frame

            self._claims = claims_frame(self.engine)
        return self._claims

    def comparison(self, metric: str) -> pd.DataFrame:
        """The claims a reader could know as of the date, against the series."""
        import pandas as pd

        from tracker.analysis.compare import compare_claims

        claims = self.claims()
        if self.request.as_of is not None and len(claims):
            claims = claims.loc[pd.to_datetime(claims["published_date"]) <= pd.Timestamp(self.request.as_of)]
        if claims.empty:
            raise InvalidInput(
                "no claims of other sources in the store"
                + (f" published by {self.request.as_of}" if self.request.as_of else "")
                + " (`tracker ingest claims` loads the curated ones)"
            )
        return compare_claims(claims, self.observations(metric), series_metric=metric, dates_by=self.dates_by())

    def claimed_vs_confirmed(self) -> pd.DataFrame:
        """The General Staff's claimed totals beside Oryx's confirmed ones for Russia, at every
        Oryx snapshot (as of the request's date); InvalidInput when the store has no Oryx data."""
        from tracker.analysis.confirmed import claimed_vs_confirmed, gather
        from tracker.store.queries import feeds_for, observations_frame
        from tracker.store.source_registry import ORYX, source_info
        from tracker.store.typemap import load_typemap

        mapping = load_typemap(ORYX)
        with self.engine.connect() as conn:
            stored = bool(feeds_for(conn, ORYX))
        if mapping is None or not stored:
            raise InvalidInput("no Oryx data in the store (`tracker ingest oryx` loads it)")
        side, as_of = source_info(GENERAL_STAFF).side, self.request.as_of
        confirmed, claimed, alongside = gather(
            lambda src, name, whose: observations_frame(self.engine, source=src, metric=name, side=whose, as_of=as_of),
            mapping.canonical,
            side=side,
            claimant=GENERAL_STAFF,
            claimant_sides=(side,),
            confirmer=ORYX,
        )
        caveats = {m: mapping.caveat(m) for m in confirmed}  # a ratio not like for like carries why
        return claimed_vs_confirmed(confirmed, claimed, side=side, alongside=alongside, caveats=caveats)

    def dates_by(self) -> dict[str, str | None]:
        """Each source's date convention as the store knows it (registry file and `sources add`)."""
        from tracker.store.sources import known_sources

        with self.engine.connect() as conn:
            return {key: info.dates_by for key, info in known_sources(conn).items()}


def draw(kind: str, loader: Loader, generated: dt.date) -> Figure:
    """The figure of one chart kind for the loader's request."""
    from tracker import charts
    from tracker.domain import MAIN_EQUIPMENT

    r = loader.request
    options = r.chart_options(generated)
    if kind == "daily":
        return charts.daily_chart(
            loader.daily(r.metric), include_flagged=r.include_flagged, sources=(r.source,), options=options
        )
    if kind == "cumulative":
        return charts.cumulative_chart(
            loader.daily(r.metric), loader.claims(), as_of=r.as_of, series_source=r.source, options=options
        )
    if kind == "monthly":
        return charts.monthly_chart(
            loader.daily(r.metric), loader.claims(), as_of=r.as_of, series_source=r.source, options=options
        )
    if kind == "compare":
        # Each claim under its source's date convention (not --by): UK Defence Intelligence's
        # "2,030 on 28 Nov" is a covered day; judged by report date it would read +66%.
        return charts.compare_chart(
            loader.comparison(r.metric), metric=r.metric, series_source=r.source, options=options
        )
    if kind == "equipment":
        series = {}
        for metric in MAIN_EQUIPMENT:
            try:
                series[metric] = loader.daily(metric)
            except InvalidInput:  # a category this store does not hold (e.g. a personnel-only sample)
                continue
        if not series:
            raise InvalidInput(
                f"no equipment categories from {r.source} in the store "
                f"(the equipment chart draws {', '.join(MAIN_EQUIPMENT)})"
            )
        return charts.equipment_chart(series, series_source=r.source, options=options)
    if kind == "claimed-vs-confirmed":
        from tracker.charts.confirmed import confirmed_chart

        return confirmed_chart(loader.claimed_vs_confirmed(), options=options)
    if kind == "ukraine-claims":
        from tracker.charts.ukraine import ukraine_claims_chart

        return ukraine_claims_chart(loader.claims(), as_of=r.as_of, options=options)
    raise InvalidInput(f"unknown chart {kind!r}; use one of: {', '.join(KINDS)}")


def check_chart(kind: str, out: Path | str) -> Path:
    """`out` as a Path, once the kind and the file's suffix are known good (InvalidInput
    otherwise): checked before any work, the store's opening included."""
    out = Path(out)
    image_format(out)
    if kind not in KINDS:
        raise InvalidInput(f"unknown chart {kind!r}; use one of: {', '.join(KINDS)}")
    return out


def build_chart(kind: str, request: ChartRequest, out: Path | str, store: str | Engine) -> Path:
    """Draw one chart from the store (a URL, or an engine its caller holds: Loader) and write it
    to `out` (.png or .svg)."""
    out = check_chart(kind, out)
    loader = Loader(store, request)
    try:
        fig = draw(kind, loader, generated_date())
    finally:
        loader.close()
    return save(fig, out)


@dataclass
class SetResult:
    """What a run of the standard set wrote, and what it skipped and why."""

    written: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def build_set(
    request: ChartRequest,
    out_dir: Path | str,
    store: str | Engine,
    *,
    fmt: str | tuple[str, ...] = "png",
    kinds: tuple[str, ...] = STANDARD_SET,
) -> SetResult:
    """The standard set into `out_dir`, in one format or several (each chart is drawn once and
    saved in each). A chart the store cannot answer (no claims yet, no equipment in a
    personnel-only store) is skipped with its reason; if none can be drawn, the first reason is
    raised."""
    fmts = (fmt,) if isinstance(fmt, str) else fmt
    for each in fmts:
        if each not in FORMATS:
            raise InvalidInput(f"image format {each!r}: use one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    generated = generated_date()
    result = SetResult()
    loader = Loader(store, request)
    try:
        for kind in kinds:
            try:
                fig = draw(kind, loader, generated)
            except InvalidInput as exc:
                result.skipped.append((kind, str(exc)))
                continue
            for each in fmts:
                result.written.append(save(fig, out_dir / file_name(kind, request.metric, each)))
            fig.clear()
    finally:
        loader.close()
    if not result.written:
        kind, reason = result.skipped[0]
        raise InvalidInput(f"no chart written; {kind}: {reason}")
    return result


__all__ = [
    "KINDS",
    "STANDARD_SET",
    "ChartRequest",
    "Loader",
    "SetResult",
    "build_chart",
    "build_set",
    "check_chart",
    "draw",
    "file_name",
]
