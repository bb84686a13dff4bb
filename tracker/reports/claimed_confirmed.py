"""Claimed beside confirmed from a store: the General Staff's cumulative equipment claims and a
confirmed series (Oryx) per snapshot date and mapped category (the rows of `compare --series` and
of the newsroom page); tracker.analysis.confirmed does the arithmetic."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tracker.errors import InvalidInput
from tracker.sources import GENERAL_STAFF, SIDES, source_info

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine


def mapped_metrics(series: str, metric: str | None = None) -> tuple[str, ...]:
    """The General Staff categories a series' types file maps onto (or `metric`, if it is one)."""
    from tracker.metrics import resolve
    from tracker.typemap import load_typemap

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
    frame = claimed_vs_confirmed(
        confirmed, claimed, side=side, alongside=alongside, since=since, until=until, latest_only=latest_only
    )
    frame.attrs.update(claimant_sides=claimant_sides, latest_only=latest_only)
    return frame
