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
) -> Comparison:
    """The claims the filters select (as in `claims list`), each judged by its source's date
    convention (or by `convention`, "report" or "covered", for all) against the General Staff's
    personnel series from `feed` (default: the rule's feed)."""
    from tracker.analysis.compare import compare_claims
    from tracker.claims.queries import claims_frame
    from tracker.reports.feedcheck import staff_personnel
    from tracker.store.sources import known_sources

    # Only claims about Russia's losses have a daily series to be judged by (--side ukraine sets
    # claims beside each other instead: tracker.analysis.sidebyside).
    claims = claims_frame(engine, source=source, metric=metric, kind=kind, period=period, subject="russia")
    staff, read = staff_personnel(engine, feed)
    with engine.connect() as conn:
        dates_by = {key: info.dates_by for key, info in known_sources(conn).items()}
    frame = compare_claims(claims, staff, dates_by=dates_by, convention=convention)
    rows = cast("list[dict[str, Any]]", frame.to_dict("records"))  # columns are names
    latest = staff["report_date"].max().date() if len(staff) else None
    return Comparison([{**row, **read} for row in rows], latest)
