"""Daily series: from cumulative totals to per-day increments, each with its flags.

A report dated D covers, roughly, day D-1. News coverage dates a figure by its report
("1,770 in the past 24 hours", report of 2024-11-11); UK Defence Intelligence averages over
covered days. `by` picks the convention and every output carries it (``frame.attrs["by"]``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from tracker.metrics import INVASION_START
from tracker.quality import DOUBTFUL_RULES, FIRST_REPORT_DATE, Point, check_documented_series, check_series

# The conventions and the flags that are no quality rule (lineage_change, first_report) are
# defined with the records command's pandas-free path, which uses them too.
from tracker.recordrows import BY_COVERED as BY_COVERED
from tracker.recordrows import BY_REPORT as BY_REPORT
from tracker.recordrows import CONVENTION_TEXT as CONVENTION_TEXT
from tracker.recordrows import CONVENTIONS as CONVENTIONS
from tracker.recordrows import DOCUMENTED as DOCUMENTED
from tracker.recordrows import FIRST_REPORT as FIRST_REPORT
from tracker.recordrows import LINEAGE_CHANGE as LINEAGE_CHANGE

OBS_COLUMNS = ("report_date", "value", "qualifier", "reported_increase", "adjustment", "lineage")
DAILY_COLUMNS = [
    "date",
    "report_date",
    "covered_day",
    "total",
    "increment",
    "span_days",
    "adjustment",
    "reported_increase",
    "qualifier",
    "lineage",
    "flags",
    "flag_reasons",
    "doubtful",
]


def check_by(by: str) -> str:
    """The convention name, or ValueError listing the known ones."""
    if by not in CONVENTIONS:
        raise ValueError(f"unknown convention {by!r}; use one of: {', '.join(CONVENTIONS)}")
    return by


def _ns(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).astype("datetime64[ns]")


def _optional_int(x: float | None) -> int | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else int(x)


def observation_points(obs: pd.DataFrame) -> list[Point]:
    """The observations frame as `tracker.quality.Point`s (for check_series)."""
    dates = [d.date() for d in pd.to_datetime(obs["report_date"])]
    quals = [q if isinstance(q, str) else None for q in obs["qualifier"]]
    incs = [_optional_int(x) for x in obs["reported_increase"]]
    return [
        Point(d, int(v), q, r, int(a))
        for d, v, q, r, a in zip(dates, obs["value"].tolist(), quals, incs, obs["adjustment"].tolist())
    ]


def daily_series(
    obs: pd.DataFrame, *, by: str = BY_REPORT, today: dt.date | None = None, metric: str | None = None
) -> pd.DataFrame:
    """One row per report: its date under `by`, total, increment, span and quality flags.

    `increment` is the difference of totals minus the documented adjustment (NaN for the first
    report of a category that appeared after the invasion's first report); `span_days` is the
    number of days since the previous report: an increment spanning missing reports is not a
    one-day figure. Flags come from `tracker.quality.check_series` run on this frame, so an
    as-of frame gets the flags that were computable then; `doubtful` is any DOUBTFUL_RULES
    flag, a lineage change, the first report (its increment counts every day since the
    invasion began), or a span over one day. The frame keeps the observations' attrs (source,
    side, definition, dates_by); a series dated by documentation gets only its decreases flagged.
    """
    check_by(by)
    missing = [c for c in OBS_COLUMNS if c not in obs.columns]
    if missing:
        raise ValueError(f"observations frame lacks column(s): {', '.join(missing)}")
    metric = metric or obs.attrs.get("metric") or ""
    attrs = {**obs.attrs, "by": by, "metric": metric}
    if obs.empty:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in DAILY_COLUMNS})
        for c in ("date", "report_date", "covered_day"):
            out[c] = out[c].astype("datetime64[ns]")
        out.attrs.update(attrs)
        return out
    obs = obs.sort_values("report_date", ignore_index=True)
    points = observation_points(obs)
    if attrs.get("dates_by") == DOCUMENTED:
        findings = check_documented_series(metric, points)
    else:
        findings = check_series(metric, points, today=today or dt.date.today())

    report_date = _ns(obs["report_date"]).reset_index(drop=True)
    total = obs["value"].astype("int64").reset_index(drop=True)
    adjustment = obs["adjustment"].astype("int64").reset_index(drop=True)
    lineage = obs["lineage"].astype(object).reset_index(drop=True)
    increment = (total.diff() - adjustment).astype("float64")
    if points[0].report_date == FIRST_REPORT_DATE:
        increment.iloc[0] = float(total.iloc[0] - adjustment.iloc[0])
    span = report_date.diff().dt.days.astype("float64")
    span.iloc[0] = 1.0 if points[0].report_date == FIRST_REPORT_DATE else np.nan

    flags: list[list[str]] = [[] for _ in points]
    reasons: list[list[str]] = [[] for _ in points]
    index_of: dict[dt.date | None, int] = {p.report_date: i for i, p in enumerate(points)}
    for f in findings:
        i = index_of[f.report_date]
        if f.rule not in flags[i]:
            flags[i].append(f.rule)
        reasons[i].append(f"{f.rule}: {f.message}")
    if points[0].report_date == FIRST_REPORT_DATE:
        flags[0].append(FIRST_REPORT)
        reasons[0].append(
            f"{FIRST_REPORT}: the first report's figure is everything counted since the invasion began "
            f"on {INVASION_START.isoformat()}, not the difference of two reports"
        )
    lineage_list = lineage.tolist()
    for i in range(1, len(points)):
        if lineage_list[i] != lineage_list[i - 1]:
            flags[i].append(LINEAGE_CHANGE)
            reasons[i].append(
                f"{LINEAGE_CHANGE}: the total moves from {lineage_list[i - 1]} to "
                f"{lineage_list[i]}: the increment spans a change of categories"
            )

    doubtful = [bool(set(fl) & (DOUBTFUL_RULES | {LINEAGE_CHANGE, FIRST_REPORT})) for fl in flags]
    doubtful = [d or (s > 1) for d, s in zip(doubtful, span.fillna(0).tolist())]
    covered = report_date - pd.Timedelta(days=1)
    out = pd.DataFrame(
        {
            "date": report_date if by == BY_REPORT else covered,
            "report_date": report_date,
            "covered_day": covered,
            "total": total,
            "increment": increment,
            "span_days": span,
            "adjustment": adjustment,
            "reported_increase": obs["reported_increase"].astype("float64").reset_index(drop=True),
            "qualifier": obs["qualifier"].astype(object).reset_index(drop=True),
            "lineage": lineage,
            "flags": [";".join(fl) for fl in flags],
            "flag_reasons": [" | ".join(r) for r in reasons],
            "doubtful": pd.Series(doubtful, dtype=bool),
        }
    )
    out.attrs.update(attrs)
    return out


def between(daily: pd.DataFrame, since: dt.date | None = None, until: dt.date | None = None) -> pd.DataFrame:
    """Rows whose `date` (under the frame's convention) lies in [since, until]."""
    mask = pd.Series(True, index=daily.index)
    if since is not None:
        mask &= daily["date"] >= pd.Timestamp(since)
    if until is not None:
        mask &= daily["date"] <= pd.Timestamp(until)
    out = daily.loc[mask].reset_index(drop=True)
    out.attrs.update(daily.attrs)
    return out


def up_to_report(daily: pd.DataFrame, as_of: dt.date | None) -> pd.DataFrame:
    """Rows of reports dated up to `as_of` (the reports a reader had on that day)."""
    if as_of is None:
        return daily
    out = daily.loc[daily["report_date"] <= pd.Timestamp(as_of)].reset_index(drop=True)
    out.attrs.update(daily.attrs)
    return out
