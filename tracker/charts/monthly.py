"""The monthly chart: the daily average of each month as bars, with other sources' averages over
them, so that UK Defence Intelligence's figures can be read against Kyiv's at a glance."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from tracker.charts import overlay
from tracker.charts.axes import date_numbers, period_axis, style_axes
from tracker.charts.formats import MONTHS, month_text, number_text, series_words
from tracker.charts.labels import halo
from tracker.charts.layout import (
    DEFAULT_OPTIONS,
    ChartOptions,
    lay_out,
    legend,
    legend_shape,
    place_axes,
    unit_label,
)
from tracker.charts.output import source_line
from tracker.charts.palette import BARS
from tracker.charts.theme import SMALL_PT, charted
from tracker.errors import InvalidInput
from tracker.store.source_registry import GENERAL_STAFF

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

MIN_MONTHS = 2
CONVENTION_SUBTITLE = {
    "report": "of report dates, as news coverage dates figures (September: the reports of 1–30 Sep)",
    "covered": "of covered days, as UK Defence Intelligence counts (September: the reports of 2 Sep–1 Oct)",
}
CLOSE = 0.05
MOSTLY_ONE_REPORT = 0.5  # a month whose total is at least this share one multi-day report is left out


def month_ranges(labels: list[str]) -> str:
    """'2022-02 to 2022-05, 2022-07' from sorted YYYY-MM labels."""
    import pandas as pd

    periods = [pd.Period(x, freq="M") for x in labels]
    runs: list[list[pd.Period]] = []
    for p in periods:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ", ".join(
        month_text(r[0].start_time)
        if len(r) == 1
        else f"{month_text(r[0].start_time)} to {month_text(r[-1].start_time)}"
        for r in runs
    )


def average_text(x: float) -> str:
    """A daily average as text: one decimal below 10 ('7.5'), whole above ('1,234')."""
    return number_text(x, 1 if abs(x) < 10 else 0)


@charted
def monthly_chart(
    daily: pd.DataFrame,
    claims: pd.DataFrame | None = None,
    *,
    options: ChartOptions = DEFAULT_OPTIONS,
    as_of: dt.date | None = None,
    series_source: str = GENERAL_STAFF,
) -> Figure:
    """Daily average per calendar month of a daily_series frame (the convention is the frame's),
    and the daily-average claims in `claims` that count the same thing: a month's as a marker
    on its bar, a longer period's as a dashed line across it."""
    import numpy as np
    import pandas as pd
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    from tracker.analysis.series import CONVENTION_TEXT

    since, until = options.since, options.until
    metric = daily.attrs.get("metric") or ""
    by = daily.attrs.get("by", "report")
    table, held = _months(daily, metric, since, until)
    noun, unit = series_words(metric)
    periods = [pd.Period(p, freq="M") for p in table["period"]]
    starts = [p.start_time for p in periods]
    ends = [p.end_time.normalize() for p in periods]
    first, last_day = starts[0], ends[-1]

    shown, left = overlay.split_claims(claims, metric, ("daily_average",), as_of)
    unique = _distinct([p for p in overlay.claim_points(shown) if p.end >= first and p.start <= last_day])
    monthly = [p for p in unique if p.start.day == 1 and p.end == (p.start + pd.offsets.MonthEnd(0))]
    longer = [p for p in unique if p not in monthly and (p.end - p.start).days >= 27]
    styles = overlay.styles_for([p.source for p in sorted(unique, key=lambda p: p.start)])

    subtitle = f"Daily average per calendar month {CONVENTION_SUBTITLE[by]}."
    agreement = _agreement(monthly, table)
    if agreement:
        subtitle += " Markers: " + "; ".join(agreement) + "."
    notes = [*_held_note(held), *_notes(table, longer, left)]
    generated = options.generated_on()
    sources = [series_source, *dict.fromkeys(p.source for p in unique)]
    names = ["General Staff: daily average", *(f"{overlay.short_source(k)}" for k in styles)]
    fig = options.figure()
    ncol, rows = legend_shape(fig, names)
    frame = lay_out(
        fig,
        _title(table, noun),
        subtitle,
        notes,
        source_line(sources, CONVENTION_TEXT[by], generated),
        legend_rows=rows,
        top_extra_pt=10,
        bottom_extra_pt=12,
    )
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    style_axes(ax)

    x_start = date_numbers(starts)
    x_end = date_numbers(ends) + 1
    widths = (x_end - x_start) * 0.78
    mids = x_start + (x_end - x_start) / 2
    averages = table["daily_average"].to_numpy(dtype=float)
    full = table["complete"].to_numpy(dtype=bool)
    top = max(float(np.nanmax(averages)), max((p.value for p in unique), default=0.0))
    ax.set_xlim(float(x_start[0]) - 3, float(x_end[-1]) + 3)
    ax.set_ylim(min(0.0, float(np.nanmin(averages))), top * 1.1)
    ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10], integer=True))
    period_axis(ax, first, last_day)
    place_axes(ax, frame)
    unit_label(ax, f"{unit} a day, monthly average" if unit else "a day, monthly average", frame)

    ax.bar(mids[full], averages[full], width=widths[full], color=BARS, linewidth=0, gid="months")
    if (~full).any():
        ax.bar(
            mids[~full],
            averages[~full],
            width=widths[~full],
            color=BARS,
            alpha=0.45,
            linewidth=0,
            gid="months-partial",
        )
    handles = [Line2D([], [], color=BARS, linewidth=5)]
    handles += _draw_claims(ax, styles, monthly, longer, float(x_start[0]) - 3)
    legend(ax, frame, handles, names, ncol=ncol)
    return fig


