"""`tracker records` computed on DataFrames (tracker.analysis.record_frames, the notebook API): the
reference the command's pandas-free rows path (tracker.reports.outputs.records_rows_output) is
held to, to the byte, by tests/test_records_fast.py. The command never runs it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from tracker.analysis import default_streak_threshold, records
from tracker.analysis.record_frames import excluded_summary
from tracker.domain import METRICS
from tracker.reports.options import ReportOptions, refuse_documented
from tracker.reports.outputs import RecordsShown, _check_record_table, _linked, _records_text


def records_output(
    opts: ReportOptions,
    daily: pd.DataFrame,
    *,
    top: int,
    streak_threshold: float | None,
    milestone_step: int | None,
    explain: bool = False,
    table: str | None = None,
    urls: Mapping[dt.date, str] | None = None,
) -> str:
    """The records of the daily frame in the requested format, as records_rows_output words them.

    The table is short: the days left out are counted by reason (`explain` lists every one, and
    the months and years left out with why); JSON holds everything; CSV is one table, `table`
    (top_days by default). Given `table`, every format shows that table alone. With `urls` (report
    date -> official page) each day's row carries its `source_url`."""
    refuse_documented(daily, "daily records")
    _check_record_table(table)
    threshold = (
        streak_threshold
        if streak_threshold is not None
        else default_streak_threshold(daily, include_flagged=opts.include_flagged)
    )
    step = milestone_step or METRICS[opts.metric].milestone_step
    rec = records(
        daily,
        top=top,
        streak_threshold=threshold,
        milestone_step=step,
        include_flagged=opts.include_flagged,
        metric=opts.metric,
    )
    r = rec.results
    tables: dict[str, Any] = {name: res.table for name, res in r.items()}
    tables.update(
        excluded=rec.excluded,
        excluded_summary=excluded_summary(rec.excluded),
        excluded_months=r["deadliest_month"].excluded,
        excluded_years=r["deadliest_year"].excluded,
    )
    notes = {name: res.note for name, res in r.items()}
    shown = RecordsShown(rec.counted_days, _linked(tables, urls, opts), notes, top, threshold, step)
    return _records_text(opts, daily, shown, explain=explain, table=table)
