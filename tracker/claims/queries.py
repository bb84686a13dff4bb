"""Reading claims: the current claims with filters, and one claim with every revision."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Row, Select, func, select

from tracker.claims.claim import KINDS, SUBJECTS, figure_label, format_period, parse_period
from tracker.domain import resolve
from tracker.errors import InvalidInput
from tracker.store import models as m
from tracker.store.db import as_utc

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = [
    "id",
    "key",
    "source",
    "source_name",
    "subject",
    "metric",
    "definition",
    "kind",
    "period",
    "period_start",
    "period_end",
    "period_precision",
    "qualifier",
    "low",
    "best",
    "high",
    "figure",
    "published",
    "published_date",
    "published_precision",
    "url",
    "based_on",
    "note",
    "feed",
    "revision",
    "entered_at",
    "revised_at",
    "run_id",
]


def _whole_if_integral(x: float | None) -> int | float | None:
    """A stored figure as JSON should show it: 41980, not 41980.0; 1271.5 stays a float."""
    if x is None:
        return None
    return int(x) if float(x).is_integer() else float(x)


def _row_dict(row: Row[*tuple[Any, ...]], first_id: int, entered: dt.datetime | None) -> dict[str, Any]:
    c = row._mapping
    removed = bool(c["removed"])
    return {
        "id": first_id,
        "key": c["claim_key"],
        "source": c["source_key"],
        "source_name": c["source_name"],
        "subject": c["subject"],
        "metric": c["metric"],
        "definition": c["definition"],
        "kind": c["kind"],
        "period": None if removed else format_period(c["period_start"], c["period_end"], c["period_precision"]),
        "period_start": c["period_start"],
        "period_end": c["period_end"],
        "period_precision": c["period_precision"],
        "qualifier": c["qualifier"],
        "low": _whole_if_integral(c["low"]),
        "best": _whole_if_integral(c["best"]),
        "high": _whole_if_integral(c["high"]),
        "figure": None if removed else figure_label(c["qualifier"], c["low"], c["best"], c["high"]),
        "published": None
        if removed
        else format_period(c["published_date"], c["published_date"], c["published_precision"]),
        "published_date": c["published_date"],
        "published_precision": c["published_precision"],
        "url": c["url"],
        "based_on": c["based_on"],
        "note": c["note"],
        "feed": c["feed_name"],
        "revision": c["revision"],
        "entered_at": as_utc(entered),
        "revised_at": as_utc(c["first_seen_at"]),
        "run_id": c["run_id"],
    }


def _base_query() -> Select[*tuple[Any, ...]]:
    t = m.claim
    return (
        select(
            t,
            m.source.c.key.label("source_key"),
            m.source.c.name.label("source_name"),
            m.feed.c.name.label("feed_name"),
        )
        .outerjoin(m.source, m.source.c.id == t.c.source_id)
        .join(m.feed, m.feed.c.id == t.c.feed_id)
    )


def _firsts(conn: Connection) -> dict[tuple[int, str], tuple[int, dt.datetime]]:
    """(feed_id, claim_key) -> (id of its first revision, when it entered the store)."""
    t = m.claim
    rows = conn.execute(
        select(t.c.feed_id, t.c.claim_key, func.min(t.c.id), func.min(t.c.first_seen_at)).group_by(
            t.c.feed_id, t.c.claim_key
        )
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def list_claims(
    engine: Engine | Connection,
    *,
    source: str | None = None,
    metric: str | None = None,
    kind: str | None = None,
    period: str | None = None,
    definition: str | None = None,
    subject: str | None = None,
) -> list[dict[str, Any]]:
    """The current claims (not removed), oldest publication first; `period` keeps claims whose
    period overlaps it (e.g. '2024', '2024-09', '2024-05-01/2024-06-30'), `subject` those about
    one side's losses (russia or ukraine), `source` those of the sources it names (a key, a key
    prefix or a word of the name, as `compare --source`)."""
    t = m.claim
    query = _base_query().where(t.c.superseded_at.is_(None), t.c.removed.is_(False))
    if source:
        query = query.where(m.source.c.key.in_(_chosen(engine, source)))
    if metric:
        try:
            query = query.where(t.c.metric == resolve(metric).name)
        except KeyError:
            raise InvalidInput(f"unknown metric {metric[:60]!r}") from None
    if kind:
        if kind not in KINDS:
            raise InvalidInput(f"unknown kind {kind[:60]!r}; use one of: {', '.join(KINDS)}")
        query = query.where(t.c.kind == kind)
    if definition:
        query = query.where(t.c.definition == definition)
    if subject:
        if subject not in SUBJECTS:
            raise InvalidInput(f"unknown side {subject[:60]!r}; use one of: {', '.join(SUBJECTS)}")
        query = query.where(t.c.subject == subject)
    if period:
        try:
            span = parse_period(period)
        except ValueError as exc:
            raise InvalidInput(f"--period: {exc}") from None
        query = query.where(t.c.period_start <= span.end, t.c.period_end >= span.start)
    query = query.order_by(t.c.published_date, t.c.claim_key, t.c.feed_id)
    own = isinstance(engine, Engine)
    conn = engine.connect() if isinstance(engine, Engine) else engine
    try:
        firsts = _firsts(conn)
        return [_row_dict(r, *firsts[(r.feed_id, r.claim_key)]) for r in conn.execute(query)]
    finally:
        if own:
            conn.close()


def claims_frame(engine: Engine | Connection, **filters: str | None) -> pd.DataFrame:
    """list_claims as a DataFrame (the input of tracker.analysis.compare)."""
    import pandas as pd

    return pd.DataFrame(list_claims(engine, **filters), columns=COLUMNS)


def claim_history(engine: Engine, ident: str) -> list[list[dict[str, Any]]]:
    """Every revision of the claim(s) named by `ident` — the id of any revision, or a claim_key —
    oldest first; one list per (feed, key), since keys are unique only within a feed."""
    t = m.claim
    with engine.connect() as conn:
        # An id is ASCII digits within the 64-bit ids a store hands out; anything else is a key.
        if ident.isascii() and ident.isdigit() and int(ident) < 2**63:
            found = conn.execute(select(t.c.feed_id, t.c.claim_key).where(t.c.id == int(ident))).all()
        else:
            found = conn.execute(select(t.c.feed_id, t.c.claim_key).where(t.c.claim_key == ident).distinct()).all()
        if not found:
            raise InvalidInput(f"no claim {ident[:60]!r} in the store (see `tracker claims list`)")
        firsts = _firsts(conn)
        out = []
        for feed_id, key in sorted(set(found)):
            rows = conn.execute(
                _base_query().where(t.c.feed_id == feed_id, t.c.claim_key == key).order_by(t.c.revision)
            ).all()
            revisions = []
            for r in rows:
                d = _row_dict(r, *firsts[(feed_id, key)])
                d.update(removed=bool(r.removed), superseded_at=as_utc(r.superseded_at), row_id=r.id)
                revisions.append(d)
            out.append(revisions)
        return out


def _chosen(engine: Engine | Connection, source: str) -> list[str]:
    from tracker.store.sources import chosen_sources, known_sources

    if isinstance(engine, Connection):
        return chosen_sources(known_sources(engine), source)
    with engine.connect() as conn:
        return chosen_sources(known_sources(conn), source)