def plotted_months(daily: pd.DataFrame, metric: str, since: dt.date | None, until: dt.date | None) -> pd.DataFrame:
    """The calendar months the monthly chart plots (tracker.analysis.period_table: totals with
    documented corrections taken out) that overlap since..until, less those MOSTLY_ONE_REPORT
    leaves out; InvalidInput if too few."""
    return _months(daily, metric, since, until)[0]


def multi_day_share(daily: pd.DataFrame) -> dict[str, tuple[float, float, str]]:
    """Per month (YYYY-MM): (the largest figure of one report counting several days, the
    month's total, why it counts several), for the months that hold such a report. A report
    counts several days when it follows missing reports (span_days > 1) or is the series'
    first report (everything since the invasion began)."""
    rows = daily.loc[daily["increment"].notna()]
    first = rows["flags"].fillna("").str.contains("first_report")
    several = rows.loc[(rows["span_days"] > 1) | first]
    out: dict[str, tuple[float, float, str]] = {}
    if several.empty:
        return out
    month = rows["date"].dt.to_period("M").astype(str)
    totals = rows.groupby(month)["increment"].sum()
    for key, part in several.groupby(month.loc[several.index]):
        biggest = part.sort_values("increment", ascending=False, kind="stable").iloc[0]
        why = (
            "the first report, everything since the invasion began"
            if "first_report" in str(biggest["flags"])
            else f"a report after {int(biggest['span_days']) - 1} missing"
        )
        out[str(key)] = (float(biggest["increment"]), float(totals[key]), why)
    return out


def _months(
    daily: pd.DataFrame, metric: str, since: dt.date | None, until: dt.date | None
) -> tuple[pd.DataFrame, dict[str, tuple[float, float, str]]]:
    """The calendar months of the series that overlap since..until, and those left out of them
    (MOSTLY_ONE_REPORT: a month at least half of whose total is one report counting several
    days has no daily average worth a bar: Feb 2022's 4 days hold the first report's 2,800, and
    its 1,325 a day would tower over 2022); InvalidInput if too few remain."""
    import pandas as pd

    from tracker.analysis import period_table

    table = period_table(daily, "month")
    if since is not None:
        table = table.loc[table["end"] >= pd.Timestamp(since)]
    if until is not None:
        table = table.loc[table["start"] <= pd.Timestamp(until)]
    shares = multi_day_share(daily)
    held = {
        period: shares[period]
        for period, total in zip(table["period"], table["total"])
        if period in shares and total and shares[period][0] >= MOSTLY_ONE_REPORT * total
    }
    table = table.loc[~table["period"].isin(list(held))].reset_index(drop=True)
    if len(table) < MIN_MONTHS:
        raise InvalidInput(
            f"too few months of {metric} to chart ({len(table)} between {since or 'the start'} "
            f"and {until or 'the end'}; need {MIN_MONTHS})"
            + (f"; left out, as mostly one report counting several days: {month_ranges(sorted(held))}" if held else "")
        )
    return table, held


def _held_note(held: dict[str, tuple[float, float, str]]) -> list[str]:
    """The note naming the months left out by the MOSTLY_ONE_REPORT rule (none: no note)."""
    import pandas as pd

    if not held:
        return []
    parts = [
        f"{month_text(pd.Period(period, freq='M').start_time)} ({number_text(part)} of its "
        f"{number_text(total)} from one report: {why})"
        for period, (part, total, why) in sorted(held.items())
    ]
    return [
        "Left out: "
        + "; ".join(parts)
        + ". A month at least half of whose total is one report counting several days has no "
        "daily average to draw."
    ]


def _distinct(points: list[overlay.Point]) -> list[overlay.Point]:
    """The points in order of period, a figure restated later (same source, period and value)
    kept once."""
    seen: set[tuple[str, Any, Any, float]] = set()
    unique = []
    for p in sorted(points, key=lambda p: (p.start, p.end, p.source, p.value)):
        identity = (p.source, p.start, p.end, p.value)
        if identity not in seen:
            seen.add(identity)
            unique.append(p)
    return unique


