"""The cumulative chart: the running total, its milestones, and other sources' totals over it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tracker.charts import overlay
from tracker.charts.axes import date_axis, date_numbers, style_axes
from tracker.charts.formats import convention_words, day_text, month_text, number_text, series_words
from tracker.charts.labels import Label, place_labels, point_boxes
from tracker.charts.layout import (
    DEFAULT_OPTIONS,
    PAD_PT,
    ChartOptions,
    lay_out,
    legend,
    legend_shape,
    place_axes,
    unit_label,
)
from tracker.charts.output import source_line
from tracker.charts.palette import MUTED, SERIES
from tracker.charts.theme import SMALL_PT, charted
from tracker.errors import InvalidInput
from tracker.store.source_registry import GENERAL_STAFF

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.transforms import ScaledTranslation
    from numpy.typing import NDArray

MIN_REPORTS = 2
MAX_LABELLED = 8  # more milestones in view than this: every other one labelled
MARKER_S = 22.0  # a claim marker's area (points squared)


@charted
def cumulative_chart(
    daily: pd.DataFrame,
    claims: pd.DataFrame | None = None,
    *,
    options: ChartOptions = DEFAULT_OPTIONS,
    as_of: dt.date | None = None,
    series_source: str = GENERAL_STAFF,
) -> Figure:
    """The running total of a daily_series frame with each milestone marked, and the cumulative
    claims in `claims` (a tracker.claims.queries.claims_frame) that count the same thing, as
    points with their low–high range, by source."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    from tracker.analysis import between, milestones
    from tracker.analysis.series import CONVENTION_TEXT

    since, until = options.since, options.until
    metric = daily.attrs.get("metric") or ""
    by = daily.attrs.get("by", "report")
    view = between(daily, since, until)
    if len(view) < MIN_REPORTS:
        raise InvalidInput(
            f"too few reports of {metric} to chart ({len(view)} between "
            f"{since or 'the start'} and {until or 'the end'}; need {MIN_REPORTS})"
        )
    start, end = view["date"].min(), view["date"].max()
    noun, unit = series_words(metric)
    marks = milestones(daily, metric=metric).table if metric else milestones(daily, 10**5).table
    marks = marks.loc[(marks["date"] >= start) & (marks["date"] <= end)]
    # A milestone "passed" on a series' first report (one that began after the invasion) was
    # passed at some unknown moment before it: not marked.
    marks = marks.loc[marks["increment"].notna()]

    shown, left = overlay.split_claims(claims, metric, ("cumulative",), as_of)
    points = [p for p in overlay.claim_points(shown) if p.end >= start and p.start <= end]
    order = sorted(points, key=lambda p: (p.mid, p.source))
    styles = overlay.styles_for([p.source for p in order])

    last = view.iloc[-1]
    title = f"Kyiv's count of {noun} reached {number_text(last['total'])} on {day_text(last['date'])}"
    if len(marks):
        m = marks.iloc[-1]
        title += f", passing {number_text(m['milestone'])} on {day_text(m['date'])}"
    subtitle = (
        f"Cumulative total reported by Ukraine's General Staff, {convention_words(by)}, "
        f"{day_text(start)} to {day_text(end)}"
    )
    subtitle += (
        ", with other sources' estimates of the same total (bars: their low–high range; ▲ 'more than', ▼ 'up to')."
        if points
        else "."
    )
    notes = [overlay.left_out_note(left, "cumulative claim")]
    if claims is None or claims.empty:
        notes.append("No claims of other sources in the store (`tracker ingest claims` loads the curated ones).")
    generated = options.generated_on()
    sources = [series_source, *dict.fromkeys(p.source for p in order)]
    fig = options.figure()
    legend_names = [
        "General Staff total",
        "milestone",
        *(overlay.short_source(k) for k in dict.fromkeys(p.source for p in order)),
    ]
    ncol, rows = legend_shape(fig, legend_names)
    frame = lay_out(
        fig,
        title,
        subtitle,
        notes,
        source_line(sources, CONVENTION_TEXT[by], generated),
        legend_rows=rows,
        top_extra_pt=10,
        bottom_extra_pt=12,
    )
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    style_axes(ax)

    x = date_numbers(view["date"])
    y = view["total"].to_numpy(dtype=float)
    top = max(float(y.max()), max((p.high or p.value for p in points), default=0.0))
    x0, x1 = float(x[0]) - 2, float(x[-1]) + 2
    ax.set_xlim(x0, x1)
    ax.set_ylim(min(0.0, float(y.min())), top * 1.08)
    ax.yaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10], integer=True))
    date_axis(ax, start, end)
    place_axes(ax, frame, right_pt=PAD_PT + 4)
    unit_label(ax, f"{unit}, cumulative" if unit else "cumulative", frame)

    ax.plot(x, y, color=SERIES, linewidth=1.6, gid="total", solid_capstyle="butt", zorder=3)
    mx = date_numbers(marks["date"])
    my = marks["total"].to_numpy(dtype=float)
    ax.scatter(mx, my, s=9, color="white", edgecolors=SERIES, linewidths=0.9, zorder=4, gid="milestones")
    shifted = _side_by_side(ax, order, list(zip(mx, my)))
    _label_milestones(ax, marks, mx, my, order, shifted)

    handles = [
        Line2D([], [], color=SERIES, linewidth=1.6),
        Line2D([], [], color=SERIES, marker="o", markerfacecolor="white", linestyle="", markersize=3.5),
        *_draw_claims(ax, order, styles, shifted),
    ]
    legend(ax, frame, handles, legend_names, ncol=ncol)
    return fig


