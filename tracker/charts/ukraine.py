"""The chart of Ukrainian losses as each source has claimed them: no daily series of Ukraine's losses
exists, so the claims themselves are the story — a timeline per thing counted (killed, wounded,
killed or wounded), each source with its own colour and marker, ranges as bars."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tracker.charts import overlay
from tracker.charts.axes import date_axis, date_numbers, style_axes
from tracker.charts.formats import day_text, month_text, number_text, plural
from tracker.charts.labels import Label, Spot, place_labels, point_boxes
from tracker.charts.layout import (
    DEFAULT_OPTIONS,
    PAD_PT,
    ChartOptions,
    lay_out,
    legend,
    legend_shape,
)
from tracker.charts.output import source_line
from tracker.charts.palette import MUTED
from tracker.charts.theme import BODY_PT, SMALL_PT, charted
from tracker.domain import INVASION_START
from tracker.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

SUBJECT = "ukraine"
# The panels, left to right: what each counts, and its name on the chart.
PANELS = {
    "killed": "Killed",
    "wounded": "Wounded",
    "killed_or_wounded": "Killed or wounded",
}
CONVENTION = "each claim at the date it is as of (a claim as of a month at the month's middle), as its source stated it"
UA_PREFIX = "ua-"  # Ukraine's own government and armed forces (the registry's ua-* keys)


def ukrainian_claims(claims: pd.DataFrame | None, as_of: dt.date | None = None) -> pd.DataFrame:
    """The claims about Ukraine's losses a reader could know as of `as_of` (all without it)."""
    import pandas as pd

    if claims is None or claims.empty:
        return pd.DataFrame(columns=[] if claims is None else claims.columns)
    rows = claims.loc[claims["subject"] == SUBJECT]
    if as_of is not None:
        rows = rows.loc[pd.to_datetime(rows["published_date"]) <= pd.Timestamp(as_of)]
    return rows.reset_index(drop=True)


