"""Averages and totals per day, week, month, year or any span, and rolling averages.

A period's total is the sum of its days' increments, i.e. the difference of its bounding
cumulative totals less the documented adjustments inside it: under `by="covered"`, September
2024 is total(report 2024-10-01) - total(report 2024-09-01); under `by="report"` it is
total(report 2024-09-30) - total(report 2024-08-31). The table shows both bounding totals so a
reader can check. Flagged days ARE counted here (an average smooths a catch-up back over the
days it covers); each period says how many flagged days it contains.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

PERIODS = ("day", "week", "month", "year", "all")
_PERIOD_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "year": "Y"}

PERIOD_COLUMNS = [
    "period",
    "start",
    "end",
    "days",
    "reports",
    "total",
    "daily_average",
    "flagged_days",
    "complete",
    "total_before",
    "total_at_end",
    "adjustments",
    "previous_average",
    "change_vs_previous_pct",
    "year_ago_average",
    "change_vs_year_ago_pct",
]
ROLLING_COLUMNS = ["date", "increment", "rolling_total", "rolling_days", "rolling_average", "flagged_days"]


def _label(p: pd.Period, period: str) -> str:
    if period == "week":
        iso = p.start_time.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if period == "day":
        return p.start_time.strftime("%Y-%m-%d")
    return str(p)


def _year_ago(p: pd.Period, period: str) -> pd.Period:
    if period == "month":
        return p - 12
    if period == "year":
        return p - 1
    if period == "week":
        return p - 52  # 52 weeks earlier: the same weekdays a year before
    return pd.Period(p.start_time - pd.DateOffset(years=1), freq="D")


def _pct(now: pd.Series, before: pd.Series) -> pd.Series:
    out = (now / before - 1.0) * 100.0
    return out.where(before > 0)


def _attach(out: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    out.attrs.update(daily.attrs)
    return out


def period_table(daily: pd.DataFrame, period: str = "month", *, context: pd.DataFrame | None = None) -> pd.DataFrame:
    """Totals and daily averages per period, with day counts, flags and changes.

    `days` counts the calendar days the period's increments cover (an increment after missing
    reports covers several); `complete` says whether that is every day of the period. Changes
    compare daily averages: vs the previous period and vs the same period a year earlier
    (for weeks: 52 weeks earlier), in percent. `context` (the whole series, when `daily` is a
    cut of it) supplies the earlier periods those changes compare with.
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; use one of: {', '.join(PERIODS)}")
    rows = daily.loc[daily["increment"].notna()]
    if rows.empty:
        return _attach(pd.DataFrame(columns=PERIOD_COLUMNS), daily)
    dates = rows["date"]
    if period == "all":
        keys = pd.Series(["all"] * len(rows), index=rows.index)
    else:
        keys = dates.dt.to_period(_PERIOD_FREQ[period])
    g = rows.groupby(keys, sort=True)
    first = g.head(1).set_index(keys.loc[g.head(1).index])
    table = pd.DataFrame(
        {
            "start": g["date"].min(),
            "end": g["date"].max(),
            "days": g["span_days"].sum().astype("int64"),
            "reports": g.size().astype("int64"),
            "total": g["increment"].sum(),
            "flagged_days": g["doubtful"].sum().astype("int64"),
            "total_at_end": g["total"].last().astype("int64"),
            "adjustments": g["adjustment"].sum().astype("int64"),
        }
    )
    table["total_before"] = (
        (first["total"] - first["increment"] - first["adjustment"]).reindex(table.index).round().astype("int64")
    )
    table["daily_average"] = table["total"] / table["days"]
    if period == "all":
        calendar_days = (table["end"] - table["start"]).dt.days + 1
        table["complete"] = table["days"] >= calendar_days
        table["period"] = "all"
        for c in ("previous_average", "change_vs_previous_pct", "year_ago_average", "change_vs_year_ago_pct"):
            table[c] = np.nan
    else:
        index = table.index
        period_days = [(p.end_time.normalize() - p.start_time.normalize()).days + 1 for p in index]
        table["complete"] = table["days"].to_numpy() >= np.array(period_days)
        avg = table["daily_average"]
        if context is not None:
            avg = _averages_by_period(context, period).combine_first(avg)
        previous = [p - 1 for p in index]
        year_ago = [_year_ago(p, period) for p in index]
        table["previous_average"] = avg.reindex(previous).to_numpy()
        table["year_ago_average"] = avg.reindex(year_ago).to_numpy()
        own = table["daily_average"]
        table["change_vs_previous_pct"] = _pct(own, table["previous_average"])
        table["change_vs_year_ago_pct"] = _pct(own, table["year_ago_average"])
        table["period"] = [_label(p, period) for p in index]
    return _attach(table.reset_index(drop=True)[PERIOD_COLUMNS], daily)


def _averages_by_period(daily: pd.DataFrame, period: str) -> pd.Series:
    rows = daily.loc[daily["increment"].notna()]
    keys = rows["date"].dt.to_period(_PERIOD_FREQ[period])
    g = rows.groupby(keys, sort=True)
    return g["increment"].sum() / g["span_days"].sum()


def average_between(daily: pd.DataFrame, start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """The daily average over any span of dates (inclusive), as a one-row period table."""
    mask = pd.Series(True, index=daily.index)
    if start is not None:
        mask &= daily["date"] >= pd.Timestamp(start)
    if end is not None:
        mask &= daily["date"] <= pd.Timestamp(end)
    sub = daily.loc[mask]
    sub.attrs.update(daily.attrs)
    table = period_table(sub, "all")
    if not table.empty:
        label = f"{start.isoformat() if start else '…'}..{end.isoformat() if end else '…'}"
        table["period"] = label
    return table


def rolling_average(daily: pd.DataFrame, window: int = 7) -> pd.DataFrame:
    """For each day, the average over the `window` calendar days ending on it.

    The sum of the increments dated in the window divided by the days they cover; NaN until the
    increments cover a full window. `flagged_days` counts flagged days inside the window.
    """
    if window < 1:
        raise ValueError("rolling window must be at least 1 day")
    rows = daily.loc[daily["increment"].notna()]
    if rows.empty:
        return _attach(pd.DataFrame(columns=ROLLING_COLUMNS), daily)
    s = rows.set_index("date")
    w = f"{window}D"
    total = s["increment"].rolling(w).sum()
    days = s["span_days"].rolling(w).sum()
    flagged = s["doubtful"].astype("int64").rolling(w).sum()
    out = pd.DataFrame(
        {
            "date": s.index,
            "increment": s["increment"].to_numpy(),
            "rolling_total": total.to_numpy(),
            "rolling_days": days.to_numpy(),
            "rolling_average": (total / days).where(days >= window).to_numpy(),
            "flagged_days": flagged.astype("int64").to_numpy(),
        }
    )
    return _attach(out, daily)


def averages_table(
    daily: pd.DataFrame, *, period: str = "month", rolling: int | None = None, context: pd.DataFrame | None = None
) -> pd.DataFrame:
    """What `tracker averages` shows: the `rolling`-day average for each day of `daily`, else the
    per-`period` table. `context` is the whole series when `daily` is cut to a window: earlier
    days for the first rolling windows, earlier periods for the changes (not for period "all")."""
    if rolling:
        table = rolling_average(daily if context is None else context, rolling)
        return table.loc[table["date"].isin(daily["date"])].reset_index(drop=True)
    return period_table(daily, period, context=None if period == "all" else context)
