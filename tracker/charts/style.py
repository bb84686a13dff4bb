"""The look every chart shares, and what makes it reproducible.

Okabe–Ito colours (safe for colour-blind readers), matplotlib's bundled DejaVu fonts, one
layout (title, subtitle, legend, plot, notes, source line), number and date formats, a label
placer that keeps labels apart, and saving that gives the same bytes for the same data.
Headless: only the Agg canvas is used, never pyplot.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.errors import InvalidInput

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DEFAULT_SIZE = (1600, 900)
DEFAULT_DPI = 200.0
FORMATS = ("png", "svg")

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
SERIES = OKABE_ITO["blue"]
BARS = "#9cc9e8"  # sky blue, lightened: many thin bars must not outshout the lines over them
FLAGGED = OKABE_ITO["purple"]
RECORD = OKABE_ITO["vermillion"]
SECOND = OKABE_ITO["black"]
TEXT = "#222222"
MUTED = "#666666"
GRID = "#e3e3e3"
# Claims of other sources: colour and marker pairs, one per source in the order of the source
# registry (tracker.sources), so a source looks the same on every chart. Triangles are kept for
# bounds ("more than", "up to"); no pair repeats, so no two sources look alike.
SOURCE_STYLES = [
    (OKABE_ITO["vermillion"], "D"),
    (OKABE_ITO["green"], "o"),
    (OKABE_ITO["orange"], "s"),
    (OKABE_ITO["purple"], "o"),
    (OKABE_ITO["black"], "s"),
    (OKABE_ITO["sky_blue"], "P"),
    (OKABE_ITO["green"], "X"),
    (OKABE_ITO["orange"], "h"),
    (OKABE_ITO["purple"], "X"),
    (OKABE_ITO["black"], "P"),
]

# Sizes in points.
TITLE_PT = 11.0
SUBTITLE_PT = 8.5
BODY_PT = 7.5
SMALL_PT = 6.5
PAD_PT = 12.0

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

RC: dict[str, Any] = {
    # Fonts bundled with matplotlib, so every machine draws the same glyphs.
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": BODY_PT,
    "mathtext.fontset": "dejavusans",
    "text.parse_math": False,  # a "$" in a source's note is text, not mathematics
    "text.color": TEXT,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": TEXT,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.spines.left": False,
    "axes.titlesize": BODY_PT + 0.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.unicode_minus": True,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": TEXT,
    "ytick.labelcolor": TEXT,
    "xtick.labelsize": SMALL_PT + 0.5,
    "ytick.labelsize": SMALL_PT + 0.5,
    "xtick.major.size": 3.0,
    "xtick.major.width": 0.6,
    "ytick.major.size": 0.0,
    "ytick.major.pad": 3.0,
    "legend.frameon": False,
    "legend.fontsize": SMALL_PT + 0.5,
    "legend.handlelength": 1.6,
    "legend.columnspacing": 1.4,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.bbox": None,  # never "tight": the file has exactly the requested size
    "path.simplify": True,
    "svg.hashsalt": "tracker-charts",  # fixed ids in SVG output
    "svg.fonttype": "path",
}


@contextmanager
def styled() -> Iterator[None]:
    """Matplotlib defaults plus this module's settings, whatever the user's matplotlibrc says."""
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(RC)
        yield


def generated_date() -> dt.date:
    """The chart's "generated" date: SOURCE_DATE_EPOCH (UTC) when set, so builds reproduce."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except (ValueError, OverflowError, OSError):
            raise InvalidInput(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, not {epoch[:30]!r}") from None
    return dt.date.today()


# --- words and numbers -----------------------------------------------------------------------


def day_text(day: Any) -> str:
    """'8 Aug 2026' (English month names, whatever the locale)."""
    import pandas as pd

    d = pd.Timestamp(day)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def month_text(day: Any) -> str:
    import pandas as pd

    d = pd.Timestamp(day)
    return f"{MONTHS[d.month - 1]} {d.year}"


def num(x: float, digits: int = 0) -> str:
    """Thousands separators and a true minus sign."""
    text = f"{x:,.{digits}f}"
    return text.replace("-", "\u2212")


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def thousands_formatter():  # type: ignore[no-untyped-def]
    from matplotlib.ticker import FuncFormatter

    def fmt(value: float, _pos: int | None = None) -> str:
        if abs(value - round(value)) < 1e-9:
            return num(value)
        return num(value, 1)

    return FuncFormatter(fmt)


# --- layout ------------------------------------------------------------------------------------


@dataclass
class Frame:
    """The figure's text furniture, laid out top to bottom in points; what remains is the plot."""

    fig: Figure
    title: str
    subtitle: str = ""
    notes: list[str] = field(default_factory=list)
    source_line: str = ""
    legend_rows: int = 0  # rows reserved for a legend under the subtitle
    plot_top: float = 0.0  # figure fraction
    plot_bottom: float = 0.0
    legend_y: float = 0.0

    @property
    def width_pt(self) -> float:
        return self.fig.get_figwidth() * 72.0

    @property
    def height_pt(self) -> float:
        return self.fig.get_figheight() * 72.0


def text_width_pt(fig: Figure, text: str, size: float, weight: str = "normal") -> float:
    """The drawn width of a line of text, in points."""
    return _text_width_pt(text, float(size), weight, float(fig.dpi))


@functools.lru_cache(maxsize=4096)
def _text_width_pt(text: str, size: float, weight: str, dpi: float) -> float:
    # Measured with the same font and hinting as Agg draws it; text metrics scale with dpi only.
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(family=["DejaVu Sans"], size=size, weight=weight)
    w, _h, _d = _measurer(dpi).get_text_width_height_descent(text, prop, ismath=False)
    return w * 72.0 / dpi


@functools.lru_cache(maxsize=8)
def _measurer(dpi: float):  # type: ignore[no-untyped-def]
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, dpi)


