"""Reading the notes stored with reports: the General Staff's "greatest losses direction", and the
address of the official page a transcription read a report from ("source_url").

Notes are revision-aware like observations (tracker.store.models.ReportNote): the current text of
each report's note is its latest revision that is not a removal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Connection, Engine, func, select

from tracker.store import models as m
from tracker.store.db import as_utc
from tracker.store.source_registry import GENERAL_STAFF

DIRECTION_KEY = "greatest_losses_direction"
SOURCE_URL_KEY = "source_url"


def _current(source: str, key: str) -> Any:
    """The conditions of a source's current, not removed notes of one key."""
    note = m.report_note.c
    return (
        (note.key == key)
        & note.superseded_at.is_(None)
        & note.removed.is_(False)
        & note.source_id.in_(select(m.source.c.id).where(m.source.c.key == source))
    )


def latest_note_date(engine: Engine, *, source: str = GENERAL_STAFF, key: str = DIRECTION_KEY) -> dt.date | None:
    """The report date of the latest current note (None when the store holds none): what
    `--last N days` counts back from."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(m.report_note.c.report_date)).where(_current(source, key))).scalar()


def direction_notes(
    engine: Engine,
    *,
    source: str = GENERAL_STAFF,
    since: dt.date | None = None,
    until: dt.date | None = None,
    key: str = DIRECTION_KEY,
) -> list[dict[str, Any]]:
    """The current "greatest losses direction" notes of a source dated in [since, until], oldest
    first: report_date, text, revision (above 1 when the note was revised), first_seen_at, feed."""
    note = m.report_note.c
    query = (
        select(note.report_date, note.text, note.revision, note.first_seen_at, m.feed.c.name)
        .join(m.feed, m.feed.c.id == note.feed_id)
        .where(_current(source, key))
        .order_by(note.report_date, m.feed.c.name)
    )
    if since is not None:
        query = query.where(note.report_date >= since)
    if until is not None:
        query = query.where(note.report_date <= until)
    with engine.connect() as conn:
        return [
            {
                "report_date": r.report_date,
                "direction": r.text,
                "revision": r.revision,
                "first_seen_at": cast(dt.datetime, as_utc(r.first_seen_at)).isoformat(timespec="seconds"),
                "feed": r.name,
            }
            for r in conn.execute(query)
        ]


def source_urls(
    engine: Engine | Connection,
    *,
    source: str = GENERAL_STAFF,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict[dt.date, str]:
    """The official page of each report date of a source that any of its feeds names (current,
    not removed notes of key "source_url"); where two feeds name different pages for one date,
    the feed first by name gives it."""
    note = m.report_note.c
    query = (
        select(note.report_date, note.text)
        .join(m.feed, m.feed.c.id == note.feed_id)
        .where(_current(source, SOURCE_URL_KEY))
        .order_by(note.report_date, m.feed.c.name.desc())
    )
    if since is not None:
        query = query.where(note.report_date >= since)
    if until is not None:
        query = query.where(note.report_date <= until)
    if isinstance(engine, Connection):
        rows = engine.execute(query).all()
    else:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    # Ordered by feed name descending within a date, so the first feed by name is written last.
    return {day: text for day, text in rows if text}
