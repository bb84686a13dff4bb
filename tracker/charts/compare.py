"""The compare chart: each claim as the ratio claim ÷ the series' own figure for the same period,
on a log scale (twice and half as high look equally far from agreement)."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from tracker.charts import overlay
from tracker.charts.axes import date_axis, date_numbers, style_axes
from tracker.charts.formats import convention_words, day_text, month_text, number_text, plural
from tracker.charts.labels import Box, Label, place_labels, point_boxes
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
from tracker.charts.palette import TEXT
from tracker.charts.theme import SMALL_PT, charted
from tracker.errors import InvalidInput
from tracker.store.source_registry import GENERAL_STAFF

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import NDArray

CLOSE_TOLERANCE = 0.05  # as tracker.analysis.compare; the frame's attrs["tolerance"] wins
AGREEING = ("agrees", "consistent", "close")
# Ticks at round percentages above and below 1 (nearest 1 first).
TICKS_UP = (1.1, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)
TICKS_DOWN = (0.9, 0.8, 2 / 3, 0.5, 1 / 3, 0.2, 0.1)
# Where a claim's label may go, in points from its marker: above, below, then to the sides.
LABEL_OFFSETS = (
    (0, 7),
    (0, -22),
    (45, 4),
    (-45, 4),
    (45, -18),
    (-45, -18),
    (0, 20),
    (0, -34),
    (70, 12),
    (-70, 12),
    (70, -28),
    (-70, -28),
)
KIND_WORDS = {
    "cumulative": "total",
    "period_total": "total",
    "daily_average": "daily average",
    "day": "one day",
    "peak_day": "peak day",
}


def _pct(ratio: float) -> str:
    """1.25 -> '+25%', 0.8 -> '−20%', 1 -> 'equal'."""
    if abs(ratio - 1) < 1e-9:
        return "equal"
    pct = (ratio - 1) * 100
    text = f"{pct:+.0f}%" if abs(pct) >= 1 else f"{pct:+.1f}%"
    return text.replace("-", "\u2212")


def _period_text(start: pd.Timestamp, end: pd.Timestamp) -> str:
    if start == end:
        return day_text(start)
    if start.day == 1 and start.month == 1 and end.month == 12 and end.day == 31 and start.year == end.year:
        return str(start.year)
    if start.day == 1 and (end + dt.timedelta(days=1)).day == 1:
        if start.year == end.year and start.month == end.month:
            return month_text(start)
        return f"{month_text(start)}–{month_text(end)}"
    return f"{day_text(start)}–{day_text(end)}"


def judged(comparison: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The comparison with each claim's `convention`, `ratio`, `verdict` and `other_ratio` (the
    other convention's ratio): under `by` for every claim, or, when None, under the claim's own
    convention (its source's, as tracker.analysis.compare sets it)."""
    import numpy as np

    for conv in ("covered", "report"):
        if f"{conv}_ratio" not in comparison.columns:
            raise InvalidInput(f"the comparison has no {conv}_ratio column")
    out = comparison.copy()
    if by is not None:
        if by not in ("covered", "report"):
            raise InvalidInput(f"convention {by!r}: use covered or report")
        out["convention"] = by
    elif "convention" not in out.columns:
        raise InvalidInput("the comparison has no 'convention' column (made by an older compare_claims?)")
    covered = (out["convention"] == "covered").to_numpy()
    out["ratio"] = np.where(covered, out["covered_ratio"], out["report_ratio"]).astype(float)
    out["other_ratio"] = np.where(covered, out["report_ratio"], out["covered_ratio"]).astype(float)
    if "covered_verdict" in out.columns and "report_verdict" in out.columns:
        out["verdict"] = np.where(covered, out["covered_verdict"], out["report_verdict"])
    else:
        out["verdict"] = ""
    return out


