"""Sources as a store knows them: the registry file's, with what `tracker sources add` recorded."""

from __future__ import annotations

from sqlalchemy import Connection, select

from tracker.sources import SOURCES, SourceInfo, source_info, with_overrides
from tracker.store import models as m


def known_sources(conn: Connection) -> dict[str, SourceInfo]:
    """Every source of the registry file and of the store, by key; the store's record of a source
    (`tracker sources add`) overrides the file's fields it sets."""
    out = dict(SOURCES)
    rows = conn.execute(
        select(
            m.Source.key, m.Source.name, m.Source.url, m.Source.dates_by, m.Source.side, m.Source.definition,
            m.Source.licence,
        )
    ).all()  # fmt: skip
    for key, name, url, dates_by, side, definition, licence in rows:
        out[key] = with_overrides(
            source_info(key), name=name, url=url, dates_by=dates_by, side=side, definition=definition, licence=licence
        )
    return out


def stored_source(conn: Connection, key: str) -> SourceInfo:
    """One source as the store knows it (see known_sources); named after its key if unknown."""
    return known_sources(conn).get(key) or source_info(key)
