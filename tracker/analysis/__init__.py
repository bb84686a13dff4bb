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

if TYPE_CHECKING:
    from tracker.analysis.averages import PERIODS, average_between, period_table, rolling_average
    from tracker.analysis.compare import CLOSE_TOLERANCE, compare_claims
    from tracker.analysis.headline import Headline, headline
    from tracker.analysis.record_frames import (
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

# Every name is imported from its module when first asked for, so that the rows path
# (tracker.analysis.daily_rows, tracker.analysis.reconcile: `tracker records`, `tracker
# reconcile`) never imports pandas through this package.
_LAZY = {
    **dict.fromkeys(["PERIODS", "average_between", "period_table", "rolling_average"], "averages"),
    **dict.fromkeys(["CLOSE_TOLERANCE", "compare_claims"], "compare"),
    **dict.fromkeys(["Headline", "headline"], "headline"),
    **dict.fromkeys(
        [
            "RecordResult",
            "Records",
            "deadliest_day",
            "deadliest_period",
            "deadliest_window",
            "default_streak_threshold",
            "milestones",
            "record_progression",
            "records",
            "split_counted",
            "streaks",
            "top_days",
        ],
        "record_frames",
    ),
    **dict.fromkeys(
        ["BY_COVERED", "BY_REPORT", "CONVENTION_TEXT", "CONVENTIONS", "between", "daily_series", "up_to_report"],
        "series",
    ),
}


def __getattr__(name: str) -> Any:
    """`from tracker.analysis import daily_series`: the name from its module, on first use."""
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
