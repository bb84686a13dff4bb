"""Claims judged against the General Staff's series, as rows: what `tracker compare` prints and
`tracker.Store.compare` returns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, cast

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy import Engine


class Comparison(NamedTuple):
    """Each claim's row (compare_claims' columns, with the feed read and whether feeds agree), and
    the latest General Staff report it was judged against."""

    rows: list[dict[str, Any]]
    latest: dt.date | None


def compare_rows(
    engine: Engine,
    *,
    source: str | None = None,
    metric: str | None = None,
    kind: str | None = None,
    period: str | None = None,
    convention: str | None = None,
    feed: str | None = None,
    sort: str = "date",
) -> Comparison:
    """The claims about Russia's losses the filters select (`source` by key, key prefix or name:
    tracker.store.source_registry.matching_sources), each judged by its source's date convention (or by
    `convention`, "report" or "covered", for all) against the General Staff's personnel series
    from `feed` (default: the rule's feed), in `sort` order (date, distance, ratio, source).
    Claims about Ukraine's losses have no daily series to be judged by (tracker.analysis.sidebyside)."""
    from tracker.analysis.compare import compare_claims, sort_comparison
    from tracker.claims.queries import claims_frame
    from tracker.reports.feedcheck import staff_personnel
    from tracker.store.sources import chosen_sources, known_sources

    with engine.connect() as conn:
        known = known_sources(conn)
    claims = claims_frame(engine, metric=metric, kind=kind, period=period, subject="russia")
    if source is not None:
        chosen = chosen_sources(known, source)
        claims = claims.loc[claims["source"].isin(chosen)].reset_index(drop=True)
    staff, read = staff_personnel(engine, feed)
    dates_by = {key: info.dates_by for key, info in known.items()}
    frame = sort_comparison(compare_claims(claims, staff, dates_by=dates_by, convention=convention), sort)
    rows = cast("list[dict[str, Any]]", frame.to_dict("records"))  # columns are names
    latest = staff["report_date"].max().date() if len(staff) else None
    return Comparison([{**row, **read} for row in rows], latest)
