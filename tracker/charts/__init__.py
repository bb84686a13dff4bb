"""Charts for articles: pure drawing functions (DataFrames in, a matplotlib Figure out), their
palette, layout, labels and output, and `build`, which loads from the store and saves.

From a notebook::

    import datetime as dt
    from tracker.analysis import daily_series
    from tracker.charts import ChartOptions, daily_chart, save
    fig = daily_chart(daily_series(obs, metric="personnel"))
    save(fig, "daily.png")   # or display `fig` as it is
    wide = ChartOptions(since=dt.date(2024, 1, 1), size=(2400, 900))  # every chart takes these alike
    save(daily_chart(daily_series(obs, metric="personnel"), options=wide), "daily-2024.png")

Importing this package does not import matplotlib: that happens when a chart is drawn.
"""

from tracker.charts.compare import compare_chart
from tracker.charts.cumulative import cumulative_chart
from tracker.charts.daily import daily_chart
from tracker.charts.equipment import equipment_chart
from tracker.charts.layout import DEFAULT_DPI, DEFAULT_SIZE, ChartOptions
from tracker.charts.monthly import monthly_chart
from tracker.charts.output import generated_date, save

__all__ = [
    "ChartOptions",
    "DEFAULT_DPI",
    "DEFAULT_SIZE",
    "compare_chart",
    "cumulative_chart",
    "daily_chart",
    "equipment_chart",
    "generated_date",
    "monthly_chart",
    "save",
]
