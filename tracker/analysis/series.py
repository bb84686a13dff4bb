"""Daily series: from cumulative totals to per-day increments, each with its flags.

A report dated D covers, roughly, day D-1. News coverage dates a figure by its report
("1,770 in the past 24 hours", report of 2024-11-11); UK Defence Intelligence averages over
covered days. `by` picks the convention and every output carries it (``frame.attrs["by"]``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

# The conventions and the flags that are no quality rule (lineage_change, first_report) are
# defined with the records command's pandas-free path, which uses them too.
from tracker.analysis.daily_rows import BY_COVERED as BY_COVERED
from tracker.analysis.daily_rows import BY_REPORT as BY_REPORT
from tracker.analysis.daily_rows import CONVENTION_TEXT as CONVENTION_TEXT
from tracker.analysis.daily_rows import CONVENTIONS as CONVENTIONS
from tracker.analysis.daily_rows import CORRECTIONS as CORRECTIONS
from tracker.analysis.daily_rows import DOCUMENTED as DOCUMENTED
from tracker.analysis.daily_rows import FIRST_REPORT as FIRST_REPORT
from tracker.analysis.daily_rows import LINEAGE_CHANGE as LINEAGE_CHANGE
from tracker.analysis.daily_rows import daily_rows
from tracker.domain import kyiv_today

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


def daily_series(
    obs: pd.DataFrame, *, by: str = BY_REPORT, today: dt.date | None = None, metric: str | None = None
) -> pd.DataFrame:
    """One row per report: its date under `by`, total, increment, span and quality flags.

    `increment` is the difference of totals minus the documented adjustment (NaN for the first
    report of a category that appeared after the invasion's first report); `span_days` is the
    number of days since the previous report: an increment spanning missing reports is not a
    one-day figure. Flags come from `tracker.ingest.rules.check_series` run on this frame, so an
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
    report_date = _ns(obs["report_date"])
    # the increments, spans and flags are computed once, on rows, by tracker.analysis.daily_rows
    observations = zip(
        [d.date() for d in report_date],
        obs["value"].tolist(),
        obs["qualifier"].tolist(),
        obs["reported_increase"].tolist(),
        obs["adjustment"].tolist(),
        obs["lineage"].tolist(),
    )
    rows = daily_rows(
        list(observations),
        {"dates_by": attrs.get("dates_by"), "disputed": attrs.get("disputed")},
        by=by,
        metric=metric,
        today=today or kyiv_today(),
    ).rows
    covered = report_date - pd.Timedelta(days=1)
    out = pd.DataFrame(
        {
            "date": report_date if by == BY_REPORT else covered,
            "report_date": report_date,
            "covered_day": covered,
            "total": obs["value"].astype("int64"),
            "increment": pd.Series([r["increment"] for r in rows], dtype="float64"),
            "span_days": pd.Series([r["span_days"] for r in rows], dtype="float64"),
            "adjustment": obs["adjustment"].astype("int64"),
            "reported_increase": obs["reported_increase"].astype("float64"),
            "qualifier": obs["qualifier"].astype(object),
            "lineage": obs["lineage"].astype(object),
            "flags": [r["flags"] for r in rows],
            "flag_reasons": [r["flag_reasons"] for r in rows],
            "doubtful": pd.Series([r["doubtful"] for r in rows], dtype=bool),
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
