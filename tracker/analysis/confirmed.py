"""Claimed beside confirmed: the General Staff's claimed equipment totals beside Oryx's visually
confirmed ones, per Oryx snapshot date and category.

Pure pandas: cumulative series in (report_date, value, as tracker.store.queries.observations_frame
gives them), one row per (snapshot date, category) out. `gather` reads the series through a
function it is given, so the store stays the caller's.

- `confirmed`: the confirmed series' total at its snapshot date (Oryx: the sum of the types the
  mapping file, data/sources/oryx-types.csv, counts toward the category).
- `claimed`: the claimed series' total as of that date: the report of that date, else the latest
  report before it (its date is `claimed_date`). Oryx's snapshot of day D is taken after Kyiv's
  report of D (the scraper runs around 11:44 UTC; Kyiv reports by about 06:00 UTC), so the report
  of D is the one a reader had then. None when there is no claimed series for the side (the
  General Staff reports Russia's losses only) or no report by that date.
- `ratio` = claimed / confirmed (None when either is missing or confirmed is 0): how many losses
  Kyiv claims per loss with photo or video evidence. Oryx is a floor, not an estimate.
- `claimed_extra` / `claimed_note`: what the claimant counts apart that the confirmed category
  holds too, read off the same report as `claimed`; shown beside the claim, not added to it.
- `caveat`: why the category is not like for like (the types file's `caveat`, e.g. Oryx's drones
  beside every drone Kyiv reports downed), None when it is; every ratio of the category carries it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import cast

import pandas as pd

from tracker.domain import METRICS

COLUMNS = [
    "date",
    "side",
    "metric",
    "claimed",
    "claimed_date",
    "confirmed",
    "ratio",
    "claimed_extra",
    "claimed_note",
    "caveat",
]
# What the General Staff counts apart from a category that Oryx's mapped types hold too: its
# "submarines" beside "ships", since Oryx's "Naval Ships and Submarines" (mapped to ships in
# data/sources/oryx-types.csv) lists Russia's submarine among its ships.
ALONGSIDE = {"ships": "submarines"}

# (source, metric, side) -> that series' observations (report_date, value).
SeriesReader = Callable[[str, str, str], pd.DataFrame]


CAVEAT_MARKS = ("†", "‡", "§", "¶")


def caveat_marks(caveats: Iterable[str | None]) -> dict[str, str]:
    """A footnote mark for each distinct caveat, in order of appearance (†, ‡, §, ¶, then †2, …)."""
    distinct = [c for c in dict.fromkeys(caveats) if c]
    return {
        c: CAVEAT_MARKS[i % len(CAVEAT_MARKS)] + (str(i // len(CAVEAT_MARKS) + 1) if i >= len(CAVEAT_MARKS) else "")
        for i, c in enumerate(distinct)
    }


def _as_of(series: pd.DataFrame, dates: pd.Series) -> pd.DataFrame:
    """For each of `dates` (sorted), the series' latest report dated on or before it: columns
    date, report_date, value (NaT / NaN where there is none)."""
    left = pd.DataFrame({"date": pd.to_datetime(dates).to_numpy()})
    right = series[["report_date", "value"]].copy()
    right["report_date"] = pd.to_datetime(right["report_date"])
    right = right.sort_values("report_date")
    return pd.merge_asof(left, right, left_on="date", right_on="report_date", direction="backward")


def _int_or_none(value: object) -> int | None:
    """A total as an int; None for a missing one (None, NaN, NaT)."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]  # a scalar here, never an array
        return None
    return int(cast(float, value))  # a count: an int, or a float holding one


def _extra_note(extra: int | None, unit: str) -> str | None:
    """'+1 submarine', '+2 submarines'; None for none."""
    if not extra:
        return None
    word = unit[:-1] if extra == 1 and unit.endswith("s") else unit
    return f"+{extra:,} {word}"


def _snapshots(series: pd.DataFrame, since: dt.date | None, until: dt.date | None, latest_only: bool) -> pd.DataFrame:
    """A confirmed series' snapshots (report_date, value) within since..until, by date."""
    out = series[["report_date", "value"]].copy()
    out["report_date"] = pd.to_datetime(out["report_date"])
    if since is not None:
        out = out.loc[out["report_date"] >= pd.Timestamp(since)]
    if until is not None:
        out = out.loc[out["report_date"] <= pd.Timestamp(until)]
    out = out.sort_values("report_date")
    return out.tail(1) if latest_only else out


def claimed_vs_confirmed(
    confirmed: Mapping[str, pd.DataFrame],
    claimed: Mapping[str, pd.DataFrame | None],
    *,
    side: str = "russia",
    alongside: Mapping[str, tuple[str, pd.DataFrame]] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    latest_only: bool = False,
    caveats: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """One row per confirmed snapshot date and category (the keys of `confirmed`, in order).

    `claimed[metric]` is the claimed series (None or absent: the claimant has none for the side);
    `alongside[metric]` = (unit, series) of what the claimant counts apart (for ships:
    ("submarines", the General Staff's submarines)). `since`/`until` keep snapshot dates in
    range; `latest_only` keeps each category's last snapshot; `caveats[metric]` says why a
    category is not like for like.
    """
    rows: list[dict[str, object]] = []
    for metric, series in confirmed.items():
        snaps = _snapshots(series, since, until, latest_only)
        if snaps.empty:
            continue
        dates = snaps["report_date"]
        own = claimed.get(metric)
        got = _as_of(own, dates) if own is not None and len(own) else None
        extra = (alongside or {}).get(metric)
        extra_got = None
        if got is not None and extra is not None and len(extra[1]):
            # Read at the claimed report's own date, so the note and the claim are one report's.
            extra_got = _as_of(extra[1], got["report_date"].fillna(pd.Timestamp("1900-01-01")))
        for i, (day, value) in enumerate(zip(dates, snaps["value"], strict=True)):
            total = _int_or_none(got["value"].iloc[i]) if got is not None else None
            when = got["report_date"].iloc[i] if got is not None else None
            more = _int_or_none(extra_got["value"].iloc[i]) if extra_got is not None and total is not None else None
            count = _int_or_none(value)
            rows.append(
                {
                    "date": pd.Timestamp(day).date(),
                    "side": side,
                    "metric": metric,
                    "claimed": total,
                    "claimed_date": None if total is None or when is None else pd.Timestamp(when).date(),
                    "confirmed": count,
                    "ratio": total / count if total is not None and count else None,
                    "claimed_extra": more,
                    "claimed_note": _extra_note(more, extra[0]) if extra is not None else None,
                    "caveat": (caveats or {}).get(metric),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)  # ints and None, not floats and NaN


def gather(
    read: SeriesReader,
    metrics: Sequence[str],
    *,
    side: str,
    claimant: str,
    claimant_sides: Sequence[str],
    confirmer: str,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame | None], dict[str, tuple[str, pd.DataFrame]]]:
    """The series claimed_vs_confirmed needs, read with `read`: (confirmed, claimed, alongside).
    A category the confirmer has no figure of is left out; the claimant's series are read only
    for a side it reports (`claimant_sides`)."""
    confirmed = {m: f for m in metrics if len(f := read(confirmer, m, side))}
    claimed: dict[str, pd.DataFrame | None] = {}
    alongside: dict[str, tuple[str, pd.DataFrame]] = {}
    if side in claimant_sides:
        for metric in confirmed:
            claimed[metric] = read(claimant, metric, side)
            if metric in ALONGSIDE:
                apart = ALONGSIDE[metric]
                alongside[metric] = (METRICS[apart].unit, read(claimant, apart, side))
    return confirmed, claimed, alongside