@charted
def ukraine_claims_chart(
    claims: pd.DataFrame | None,
    *,
    options: ChartOptions = DEFAULT_OPTIONS,
    as_of: dt.date | None = None,
) -> Figure:
    """One panel per thing counted (killed, wounded, killed or wounded), each on its own scale
    over a shared time axis: every cumulative claim about Ukraine's losses at its "as of" date,
    by source, with its low–high range as a bar and a triangle for a bound; claims of a period's
    total or rate, or of the missing, are counted in a note (`tracker compare --side ukraine`)."""
    import pandas as pd

    since, until = options.since, options.until
    rows = ukrainian_claims(claims, as_of)
    if rows.empty:
        raise InvalidInput(
            "no claims about Ukraine's losses in the store"
            + (f" published by {as_of}" if as_of else "")
            + " (`tracker ingest claims` loads the curated ones)"
        )
    drawn = rows.loc[(rows["kind"] == "cumulative") & rows["definition"].isin(list(PANELS))]
    points = {d: overlay.claim_points(drawn.loc[drawn["definition"] == d]) for d in PANELS}
    if since is not None or until is not None:
        lo = pd.Timestamp(since or INVASION_START)
        hi = pd.Timestamp(until or dt.date.max)
        points = {d: [p for p in pts if lo <= p.mid <= hi] for d, pts in points.items()}
    points = {d: sorted(pts, key=lambda p: (p.mid, p.source)) for d, pts in points.items() if pts}
    if not points:
        raise InvalidInput(
            "no cumulative claims of Ukraine's killed or wounded to chart"
            + (f" between {since or 'the start'} and {until or 'the end'}" if since or until else "")
        )
    every = [p for pts in points.values() for p in pts]
    sources = list(dict.fromkeys(p.source for p in sorted(every, key=lambda p: (p.mid, p.source))))
    styles = overlay.styles_for(sources)
    generated = options.generated_on()
    fig = options.figure()
    names = [overlay.short_source(s) for s in sources]
    ncol, legend_rows = legend_shape(fig, names)
    frame = lay_out(
        fig,
        "Ukrainian losses: what each source has claimed",
        _subtitle(points),
        [_left_out(rows, len(drawn))],
        source_line(sources, CONVENTION, generated),
        legend_rows=legend_rows,
        bottom_extra_pt=12,
    )
    start = pd.Timestamp(since or INVASION_START)
    end = max(p.mid for p in every)
    end = pd.Timestamp(until) if until is not None else _axis_end(end)
    x0, x1 = float(date_numbers([start])[0]), float(date_numbers([end])[0])
    n = len(points)
    w_pt, h = frame.width_pt, frame.height_pt
    header = 14.0 / h  # each panel's name, above it
    gap_x_pt = 18.0
    panel_w = (w_pt - 2 * PAD_PT - gap_x_pt * (n - 1)) / n
    top, bottom = frame.plot_top - header, frame.plot_bottom
    axes: list[tuple[str, Axes]] = []
    handles: dict[str, Line2D] = {}
    for definition, pts in points.items():
        ax = fig.add_axes((0, 0, 1, 1))
        style_axes(ax)
        _draw_points(ax, pts, styles, handles)
        ax.set_xlim(x0, x1)
        values = [p.high if p.high is not None else p.value for p in pts]
        ax.set_ylim(0, max(values) * 1.25)
        _y_ticks(ax)
        axes.append((definition, ax))
    from tracker.charts.layout import y_labels_width_pt

    label_w = max(y_labels_width_pt(ax) for _, ax in axes) + 5
    for k, (definition, ax) in enumerate(axes):
        left_pt = PAD_PT + k * (panel_w + gap_x_pt)
        ax.set_position(((left_pt + label_w) / w_pt, bottom, (panel_w - label_w) / w_pt, top - bottom))
        fig.text(left_pt / w_pt, top + 4.0 / h, f"{PANELS[definition]}, soldiers", ha="left", va="bottom",
                 fontsize=BODY_PT, fontweight="bold", gid=f"panel:{definition}")  # fmt: skip
        date_axis(ax, start, end)
    for definition, ax in axes:
        _label_points(ax, points[definition])
    legend(axes[0][1], frame, [handles[s] for s in sources], names, ncol=ncol)
    return fig


def _axis_end(last: pd.Timestamp) -> pd.Timestamp:
    """Where the time axis ends after the latest claim: just past its marker, unless that shows
    two months or more of a year too few to carry the year's label, then far enough into the
    year for it (about seven months)."""
    import pandas as pd

    end = last + pd.Timedelta(days=20)
    new_year = pd.Timestamp(year=end.year, month=1, day=1)
    shown = (end - new_year).days
    return end if shown < 60 else max(end, new_year + pd.Timedelta(days=210))


