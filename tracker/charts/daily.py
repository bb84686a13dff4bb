"""The daily chart: each day's figure as a thin bar, 7- and 30-day averages, and the records."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from tracker.charts.axes import date_axis, date_numbers, style_axes
from tracker.charts.formats import convention_words, day_text, number_text, plural, series_words, when
from tracker.charts.labels import Label, halo, row_labels
from tracker.charts.layout import (
    DEFAULT_OPTIONS,
    ChartOptions,
    lay_out,
    legend,
    place_axes,
    unit_label,
)
from tracker.charts.output import source_line
from tracker.charts.palette import BARS, FLAGGED, MUTED, RECORD, SECOND, SERIES, TEXT
from tracker.charts.theme import SMALL_PT, charted
from tracker.errors import InvalidInput
from tracker.store.source_registry import GENERAL_STAFF

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import NDArray

MIN_DAYS = 2
LABELLED_RECORDS = 4
RULE_WORDS = {
    "coarse": "rounded or qualified figures",
    "outlier": "outliers against the days around them",
    "catch_up": "catch-ups after flat days",
    "lineage_change": "changes of category",
    "gap": "figures spanning missing reports",
    "first_report": "first reports (all since the invasion began)",
}
LABEL_ROOM_PT = 27.0  # above the highest labelled record: its two-line label and the offset
CLUSTER_PT = 40.0  # clipped bars closer than this share one value label


def flag_summary(view: pd.DataFrame, include_flagged: bool, by: str) -> str:
    """The note naming the flagged days drawn in the chart (empty if there are none)."""
    flagged = view.loc[view["doubtful"].astype(bool) & view["increment"].notna()]
    if flagged.empty:
        return ""
    counts: dict[str, int] = {}
    for flags, span in zip(flagged["flags"], flagged["span_days"]):
        names = [f for f in flags.split(";") if f]
        if span > 1 and "gap" not in names:
            names.append("gap")
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    kinds = ", ".join(
        f"{RULE_WORDS.get(k, k.replace('_', ' '))} ({n:,})"
        for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    top = flagged.sort_values(["increment", "date"], ascending=[False, True], kind="stable").head(2)
    largest = "; ".join(
        f"{number_text(increment)} {when(day, by)} ({_flag_words(flags)})"
        for increment, day, flags in zip(top["increment"], top["date"], top["flags"])
    )
    what = "counted in records (--include-flagged)" if include_flagged else "left out of records"
    return (
        f"Pink bars: {plural(len(flagged), 'flagged day')}, drawn but {what}, as they are not "
        f"trustworthy one-day figures: {kinds}. Largest: {largest}."
    )


def plotted_days(daily: pd.DataFrame, since: dt.date | None, until: dt.date | None) -> pd.DataFrame:
    """The days the daily chart plots as bars: each report's increment (documented corrections
    taken out, tracker.analysis.daily_series) within since..until; InvalidInput if too few."""
    from tracker.analysis import between

    counted = between(daily, since, until)
    counted = counted.loc[counted["increment"].notna()]
    if len(counted) < MIN_DAYS:
        raise InvalidInput(
            f"too few daily figures of {daily.attrs.get('metric') or ''} to chart ({len(counted)} between "
            f"{since or 'the start'} and {until or 'the end'}; need {MIN_DAYS})"
        )
    return counted


@charted
def daily_chart(
    daily: pd.DataFrame,
    *,
    options: ChartOptions = DEFAULT_OPTIONS,
    include_flagged: bool = False,
    sources: tuple[str, ...] = (GENERAL_STAFF,),
    labelled_records: int = LABELLED_RECORDS,
) -> Figure:
    """Daily figures of one series (a tracker.analysis.daily_series frame, whole: averages and
    records are computed on all of it, then the chart shows `since`..`until`)."""
    import numpy as np
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    from tracker.analysis import between, record_progression, rolling_average
    from tracker.analysis.series import CONVENTION_TEXT

    since, until = options.since, options.until
    metric = daily.attrs.get("metric") or ""
    by = daily.attrs.get("by", "report")
    view = between(daily, since, until)
    counted_view = plotted_days(daily, since, until)
    start, end = view["date"].min(), view["date"].max()
    noun, unit = series_words(metric)

    rolling = {w: between(rolling_average(daily, w), since, until) for w in (7, 30)}
    records = record_progression(daily, include_flagged=include_flagged).table
    progression = records.loc[(records["date"] >= start) & (records["date"] <= end)]
    standing = records.loc[records["date"] <= end]
    title = _title(view.iloc[-1], standing, noun, include_flagged)
    subtitle = _subtitle(daily, by, start, end, include_flagged)
    generated = options.generated_on()
    note = flag_summary(view, include_flagged, by)
    fig = options.figure()
    frame = lay_out(
        fig,
        title,
        subtitle,
        [note],
        source_line(sources, CONVENTION_TEXT[by], generated),
        legend_rows=1,
        top_extra_pt=10,
        bottom_extra_pt=12,
    )
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    style_axes(ax)

    x = date_numbers(counted_view["date"])
    inc = counted_view["increment"].to_numpy(dtype=float)
    doubtful = counted_view["doubtful"].to_numpy(dtype=bool)
    # The scale is set by the days the chart trusts: flagged days (unless counted) may not
    # stretch it; one above it is clipped at the top with its value written there.
    trusted = inc if include_flagged or doubtful.all() else inc[~doubtful]
    lo = min(0.0, float(inc.min()))
    x0, x1 = float(date_numbers([start])[0]) - 0.6, float(date_numbers([end])[0]) + 0.6
    ax.set_xlim(x0, x1)
    labelled = progression.tail(labelled_records)
    top_label = float(labelled["increment"].max()) if len(labelled) else float("-inf")
    plot_pt = (frame.plot_top - frame.plot_bottom) * frame.height_pt
    room = min(LABEL_ROOM_PT / plot_pt, 0.5)
    # The top leaves LABEL_ROOM_PT above the highest labelled record, in data units.
    top = max(float(trusted.max()) * 1.04, (top_label - lo * room) / (1 - room), 1.0)
    ax.set_ylim(lo, top)
    ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10], integer=True))
    date_axis(ax, start, end)
    place_axes(ax, frame)
    unit_label(ax, f"{unit} a day" if unit else "a day", frame)

    width_pt = ax.get_position().width * frame.width_pt
    bar_pt = max(0.25, min(0.75 * width_pt / max(x1 - x0, 1), 8.0))
    shown = np.minimum(inc, top)
    ok = ~doubtful
    ax.vlines(x[ok], 0, shown[ok], colors=BARS, linewidth=bar_pt, gid="bars")
    if doubtful.any():
        ax.vlines(x[doubtful], 0, shown[doubtful], colors=FLAGGED, linewidth=max(bar_pt, 0.6), gid="bars-flagged")
    _mark_clipped(ax, x[inc > top], inc[inc > top], top)
    for window, colour, lw in ((7, SERIES, 0.8), (30, SECOND, 1.2)):
        r = rolling[window]
        if len(r):
            ax.plot(
                date_numbers(r["date"]),
                r["rolling_average"].to_numpy(dtype=float),
                color=colour,
                linewidth=lw,
                gid=f"rolling-{window}",
                solid_joinstyle="round",
            )
    if lo < 0:
        ax.axhline(0, color=MUTED, linewidth=0.6)

    rx, ry = date_numbers(progression["date"]), progression["increment"].to_numpy(dtype=float)
    ax.scatter(rx, ry, s=10, color=RECORD, edgecolors="white", linewidths=0.5, zorder=5, gid="records")
    _label_records(ax, labelled, x, shown)

    handles = [
        Line2D([], [], color=BARS, linewidth=4),
        Line2D([], [], color=SERIES, linewidth=0.9),
        Line2D([], [], color=SECOND, linewidth=1.2),
        Line2D([], [], color=RECORD, marker="o", linestyle="", markersize=4),
    ]
    names = ["each day", "7-day average", "30-day average", "new record (latest labelled)"]
    if doubtful.any():
        handles.insert(1, Line2D([], [], color=FLAGGED, linewidth=4))
        names.insert(1, "flagged day")
    legend(ax, frame, handles, names)
    return fig


def _title(last: pd.Series, standing: pd.DataFrame, noun: str, include_flagged: bool) -> str:
    """The latest figure and where it stands against the record (`standing`: the records set
    up to the chart's end)."""
    import numpy as np

    if np.isnan(last["increment"]):
        return f"The report of {day_text(last['report_date'])} gives no daily figure for {noun}"
    title = f"Kyiv reported {number_text(last['increment'])} {noun} on {day_text(last['date'])}"
    if not standing.empty and standing.iloc[-1]["report_date"] == last["report_date"]:
        title += ", a new one-day record"
    elif bool(last["doubtful"]) and not include_flagged:
        title += f"; the figure is flagged ({_flag_words(last['flags'])})"
    if not standing.empty and standing.iloc[-1]["report_date"] != last["report_date"]:
        rec = standing.iloc[-1]
        title += f"; the record is {number_text(rec['increment'])} ({day_text(rec['date'])})"
    return title


def _subtitle(daily: pd.DataFrame, by: str, start: Any, end: Any, include_flagged: bool) -> str:
    """What the bars are, the dates shown, and what averages and records count (from where, for
    a series that began after the first report)."""
    import pandas as pd

    from tracker.ingest.rules import FIRST_REPORT_DATE

    subtitle = (
        f"Daily increase in the cumulative total reported by Ukraine's General Staff, "
        f"{convention_words(by)}, {day_text(start)} to {day_text(end)}. Averages count "
        f"every day; records leave out flagged days{'' if include_flagged else ' unless asked'}"
    )
    first_counted = daily.loc[daily["increment"].notna(), "date"].min()
    if pd.Timestamp(daily["report_date"].min()).date() > FIRST_REPORT_DATE:
        subtitle += f" and count from {day_text(first_counted)}, where this series begins"
    return subtitle + "."


def _flag_words(flags: str) -> str:
    """'outlier, coarse' from 'outlier;coarse'; 'gap' for a span with no flag of its own."""
    return ", ".join(f.replace("_", " ") for f in flags.split(";") if f) or "gap"


def _mark_clipped(ax: Axes, xs: NDArray[np.float64], values: NDArray[np.float64], top: float) -> None:
    """Bars above the scale end at the top with a notch and their values written beside them,
    one label per cluster (bars closer than CLUSTER_PT), in date order."""
    import numpy as np
    from matplotlib.transforms import offset_copy

    if not len(xs):
        return
    ax.scatter(xs, np.full(len(xs), top), s=9, marker="v", color=FLAGGED, edgecolors="white",
               linewidths=0.4, zorder=6, clip_on=False, gid="clipped")  # fmt: skip
    px = ax.transData.transform(np.column_stack([xs, np.full(len(xs), top)]))[:, 0]
    gap = CLUSTER_PT * ax.figure.dpi / 72.0
    clusters: list[list[int]] = [[0]]
    for i in range(1, len(xs)):
        if px[i] - px[clusters[-1][-1]] < gap:
            clusters[-1].append(i)
        else:
            clusters.append([i])
    for cluster in clusters:
        text = ", ".join(number_text(values[i]) for i in cluster) + " (off the scale)"
        ax.text(xs[cluster[-1]], top, text, ha="left", va="top", fontsize=SMALL_PT, color=TEXT,
                transform=offset_copy(ax.transData, ax.get_figure(root=True), x=5, y=-1, units="points"),
                path_effects=halo(), gid="clipped-label")  # fmt: skip


def _label_records(ax: Axes, latest: pd.DataFrame, x: NDArray[np.float64], increments: NDArray[np.float64]) -> None:
    """Label the `latest` records (figure and date), in a row above the bars where they cluster."""
    labels = [
        Label(
            float(date_numbers([day])[0]),
            float(increment),
            f"{number_text(increment)}\n{day_text(day)}",
            colour=TEXT,
            gid="record-label",
        )
        for day, increment in zip(latest["date"][::-1], latest["increment"][::-1])  # the newest placed first
    ]

    def ceiling(a: float, b: float) -> float:
        inside = (x >= a) & (x <= b)
        return float(increments[inside].max()) if inside.any() else float("nan")

    row_labels(ax, labels, ceiling=ceiling)