def comparable_rows(comparison: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Rows of a compare_claims frame with a ratio under `by` (None: each claim's own
    convention), with period_start/period_end and the columns of `judged`."""
    import pandas as pd

    from tracker.claims.claim import parse_period

    frame = judged(comparison, by)
    rows = frame.loc[frame["comparable"].astype(bool) & frame["ratio"].notna()].copy()
    if "period_start" not in rows.columns or rows["period_start"].isna().any():
        spans = [parse_period(p) for p in rows["period"]]
        rows["period_start"] = [p.start for p in spans]
        rows["period_end"] = [p.end for p in spans]
    rows["period_start"] = pd.to_datetime(rows["period_start"])
    rows["period_end"] = pd.to_datetime(rows["period_end"])
    return rows.reset_index(drop=True)


@charted
def compare_chart(
    comparison: pd.DataFrame,
    *,
    options: ChartOptions = DEFAULT_OPTIONS,
    by: str | None = None,
    metric: str = "personnel",
    series_source: str = GENERAL_STAFF,
) -> Figure:
    """Claims against the series (a tracker.analysis.compare.compare_claims frame): each claim's
    ratio under its own convention (its source's; `by` for one convention for all) as a filled
    marker at the period the claim is about, the other convention's as a hollow one where they
    differ, a line at 1 and the ±tolerance band."""
    import numpy as np
    import pandas as pd
    from matplotlib.patches import Patch

    since, until = options.since, options.until
    tolerance = float(comparison.attrs.get("tolerance", CLOSE_TOLERANCE))
    rows = _rows_in_view(comparison, by, metric, since, until)
    ratio = rows["ratio"].to_numpy(dtype=float)
    other_ratio = rows["other_ratio"].to_numpy(dtype=float)
    verdicts = rows["verdict"]
    generated = options.generated_on()
    order = list(dict.fromkeys(rows["source"]))
    names = [overlay.short_source(k) for k in order]
    band_name = f"within {tolerance:.0%}"
    fig = options.figure()
    ncol, legend_rows = legend_shape(fig, [*names, band_name])
    frame = lay_out(
        fig,
        _title(rows, ratio, verdicts, tolerance),
        _subtitle(rows, by),
        _notes(comparison, by, metric),
        source_line([series_source, *order], _convention_text(rows, by), generated),
        legend_rows=legend_rows,
        top_extra_pt=10,
        bottom_extra_pt=12,
    )
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    style_axes(ax, thousands=False)

    x_mid = date_numbers(rows["period_start"] + (rows["period_end"] - rows["period_start"]) / 2)
    x_start, x_end = date_numbers(rows["period_start"]), date_numbers(rows["period_end"]) + 1
    _ratio_axis(ax, np.concatenate([ratio, other_ratio[~np.isnan(other_ratio)]]), tolerance)
    pad = max((float(x_end.max()) - float(x_start.min())) * 0.03, 20)
    # The axis starts on the first day of the first data month: padding there would show a
    # sliver of the year before (labelled '’21 on the full data) that holds nothing.
    first = pd.Timestamp(rows["period_start"].min())
    ax.set_xlim(float(date_numbers([first.replace(day=1)])[0]), float(x_end.max()) + pad)
    date_axis(ax, pd.Timestamp(rows["period_start"].min()), pd.Timestamp(rows["period_end"].max()))
    place_axes(ax, frame)
    unit_label(ax, "claim against the General Staff's figure (log scale)", frame)

    ax.axhspan(1 / (1 + tolerance), 1 + tolerance, color="#ececec", linewidth=0, zorder=0, gid="close-band")
    ax.axhline(1.0, color=TEXT, linewidth=0.8, zorder=1, gid="parity")
    handles = _draw_claims(ax, rows, order, x_mid, ratio, other_ratio)
    _label_far_claims(ax, rows, x_mid, ratio, verdicts, tolerance)
    handles.append(Patch(facecolor="#e6e6e6", edgecolor="none"))
    legend(ax, frame, handles, [*names, band_name], ncol=ncol)
    return fig


def _covered_sources(rows: pd.DataFrame) -> list[str]:
    """The short names of the sources whose claims are drawn by covered day."""
    return list(dict.fromkeys(overlay.short_source(k) for k in rows.loc[rows["convention"] == "covered", "source"]))


def _subtitle(rows: pd.DataFrame, by: str | None) -> str:
    """What a marker is: the claim over the series' figure, under whose convention."""
    if by is not None:
        how = convention_words(by)
        other = "covered day" if by == "report" else "report date"
    else:
        covered = _covered_sources(rows)
        how = "each by its source's own date convention" + (
            f" ({' and '.join(covered)}: by the day covered; the others by report)" if covered else " (by report)"
        )
        other = "the other convention"
    return (
        "Each claim ÷ the General Staff's own figure for the same metric, definition and period, "
        f"{how}; a claim of 'more than' agrees when the figure is above it. "
        f"Hollow markers: the same claim by {other}, where that differs."
    )


def _convention_text(rows: pd.DataFrame, by: str | None) -> str:
    """The source line's date convention: one for all, or each claimant's."""
    from tracker.analysis.series import CONVENTION_TEXT

    if by is not None:
        return CONVENTION_TEXT[by]
    covered = _covered_sources(rows)
    if not covered:
        return CONVENTION_TEXT["report"]
    return f"each claim by its source's; {' and '.join(covered)} by covered day (the report of D+1 gives day D), the others by report date"


def _rows_in_view(
    comparison: pd.DataFrame, by: str | None, metric: str, since: dt.date | None, until: dt.date | None
) -> pd.DataFrame:
    """The comparable claims about periods that overlap since..until, by period; InvalidInput
    if there are none."""
    import pandas as pd

    rows = comparable_rows(comparison, by)
    if since is not None:
        rows = rows.loc[rows["period_end"] >= pd.Timestamp(since)]
    if until is not None:
        rows = rows.loc[rows["period_start"] <= pd.Timestamp(until)]
    rows = rows.sort_values(["period_end", "period_start", "source"], kind="stable").reset_index(drop=True)
    if rows.empty:
        raise InvalidInput(
            f"no claims comparable with the {metric} series"
            + (f" between {since or 'the start'} and {until or 'the end'}" if since or until else "")
            + " (`tracker ingest claims` loads the curated ones)"
        )
    return rows


def _title(rows: pd.DataFrame, ratio: NDArray[np.float64], verdicts: pd.Series, tolerance: float) -> str:
    """How many claims agree, and the one furthest from the series if it is outside the band."""
    import numpy as np

    agreeing = int(verdicts.isin(AGREEING).sum())
    far_i = int(np.argmax(np.abs(np.log(ratio))))
    far = rows.iloc[far_i]
    title = (
        f"{agreeing} of {len(rows)} estimates agree with Kyiv's figures for the same period "
        f"or come within {tolerance:.0%} of them"
    )
    if abs(ratio[far_i] - 1) > tolerance:
        title += (
            f"; the furthest, {overlay.short_source(far['source'])}'s for "
            f"{_period_text(far['period_start'], far['period_end'])}, is "
            f"{abs(ratio[far_i] - 1):.0%} {'higher' if ratio[far_i] > 1 else 'lower'}"
        )
    return title


def _notes(comparison: pd.DataFrame, by: str | None, metric: str) -> list[str]:
    """The claims not drawn: those that count something else (by reason), and those about
    periods the series' reports do not cover."""
    left = comparison.loc[~comparison["comparable"].astype(bool)]
    ratios = judged(comparison, by)["ratio"]
    missing = comparison.loc[comparison["comparable"].astype(bool) & ratios.isna()]
    if len(left):
        reasons: dict[str, int] = {}
        for subject, what, definition in zip(left["subject"], left["metric"], left["definition"]):
            why = overlay.short_reason(subject, what, definition, metric)
            reasons[why] = reasons.get(why, 0) + 1
        return [
            f"Not shown: {plural(len(left), 'claim')} that count something else ("
            + "; ".join(f"{k}: {n}" for k, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
            + ")"
            + (
                f", and {plural(len(missing), 'claim')} about periods the series' reports do not cover"
                if len(missing)
                else ""
            )
            + "."
        ]
    if len(missing):
        return [f"Not shown: {plural(len(missing), 'claim')} about periods the series' reports do not cover."]
    return []


def _ratio_axis(ax: Axes, ratios: NDArray[np.float64], tolerance: float) -> None:
    """A log y axis over every ratio drawn, with room for labels and at most 7 round percentages."""
    import numpy as np
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    band = math.log(1 + tolerance) * 2.2
    lo = min(float(np.log(ratios).min()) - 0.22, -band)  # room below for labels too
    hi = max(float(np.log(ratios).max()) + 0.25, band)  # room above for labels
    ax.set_yscale("log")
    ax.set_ylim(math.exp(lo), math.exp(hi))
    ticks = sorted([1.0, *(t for t in (*TICKS_UP, *TICKS_DOWN) if lo <= math.log(t) <= hi)])
    while len(ticks) > 7:  # drop the steps nearest 1 first
        nearest = min((t for t in ticks if t != 1.0), key=lambda t: abs(math.log(t)))
        ticks.remove(nearest)
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: _pct(v)))


def _draw_claims(
    ax: Axes,
    rows: pd.DataFrame,
    order: list[str],
    x_mid: NDArray[np.float64],
    ratio: NDArray[np.float64],
    other_ratio: NDArray[np.float64],
) -> list[Artist]:
    """Each source's ratios as filled markers, the other convention's as hollow ones joined to
    them where they differ; one legend handle per source."""
    import numpy as np
    from matplotlib.lines import Line2D

    styles = overlay.styles_for(list(rows["source"]))
    handles: list[Artist] = []
    for source in order:
        colour, marker = styles[source]
        idx = np.flatnonzero(rows["source"].to_numpy() == source)
        for i in idx:
            o = other_ratio[i]
            if not np.isnan(o) and abs(math.log(o / ratio[i])) > 0.02:
                ax.plot(
                    [x_mid[i], x_mid[i]],
                    [ratio[i], o],
                    color=colour,
                    linewidth=0.6,
                    zorder=3,
                    gid=f"connector:{source}",
                )
                ax.scatter(
                    [x_mid[i]],
                    [o],
                    s=14,
                    marker=marker,
                    facecolors="white",
                    edgecolors=colour,
                    linewidths=0.8,
                    zorder=4,
                    gid=f"claims-other:{source}",
                )
        ax.scatter(
            x_mid[idx],
            ratio[idx],
            s=22,
            marker=marker,
            color=colour,
            edgecolors="white",
            linewidths=0.5,
            zorder=5,
            gid=f"claims:{source}",
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


def _label_far_claims(
    ax: Axes,
    rows: pd.DataFrame,
    x_mid: NDArray[np.float64],
    ratio: NDArray[np.float64],
    verdicts: pd.Series,
    tolerance: float,
) -> None:
    """Label the claims outside the band, the furthest first: who, for when, and what they said.
    (A bound the series satisfies is "consistent" however far: those stay unlabelled.)"""
    import numpy as np

    out = [
        i
        for i in np.argsort(-np.abs(np.log(ratio)), kind="stable")
        if abs(ratio[i] - 1) > tolerance and verdicts.iloc[i] not in AGREEING
    ]
    labels = []
    for i in out:
        r = rows.iloc[i]
        figure = r.get("figure") or number_text(r["claim_value"])
        labels.append(
            Label(
                float(x_mid[i]),
                float(ratio[i]),
                f"{overlay.short_source(r['source'])}, {_period_text(r['period_start'], r['period_end'])}"
                f"\n{figure} ({KIND_WORDS.get(r['kind'], r['kind'])}), {_pct(ratio[i])}",
                colour=TEXT,
                size=SMALL_PT,
                gid="claim-label",
            )
        )
    avoid = point_boxes(ax, x_mid, ratio, radius_pt=4)
    avoid += _connector_boxes(ax)
    place_labels(ax, labels, offsets=LABEL_OFFSETS, avoid=avoid, leader_beyond_pt=12)


def _connector_boxes(ax: Axes) -> list[Box]:
    """Display boxes around the lines joining a claim's two conventions (and the hollow marker
    at their far end), so that no label is drawn across one."""
    import numpy as np

    r = 4.0 * ax.figure.dpi / 72.0
    boxes: list[Box] = []
    for line in ax.get_lines():
        if str(line.get_gid() or "").startswith("connector:"):
            xs, ys = np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)
            (x0, y0), (x1, y1) = ax.transData.transform(np.column_stack([xs, ys]))
            boxes.append((min(x0, x1) - r, min(y0, y1) - r, max(x0, x1) + r, max(y0, y1) + r))
    return boxes