def wrap(fig: Figure, text: str, size: float, width_pt: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap to a width in points: words measured once, a line as their sum."""
    space = text_width_pt(fig, "a b", size, weight) - text_width_pt(fig, "ab", size, weight)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            w = text_width_pt(fig, word, size, weight)
            if line and used + space + w > width_pt * 0.99:  # 1% for kerning across words
                lines.append(line)
                line, used = word, w
            else:
                line, used = (f"{line} {word}", used + space + w) if line else (word, w)
        lines.append(line)
    return lines


def new_figure(size: tuple[int, int] = DEFAULT_SIZE, dpi: float = DEFAULT_DPI) -> Figure:
    """A figure of exactly `size` pixels on an Agg canvas (no pyplot, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width, height = size
    if width < 300 or height < 200 or width > 10_000 or height > 10_000:
        raise InvalidInput(f"--size {width}x{height}: use between 300x200 and 10000x10000 pixels")
    if not 30 <= dpi <= 1200:
        raise InvalidInput(f"--dpi {dpi:g}: use between 30 and 1200")
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def lay_out(
    fig: Figure,
    title: str,
    subtitle: str,
    notes: Sequence[str],
    source_line: str,
    *,
    legend_rows: int = 0,
    top_extra_pt: float = 0.0,
    bottom_extra_pt: float = 0.0,
) -> Frame:
    """Draw title, subtitle, notes and source line; return the frame with the free plot band.

    `top_extra_pt` reserves room above the plot (for a unit label), `bottom_extra_pt` below it
    (for tick labels).
    """
    frame = Frame(fig, title, subtitle, list(notes), source_line, legend_rows)
    w, h = frame.width_pt, frame.height_pt
    inner = w - 2 * PAD_PT
    y = h - PAD_PT * 0.9

    def put(lines: list[str], size: float, colour: str, weight: str, gid: str, spacing: float = 1.22) -> None:
        nonlocal y
        if not lines:
            return
        text = "\n".join(lines)
        fig.text(
            PAD_PT / w,
            y / h,
            text,
            ha="left",
            va="top",
            fontsize=size,
            color=colour,
            fontweight=weight,
            linespacing=spacing,
            gid=gid,
        )
        y -= size * spacing * len(lines)

    put(wrap(fig, title, TITLE_PT, inner, "bold"), TITLE_PT, TEXT, "bold", "title", 1.15)
    if subtitle:
        y -= 3
        put(wrap(fig, subtitle, SUBTITLE_PT, inner), SUBTITLE_PT, MUTED, "normal", "subtitle")
    if legend_rows:
        y -= 2
        frame.legend_y = y / h
        y -= legend_rows * (SMALL_PT + 0.5) * 1.4 + 3
    frame.plot_top = (y - 8 - top_extra_pt) / h

    bottom = PAD_PT * 0.7
    foot: list[tuple[list[str], str, str]] = []
    if source_line:
        foot.append((wrap(fig, source_line, SMALL_PT, inner), MUTED, "source-line"))
    for note in reversed([n for n in notes if n]):
        foot.append((wrap(fig, note, SMALL_PT, inner), TEXT, "note"))
    for lines, colour, gid in foot:
        fig.text(
            PAD_PT / w,
            bottom / h,
            "\n".join(lines),
            ha="left",
            va="bottom",
            fontsize=SMALL_PT,
            color=colour,
            linespacing=1.25,
            gid=gid,
        )
        bottom += SMALL_PT * 1.25 * len(lines) + 3
    frame.plot_bottom = (bottom + 4 + bottom_extra_pt) / h
    return frame


def y_labels_width_pt(ax: Axes) -> float:
    """Width of the widest y tick label within the current limits (after limits are set)."""
    fig = ax.figure
    lo, hi = sorted(ax.get_ylim())
    ticks = [t for t in ax.yaxis.get_major_locator()() if lo - 1e-9 <= t <= hi + 1e-9]
    labels = ax.yaxis.get_major_formatter().format_ticks(ticks) if ticks else []
    size = ax.yaxis.get_ticklabels()[0].get_fontsize() if ax.yaxis.get_ticklabels() else SMALL_PT + 0.5
    return max((text_width_pt(fig, s, size) for s in labels), default=0.0)  # type: ignore[arg-type]


def place_axes(
    ax: Axes,
    frame: Frame,
    *,
    left_pt: float | None = None,
    right_pt: float = PAD_PT,
    top: float | None = None,
    bottom: float | None = None,
) -> None:
    """Put an axes in the frame's plot band, leaving room on the left for its y tick labels."""
    w = frame.width_pt
    if left_pt is None:
        left_pt = PAD_PT + y_labels_width_pt(ax) + 5
    top = frame.plot_top if top is None else top
    bottom = frame.plot_bottom if bottom is None else bottom
    ax.set_position((left_pt / w, bottom, 1 - (left_pt + right_pt) / w, top - bottom))


def unit_label(ax: Axes, text: str, frame: Frame) -> None:
    """The y unit as a small line above the plot, flush with the figure's left margin."""
    fig = ax.figure
    x0 = PAD_PT / frame.width_pt
    y0 = ax.get_position().y1 + 7 / frame.height_pt
    fig.text(x0, y0, text, ha="left", va="bottom", fontsize=SMALL_PT + 0.5, color=MUTED, gid="unit")


def style_axes(ax: Axes, *, thousands: bool = True) -> None:
    """Light horizontal grid, no left spine, thousands separators on y."""
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    if thousands:
        ax.yaxis.set_major_formatter(thousands_formatter())


HANDLE_PT = 16.0  # legend handle length plus the pad to its text, in points (see RC)
COLUMN_GAP_PT = 14.0


def legend_shape(fig: Figure, labels: Sequence[str], width_pt: float | None = None) -> tuple[int, int]:
    """(columns, rows) of the widest legend that fits the figure's inner width."""
    if not labels:
        return 0, 0
    width_pt = width_pt or fig.get_figwidth() * 72.0 - 2 * PAD_PT
    widths = [text_width_pt(fig, t, SMALL_PT + 0.5) + HANDLE_PT for t in labels]
    for ncol in range(len(labels), 0, -1):
        # matplotlib fills columns in order, the first (n mod ncol) of them one entry longer
        rows, large = divmod(len(labels), ncol)
        sizes = [rows + 1] * large + [rows] * (ncol - large)
        cols, at = [], 0
        for size in sizes:
            cols.append(widths[at : at + size])
            at += size
        total = sum(max(c) for c in cols if c) + COLUMN_GAP_PT * (ncol - 1)
        if total <= width_pt:
            return ncol, rows + (1 if large else 0)
    return 1, len(labels)


def legend(ax: Axes, frame: Frame, handles: list, labels: list[str], ncol: int | None = None) -> None:
    """A legend under the subtitle, flush left, in as few rows as fit."""
    if not handles:
        return
    ncol = ncol or legend_shape(ax.figure, labels)[0]
    x0 = (PAD_PT + 1.5) / frame.width_pt
    leg = ax.figure.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(x0, frame.legend_y),
        ncol=ncol,
        borderaxespad=0.0,
        borderpad=0.0,
        handletextpad=0.5,
        columnspacing=COLUMN_GAP_PT / (SMALL_PT + 0.5),
        labelspacing=0.35,
        handlelength=1.6,
    )
    leg.set_gid("legend")


# --- dates -------------------------------------------------------------------------------------


def date_axis(ax: Axes, start: Any, end: Any) -> None:
    """One line of tick labels: years for spans over 18 months, else months (with the year on
    January and on the first tick); English whatever the locale."""
    import pandas as pd
    from matplotlib.dates import MonthLocator, YearLocator, num2date
    from matplotlib.ticker import FuncFormatter

    days = (pd.Timestamp(end) - pd.Timestamp(start)).days
    if days > 540:
        ax.xaxis.set_major_locator(YearLocator())
        ax.xaxis.set_minor_locator(MonthLocator(bymonth=(4, 7, 10)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: str(num2date(v).year)))
        ax.tick_params(axis="x", which="minor", length=1.5, width=0.5)
        return
    step = 1 if days <= 240 else 2 if days <= 400 else 3
    ax.xaxis.set_major_locator(MonthLocator(bymonth=range(1, 13, step)))

    def fmt(value: float, pos: int | None = None) -> str:
        d = num2date(value)
        return f"{MONTHS[d.month - 1]} {d.year}" if d.month == 1 or pos == 0 else MONTHS[d.month - 1]

    ax.xaxis.set_major_formatter(FuncFormatter(fmt))


def period_axis(ax: Axes, start: Any, end: Any) -> None:
    """For bars of whole months: labels centred under each year (ticks between years), or under
    each month for spans up to two years."""
    import pandas as pd
    from matplotlib.dates import MonthLocator, YearLocator, num2date
    from matplotlib.ticker import FuncFormatter, NullFormatter

    days = (pd.Timestamp(end) - pd.Timestamp(start)).days
    if days > 730:
        ax.xaxis.set_major_locator(YearLocator())
        ax.xaxis.set_major_formatter(NullFormatter())
        ax.xaxis.set_minor_locator(YearLocator(month=7))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _p=None: str(num2date(v).year)))
        ax.tick_params(axis="x", which="minor", length=0)
        return
    step = 1 if days <= 400 else 2
    ax.xaxis.set_major_locator(YearLocator())
    ax.xaxis.set_major_formatter(NullFormatter())
    ax.xaxis.set_minor_locator(MonthLocator(bymonth=range(1, 13, step), bymonthday=16))

    def fmt(value: float, pos: int | None = None) -> str:
        d = num2date(value)
        return f"{MONTHS[d.month - 1]} {d.year}" if d.month <= step or pos == 0 else MONTHS[d.month - 1]

    ax.xaxis.set_minor_formatter(FuncFormatter(fmt))
    ax.tick_params(axis="x", which="minor", length=0)


