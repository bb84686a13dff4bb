"""Records: deadliest day, its progression, top days, windows, periods, streaks, milestones.

Doubtful points (quality flags coarse / catch_up / outlier, lineage changes, increments that
span missing reports) are left out by default (`include_flagged=False`) because they are not
one-day figures: the +3,160 re-estimate of 2022-03-03 is not the deadliest day. Every result
returns what it left out and why, next to what it counted.

The records are computed once, on plain rows, by tracker.analysis.daily_rows (which `tracker records`
uses without pandas); each function here turns its daily frame into those rows (dates stay
Timestamps, each row keeps its `position` in the frame) and the rows' answer back into frames:
a table of days is the frame's own rows, so it keeps the frame's dtypes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

# The rules and words of records, shared with the records command's pandas-free path.
from tracker.analysis.daily_rows import DEADLIEST_WINDOW_DAYS as DEADLIEST_WINDOW_DAYS
from tracker.analysis.daily_rows import EXCLUDED_COLUMNS as EXCLUDED_COLUMNS
from tracker.analysis.daily_rows import (
    MILESTONE_COLUMNS,
    PERIOD_RECORD_COLUMNS,
    PROGRESSION_COLUMNS,
    ROW_COLUMNS,
    STREAK_COLUMNS,
    WINDOW_COLUMNS,
    DailyRows,
    Row,
    RowRecord,
    Table,
    deadliest_day_record,
    default_threshold,
    excluded_summary_rows,
    milestone_record,
    period_record,
    progression_record,
    split_rows,
    streak_record,
    top_days_record,
    window_record,
)
from tracker.analysis.daily_rows import NO_INCREMENT_REASON as NO_INCREMENT_REASON
from tracker.analysis.daily_rows import REASON_TEXT as REASON_TEXT
from tracker.analysis.daily_rows import STREAK_DEFAULT_QUANTILE as STREAK_DEFAULT_QUANTILE
from tracker.analysis.daily_rows import SUMMARY_COLUMNS as SUMMARY_COLUMNS
from tracker.analysis.daily_rows import RecordWords as RecordWords
from tracker.analysis.daily_rows import record_words as record_words
from tracker.analysis.series import CONVENTION_TEXT
from tracker.domain import METRICS

# The columns of a daily frame that records read.
_DAY_COLUMNS = ("date", "report_date", "total", "increment", "span_days", "flags", "flag_reasons", "doubtful")


def _rows(frame: pd.DataFrame, columns: tuple[str, ...] = _DAY_COLUMNS) -> DailyRows:
    """The frame's columns as recordrows' rows: Timestamps stay Timestamps, a missing value is
    None (flags and reasons ""), doubtful is a bool, and each row has its `position`."""
    values: list[list[Any]] = []
    for c in columns:
        column = frame[c]
        if c == "doubtful":
            values.append(column.astype(bool).tolist())
        elif c in ("flags", "flag_reasons"):
            values.append(column.astype(object).fillna("").tolist())
        else:
            values.append(column.astype(object).where(column.notna(), None).tolist())
    rows = [{**dict(zip(columns, row)), "position": i} for i, row in enumerate(zip(*values))]
    return DailyRows(rows)


def _na(value: Any, missing: Any) -> Any:
    return missing if value is None else value


@dataclass(frozen=True)
class RecordResult:
    """A record table, what it left out (with reasons), and the convention it used."""

    name: str
    table: pd.DataFrame
    excluded: pd.DataFrame
    by: str
    note: str = ""


@dataclass(frozen=True)
class Records:
    """Every record of one series, with the days counted and the days left out."""

    metric: str
    by: str
    include_flagged: bool
    counted_days: int
    excluded: pd.DataFrame
    results: dict[str, RecordResult] = field(default_factory=dict)

    def __getitem__(self, name: str) -> RecordResult:
        return self.results[name]

    @property
    def convention(self) -> str:
        return CONVENTION_TEXT[self.by]


def _by(daily: pd.DataFrame) -> str:
    by: str = daily.attrs.get("by", "report")
    return by


class _Split:
    """A daily frame, its rows, and their split into counted and excluded days: made once per
    call of a record (or once for all of records())."""

    def __init__(self, daily: pd.DataFrame, include_flagged: bool) -> None:
        self.daily = daily
        self.include_flagged = include_flagged
        self.rows = _rows(daily)
        self.counted, self.excluded_rows = split_rows(self.rows, include_flagged)

    @cached_property
    def excluded(self) -> pd.DataFrame:
        """The excluded days: the frame's rows, EXCLUDED_COLUMNS, each with its `reason`."""
        excluded = self.daily.iloc[[r["position"] for r in self.excluded_rows]].copy()
        excluded["reason"] = pd.Series([r["reason"] for r in self.excluded_rows], index=excluded.index, dtype=object)
        return excluded[EXCLUDED_COLUMNS].reset_index(drop=True)

    def left_out(self) -> pd.DataFrame:
        return self.excluded.copy(deep=False)  # copy-on-write: a caller's change stays its own

    def days(self, rows: list[Row]) -> pd.DataFrame:
        """The frame's own rows (all columns) for these rows, in their order, indexed from 0."""
        return self.daily.iloc[[r["position"] for r in rows]].reset_index(drop=True)

    def result(self, name: str, table: pd.DataFrame, record: RowRecord) -> RecordResult:
        return RecordResult(name, table, self.left_out(), _by(self.daily), record.note)


