"""How an axes looks: a light grid and thousands separators on y, one line of English date labels on
x, and dates as matplotlib date numbers."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from tracker.charts.formats import MONTHS, thousands_formatter
from tracker.charts.palette import GRID
from tracker.charts.theme import SMALL_PT

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    from matplotlib.axes import Axes
    from numpy.typing import NDArray


SHORT_YEAR = "\u2019{:02d}"  # '’24', where full years do not fit


def style_axes(ax: Axes, *, thousands: bool = True) -> None:
    """Light horizontal grid, no left spine, thousands separators on y."""
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    if thousands:
        ax.yaxis.set_major_formatter(thousands_formatter())


def date_axis(ax: Axes, start: Any, end: Any) -> None:
    """One line of tick labels: for spans over 18 months, ticks between years and each year's
    label centred under its part of the axis (so the first and last years, partly shown, are
    labelled too); else months, with the year on January and on the first tick. English
    whatever the locale."""
    import pandas as pd
    from matplotlib.ticker import FuncFormatter

    days = (pd.Timestamp(end) - pd.Timestamp(start)).days
    if days > 540:
        year_axis(ax)
        return
    ax.xaxis.set_major_locator(_month_locator_class()(SMALL_PT + 0.5))
    ax.xaxis.set_major_formatter(FuncFormatter(month_label))


def month_label(value: float, pos: int | None = None) -> str:
    """'Jan 2025' on January and on the first tick, else 'Mar'."""
    from matplotlib.dates import num2date

    d = num2date(value)
    return f"{MONTHS[d.month - 1]} {d.year}" if d.month == 1 or pos == 0 else MONTHS[d.month - 1]


def year_axis(ax: Axes) -> None:
    """Ticks at the turn of each year, unlabelled, and each year's label centred under the part
    of it the axis shows (left out where that part is too narrow for it). The labels are the
    major ticks (of no length), so `tick_params(labelbottom=False)` hides them as usual; the
    year boundaries are minor ticks drawn as major ones look."""
    from matplotlib.dates import YearLocator
    from matplotlib.ticker import FuncFormatter, NullFormatter

    locator = year_middle_locator(SMALL_PT + 0.5)
    ax.xaxis.set_major_locator(locator)

    def fmt(value: float, _pos: int | None = None) -> str:
        year = _year_of(value)
        return SHORT_YEAR.format(year % 100) if locator.short else str(year)

    ax.xaxis.set_major_formatter(FuncFormatter(fmt))
    ax.xaxis.set_minor_locator(YearLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.tick_params(axis="x", which="major", length=0)
    ax.tick_params(axis="x", which="minor", length=3.0, width=0.6)


def _year_of(value: float) -> int:
    from matplotlib.dates import num2date

    return int(num2date(value).year)


@functools.cache
def _sized_locator_class() -> type:
    """The base of the locators below: ticks for labels of `size` points over the axis' view
    (made on first use, so that importing this module does not import matplotlib)."""
    from matplotlib.ticker import Locator

    class _SizedLocator(Locator):
        def __init__(self, size: float) -> None:
            self.size = size

        def __call__(self) -> Sequence[float]:
            if self.axis is None:
                return []
            lo, hi = self.axis.get_view_interval()
            return self.tick_values(lo, hi)

    return _SizedLocator


@functools.cache
def _year_middle_locator_class() -> type:
    """The class of YearMiddleLocator, made on first use (it subclasses a matplotlib class, and
    importing this module must not import matplotlib)."""
    from matplotlib.dates import date2num

    from tracker.charts.measure import text_width_pt

    class _YearMiddleLocator(_sized_locator_class()):  # type: ignore[misc]  # a class made at run time
        """Ticks in the middle of each calendar year's part of the view. Where labels of `size`
        points would be too close, they are shortened ('’24', `short`) if that fits more
        years; then the years shown longest win. A part of a year narrower than its label
        (padding around the data) gets none."""

        def __init__(self, size: float) -> None:
            super().__init__(size)
            self.short = False

        def tick_values(self, vmin: float, vmax: float) -> list[float]:
            import datetime as dt

            lo, hi = sorted((float(vmin), float(vmax)))
            parts = []  # (days shown, middle)
            for year in range(_year_of(lo), _year_of(hi) + 1):
                a = max(lo, float(date2num(dt.date(year, 1, 1))))
                b = min(hi, float(date2num(dt.date(year + 1, 1, 1))))
                if b > a:
                    parts.append((b - a, (a + b) / 2))
            axes: Axes | None = getattr(self.axis, "axes", None)
            if axes is None or hi <= lo:
                return [mid for _, mid in parts]
            days_per_pt = (hi - lo) / max(axes.get_window_extent().width, 1.0) * axes.figure.dpi / 72.0

            def fitting(label: str) -> list[float]:
                width = text_width_pt(axes.figure, label, self.size) * days_per_pt
                kept: list[float] = []
                for shown, mid in sorted(parts, key=lambda p: -p[0]):
                    if shown >= width and all(abs(mid - k) >= width + 3.0 * days_per_pt for k in kept):
                        kept.append(mid)
                return sorted(kept)

            full, short = fitting("2000"), fitting(SHORT_YEAR.format(0))
            self.short = len(short) > len(full)
            return short if self.short else full

    return _YearMiddleLocator


@functools.cache
def _month_locator_class() -> type:
    """The class of a locator of month starts every 1, 2, 3, 4, 6 or 12 months, the fewest
    months apart whose labels (month_label, `size` points) do not touch (made on first use)."""
    from matplotlib.dates import MonthLocator, num2date

    from tracker.charts.measure import text_width_pt

    class _FittingMonthLocator(_sized_locator_class()):  # type: ignore[misc]  # a class made at run time
        def tick_values(self, vmin: float, vmax: float) -> list[float]:
            lo, hi = sorted((float(vmin), float(vmax)))
            axes: Axes | None = getattr(self.axis, "axes", None)
            ticks: list[float] = []
            for step in (1, 2, 3, 4, 6, 12):
                found = MonthLocator(bymonth=range(1, 13, step)).tick_values(num2date(lo), num2date(hi))
                ticks = [float(t) for t in found]
                ticks = [t for t in ticks if lo <= t <= hi]
                if axes is None or len(ticks) < 2:
                    return ticks
                pt_per_day = axes.get_window_extent().width / (hi - lo) * 72.0 / axes.figure.dpi
                widths = [text_width_pt(axes.figure, month_label(t, i), self.size) for i, t in enumerate(ticks)]
                if all(
                    (ticks[i + 1] - ticks[i]) * pt_per_day >= (widths[i] + widths[i + 1]) / 2 + 4.0
                    for i in range(len(ticks) - 1)
                ):
                    return ticks
            return ticks

    return _FittingMonthLocator


def year_middle_locator(size: float) -> Any:
    """A locator of each year's middle within the view, for year_axis."""
    return _year_middle_locator_class()(size)


def period_axis(ax: Axes, start: Any, end: Any) -> None:
    """For bars of whole months: labels centred under each year (ticks between years), or under
    each month for spans up to two years."""
    import pandas as pd
    from matplotlib.dates import MonthLocator, YearLocator, num2date
    from matplotlib.ticker import FuncFormatter, NullFormatter

    days = (pd.Timestamp(end) - pd.Timestamp(start)).days
    if days > 730:
        year_axis(ax)
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


def date_numbers(values: Any) -> NDArray[np.float64]:
    """Dates as matplotlib date numbers (days since 1970), for fast collections."""
    import numpy as np
    import pandas as pd

    stamps = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[s]").astype("int64")
    return stamps / 86400.0 if len(stamps) else np.array([], dtype=float)
