"""Records: deadliest day, its progression, top days, windows, periods, streaks, milestones.

Doubtful points (quality flags coarse / catch_up / outlier, lineage changes, increments that
span missing reports) are left out by default (`include_flagged=False`) because they are not
one-day figures: the +3,160 re-estimate of 2022-03-03 is not the deadliest day. Every result
returns what it left out and why, next to what it counted.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from tracker.analysis.averages import period_table
from tracker.analysis.series import CONVENTION_TEXT
from tracker.metrics import METRICS

# The rules and words of records, shared with the records command's pandas-free path.
from tracker.recordrows import DEADLIEST_WINDOW_DAYS as DEADLIEST_WINDOW_DAYS
from tracker.recordrows import EXCLUDED_COLUMNS as EXCLUDED_COLUMNS
from tracker.recordrows import NO_INCREMENT_REASON as NO_INCREMENT_REASON
from tracker.recordrows import REASON_TEXT as REASON_TEXT
from tracker.recordrows import STREAK_DEFAULT_QUANTILE as STREAK_DEFAULT_QUANTILE
from tracker.recordrows import SUMMARY_COLUMNS as SUMMARY_COLUMNS
from tracker.recordrows import RecordWords as RecordWords
from tracker.recordrows import record_words as record_words


def excluded_summary(excluded: pd.DataFrame) -> pd.DataFrame:
    """The days left out of the day records, counted by reason (a day may have several): the
    reason's name, what it means, how many days, the first and last of them."""
    counts: dict[str, list[pd.Timestamp]] = {}
    for date, flags, span, increment in zip(
        excluded["date"], excluded["flags"].fillna(""), excluded["span_days"], excluded["increment"]
    ):
        names = [f for f in str(flags).split(";") if f in REASON_TEXT]
        if pd.isna(increment):
            names = ["no_increment"]
        elif span > 1 and "gap" not in names:
            names.append("span")
        for name in names or ["other"]:
            counts.setdefault(name, []).append(date)
    rows = [
        {"reason": name, "meaning": REASON_TEXT[name], "days": len(counts[name]), "first": min(counts[name]),
         "last": max(counts[name])}
        for name in REASON_TEXT
        if name in counts
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


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


# Within one records() call every record asks for the same split of the same frame: it is made
# once (keyed by the frame's identity, which the call keeps alive) and handed out as copies.
_SPLITS: ContextVar[dict[tuple[int, bool], tuple[pd.DataFrame, pd.DataFrame]] | None] = ContextVar(
    "_SPLITS", default=None
)


def split_counted(daily: pd.DataFrame, *, include_flagged: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(counted days, excluded days with a `reason`): what records may use, and what not.

    A day without an increment (the first report of a category that appeared later) is never
    counted; a doubtful day is counted only with include_flagged.
    """
    memo = _SPLITS.get()
    if memo is None:
        return _split_counted(daily, include_flagged)
    key = (id(daily), include_flagged)
    if key not in memo:
        memo[key] = _split_counted(daily, include_flagged)
    counted, excluded = memo[key]
    return counted.copy(deep=False), excluded.copy(deep=False)  # copy-on-write: a caller's change stays its own


def _split_counted(daily: pd.DataFrame, include_flagged: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    no_increment = daily["increment"].isna()
    doubtful = daily["doubtful"].astype(bool) & ~no_increment & (not include_flagged)
    counted = daily.loc[~no_increment & ~doubtful].reset_index(drop=True)
    excluded = daily.loc[no_increment | doubtful].copy()
    reasons = excluded["flag_reasons"].astype(object).fillna("")
    long_span = (excluded["span_days"] > 1) & ~excluded["flags"].str.contains("gap", regex=False)
    span_note = "spans " + excluded["span_days"].fillna(0).astype(int).astype(str) + " days"
    reasons = reasons.where(~long_span, (reasons + " | " + span_note).str.removeprefix(" | "))
    reasons = reasons.where(reasons != "", "doubtful")
    excluded["reason"] = reasons.where(excluded["increment"].notna(), NO_INCREMENT_REASON)
    excluded = excluded[EXCLUDED_COLUMNS].reset_index(drop=True)
    counted.attrs.update(daily.attrs)
    return counted, excluded


def _row_table(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[["date", "report_date", "increment", "total", "flags"]].reset_index(drop=True)


def deadliest_day(daily: pd.DataFrame, *, include_flagged: bool = False) -> RecordResult:
    """The day with the highest increment (the earliest if tied)."""
    counted, excluded = split_counted(daily, include_flagged=include_flagged)
    if counted.empty:
        return RecordResult("deadliest_day", _row_table(counted), excluded, _by(daily), "no day counted")
    best = counted.sort_values(["increment", "date"], ascending=[False, True], kind="stable").head(1)
    return RecordResult(
        "deadliest_day", _row_table(best), excluded, _by(daily), f"highest of {len(counted):,} days counted"
    )


def record_progression(daily: pd.DataFrame, *, include_flagged: bool = False) -> RecordResult:
    """Each day that set a new record: its value, the previous peak (date, value), the margin."""
    counted, excluded = split_counted(daily, include_flagged=include_flagged)
    inc = counted["increment"].to_numpy()
    rows = []
    peak_i = -1
    for i in range(len(inc)):
        if peak_i < 0 or inc[i] > inc[peak_i]:
            prev = counted.iloc[peak_i] if peak_i >= 0 else None
            row = counted.iloc[i]
            rows.append(
                {
                    "date": row["date"],
                    "report_date": row["report_date"],
                    "increment": row["increment"],
                    "total": row["total"],
                    "previous_date": prev["date"] if prev is not None else pd.NaT,
                    "previous_increment": prev["increment"] if prev is not None else np.nan,
                    "margin": row["increment"] - prev["increment"] if prev is not None else np.nan,
                    "flags": row["flags"],
                }
            )
            peak_i = i
    table = pd.DataFrame(
        rows,
        columns=["date", "report_date", "increment", "total", "previous_date", "previous_increment", "margin", "flags"],
    )
    return RecordResult(
        "record_progression", table, excluded, _by(daily), f"{len(table)} records among {len(counted):,} days counted"
    )


def top_days(daily: pd.DataFrame, n: int = 10, *, include_flagged: bool = False) -> RecordResult:
    """The n days with the highest increments, ranked (ties share the earlier date's order)."""
    counted, excluded = split_counted(daily, include_flagged=include_flagged)
    top = counted.sort_values(["increment", "date"], ascending=[False, True], kind="stable").head(max(n, 0))
    table = _row_table(top)
    table.insert(0, "rank", range(1, len(table) + 1))
    return RecordResult("top_days", table, excluded, _by(daily), f"top {len(table)} of {len(counted):,} days counted")


def _calendar(counted: pd.DataFrame) -> pd.Series:
    """Counted increments on a complete calendar (NaN where a day is missing or excluded)."""
    if counted.empty:
        return pd.Series(dtype="float64")
    s = counted.set_index("date")["increment"]
    full = pd.date_range(s.index.min(), s.index.max(), freq="D")
    return s.reindex(full)


def deadliest_window(
    daily: pd.DataFrame, days: int = DEADLIEST_WINDOW_DAYS, *, include_flagged: bool = False
) -> RecordResult:
    """The `days` consecutive days with the highest total; only windows of counted days."""
    counted, excluded = split_counted(daily, include_flagged=include_flagged)
    cal = _calendar(counted)
    sums = cal.rolling(days, min_periods=days).sum() if len(cal) else cal
    cols = ["start", "end", "days", "total", "daily_average"]
    if sums.dropna().empty:
        return RecordResult(
            f"deadliest_{days}_days",
            pd.DataFrame(columns=cols),
            excluded,
            _by(daily),
            f"no {days} consecutive counted days",
        )
    end = cast(pd.Timestamp, sums.idxmax())  # the calendar is indexed by day
    total = sums.loc[end]
    table = pd.DataFrame(
        [
            {
                "start": end - pd.Timedelta(days=days - 1),
                "end": end,
                "days": days,
                "total": total,
                "daily_average": total / days,
            }
        ],
        columns=cols,
    )
    windows = int(sums.notna().sum())
    return RecordResult(
        f"deadliest_{days}_days",
        table,
        excluded,
        _by(daily),
        f"highest of {windows:,} windows of {days} consecutive counted days; "
        "windows touching an excluded or missing day are left out",
    )


def deadliest_period(daily: pd.DataFrame, period: str = "month", *, include_flagged: bool = False) -> RecordResult:
    """The calendar month or year with the highest total.

    A period holding doubtful days is left out unless include_flagged (its total rests on
    figures that are not one-day counts); the excluded periods are returned with the reason.
    """
    if period not in ("month", "year"):
        raise ValueError("period must be 'month' or 'year'")
    cols = ["period", "start", "end", "days", "total", "daily_average", "complete", "flagged_days"]
    table = period_table(daily, period)
    flag_names = _flags_per_period(daily, period)
    bad = (table["flagged_days"] > 0) & (not include_flagged)
    excluded = table.loc[bad, cols].copy()
    excluded["reason"] = [
        f"contains {n} doubtful day{'s' if n > 1 else ''} ({', '.join(flag_names.get(p, []))})"
        for p, n in zip(excluded["period"], excluded["flagged_days"])
    ]
    eligible = table.loc[~bad]
    best = eligible.sort_values(["total", "start"], ascending=[False, True], kind="stable").head(1)
    note = f"highest of {len(eligible)} {period}s counted"
    if not best.empty and not bool(best["complete"].iloc[0]):
        note += f"; that {period} is incomplete"
    return RecordResult(
        f"deadliest_{period}", best[cols].reset_index(drop=True), excluded.reset_index(drop=True), _by(daily), note
    )


def _flags_per_period(daily: pd.DataFrame, period: str) -> dict[str, list[str]]:
    rows = daily.loc[daily["doubtful"].astype(bool) & daily["increment"].notna()]
    labels = rows["date"].dt.strftime("%Y-%m" if period == "month" else "%Y")
    out: dict[str, set[str]] = {}
    for label, flags, span in zip(labels, rows["flags"], rows["span_days"]):
        names = {f for f in flags.split(";") if f}
        if span > 1:
            names.add("gap")
        out.setdefault(label, set()).update(names)
    return {k: sorted(v) for k, v in out.items()}


def default_streak_threshold(daily: pd.DataFrame, *, include_flagged: bool = False) -> int:
    """The 90th percentile of counted increments, rounded down to two significant digits."""
    counted, _ = split_counted(daily, include_flagged=include_flagged)
    if counted.empty:
        return 1
    q = float(counted["increment"].quantile(STREAK_DEFAULT_QUANTILE))
    if q < 1:
        return 1
    magnitude = 10 ** max(int(math.floor(math.log10(q))) - 1, 0)
    return int(q // magnitude * magnitude)


def streaks(
    daily: pd.DataFrame, threshold: float | None = None, *, top: int = 10, include_flagged: bool = False
) -> RecordResult:
    """Runs of consecutive days at or above `threshold`, longest first.

    A missing or excluded day ends a run: a streak is only as long as the days we can vouch for.
    """
    if threshold is None:
        threshold = default_streak_threshold(daily, include_flagged=include_flagged)
    counted, excluded = split_counted(daily, include_flagged=include_flagged)
    cal = _calendar(counted)
    cols = ["start", "end", "days", "total", "minimum", "current"]
    hit = (cal >= threshold).to_numpy() if len(cal) else np.array([], dtype=bool)
    runs = []
    start = None
    for i, h in enumerate(hit):
        if h and start is None:
            start = i
        if (not h or i == len(hit) - 1) and start is not None:
            end = i if h else i - 1
            vals = cal.iloc[start : end + 1]
            runs.append(
                {
                    "start": cal.index[start],
                    "end": cal.index[end],
                    "days": end - start + 1,
                    "total": vals.sum(),
                    "minimum": vals.min(),
                    "current": bool(h and i == len(hit) - 1),
                }
            )
            start = None
    table = pd.DataFrame(runs, columns=cols)
    if not table.empty:
        table = table.sort_values(["days", "total"], ascending=[False, False], kind="stable")
        table = table.head(max(top, 0)).reset_index(drop=True)
    return RecordResult(
        "streaks",
        table,
        excluded,
        _by(daily),
        f"{len(runs)} runs of days at or above {threshold:,g}",
    )


def milestones(daily: pd.DataFrame, step: int | None = None, *, metric: str | None = None) -> RecordResult:
    """The report on which each multiple of `step` was first passed (by the cumulative total).

    Milestones rest on totals, not increments, so no day is left out; a milestone passed on a
    flagged report carries its flags.
    """
    metric = metric or daily.attrs.get("metric") or ""
    if step is None:
        if metric not in METRICS:
            raise ValueError("milestones need a step or a known metric")
        step = METRICS[metric].milestone_step
    if step <= 0:
        raise ValueError("milestone step must be positive")
    cols = ["milestone", "date", "report_date", "total", "increment", "flags"]
    rows = []
    reached = 0
    for row in daily.itertuples(index=False):
        total = cast(int, row.total)  # the daily frame's totals are int64
        while total >= (reached + 1) * step:
            reached += 1
            rows.append(
                {
                    "milestone": reached * step,
                    "date": row.date,
                    "report_date": row.report_date,
                    "total": row.total,
                    "increment": row.increment,
                    "flags": row.flags,
                }
            )
    excluded = pd.DataFrame(columns=EXCLUDED_COLUMNS)
    return RecordResult("milestones", pd.DataFrame(rows, columns=cols), excluded, _by(daily), f"every {step:,} passed")


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
    token = _SPLITS.set({})
    try:
        return _records(daily, top, streak_threshold, milestone_step, include_flagged, metric)
    finally:
        _SPLITS.reset(token)


def _records(
    daily: pd.DataFrame,
    top: int,
    streak_threshold: float | None,
    milestone_step: int | None,
    include_flagged: bool,
    metric: str | None,
) -> Records:
    metric = metric or daily.attrs.get("metric") or ""
    counted, excluded = split_counted(daily, include_flagged=include_flagged)
    if streak_threshold is None:
        streak_threshold = default_streak_threshold(daily, include_flagged=include_flagged)
    results = [
        deadliest_day(daily, include_flagged=include_flagged),
        record_progression(daily, include_flagged=include_flagged),
        top_days(daily, top, include_flagged=include_flagged),
        deadliest_window(daily, DEADLIEST_WINDOW_DAYS, include_flagged=include_flagged),
        deadliest_period(daily, "month", include_flagged=include_flagged),
        deadliest_period(daily, "year", include_flagged=include_flagged),
        streaks(daily, streak_threshold, top=top, include_flagged=include_flagged),
    ]
    if metric in METRICS or milestone_step is not None:
        results.append(milestones(daily, milestone_step, metric=metric))
    return Records(
        metric=metric,
        by=_by(daily),
        include_flagged=include_flagged,
        counted_days=len(counted),
        excluded=excluded,
        results={r.name: r for r in results},
    )
