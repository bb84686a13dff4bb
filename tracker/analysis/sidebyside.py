"""Claims set beside each other where no daily series exists to judge them by.

Nobody publishes a daily count of Ukraine's losses, so its claims cannot be compared with a series
as `tracker compare` compares Russia's: instead, the claims that count the same thing (killed,
wounded, ...) in the same way (cumulative, period total, ...) over the same period are grouped, and
each source's figure is set beside the others' with its ratio to the lowest of them. A cumulative
claim is grouped by the calendar quarter of its "as of" date (sources rarely speak on the same
day); a claim about a period by that period. Pure: a claims frame in, a frame out.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from tracker.claims.claim import DEFINITIONS, KINDS, format_period

COLUMNS = [
    "group",
    "group_start",
    "group_end",
    "definition",
    "kind",
    "id",
    "key",
    "source",
    "subject",
    "period",
    "qualifier",
    "low",
    "best",
    "high",
    "figure",
    "value",
    "published",
    "sources",
    "group_low",
    "group_high",
    "ratio_to_lowest",
    "url",
]


def quarter_of(day: dt.date) -> tuple[str, dt.date, dt.date]:
    """('2024-Q4', 2024-10-01, 2024-12-31) for any day of that quarter."""
    q = (day.month - 1) // 3
    start = dt.date(day.year, 3 * q + 1, 1)
    end = dt.date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1) - dt.timedelta(days=1)
    return f"{day.year}-Q{q + 1}", start, end


def group_of(kind: str, start: dt.date, end: dt.date, precision: str) -> tuple[str, dt.date, dt.date]:
    """The group a claim is set in: the quarter of a cumulative claim's "as of" date (its
    period's last day), else the claim's own period."""
    if kind == "cumulative":
        return quarter_of(end)
    return format_period(start, end, precision), start, end


def central_value(low: object, best: object, high: object) -> float | None:
    """The figure a claim stands for: its best, else the middle of its low–high range, else its
    one end; None for no number."""
    nums = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in (low, best, high)]  # type: ignore[arg-type]  # figures are numbers or missing
    lo, mid, hi = nums
    if mid is not None:
        return mid
    if lo is not None and hi is not None:
        return (lo + hi) / 2
    return lo if lo is not None else hi


def _as_date(value: object) -> dt.date:
    return pd.Timestamp(value).date()  # type: ignore[arg-type]  # a stored date or its ISO text


def claims_side_by_side(claims: pd.DataFrame) -> pd.DataFrame:
    """Every claim of `claims` (a tracker.claims.queries.claims_frame) in its group, groups in
    the order killed, wounded, killed or wounded, then the other definitions; by kind; oldest
    first; within a group by figure. Each row carries the number of sources in its group, the
    group's lowest and highest figures and, where two or more sources speak, the claim's figure
    over the group's lowest."""
    if claims.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    for r in claims.to_dict("records"):
        start, end = _as_date(r["period_start"]), _as_date(r["period_end"])
        label, g_start, g_end = group_of(str(r["kind"]), start, end, str(r["period_precision"]))
        rows.append(
            {
                "group": label,
                "group_start": g_start,
                "group_end": g_end,
                "definition": r["definition"],
                "kind": r["kind"],
                "id": r["id"],
                "key": r["key"],
                "source": r["source"],
                "subject": r["subject"],
                "period": r["period"],
                "qualifier": r["qualifier"] or None,
                "low": r["low"],
                "best": r["best"],
                "high": r["high"],
                "figure": r["figure"],
                "value": central_value(r["low"], r["best"], r["high"]),
                "published": r["published"],
                "url": r["url"],
            }
        )
    frame = pd.DataFrame(rows)
    order = {d: i for i, d in enumerate(DEFINITIONS)}
    kinds = {k: i for i, k in enumerate(KINDS)}
    frame["_d"] = frame["definition"].map(lambda d: order.get(d, len(order)))
    frame["_k"] = frame["kind"].map(lambda k: kinds.get(k, len(kinds)))
    frame = frame.sort_values(
        ["_d", "definition", "_k", "group_start", "group_end", "value", "source", "key"], kind="stable"
    )
    keys = ["definition", "kind", "group_start", "group_end"]
    grouped = frame.groupby(keys, sort=False, dropna=False)
    frame["sources"] = grouped["source"].transform("nunique").astype(int)
    frame["group_low"] = grouped["value"].transform("min")
    frame["group_high"] = grouped["value"].transform("max")
    ratio = frame["value"] / frame["group_low"]
    frame["ratio_to_lowest"] = ratio.where((frame["sources"] >= 2) & (frame["group_low"] > 0))
    frame = frame.drop(columns=["_d", "_k"]).reset_index(drop=True)
    return frame[COLUMNS].astype(object).where(frame[COLUMNS].notna(), None)


__all__ = ["COLUMNS", "central_value", "claims_side_by_side", "group_of", "quarter_of"]