def split_counted(daily: pd.DataFrame, *, include_flagged: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(counted days, excluded days with a `reason`): what records may use, and what not.

    A day without an increment (the first report of a category that appeared later) is never
    counted; a doubtful day is counted only with include_flagged.
    """
    split = _Split(daily, include_flagged)
    counted = split.days(split.counted)
    counted.attrs.update(daily.attrs)
    return counted, split.left_out()


def excluded_summary(excluded: pd.DataFrame) -> pd.DataFrame:
    """The days left out of the day records, counted by reason (a day may have several): the
    reason's name, what it means, how many days, the first and last of them."""
    rows = _rows(excluded, ("date", "flags", "span_days", "increment")).rows
    return pd.DataFrame(excluded_summary_rows(Table(EXCLUDED_COLUMNS, rows)).rows, columns=SUMMARY_COLUMNS)


def deadliest_day(daily: pd.DataFrame, *, include_flagged: bool = False) -> RecordResult:
    """The day with the highest increment (the earliest if tied)."""
    return _deadliest_day(_Split(daily, include_flagged))


def _deadliest_day(split: _Split) -> RecordResult:
    record = deadliest_day_record(split.counted)
    return split.result("deadliest_day", split.days(record.rows)[ROW_COLUMNS], record)


def record_progression(daily: pd.DataFrame, *, include_flagged: bool = False) -> RecordResult:
    """Each day that set a new record: its value, the previous peak (date, value), the margin."""
    return _record_progression(_Split(daily, include_flagged))


def _record_progression(split: _Split) -> RecordResult:
    record = progression_record(split.counted)
    flags = split.daily["flags"].tolist()
    rows = [
        {**r, "previous_date": _na(r["previous_date"], pd.NaT), "previous_increment": _na(r["previous_increment"], np.nan),
         "margin": _na(r["margin"], np.nan), "flags": flags[r["position"]]}
        for r in record.rows
    ]  # fmt: skip
    return split.result("record_progression", pd.DataFrame(rows, columns=PROGRESSION_COLUMNS), record)


def top_days(daily: pd.DataFrame, n: int = 10, *, include_flagged: bool = False) -> RecordResult:
    """The n days with the highest increments, ranked (ties share the earlier date's order)."""
    return _top_days(_Split(daily, include_flagged), n)


def _top_days(split: _Split, n: int) -> RecordResult:
    record = top_days_record(split.counted, n)
    table = split.days(record.rows)[ROW_COLUMNS]
    table.insert(0, "rank", range(1, len(table) + 1))
    return split.result("top_days", table, record)


def deadliest_window(
    daily: pd.DataFrame, days: int = DEADLIEST_WINDOW_DAYS, *, include_flagged: bool = False
) -> RecordResult:
    """The `days` consecutive days with the highest total; only windows of counted days."""
    return _deadliest_window(_Split(daily, include_flagged), days)


def _deadliest_window(split: _Split, days: int) -> RecordResult:
    record = window_record(split.counted, days)
    table = pd.DataFrame(record.rows, columns=WINDOW_COLUMNS) if record.rows else pd.DataFrame(columns=WINDOW_COLUMNS)
    return split.result(f"deadliest_{days}_days", table, record)


def deadliest_period(daily: pd.DataFrame, period: str = "month", *, include_flagged: bool = False) -> RecordResult:
    """The calendar month or year with the highest total.

    A period holding doubtful days is left out unless include_flagged (its total rests on
    figures that are not one-day counts); the excluded periods are returned with the reason.
    """
    if period not in ("month", "year"):
        raise ValueError("period must be 'month' or 'year'")
    return _deadliest_period(_Split(daily, include_flagged), period)


def _deadliest_period(split: _Split, period: str) -> RecordResult:
    record = period_record(split.rows, period, split.include_flagged)
    # every period as one frame (as tracker.analysis.averages.period_table gives them), then cut
    if record.periods:
        table = pd.DataFrame({c: [p[c] for p in record.periods] for c in PERIOD_RECORD_COLUMNS})
    else:
        table = pd.DataFrame(columns=PERIOD_RECORD_COLUMNS)
    table.attrs.update(split.daily.attrs)
    excluded = table.iloc[[p["position"] for p in record.excluded]].copy()
    excluded["reason"] = [p["reason"] for p in record.excluded]
    best = table.iloc[[p["position"] for p in record.best]].reset_index(drop=True)
    return RecordResult(f"deadliest_{period}", best, excluded.reset_index(drop=True), _by(split.daily), record.note)


def default_streak_threshold(daily: pd.DataFrame, *, include_flagged: bool = False) -> int:
    """The 90th percentile of counted increments, rounded down to two significant digits."""
    return default_threshold(_Split(daily, include_flagged).counted)


def streaks(
    daily: pd.DataFrame, threshold: float | None = None, *, top: int = 10, include_flagged: bool = False
) -> RecordResult:
    """Runs of consecutive days at or above `threshold`, longest first.

    A missing or excluded day ends a run: a streak is only as long as the days we can vouch for.
    """
    return _streaks(_Split(daily, include_flagged), threshold, top)


def _streaks(split: _Split, threshold: float | None, top: int) -> RecordResult:
    if threshold is None:
        threshold = default_threshold(split.counted)
    record = streak_record(split.counted, threshold)
    table = pd.DataFrame(record.rows, columns=STREAK_COLUMNS)
    if not table.empty:
        table = table.head(max(top, 0)).reset_index(drop=True)
    return split.result("streaks", table, record)


def milestones(daily: pd.DataFrame, step: int | None = None, *, metric: str | None = None) -> RecordResult:
    """The report on which each multiple of `step` was first passed (by the cumulative total).

    Milestones rest on totals, not increments, so no day is left out; a milestone passed on a
    flagged report carries its flags.
    """
    return _milestones(daily, None, step, metric)


def _milestones(daily: pd.DataFrame, rows: DailyRows | None, step: int | None, metric: str | None) -> RecordResult:
    metric = metric or daily.attrs.get("metric") or ""
    if step is None:
        if metric not in METRICS:
            raise ValueError("milestones need a step or a known metric")
        step = METRICS[metric].milestone_step
    if rows is None:
        rows = _rows(daily, ("date", "report_date", "total", "increment"))
    record = milestone_record(rows, step)
    flags = daily["flags"].tolist()
    table = pd.DataFrame(
        [{**r, "increment": _na(r["increment"], np.nan), "flags": flags[r["position"]]} for r in record.rows],
        columns=MILESTONE_COLUMNS,
    )
    return RecordResult("milestones", table, pd.DataFrame(columns=EXCLUDED_COLUMNS), _by(daily), record.note)


def records(
    daily: pd.DataFrame,
    *,
    top: int = 10,
    streak_threshold: float | None = None,
    milestone_step: int | None = None,
    include_flagged: bool = False,
    metric: str | None = None,
) -> Records:
    """All records of one daily series (see daily_series), with what each left out."""
    metric = metric or daily.attrs.get("metric") or ""
    split = _Split(daily, include_flagged)
    results = [
        _deadliest_day(split),
        _record_progression(split),
        _top_days(split, top),
        _deadliest_window(split, DEADLIEST_WINDOW_DAYS),
        _deadliest_period(split, "month"),
        _deadliest_period(split, "year"),
        _streaks(split, streak_threshold, top),
    ]
    if metric in METRICS or milestone_step is not None:
        results.append(_milestones(daily, split.rows, milestone_step, metric))
    return Records(
        metric=metric,
        by=_by(daily),
        include_flagged=include_flagged,
        counted_days=len(split.counted),
        excluded=split.left_out(),
        results={r.name: r for r in results},
    )
