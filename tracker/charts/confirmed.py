"""The claimed-vs-confirmed chart: per equipment category, the General Staff's claimed total over
Oryx's visually confirmed one at every Oryx snapshot, as small multiples on a shared time axis,
each on its own scale, with the latest ratio labelled."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from tracker.charts.axes import date_axis, date_numbers, style_axes
from tracker.charts.formats import day_text, number_text, short_label
from tracker.charts.layout import (
    DEFAULT_OPTIONS,
    PAD_PT,
    ChartOptions,
    lay_out,
    y_labels_width_pt,
)
from tracker.charts.palette import MUTED, SERIES, TEXT
from tracker.charts.theme import BODY_PT, SMALL_PT, charted
from tracker.errors import InvalidInput
from tracker.store.source_registry import GENERAL_STAFF, ORYX

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def ratio_text(ratio: float) -> str:
    """'2.71×' (two places below 10, one above: '21.2×')."""
    return f"{ratio:,.2f}×" if ratio < 10 else f"{ratio:,.1f}×"


def attribution(source: str) -> str:
    """How a source is credited: its registry licence's 'attribute "…"' text and licence
    ('Oryx, via scarnecchia/oryx_data, CC BY 4.0'), else its name."""
    from tracker.store.source_registry import source_info

    info = source_info(source)
    licence = info.licence or ""
    credit = re.search(r'attribute "([^"]+)"', licence)
    if credit is None:
        return info.name.split(" (")[0]
    return f"{credit[1]}, {licence.split(';')[0].strip()}"


def drawable_rows(rows: pd.DataFrame, since: dt.date | None, until: dt.date | None) -> pd.DataFrame:
    """The rows of a claimed_vs_confirmed frame with a ratio, within since..until, by date."""
    import pandas as pd

    out = rows.copy()
    out["date"] = pd.to_datetime(out["date"])
    out["ratio"] = pd.to_numeric(out["ratio"], errors="coerce")
    out = out.loc[out["ratio"].notna()]
    if since is not None:
        out = out.loc[out["date"] >= pd.Timestamp(since)]
    if until is not None:
        out = out.loc[out["date"] <= pd.Timestamp(until)]
    return out.sort_values(["date"], kind="stable").reset_index(drop=True)


@charted
def confirmed_chart(
    rows: pd.DataFrame,
    *,
    options: ChartOptions = DEFAULT_OPTIONS,
    claimant: str = GENERAL_STAFF,
    confirmer: str = ORYX,
    columns: int = 5,
) -> Figure:
    """One panel per category of a tracker.analysis.confirmed.claimed_vs_confirmed frame (every
    snapshot, one side), in the frame's order: the ratio claimed / confirmed over time, a dashed
    line at 1 (claimed = confirmed) and the latest ratio labelled at its point."""
    import pandas as pd

    since, until = options.since, options.until
    data = drawable_rows(rows, since, until)
    if data.empty:
        raise InvalidInput(
            "no snapshot with both a claimed and a confirmed figure to chart"
            + (f" between {since or 'the start'} and {until or 'the end'}" if since or until else "")
        )
    panels = {m: data.loc[data["metric"] == m] for m in dict.fromkeys(data["metric"])}
    marks = _marks(panels)
    generated = options.generated_on()
    fig = options.figure()
    frame = lay_out(
        fig,
        _title(panels),
        "Claimed ÷ visually confirmed losses at each Oryx snapshot: the General Staff's cumulative total "
        "as of that date over Oryx's total of the types mapped onto the category. Oryx counts only losses "
        "seen in photos or video, a floor; each panel has its own scale, the dashed line is 1 "
        "(claimed = confirmed).",
        _notes(panels, marks),
        f"Source: {attribution(claimant)} (claimed); {attribution(confirmer)} (visually confirmed). "
        "Dates: Oryx's snapshot dates (when losses were documented), each with the General Staff's report "
        f"of that date or the latest before it. Generated {generated.isoformat()} with tracker.",
        bottom_extra_pt=12,
    )
    start, end = data["date"].min(), data["date"].max()
    # A month at least, so that a short history (the daily job's first Oryx snapshot) has its
    # point at the right and room to its left for the label, not on the axis's tick labels.
    start = min(start, end - pd.Timedelta(days=30))
    end += max((end - start) * 0.03, pd.Timedelta(days=2))  # room for the latest point's marker
    n = len(panels)
    cols = min(columns, n)
    nrows = -(-n // cols)
    w_pt, h = frame.width_pt, frame.height_pt
    top, bottom = frame.plot_top, frame.plot_bottom
    header = 21.0 / h  # each panel's name and latest figures, above it
    gap_x_pt, gap_y = 16.0, 12.0 / h + header
    panel_w = (w_pt - 2 * PAD_PT - gap_x_pt * (cols - 1)) / cols
    panel_h = (top - bottom - gap_y * (nrows - 1) - header) / nrows
    x0, x1 = float(date_numbers([start])[0]), float(date_numbers([end])[0])
    shared: Axes | None = None
    axes = []
    for metric, part in panels.items():
        ax = fig.add_axes((0, 0, 1, 1), sharex=shared)
        shared = shared or ax
        style_axes(ax, thousands=False)
        _draw_panel(ax, metric, part, marks.get(metric, ""))
        ax.set_xlim(x0, x1)
        axes.append(ax)
    # One width for every panel's tick labels, so that all plots share the same time axis; one
    # size for the panels' names and one for their figures, the largest at which all fit.
    label_w = max(y_labels_width_pt(ax) for ax in axes) + 4
    names = {m: short_label(m) + (f" {marks[m]}" if m in marks else "") for m in panels}
    name_pt = min(_fitted_size(fig, names[m], BODY_PT, panel_w - 4, "bold") for m in panels)
    figures = {m: _figures_text(fig, part, panel_w - 4) for m, part in panels.items()}
    figures_pt = min(_fitted_size(fig, text, SMALL_PT, panel_w - 4) for text in figures.values())
    for k, (metric, ax) in enumerate(zip(panels, axes, strict=True)):
        r, c = divmod(k, cols)
        left_pt = PAD_PT + c * (panel_w + gap_x_pt)
        y_top = top - header - r * (panel_h + gap_y)
        ax.set_position(((left_pt + label_w) / w_pt, y_top - panel_h, (panel_w - label_w) / w_pt, panel_h))
        fig.text(left_pt / w_pt, y_top + 11.0 / h, names[metric], ha="left", va="bottom",
                 fontsize=name_pt, fontweight="bold", gid=f"panel:{metric}")  # fmt: skip
        fig.text(left_pt / w_pt, y_top + 3.0 / h, figures[metric], ha="left", va="bottom",
                 fontsize=figures_pt, color=MUTED, gid=f"figures:{metric}")  # fmt: skip
        date_axis(ax, start, end)
        if r < nrows - 1 and k + cols < n:
            ax.tick_params(axis="x", labelbottom=False)
    return fig


def _marks(panels: dict[str, pd.DataFrame]) -> dict[str, str]:
    """The footnote mark of each category whose ratio carries a caveat (not like for like)."""
    from tracker.analysis.confirmed import caveat_marks

    caveats = {m: _caveat(part) for m, part in panels.items()}
    marks = caveat_marks(caveats.values())
    return {m: marks[c] for m, c in caveats.items() if c}


def _caveat(part: pd.DataFrame) -> str | None:
    """A category's caveat (the types file's, on each of its rows), None when it has none."""
    if "caveat" not in part.columns:
        return None
    found = [c for c in part["caveat"] if isinstance(c, str) and c]
    return found[-1] if found else None


def _draw_panel(ax: Axes, metric: str, part: pd.DataFrame, mark: str = "") -> None:
    """The ratio's line, the line at 1, and the latest ratio labelled at its point (with the
    category's footnote mark when its ratio is not like for like)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    x = date_numbers(part["date"])
    y = part["ratio"].to_numpy(dtype=float)
    ax.plot(x, y, color=SERIES, linewidth=1.2, gid=f"ratio:{metric}")
    ax.axhline(1.0, color=MUTED, linewidth=0.7, linestyle=(0, (3, 2)), zorder=1, gid=f"parity:{metric}")
    ax.set_ylim(0, max(float(y.max()), 1.0) * 1.22)  # room above the line for the label
    ax.yaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: f"{v:g}×"))
    ax.scatter([x[-1]], [y[-1]], s=14, color=SERIES, zorder=4, gid=f"latest-point:{metric}")
    ax.annotate(
        ratio_text(float(y[-1])) + (f" {mark}" if mark else ""),
        (float(x[-1]), float(y[-1])),
        xytext=(-4, 5),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=SMALL_PT,
        fontweight="bold",
        color=TEXT,
        gid=f"latest:{metric}",
    )


