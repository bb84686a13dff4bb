"""The figure and its layout: a canvas of exact pixel size, title, subtitle, legend, notes and source
line top to bottom in points, and the plot placed in what remains."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracker.charts.measure import text_width_pt, wrap
from tracker.charts.output import generated_date
from tracker.charts.palette import MUTED, TEXT
from tracker.charts.theme import SMALL_PT, SUBTITLE_PT, TITLE_PT
from tracker.errors import InvalidInput

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DEFAULT_SIZE = (1600, 900)
DEFAULT_DPI = 200.0
PAD_PT = 12.0  # the figure's margin on every side
HANDLE_PT = 16.0  # legend handle length plus the pad to its text, in points (see theme.RC)
COLUMN_GAP_PT = 14.0


@dataclass(frozen=True)
class ChartOptions:
    """What every chart builder takes beside its data, alike: the days shown (`since`..`until`),
    the image's size in pixels and its dpi, and the date its source line says it was generated
    (None: SOURCE_DATE_EPOCH, else today)."""

    since: dt.date | None = None
    until: dt.date | None = None
    size: tuple[int, int] = DEFAULT_SIZE
    dpi: float = DEFAULT_DPI
    generated: dt.date | None = None

    def figure(self) -> Figure:
        """A new figure of the options' size and dpi (new_figure)."""
        return new_figure(self.size, self.dpi)

    def generated_on(self) -> dt.date:
        """The date of the source line: `generated`, else generated_date()."""
        return self.generated or generated_date()


DEFAULT_OPTIONS = ChartOptions()


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
    size = float(ax.yaxis.get_ticklabels()[0].get_fontsize()) if ax.yaxis.get_ticklabels() else SMALL_PT + 0.5
    return max((text_width_pt(fig, s, size) for s in labels), default=0.0)


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


def legend(ax: Axes, frame: Frame, handles: Sequence[Artist], labels: list[str], ncol: int | None = None) -> None:
    """A legend under the subtitle, flush left, in as few rows as fit."""
    if not handles:
        return
    ncol = ncol or legend_shape(frame.fig, labels)[0]
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