def _title(table: pd.DataFrame, noun: str) -> str:
    """The last complete month's average, and the highest month's."""
    import pandas as pd

    complete = table.loc[table["complete"].astype(bool)]
    pick = complete if len(complete) else table
    last = pick.iloc[-1]
    best = pick.sort_values(["daily_average", "start"], ascending=[False, True], kind="stable").iloc[0]
    last_month = month_text(pd.Period(str(last["period"]), freq="M").start_time)
    title = f"Kyiv's count averaged {average_text(last['daily_average'])} {noun} a day in {last_month}"
    if best["period"] == last["period"]:
        return title + ", the highest monthly average yet"
    return title + (
        f"; the highest month was {month_text(pd.Period(str(best['period']), freq='M').start_time)} "
        f"({average_text(best['daily_average'])})"
    )


def _agreement(monthly: list[overlay.Point], table: pd.DataFrame) -> list[str]:
    """How far each source's monthly averages are from the bars, one phrase per source."""
    bar_of = dict(zip(table["period"], table["daily_average"]))
    agreement = []
    for source in dict.fromkeys(p.source for p in monthly):
        devs = [
            p.value / bar_of[f"{p.start.year:04d}-{p.start.month:02d}"] - 1
            for p in monthly
            if p.source == source and bar_of.get(f"{p.start.year:04d}-{p.start.month:02d}")
        ]
        if not devs:
            continue
        worst = max(devs, key=abs)
        pct = math.ceil(abs(worst) * 1000) / 10
        name = overlay.short_source(source)
        side = "above" if worst > 0 else "below"
        if len(devs) == 1:
            agreement.append(
                f"{name}'s is within {pct:g}% of the bar"
                if abs(worst) <= CLOSE
                else f"{name}'s is {pct:g}% {side} the bar"
            )
        else:
            agreement.append(
                f"{name}'s {len(devs)} are within {pct:g}% of the bars"
                if abs(worst) <= CLOSE
                else f"{name}'s {len(devs)} are up to {pct:g}% {side} the bars"
            )
    return agreement


def _notes(table: pd.DataFrame, longer: list[overlay.Point], left: pd.DataFrame) -> list[str]:
    """Incomplete and flagged months, what the dashed lines are, and the claims left out."""
    import pandas as pd

    notes = []
    partial = table.loc[~table["complete"].astype(bool)]
    if len(partial):
        notes.append(
            "Lighter bars: incomplete months ("
            + ", ".join(
                f"{month_text(pd.Period(period, freq='M').start_time)}: {days} of "
                f"{pd.Period(period, freq='M').days_in_month} days"
                for period, days in zip(partial["period"], partial["days"])
            )
            + ")."
        )
    flagged = table.loc[table["flagged_days"] > 0, "period"].tolist()
    if flagged:
        notes.append(f"Months with flagged days, counted in these averages: {month_ranges(flagged)}.")
    if longer:
        notes.append("Dashed lines: averages over longer periods, across the months they cover.")
    notes.append(overlay.left_out_note(left, "daily-average claim"))
    return notes


def _draw_claims(
    ax: Axes,
    styles: dict[str, tuple[str, str]],
    monthly: list[overlay.Point],
    longer: list[overlay.Point],
    x_min: float,
) -> list[Line2D]:
    """Each source's monthly averages as markers and longer ones as labelled dashed lines (cut
    at `x_min`, the plot's left edge); one legend handle per source."""
    import numpy as np
    from matplotlib.lines import Line2D

    handles = []
    for source, (colour, marker) in styles.items():
        mine = [p for p in monthly if p.source == source]
        if mine:
            px = np.array([float(date_numbers([p.mid])[0]) for p in mine])
            ax.scatter(
                px,
                [p.value for p in mine],
                s=20,
                marker=marker,
                color=colour,
                edgecolors="white",
                linewidths=0.5,
                zorder=5,
                gid=f"claims:{source}",
            )
        for p in [p for p in longer if p.source == source]:
            x_from = max(float(date_numbers([p.start])[0]), x_min)
            ax.hlines(
                p.value,
                x_from,
                float(date_numbers([p.end])[0]) + 1,
                colors=colour,
                linewidth=1.1,
                linestyles=(0, (3, 1.5)),
                zorder=4,
                gid=f"claims-period:{source}",
            )
            ax.annotate(
                f"{p.label} ({_period_words(p)})",
                (x_from, p.value),
                xytext=(0, 2.5),
                textcoords="offset points",
                ha="left",
                va="bottom",
                fontsize=SMALL_PT,
                color=colour,
                path_effects=halo(),
                gid="claim-period-label",
            )
        handles.append(
            Line2D(
                [],
                [],
                color=colour,
                marker=marker,
                linestyle="",
                markersize=4.5,
                markeredgecolor="white",
                markeredgewidth=0.5,
            )
        )
    return handles


def _period_words(p: overlay.Point) -> str:
    """'2023' for a calendar year, 'Jan–Mar 2024' for a span of months."""
    if p.start.month == 1 and p.start.day == 1 and p.end.month == 12 and p.end.day == 31 and p.start.year == p.end.year:
        return str(p.start.year)
    a, b = MONTHS[p.start.month - 1], MONTHS[p.end.month - 1]
    if p.start.year == p.end.year:
        return f"{a}–{b} {p.end.year}"
    return f"{month_text(p.start)}–{month_text(p.end)}"