def _label_milestones(
    ax: Axes,
    marks: pd.DataFrame,
    mx: NDArray[np.float64],
    my: NDArray[np.float64],
    order: list[overlay.Point],
    shifted: dict[int, float],
) -> None:
    """Milestone labels beside their point, the newest first: just below-right of it (under a
    rising line), else just above-left, else a little further with a leader line. Where more
    than MAX_LABELLED milestones are in view, only every other one (the multiples of twice the
    step: 200,000, 400,000, ...) and the latest are labelled; every one keeps its marker."""
    claim_xy = [(shifted[id(p)], p.value) for p in order]
    avoid = point_boxes(ax, [c[0] for c in claim_xy], [c[1] for c in claim_xy], radius_pt=6)
    avoid += point_boxes(ax, mx, my, radius_pt=3)
    values = marks["milestone"].to_numpy(dtype=float)
    keep = [True] * len(values)
    if len(values) > MAX_LABELLED:
        step = float(min(b - a for a, b in zip(values[:-1], values[1:])))
        keep = [v % (2 * step) == 0 or i == len(values) - 1 for i, v in enumerate(values)]
    labels = [
        Label(
            float(mx[i]),
            float(my[i]),
            f"{number_text(milestone)}: {month_text(day)}",
            colour=MUTED,
            size=SMALL_PT,
            gid="milestone-label",
        )
        for i, (milestone, day) in enumerate(zip(marks["milestone"], marks["date"]))
        if keep[i]
    ][::-1]
    beside = [
        (4.0, -2.0, "left", "top"),
        (-4.0, 2.0, "right", "bottom"),
        (10.0, -12.0, "left", "top"),
        (-10.0, 12.0, "right", "bottom"),
        (16.0, -22.0, "left", "top"),
        (-16.0, 22.0, "right", "bottom"),
    ]
    place_labels(ax, labels, offsets=beside, avoid=avoid, leader_beyond_pt=9, drop=True)


def _side_by_side(ax: Axes, order: list[overlay.Point], obstacles: list[tuple[float, float]]) -> dict[int, float]:
    """Each claim's x (date number, by id of its Point): its period's middle, or, where its
    marker would overlap one already placed (or a milestone's, `obstacles`), the nearest place
    beside it, right or left a marker's width at a time, so claims that agree stay readable
    side by side instead of piling up (a few days off their date at most)."""
    import math

    scale = ax.figure.dpi / 72.0
    step = (math.sqrt(MARKER_S) + 1.0) * scale  # a marker's width and a point, in pixels
    (x0, _), (x1, _) = ax.transData.transform([(0.0, 0.0), (1.0, 0.0)])
    per_day = x1 - x0
    taken = [tuple(ax.transData.transform(xy)) for xy in obstacles]
    out: dict[int, float] = {}
    for p in order:
        mid = float(date_numbers([p.mid])[0])
        px, py = ax.transData.transform((mid, p.value))
        for k in range(40):
            shift = (k + 1) // 2 * step * (1 if k % 2 else -1) if k else 0.0
            if all(math.dist((px + shift, py), t) >= step for t in taken):
                break
        taken.append((px + shift, py))
        out[id(p)] = mid + shift / per_day
    return out


def _draw_claims(
    ax: Axes, order: list[overlay.Point], styles: dict[str, tuple[str, str]], shifted: dict[int, float]
) -> list[Line2D]:
    """Each source's claims as markers (set side by side where they would overlap), with their
    low–high range as a bar, a period of a month or more as a line across it, and a triangle for
    a bound; one legend handle per source."""
    import numpy as np
    from matplotlib.lines import Line2D

    handles = []
    by_source: dict[str, list[overlay.Point]] = {}
    for p in order:
        by_source.setdefault(p.source, []).append(p)
    for source, pts in by_source.items():
        colour, marker = styles[source]
        px = np.array([shifted[id(p)] for p in pts])
        py = np.array([p.value for p in pts])
        for p, xi in zip(pts, px):
            if p.low is not None and p.high is not None and p.high > p.low:
                ax.vlines(xi, p.low, p.high, colors=colour, linewidth=1.2, zorder=5, gid=f"claim-range:{source}")
            if (p.end - p.start).days >= 27:  # a month or more: show the span the claim is about
                ax.hlines(
                    p.value,
                    float(date_numbers([p.start])[0]),
                    float(date_numbers([p.end])[0]) + 1,
                    colors=colour,
                    linewidth=1.0,
                    zorder=5,
                )
            if p.bound:
                ax.plot(
                    [xi],
                    [p.value],
                    marker="^" if p.bound == "lower" else "v",
                    markersize=3.5,
                    color=colour,
                    linestyle="",
                    zorder=6,
                    transform=ax.transData + _nudge(ax, 0, 5 if p.bound == "lower" else -5),
                )
        ax.scatter(
            px,
            py,
            s=MARKER_S,
            marker=marker,
            color=colour,
            edgecolors="white",
            linewidths=0.5,
            zorder=6,
            gid=f"claims:{source}",
            label=overlay.short_source(source),
        )
        handles.append(
            Line2D(
                [],
                [],
                color=colour,
                marker=marker,
                linestyle="",
                markersize=4,
                markeredgecolor="white",
                markeredgewidth=0.5,
            )
        )
    return handles


def _nudge(ax: Axes, dx_pt: float, dy_pt: float) -> ScaledTranslation:
    """A shift by a fixed distance in points, whatever the data scale."""
    from matplotlib.transforms import ScaledTranslation

    return ScaledTranslation(dx_pt / 72.0, dy_pt / 72.0, ax.figure.dpi_scale_trans)
