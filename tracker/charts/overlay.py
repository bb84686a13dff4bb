"""Claims of other sources as chart overlays: which can be drawn against a series, and how each
source looks (the same source keeps one colour and marker across a chart)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracker.charts.formats import number_text, plural
from tracker.charts.palette import source_style

if TYPE_CHECKING:
    import pandas as pd

SERIES_SUBJECT = "russia"  # whose losses the series counts


def short_source(key: str) -> str:
    """A source's name without its parenthesis: 'UK Defence Intelligence'."""
    from tracker.store.source_registry import source_info

    return source_info(key).name.split(" (")[0]


def drawable(subject: str, metric: str, definition: str, series_metric: str) -> bool:
    """Whether a claim can be drawn against the series: tracker.analysis.compare's rule, so the
    chart and `tracker compare` agree (imported here: it brings pandas)."""
    from tracker.analysis.compare import not_comparable_reason

    reason = not_comparable_reason(
        subject, metric, definition, series_subject=SERIES_SUBJECT, series_metric=series_metric
    )
    return reason is None


def split_claims(
    claims: pd.DataFrame | None, metric: str, kinds: tuple[str, ...], as_of: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(claims of `kinds` drawable against the series, those of `kinds` about the same metric
    that are not, with a `reason`). Claims published after `as_of` are dropped: a reader then
    could not know them."""
    import pandas as pd

    if claims is None or claims.empty:
        empty = pd.DataFrame(columns=[*(claims.columns if claims is not None else []), "reason"])
        return empty, empty
    rows = claims.loc[claims["kind"].isin(kinds)].copy()
    if as_of is not None and "published_date" in rows:
        rows = rows.loc[pd.to_datetime(rows["published_date"]) <= pd.Timestamp(as_of)]
    rows["reason"] = [
        None if drawable(subject, what, definition, metric) else short_reason(subject, what, definition, metric)
        for subject, what, definition in zip(rows["subject"], rows["metric"], rows["definition"])
    ]
    ok = rows.loc[rows["reason"].isna()].reset_index(drop=True)
    left = rows.loc[rows["reason"].notna() & (rows["metric"] == metric)].reset_index(drop=True)
    return ok, left


def short_reason(subject: str, metric: str, definition: str, series_metric: str) -> str:
    """Why a claim is not drawn, in a few words for a chart's note (the claim's subject, metric
    or definition, whichever differs first from the series')."""
    from tracker.claims.claim import DEFINITIONS

    if subject != SERIES_SUBJECT:
        return f"about {subject.title()}'s losses"
    if metric != series_metric:
        return f"a count of {metric}"
    return f"{DEFINITIONS.get(definition, definition.replace('_', ' '))} only".replace(
        "deaths confirmed by name only", "deaths confirmed by name"
    )


@dataclass(frozen=True)
class Point:
    """A claim as drawn: where (period midpoint), how much (best, or the middle of its range),
    its range, and whether it is a bound."""

    source: str
    start: Any
    end: Any
    mid: Any
    value: float
    low: float | None
    high: float | None
    bound: str  # "lower", "upper" or ""
    label: str


def as_float(x: Any) -> float | None:
    """A claim's figure as a float; None for a missing, NaN or non-numeric one."""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def claim_points(claims: pd.DataFrame) -> list[Point]:
    """Each claim row as a Point (rows need source, period_start, period_end, qualifier, low,
    best, high, and optionally figure)."""
    import pandas as pd

    from tracker.claims.claim import LOWER_BOUNDS, UPPER_BOUNDS

    out = []
    for r in claims.to_dict("records"):
        start, end = pd.Timestamp(r["period_start"]), pd.Timestamp(r["period_end"])
        low, best, high = as_float(r.get("low")), as_float(r.get("best")), as_float(r.get("high"))
        value = best if best is not None else ((low or 0.0) + (high if high is not None else low or 0.0)) / 2
        qualifier = r.get("qualifier") or ""
        bound = "lower" if qualifier in LOWER_BOUNDS else "upper" if qualifier in UPPER_BOUNDS else ""
        label = r.get("figure") or number_text(value)
        out.append(Point(r["source"], start, end, start + (end - start) / 2, value, low, high, bound, label))
    return out


def styles_for(sources: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Colour and marker per source drawn together: each takes its rank among them in the order
    of the source registry (others after, in order of first appearance), so up to nine sources
    differ in colour and no two share colour and marker. A source keeps its look on every chart
    that draws the same sources."""
    from tracker.store.source_registry import CURATED, GENERAL_STAFF, SOURCES

    wanted = list(dict.fromkeys(sources))
    registry = [key for key in SOURCES if key not in (GENERAL_STAFF, CURATED)]
    ranked = [key for key in registry if key in wanted]
    ranked += [key for key in wanted if key not in ranked]
    return {key: source_style(ranked.index(key)) for key in wanted}


def left_out_note(left: pd.DataFrame, what: str) -> str:
    """'Not shown: 3 claims that ... (reasons).' or ''."""
    if left.empty:
        return ""
    reasons: dict[str, int] = {}
    for reason in left["reason"]:
        reasons[reason] = reasons.get(reason, 0) + 1
    text = "; ".join(f"{reason} ({n})" for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"Not shown: {plural(len(left), what)} that count something else: {text}."
