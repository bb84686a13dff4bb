"""Charts for articles: pure drawing functions (DataFrames in, a matplotlib Figure out), their
palette, layout, labels and output, and `build`, which loads from the store and saves.

From a notebook::

    from tracker.analysis import daily_series
    from tracker.charts import daily_chart, save
    fig = daily_chart(daily_series(obs, metric="personnel"))
    save(fig, "daily.png")   # or display `fig` as it is

Importing this package does not import matplotlib: that happens when a chart is drawn.
"""

from tracker.charts.compare import compare_chart
from tracker.charts.cumulative import cumulative_chart
from tracker.charts.daily import daily_chart
from tracker.charts.equipment import equipment_chart
from tracker.charts.layout import DEFAULT_DPI, DEFAULT_SIZE
from tracker.charts.monthly import monthly_chart
from tracker.charts.output import generated_date, save

__all__ = [
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
