"""How an axes looks: a light grid and thousands separators on y, one line of English date labels on
x, and dates as matplotlib date numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracker.charts.formats import MONTHS, thousands_formatter
from tracker.charts.palette import GRID

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from numpy.typing import NDArray


def style_axes(ax: Axes, *, thousands: bool = True) -> None:
    """Light horizontal grid, no left spine, thousands separators on y."""
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    if thousands:
        ax.yaxis.set_major_formatter(thousands_formatter())


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


def date_numbers(values: Any) -> NDArray[np.float64]:
    """Dates as matplotlib date numbers (days since 1970), for fast collections."""
    import numpy as np
    import pandas as pd

    stamps = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[s]").astype("int64")
    return stamps / 86400.0 if len(stamps) else np.array([], dtype=float)
