"""Rows for registered things (sources, feeds, canonical metrics): their ids, inserted on first use."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, insert, select

from tracker.metrics import METRICS
from tracker.sources import source_info
from tracker.store import models as m


def source_ids(conn: Connection, keys: Iterable[str]) -> dict[str, int]:
    """Ids of sources by key, inserting registered (or named-by-key) ones not yet in the store."""
    wanted = set(keys)
    have = dict(conn.execute(select(m.Source.key, m.Source.id).where(m.Source.key.in_(wanted))).all())
    for key in sorted(wanted - have.keys()):
        info = source_info(key)
        have[key] = conn.execute(
            insert(m.Source).values(key=info.key, name=info.name, url=info.url).returning(m.Source.id)
        ).scalar_one()
    return have


def feed_id(conn: Connection, name: str, source_id: int, location: str | None) -> int:
    """The id of a source's feed, inserting it on its first run."""
    found = conn.execute(select(m.Feed.id).where(m.Feed.name == name, m.Feed.source_id == source_id)).scalar()
    if found is not None:
        return found
    return conn.execute(
        insert(m.Feed).values(name=name, source_id=source_id, default_location=location or None).returning(m.Feed.id)
    ).scalar_one()


def metric_ids(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Ids of canonical metrics, inserting the rows of ones not yet in the store."""
    wanted = set(names)
    have = dict(conn.execute(select(m.Metric.name, m.Metric.id)).all())
    missing = [METRICS[n] for n in sorted(wanted - have.keys())]
    if missing:
        conn.execute(
            insert(m.Metric),
            [dict(name=x.name, label=x.label, unit=x.unit, kind=x.kind, retired=x.retired) for x in missing],
        )
        have = dict(conn.execute(select(m.Metric.name, m.Metric.id)).all())
    return have
