"""Analysis, pure (rows or DataFrames in, rows or DataFrames out, no I/O): the daily series,
records, averages, headline, trend, claims judged and set side by side, feeds reconciled.

Start from an observations frame (``tracker.store.queries.observations_frame``) and turn it
into a daily series; records, averages and the headline all work on that::

    from tracker.analysis import daily_series, records, period_table, headline
    daily = daily_series(obs, by="covered", metric="personnel")
    records(daily)["deadliest_day"].table
    period_table(daily, "month")
    headline(daily).text

Every output says which convention it used (``by``: report date or covered day).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tracker.analysis.averages import PERIODS, average_between, period_table, rolling_average
from tracker.analysis.headline import Headline, headline
from tracker.analysis.records import (
    RecordResult,
    Records,
    deadliest_day,
    deadliest_period,
    deadliest_window,
    default_streak_threshold,
    milestones,
    record_progression,
    records,
    split_counted,
    streaks,
    top_days,
)
from tracker.analysis.series import (
    BY_COVERED,
    BY_REPORT,
    CONVENTION_TEXT,
    CONVENTIONS,
    between,
    daily_series,
    up_to_report,
)

if TYPE_CHECKING:
    from tracker.analysis.compare import CLOSE_TOLERANCE, compare_claims

# The claims comparison (and the claims model it reads) is imported when first asked for: the
# series reports never use it. Only names that are not also a module's name can be lazy (importing
# tracker.analysis.records sets the package's `records` to the module).
_LAZY = {"CLOSE_TOLERANCE": "compare", "compare_claims": "compare"}


def __getattr__(name: str) -> Any:
    """`from tracker.analysis import compare_claims`: the name from its module, on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BY_COVERED",
    "BY_REPORT",
    "CLOSE_TOLERANCE",
    "compare_claims",
    "CONVENTIONS",
    "CONVENTION_TEXT",
    "PERIODS",
    "Headline",
    "RecordResult",
    "Records",
    "average_between",
    "between",
    "daily_series",
    "deadliest_day",
    "deadliest_period",
    "deadliest_window",
    "default_streak_threshold",
    "headline",
    "milestones",
    "period_table",
    "record_progression",
    "records",
    "rolling_average",
    "split_counted",
    "streaks",
    "top_days",
    "up_to_report",
]
