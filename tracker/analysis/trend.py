"""Is the pace rising? The last 30 days' daily average against the 30 days before them and the
same 30 days a year earlier, in the series' own date convention.

Flagged days (catch-ups, outliers, spans over missing reports, the coarse rounded figures of 2022)
are left out, as records leave them out: one catch-up of a few thousand would otherwise move a
30-day average by a hundred a day. Each window says how many days it counted and how many it left
out; a window with fewer than half its days counted has no average (too little to compare).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from tracker.analysis.record_frames import split_counted

TREND_DAYS = 30
MIN_SHARE_COUNTED = 0.5  # of a window's days, for its average to stand
STEADY_PCT = 1.0  # a change smaller than this (in %) is "about the same"


def _window(counted: pd.DataFrame, excluded: pd.DataFrame, end: dt.date, days: int) -> dict[str, Any]:
    start = end - dt.timedelta(days=days - 1)

    def inside(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        when = pd.to_datetime(frame["date"]).dt.date
        return frame.loc[(when >= start) & (when <= end)]

    kept = inside(counted)
    left_out = inside(excluded)
    enough = len(kept) >= days * MIN_SHARE_COUNTED
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days_counted": len(kept),
        "days_left_out": len(left_out),
        "daily_average": float(kept["increment"].mean()) if enough and len(kept) else None,
    }


def _change(now: float | None, then: float | None) -> float | None:
    if now is None or then is None or then == 0:
        return None
    return (now - then) / then * 100


def trend(daily: pd.DataFrame, *, days: int = TREND_DAYS, include_flagged: bool = False) -> dict[str, Any] | None:
    """The last `days` days up to the series' last date, the `days` before them, and the same
    days a year earlier: each window's dates, days counted and left out, and daily average; the
    changes in percent (None where a window has no average). None for an empty series."""
    if daily.empty:
        return None
    counted, excluded = split_counted(daily, include_flagged=include_flagged)
    end = pd.Timestamp(daily["date"].iloc[-1]).date()
    last = _window(counted, excluded, end, days)
    before = _window(counted, excluded, end - dt.timedelta(days=days), days)
    year_end = (pd.Timestamp(end) - pd.DateOffset(years=1)).date()
    year = _window(counted, excluded, year_end, days)
    return {
        "days": days,
        "by": daily.attrs.get("by", "report"),
        "flagged_left_out": not include_flagged,
        "last": last,
        "before": before,
        "year_earlier": year,
        "change_pct": _change(last["daily_average"], before["daily_average"]),
        "year_change_pct": _change(last["daily_average"], year["daily_average"]),
    }


def _direction(pct: float | None, then: dict[str, Any], what: str) -> str:
    if pct is None or then["daily_average"] is None:
        return f"no average {what} ({then['days_counted']} day(s) counted)"
    amount = f"{then['daily_average']:,.0f}"
    if abs(pct) < STEADY_PCT:
        return f"about the same as {what} ({amount})"
    return f"{'up' if pct > 0 else 'down'} {abs(pct):.0f}% from {amount} {what}"


def trend_sentence(found: dict[str, Any] | None) -> str | None:
    """The trend in words: 'Pace: 1,523 a day over the last 30 days (2024-10-13 to 2024-11-11), up
    12% from 1,356 in the 30 days before and up 45% from 1,050 a year earlier; ...'. None when the
    last window has no average."""
    if found is None or found["last"]["daily_average"] is None:
        return None
    last, days = found["last"], found["days"]
    before = _direction(found["change_pct"], found["before"], f"in the {days} days before")
    year = found["year_earlier"]
    year_words = _direction(found["year_change_pct"], year, f"a year earlier ({year['start']} to {year['end']})")
    left_out = sum(found[w]["days_left_out"] for w in ("last", "before", "year_earlier"))
    flagged = (
        f"; flagged days left out, as records leave them out ({left_out} in these windows)"
        if found["flagged_left_out"]
        else "; flagged days counted"
    )
    return (
        f"Pace: {last['daily_average']:,.0f} a day over the last {days} days ({last['start']} to {last['end']}), "
        f"{before} and {year_words}{flagged}."
    )