def to_num(values: Any):  # type: ignore[no-untyped-def]
    """Dates as matplotlib date numbers (days since 1970), for fast collections."""
    import numpy as np
    import pandas as pd

    stamps = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[s]").astype("int64")
    return stamps / 86400.0 if len(stamps) else np.array([], dtype=float)


# --- labels that keep out of each other's way --------------------------------------------------


def halo() -> list:
    """A white outline under label text, so it stays legible over bars and lines."""
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.2, foreground="white")]


@dataclass
class Label:
    """A text to place near an anchor point (data coordinates)."""

    x: float
    y: float
    text: str
    colour: str = TEXT
    size: float = SMALL_PT + 0.5
    weight: str = "normal"
    gid: str = "label"


def place_labels(
    ax: Axes,
    labels: Sequence[Label],
    *,
    offsets: Sequence[tuple[float, float]] | None = None,
    avoid: Sequence[tuple[float, float, float, float]] = (),
    leader_beyond_pt: float = 10.0,
    drop: bool = False,
) -> list:
    """Place each label at the first candidate offset (points) where it overlaps no placed label,
    no box in `avoid` (display pixels) and stays inside the axes; further out with a leader line
    if none fits. Labels are placed in the order given: put the most important first.
    """
    fig = ax.figure
    scale = fig.dpi / 72.0
    if offsets is None:
        offsets = [
            (0, 8),
            (-10, 8),
            (10, 8),
            (0, 18),
            (-24, 14),
            (24, 14),
            (-40, 24),
            (40, 24),
            (0, 30),
            (-60, 34),
            (60, 34),
            (0, 44),
            (-80, 44),
            (80, 44),
        ]
    bbox = ax.get_window_extent()
    placed: list[tuple[float, float, float, float]] = list(avoid)
    artists = []
    for lab in labels:
        lines = lab.text.split("\n")
        w = max(text_width_pt(fig, s, lab.size, lab.weight) for s in lines) * scale + 4
        h = lab.size * 1.2 * len(lines) * scale + 2
        ax_x, ax_y = ax.transData.transform((lab.x, lab.y))
        choice = None
        fallback: tuple[float, float, float, tuple[float, float, float, float]] | None = None
        for dx, dy in [*offsets, *([] if drop else [(ox * 1.6, oy * 1.6 + 10) for ox, oy in offsets])]:
            cx, cy = ax_x + dx * scale, ax_y + dy * scale
            # Box of the text anchored at its bottom centre.
            box = (cx - w / 2, cy, cx + w / 2, cy + h)
            outside = box[0] < bbox.x0 or box[2] > bbox.x1 or box[1] < bbox.y0 or box[3] > bbox.y1
            cost = sum(_overlap_area(box, other) for other in placed) + (w * h if outside else 0.0)
            if cost == 0:
                choice = (dx, dy, box)
                break
            if fallback is None or cost < fallback[2]:
                fallback = (dx, dy, cost, box)
        if choice is None and drop:
            continue
        if choice is None and fallback is not None:  # nothing fits: the least overlapping place
            choice = (fallback[0], fallback[1], fallback[3])
        dx, dy, box = choice
        placed.append(box)
        far = math.hypot(dx, dy) > leader_beyond_pt
        artist = ax.annotate(
            lab.text,
            (lab.x, lab.y),
            xytext=(dx, dy),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=lab.size,
            color=lab.colour,
            fontweight=lab.weight,
            linespacing=1.1,
            annotation_clip=False,
            path_effects=halo(),
            arrowprops=dict(arrowstyle="-", color=MUTED, linewidth=0.5, shrinkA=0, shrinkB=2) if far else None,
            gid=lab.gid,
        )
        artists.append(artist)
    return artists


