"""Writing claims: a payload's claims become revisions of the `claim` table, as observations do.

Keyed by (feed, claim_key): an edited claim supersedes its current revision, a claim missing
from a complete payload (a claims file, its own feed) gets a removal revision unless the
withdrawal rule holds it (tracker.ingest.withdrawals.judge_claims), and a claim written with `tracker
claims add` is its own one-claim run that never removes anything. A claim key is unique across
feeds: a file naming a key another feed holds is refused (check_claim_keys).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, and_, select

from tracker.claims.claim import STORED_FIELDS, ClaimRecord
from tracker.claims.parse import identity
from tracker.errors import BadPayload, InvalidInput
from tracker.ingest import withdrawals
from tracker.store import models as m
from tracker.store.registry import metric_ids, source_ids
from tracker.store.revisions import Snapshot, Stamp, apply_snapshot
from tracker.store.run_report import NewFinding, RevisionCounts

VALUE_COLS = ("source_id",) + STORED_FIELDS[1:]
# Where a stored claim's metric, subject and publication date sit among VALUE_COLS.
_FACTS = tuple(VALUE_COLS.index(name) for name in ("metric", "subject", "published_date"))
CLASHES_NAMED = 3  # how many clashing keys a refusal names


class AppliedClaims(NamedTuple):
    """What a payload's claims did: revision counts, the withdrawal_held finding a run opened (if
    it held removals) and how many claims are held."""

    counts: RevisionCounts
    finding: NewFinding | None
    held: int


def apply_claims(
    conn: Connection,
    *,
    run_id: int,
    now: dt.datetime,
    claims: list[ClaimRecord],
    complete: bool,
    allow_shrink: bool = False,
    feed_label: str = "",
) -> AppliedClaims:
    """Record a payload's claims for the run's feed; `complete` payloads remove missing claims,
    except those the withdrawal rule holds (all of `allow_shrink` payloads' are removed)."""
    feed_id = conn.execute(select(m.ingest_run.c.feed_id).where(m.ingest_run.c.id == run_id)).scalar_one()
    ids = source_ids(conn, {c.source for c in claims})
    incoming = {(c.key,): (ids[c.source], *c.values()[1:]) for c in claims}

    def facts(values: tuple[Any, ...]) -> withdrawals.ClaimFacts:
        metric, subject, published = (values[i] for i in _FACTS)
        return metric, subject, published

    holding = withdrawals.ClaimHolding(allow_shrink, withdrawals.open_claim_keys(conn, feed_id), facts)
    snapshot = Snapshot(
        {"feed_id": feed_id}, ("claim_key",), VALUE_COLS, incoming, lambda key: complete, hold=holding.hold
    )
    counts, _changed = apply_snapshot(conn, m.claim, snapshot, Stamp(now, run_id))
    finding = withdrawals.record_claims(
        conn,
        feed_id=feed_id,
        feed_label=feed_label,
        run_id=run_id,
        now=now,
        holding=holding,
        incoming=[c.key for c in claims],
        metric_ids=metric_ids(conn, {facts[0] for facts in holding.held.values()}),
    )
    return AppliedClaims(counts, finding, len(holding.held))


def check_claim_keys(engine: Engine, feed: str, source: str, claims: list[ClaimRecord], where: str) -> None:
    """Refuse (BadPayload, exit 5: the file's content is at fault) a file of claims whose keys
    another feed currently holds: a claim key names one claim, whichever file it comes from. The
    message names both files (the other as its feed and the file it was last read from)."""
    claim, feed_t, run = m.claim, m.feed, m.ingest_run
    keys = sorted({c.key for c in claims})
    clashes: list[tuple[str, str, str | None]] = []
    with engine.connect() as conn:
        for start in range(0, len(keys), 500):
            clashes += [
                (key, name, location)
                for key, name, location in conn.execute(
                    select(claim.c.claim_key, feed_t.c.name, run.c.location)
                    .join(feed_t, feed_t.c.id == claim.c.feed_id)
                    .join(m.source, m.source.c.id == feed_t.c.source_id)
                    .join(run, run.c.id == claim.c.last_seen_run_id)
                    .where(
                        claim.c.claim_key.in_(keys[start : start + 500]),
                        claim.c.superseded_at.is_(None),
                        claim.c.removed.is_(False),
                        ~and_(feed_t.c.name == feed, m.source.c.key == source),
                    )
                    .order_by(claim.c.claim_key)
                )
            ]
    if not clashes:
        return
    key, other, location = clashes[0]
    others = [repr(c[0]) for c in clashes[1:CLASHES_NAMED]] + (["…"] if len(clashes) > CLASHES_NAMED else [])
    more = f" (and {len(clashes) - 1:,} more: {', '.join(others)})" if others else ""
    # Every key held by one other feed: most likely that feed's file, edited and saved elsewhere.
    same = len(clashes) == len(keys) and len({c[1] for c in clashes}) == 1
    hint = f", or load this file as that feed with --feed {other}" if same else ""
    raise BadPayload(
        f"{where} (feed {feed}): claim key {key!r} is already a claim of feed {other} ({location}){more}; "
        f"a claim key is unique across claims files: rename it in one of them{hint} (nothing stored)"
    )


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
