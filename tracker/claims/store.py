"""Writing claims: a payload's claims become revisions of the `claim` table, as observations do.

Keyed by (feed, claim_key): an edited claim supersedes its current revision, a claim missing
from a complete payload (the claims file) gets a removal revision, and a claim written with
`tracker claims add` is its own one-claim run that never removes anything.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, select

from tracker.claims.claim import STORED_FIELDS, ClaimRecord
from tracker.claims.validate import identity
from tracker.errors import InvalidInput
from tracker.run_report import RevisionCounts
from tracker.store import models as m
from tracker.store.registry import source_ids
from tracker.store.revisions import Snapshot, Stamp, apply_snapshot

VALUE_COLS = ("source_id",) + STORED_FIELDS[1:]


def apply_claims(
    conn: Connection, *, run_id: int, now: dt.datetime, claims: list[ClaimRecord], complete: bool
) -> RevisionCounts:
    """Record a payload's claims for the run's feed; `complete` payloads remove missing claims."""
    feed_id = conn.execute(select(m.ingest_run.c.feed_id).where(m.ingest_run.c.id == run_id)).scalar_one()
    ids = source_ids(conn, {c.source for c in claims})
    incoming = {(c.key,): (ids[c.source], *c.values()[1:]) for c in claims}
    snapshot = Snapshot({"feed_id": feed_id}, ("claim_key",), VALUE_COLS, incoming, lambda key: complete)
    counts, _changed = apply_snapshot(conn, m.claim, snapshot, Stamp(now, run_id))
    return counts


def check_new_claim(conn: Connection, claim: ClaimRecord) -> None:
    """Refuse a claim whose key, or whose statement, is already current in the store (any feed)."""
    table = m.claim
    current = (table.c.superseded_at.is_(None), table.c.removed.is_(False))
    taken = conn.execute(
        select(table.c.id, m.feed.c.name)
        .join(m.feed, m.feed.c.id == table.c.feed_id)
        .where(table.c.claim_key == claim.key, *current)
    ).first()
    if taken is not None:
        raise InvalidInput(
            f"duplicate: a claim with key {claim.key!r} is already in the store "
            f"(feed {taken.name}); pick another --key or edit the claims file"
        )
    rows = conn.execute(
        select(table.c.claim_key, m.source.c.key, *(table.c[f] for f in STORED_FIELDS[1:]))
        .join(m.source, m.source.c.id == table.c.source_id)
        .where(*current, table.c.kind == claim.kind, table.c.published_date == claim.published_date)
    )
    for row in rows:
        other = ClaimRecord(row[0], *row[1:])
        if identity(other) == identity(claim):
            raise InvalidInput(
                f"duplicate: the store already holds this claim as {other.key!r} "
                "(same source, published date, kind, period, definition and figures)"
            )