def _y_ticks(ax: Axes) -> None:
    """A few round ticks, in thousands ('100k') so that narrow panels keep room for the plot."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 2.5, 5, 10], integer=True))
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _p=None: "0" if v == 0 else f"{v / 1000:,.0f}k" if v >= 1000 else f"{v:,.0f}")
    )


def _draw_points(
    ax: Axes, pts: list[overlay.Point], styles: dict[str, tuple[str, str]], handles: dict[str, Line2D]
) -> None:
    """Each claim as its source's marker at its "as of" date, its range as a bar, a bound as a
    triangle beside it; one legend handle per source (shared by the panels)."""
    from matplotlib.lines import Line2D

    by_source: dict[str, list[overlay.Point]] = {}
    for p in pts:
        by_source.setdefault(p.source, []).append(p)
    for source, mine in by_source.items():
        colour, marker = styles[source]
        xs = [float(date_numbers([p.mid])[0]) for p in mine]
        for p, x in zip(mine, xs, strict=True):
            if p.low is not None and p.high is not None and p.high > p.low:
                ax.vlines(x, p.low, p.high, colors=colour, linewidth=1.4, zorder=5, gid=f"claim-range:{source}")
            if p.bound:
                ax.plot([x], [p.value * (1.06 if p.bound == "lower" else 0.94)], marker="^" if p.bound == "lower" else "v",
                        markersize=3.5, color=colour, linestyle="", zorder=6, gid=f"claim-bound:{source}")  # fmt: skip
        ax.scatter(xs, [p.value for p in mine], s=24, marker=marker, color=colour, edgecolors="white",
                   linewidths=0.5, zorder=7, gid=f"claims:{source}")  # fmt: skip
        handles.setdefault(
            source,
            Line2D([], [], color=colour, marker=marker, linestyle="", markersize=4, markeredgecolor="white",
                   markeredgewidth=0.5),
        )  # fmt: skip


def _label_points(ax: Axes, pts: list[overlay.Point]) -> None:
    """Each claim's figure beside its marker where it fits (the latest first); others are left
    unlabelled rather than crowded (`tracker compare --side ukraine` lists them all)."""
    xs = [float(date_numbers([p.mid])[0]) for p in pts]
    avoid = point_boxes(ax, xs, [p.value for p in pts], radius_pt=4.0)
    for p, x in zip(pts, xs, strict=True):
        if p.low is not None and p.high is not None and p.high > p.low:
            avoid += point_boxes(ax, [x, x], [p.low, p.high], radius_pt=3.0)
    labels = [
        Label(x, p.value, _short(p), colour=MUTED, size=SMALL_PT, gid="claim-label")
        for p, x in sorted(zip(pts, xs, strict=True), key=lambda px: -px[1])
    ]
    offsets: list[Spot] = [(0, 7), (0, -7, "center", "top"), (6, 0, "left", "center"), (-6, 0, "right", "center")]
    place_labels(ax, labels, offsets=offsets, avoid=avoid, leader_beyond_pt=99, drop=True)


def _short(p: overlay.Point) -> str:
    """'43k', '100–140k', '>383k': a claim's figure in a few characters."""

    def k(v: float) -> str:
        return f"{v / 1000:,.0f}k" if v >= 10_000 else f"{v / 1000:,.1f}k".replace(".0k", "k")

    if p.low is not None and p.high is not None and p.high > p.low:
        return f"{k(p.low).removesuffix('k')}–{k(p.high)}"
    return {"lower": ">", "upper": "≤"}.get(p.bound, "") + k(p.value)


def _subtitle(points: dict[str, list[overlay.Point]]) -> str:
    """What the killed panel shows, in words: Ukraine's own latest count beside the highest
    estimate of others; then how to read the chart."""
    text = ""
    killed = points.get("killed", [])
    own = [p for p in killed if p.source.startswith(UA_PREFIX)]
    others = [p for p in killed if not p.source.startswith(UA_PREFIX)]
    if own and others:
        mine = own[-1]
        high = max(others, key=lambda p: (p.high or p.value, p.mid))
        text = (
            f"Killed: Kyiv's latest count was {number_text(mine.value)} ({_when(mine)}); "
            f"{overlay.short_source(high.source)} estimated {_range(high)} ({_when(high)}). "
        )
    return text + (
        "Each panel has its own scale; a bar is a claim's low–high range, ▲ 'more than', ▼ 'up to'. "
        "Wounded counts may be cases, not people (one soldier wounded twice counts twice)."
    )


def _when(p: overlay.Point) -> str:
    """'4 Feb 2026', or 'Dec 2025' for a claim as of a month."""
    return day_text(p.mid) if (p.end - p.start).days < 1 else month_text(p.mid)


def _range(p: overlay.Point) -> str:
    if p.low is not None and p.high is not None and p.high > p.low:
        return f"{number_text(p.low)}–{number_text(p.high)}"
    return number_text(p.value)


def _left_out(rows: pd.DataFrame, drawn: int) -> str:
    """'Not drawn: 7 claims of a period's total or rate, or of the missing (...).' or ''."""
    left = len(rows) - drawn
    if left <= 0:
        return ""
    return (
        f"Not drawn: {plural(left, 'claim')} of a period's total or daily rate, or of the missing; "
        "`tracker compare --side ukraine` sets every claim beside the others."
    )


__all__ = ["PANELS", "ukraine_claims_chart", "ukrainian_claims"]
