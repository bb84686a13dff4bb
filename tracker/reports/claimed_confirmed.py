"""Claimed beside confirmed from a store: the General Staff's cumulative equipment claims and a
confirmed series (Oryx) per snapshot date and mapped category (the rows of `compare --series` and
of the newsroom page); tracker.analysis.confirmed does the arithmetic."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tracker.domain import SIDES
from tracker.errors import InvalidInput
from tracker.store.source_registry import GENERAL_STAFF, source_info

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine


def mapped_metrics(series: str, metric: str | None = None) -> tuple[str, ...]:
    """The General Staff categories a series' types file maps onto (or `metric`, if it is one)."""
    from tracker.domain import resolve
    from tracker.store.typemap import load_typemap

    mapping = load_typemap(series)
    if mapping is None or not mapping.canonical:
        raise InvalidInput(
            f"--series {series[:40]!r}: no types file maps its types onto the General Staff's categories "
            "(oryx has one: data/sources/oryx-types.csv)"
        )
    if metric is None:
        return mapping.canonical
    try:
        name = resolve(metric).name
    except KeyError:
        raise InvalidInput(f"unknown metric {metric[:40]!r}") from None
    if name not in mapping.canonical:
        raise InvalidInput(f"--metric {name}: no {series} type maps onto it; mapped: {', '.join(mapping.canonical)}")
    return (name,)


def claimed_confirmed_frame(
    engine: Engine,
    series: str,
    *,
    metric: str | None = None,
    side: str = "russia",
    since: dt.date | None = None,
    until: dt.date | None = None,
    every: bool = False,
) -> pd.DataFrame:
    """Rows of tracker.analysis.confirmed.claimed_vs_confirmed: each category's latest snapshot,
    or every snapshot with `every` (or a --since/--until range). InvalidInput when the store holds
    none of the series."""
    from tracker.analysis.confirmed import claimed_vs_confirmed, gather
    from tracker.store.queries import feeds_for, observations_frame

    if since is not None and until is not None and since > until:
        raise InvalidInput(f"--since {since} is after --until {until}")
    metrics = mapped_metrics(series, metric)
    if side not in SIDES:
        raise InvalidInput(f"--side {side[:40]!r}: use {' or '.join(SIDES)}")
    with engine.connect() as conn:
        if not feeds_for(conn, series):
            name = source_info(series).name.split(" (")[0]
            raise InvalidInput(f"no {name} data in the store (`tracker ingest {series}` loads it)")
    claimant_sides = (source_info(GENERAL_STAFF).side,)
    confirmed, claimed, alongside = gather(
        lambda src, name, whose: observations_frame(engine, source=src, metric=name, side=whose),
        metrics, side=side, claimant=GENERAL_STAFF, claimant_sides=claimant_sides, confirmer=series,
    )  # fmt: skip
    latest_only = not (every or since or until)
    from tracker.store.typemap import load_typemap

    mapping = load_typemap(series)
    caveats = {m: mapping.caveat(m) for m in metrics} if mapping is not None else {}
    frame = claimed_vs_confirmed(
        confirmed, claimed, side=side, alongside=alongside, since=since, until=until, latest_only=latest_only,
        caveats=caveats,
    )  # fmt: skip
    frame.attrs.update(claimant_sides=claimant_sides, latest_only=latest_only)
    return frame


def series_comparison_frame(
    engine: Engine,
    series: str,
    *,
    metric: str | None = None,
    side: str = "russia",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Rows of tracker.analysis.compare.compare_series for a stored series without a types file
    (a CSV source such as a newsroom's own estimates): every date it has, for each metric it
    holds on `side` (or `metric`), against the General Staff's series of that metric. InvalidInput
    when the store holds nothing of it."""
    import pandas as pd

    from tracker.analysis.compare import SERIES_DEFINITION, compare_series
    from tracker.domain import resolve
    from tracker.store.queries import feeds_for, observations_frame, source_as_stored, stored_metrics
    from tracker.store.sources import require_source

    if since is not None and until is not None and since > until:
        raise InvalidInput(f"--since {since} is after --until {until}")
    if side not in SIDES:
        raise InvalidInput(f"--side {side[:40]!r}: use {' or '.join(SIDES)}")
    if series == GENERAL_STAFF:
        raise InvalidInput("--series ua-general-staff: that is the series every other one is compared with")
    with engine.connect() as conn:
        require_source(conn, series)
        if not feeds_for(conn, series):
            raise InvalidInput(f"no {series} data in the store (`tracker ingest csv --source {series}` loads it)")
        info = source_as_stored(conn, series)
        held = stored_metrics(conn, series, side)
    if metric is not None:
        try:
            name = resolve(metric).name
        except KeyError:
            raise InvalidInput(f"unknown metric {metric[:40]!r}") from None
        if name not in held:
            raise InvalidInput(
                f"--metric {name}: {series} holds no {side} {name} totals; it holds: {', '.join(held) or 'none'}"
            )
        held = [name]
    if not held:
        raise InvalidInput(f"no {side} totals of {series} in the store")
    frames = []
    for name in held:
        own = observations_frame(engine, source=series, metric=name, side=side)
        if since is not None:
            own = own.loc[own["report_date"] >= pd.Timestamp(since)]
        if until is not None:
            own = own.loc[own["report_date"] <= pd.Timestamp(until)]
        staff = observations_frame(engine, source=GENERAL_STAFF, metric=name)
        # Like for like when the series counts what the General Staff's does (a killed-only
        # estimate is not comparable with killed or wounded, and says so on every row).
        theirs, kyiv = own.attrs.get("definition"), staff.attrs.get("definition")
        definition = SERIES_DEFINITION if theirs in (None, kyiv) else str(theirs)
        frames.append(
            compare_series(
                own, staff, source=series, side=side, metric=name, definition=definition, dates_by=info.dates_by
            )
        )
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    frame.attrs.update(source=series, side=side, dates_by=info.dates_by)
    return frame