def _fitted_size(fig: Figure, text: str, size: float, width_pt: float, weight: str = "normal") -> float:
    """The largest font size from `size` down to SMALL_PT - 1 at which `text` fits `width_pt`."""
    from tracker.charts.measure import text_width_pt

    while size > SMALL_PT - 1 and text_width_pt(fig, text, size, weight) > width_pt:
        size -= 0.5
    return size


def _figures_text(fig: Figure, part: pd.DataFrame, width_pt: float) -> str:
    """A panel's latest figures: '11,032 claimed / 4,074 confirmed', with what the General Staff
    counts apart ('28 (+1 submarine) claimed / 28 confirmed') when that fits (the notes say it)."""
    last = part.iloc[-1]
    note = last.get("claimed_note")
    claimed, confirmed = number_text(float(last["claimed"])), number_text(float(last["confirmed"]))
    plain = f"{claimed} claimed / {confirmed} confirmed"
    if isinstance(note, str) and note:
        fuller = f"{claimed} ({note}) claimed / {confirmed} confirmed"
        if _fitted_size(fig, fuller, SMALL_PT, width_pt) >= SMALL_PT - 0.5:
            return fuller
    return plain


def _title(panels: dict[str, pd.DataFrame]) -> str:
    """The first category's latest ratio, in words."""
    metric, part = next(iter(panels.items()))
    last = part.iloc[-1]
    return (
        f"On {day_text(last['date'])}, Kyiv's count of Russian {short_label(metric).lower()} lost was "
        f"{float(last['ratio']):.1f} times what Oryx had confirmed with photo or video evidence"
    )


def _notes(panels: dict[str, pd.DataFrame], marks: dict[str, str]) -> list[str]:
    """The caveat of each category not like for like (by its mark), and what the General Staff
    counts apart (its submarines beside ships), as of the latest snapshot."""
    from tracker.analysis.confirmed import ALONGSIDE

    notes = []
    for mark in dict.fromkeys(marks.values()):
        metrics = [m for m, k in marks.items() if k == mark]
        caveat = _caveat(panels[metrics[0]])
        notes.append(f"{mark} {', '.join(short_label(m) for m in metrics)}: {caveat}")
    for metric, part in panels.items():
        last = part.iloc[-1]
        if "claimed_note" in part.columns and isinstance(last["claimed_note"], str) and last["claimed_note"]:
            notes.append(
                f"{short_label(metric)}: the General Staff counts {ALONGSIDE.get(metric, 'some')} apart "
                f"({last['claimed_note']} on {day_text(last['date'])}), not in the ratio; Oryx's types "
                "mapped onto it include them."
            )
    return notes