def row_labels(
    ax: Axes,
    labels: Sequence[Label],
    *,
    offset_pt: float = 7.0,
    gap_pt: float = 10.0,
    ceiling: Callable[[float, float], float] | None = None,
) -> list:
    """Labels above their anchors; where they would collide they merge into one row above the
    cluster's highest anchor, side by side in the anchors' order, with leader lines (so records
    that cluster in time stay readable and their leaders never cross). `ceiling(x0, x1)` gives
    the highest data value between two x (data units): a row is lifted above it too."""
    fig = ax.figure
    scale = fig.dpi / 72.0
    bbox = ax.get_window_extent()
    items = []
    for lab in sorted(labels, key=lambda lab: lab.x):
        lines = lab.text.split("\n")
        w = max(text_width_pt(fig, t, lab.size, lab.weight) for t in lines) * scale
        h = lab.size * 1.15 * len(lines) * scale
        px, py = ax.transData.transform((lab.x, lab.y))
        items.append((lab, px, py, w, h))
    gap, off = gap_pt * scale, offset_pt * scale
    clusters = [[i] for i in range(len(items))]

    def layout(cluster: list[int]) -> tuple[float, float, float, list[float]]:
        widths = [items[i][3] for i in cluster]
        total = sum(widths) + gap * (len(cluster) - 1)
        centre = (items[cluster[0]][1] + items[cluster[-1]][1]) / 2
        left = min(max(centre - total / 2, bbox.x0), bbox.x1 - total)
        base = max(items[i][2] for i in cluster) + off
        if ceiling is not None:
            inverse = ax.transData.inverted()
            (dx0, _), (dx1, _) = inverse.transform((left, 0)), inverse.transform((left + total, 0))
            top = ceiling(min(dx0, dx1), max(dx0, dx1))
            if math.isfinite(top):
                base = max(base, ax.transData.transform((dx0, top))[1] + off / 2)
        xs, x = [], left
        for wd in widths:
            xs.append(x + wd / 2)
            x += wd + gap
        return left, left + total, base, xs

    merged = True
    while merged:
        merged = False
        for k in range(len(clusters) - 1):
            a, b = layout(clusters[k]), layout(clusters[k + 1])
            ha = max(items[i][4] for i in clusters[k])
            hb = max(items[i][4] for i in clusters[k + 1])
            if a[1] + gap > b[0] and a[2] < b[2] + hb and b[2] < a[2] + ha:
                clusters[k] = clusters[k] + clusters.pop(k + 1)
                merged = True
                break
    artists = []
    for cluster in clusters:
        _l, _r, base, xs = layout(cluster)
        for i, cx in zip(cluster, xs):
            lab, px, py, _w, _h = items[i]
            dx, dy = (cx - px) / scale, (base - py) / scale
            leader = abs(dx) > 2 or dy > offset_pt + 4
            artists.append(
                ax.annotate(
                    lab.text,
                    (lab.x, lab.y),
                    xytext=(dx, dy),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=lab.size,
                    color=lab.colour,
                    fontweight=lab.weight,
                    linespacing=1.1,
                    annotation_clip=False,
                    gid=lab.gid,
                    path_effects=halo(),
                    arrowprops=dict(arrowstyle="-", color=MUTED, linewidth=0.5, shrinkA=1, shrinkB=3, relpos=(0.5, 0.0))
                    if leader
                    else None,
                )
            )
    return artists


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _overlap_area(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def point_boxes(
    ax: Axes, xs: Sequence[float], ys: Sequence[float], radius_pt: float = 3.0
) -> list[tuple[float, float, float, float]]:
    """Display boxes around markers, for place_labels to avoid."""
    r = radius_pt * ax.figure.dpi / 72.0
    out = []
    for x, y in zip(xs, ys):
        px, py = ax.transData.transform((x, y))
        out.append((px - r, py - r, px + r, py + r))
    return out


# --- source line and saving ----------------------------------------------------------------------


def source_line(source_keys: Sequence[str], convention: str | None, generated: dt.date) -> str:
    """'Source: <who>; <who>. <Convention>. Generated <date> with tracker.'"""
    from tracker.sources import source_info

    names: list[str] = []
    for key in source_keys:
        name = source_info(key).name.split(" (")[0]
        if name not in names:
            names.append(name)
    parts = [f"Source: {'; '.join(names)}."]
    if convention:
        parts.append(f"Date convention: {convention}.")
    parts.append(f"Generated {generated.isoformat()} with tracker.")
    return " ".join(parts)


def image_format(path: Path) -> str:
    """png or svg from the file name; InvalidInput for anything else."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InvalidInput(f"{path.name}: charts are written as .png or .svg, not {suffix or 'no suffix'!r}")
    return suffix


def save(fig: Figure, path: Path | str) -> Path:
    """Write the figure at its exact pixel size with fixed metadata, so equal data give equal bytes."""
    path = Path(path)
    fmt = image_format(path)
    metadata: dict[str, Any] = {"Software": None} if fmt == "png" else {"Creator": None, "Date": None}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with styled():
        fig.savefig(tmp, format=fmt, dpi=fig.dpi, metadata=metadata)
    os.replace(tmp, path)
    return path


def charted(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a drawing function under the shared style (so rcParams never leak in or out)."""
    import functools

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with styled():
            return draw(*args, **kwargs)

    return wrapper


# --- what a series counts, in words ----------------------------------------------------------------


def series_words(metric: str) -> tuple[str, str]:
    """(noun phrase for a count, unit) e.g. ('Russian personnel killed or wounded', 'people')."""
    from tracker.metrics import METRICS

    spec = METRICS.get(metric)
    if spec is None:
        return metric, ""
    if metric == "personnel":
        return "Russian personnel killed or wounded", spec.unit
    label = spec.label.split(" (")[0].lower()
    return f"Russian {label} lost", spec.unit


def short_label(metric: str) -> str:
    """'Drones' for 'Drones (operational-tactical UAVs)'."""
    from tracker.metrics import METRICS

    spec = METRICS.get(metric)
    return spec.label.split(" (")[0] if spec else metric


def when(day: object, by: str) -> str:
    """'in the report of 8 Aug 2026' (by report) or 'on 7 Aug 2026' (by covered day)."""
    return f"in the report of {day_text(day)}" if by == "report" else f"on {day_text(day)}"


def convention_words(by: str) -> str:
    """'dated by report' or 'dated by the day covered', for subtitles."""
    return "dated by report" if by == "report" else "dated by the day covered"
