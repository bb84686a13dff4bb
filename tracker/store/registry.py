"""Rows for registered things (sources, feeds, canonical metrics): their ids, inserted on first use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, cast

from sqlalchemy import Connection, insert, select, update

from tracker.domain import METRICS
from tracker.store import models as m
from tracker.store.source_registry import source_info

if TYPE_CHECKING:
    from tracker.domain import Metric


def source_ids(conn: Connection, keys: Iterable[str]) -> dict[str, int]:
    """Ids of sources by key, inserting registered (or named-by-key) ones not yet in the store.

    Only the key and name are stored: the registry file stays the authority for its sources'
    other fields, and a field the store holds is one `tracker sources add` set on purpose.
    """
    wanted = set(keys)
    have = dict(conn.execute(select(m.source.c.key, m.source.c.id).where(m.source.c.key.in_(wanted))).all())
    for key in sorted(wanted - have.keys()):
        info = source_info(key)
        have[key] = conn.execute(
            insert(m.source).values(key=info.key, name=info.name).returning(m.source.c.id)
        ).scalar_one()
    return have


def feed_id(conn: Connection, name: str, source_id: int, location: str | None, role: str | None = None) -> int:
    """The id of a source's feed, inserting it on its first run (as a one-off unless `role` says).

    A run of the daily job passes role "daily", which makes a one-off feed a daily one; a retired
    feed stays retired until someone schedules it again (`tracker feeds schedule`).
    """
    found = conn.execute(
        select(m.feed.c.id, m.feed.c.role).where(m.feed.c.name == name, m.feed.c.source_id == source_id)
    ).first()
    if found is not None:
        if role is not None and found.role not in (role, "retired"):
            conn.execute(update(m.feed).where(m.feed.c.id == found.id).values(role=role))
        return cast(int, found.id)  # a Row's attributes are untyped
    return int(
        conn.execute(
            insert(m.feed)
            .values(name=name, source_id=source_id, default_location=location or None, role=role or "one-off")
            .returning(m.feed.c.id)
        ).scalar_one()
    )


def metric_ids(conn: Connection, names: Iterable[str], specs: Mapping[str, Metric] | None = None) -> dict[str, int]:
    """Ids of metrics (canonical, or declared by a payload in `specs`), inserting the rows of
    ones not yet in the store."""
    wanted = set(names)
    have = dict(conn.execute(select(m.metric.c.name, m.metric.c.id)).all())
    known = {**METRICS, **(specs or {})}
    missing = [known[n] for n in sorted(wanted - have.keys())]
    if missing:
        conn.execute(
            insert(m.metric),
            [dict(name=x.name, label=x.label, unit=x.unit, kind=x.kind, retired=x.retired) for x in missing],
        )
        have = dict(conn.execute(select(m.metric.c.name, m.metric.c.id)).all())
    return have
