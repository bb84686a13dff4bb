"""Sources as a store knows them: the registry file's, with what `tracker sources add` recorded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from tracker.domain import DEFINITIONS
from tracker.errors import InvalidInput, StoreError
from tracker.store import models as m
from tracker.store.queries import SOURCE_FIELDS  # the fields a store records, in display order
from tracker.store.source_registry import SOURCES, SourceInfo, matching_sources, source_info, with_overrides

# Where `tracker sources list` says a source is defined.
IN_REGISTRY, IN_STORE, OVERRIDES = "registry", "store", "store, overrides registry"


def _stored(conn: Connection) -> dict[str, dict[str, Any]]:
    """The store's own records of sources, by key: the fields as stored (None where not set)."""
    columns = [m.source.c[name] for name in ("key", *SOURCE_FIELDS)]
    return {row[0]: dict(zip(SOURCE_FIELDS, row[1:], strict=True)) for row in conn.execute(select(*columns)).all()}


def known_sources(conn: Connection) -> dict[str, SourceInfo]:
    """Every source of the registry file and of the store, by key; the store's record of a source
    (`tracker sources add`) overrides the file's fields it sets."""
    out = dict(SOURCES)
    for key, fields in _stored(conn).items():
        out[key] = with_overrides(source_info(key), **fields)
    return out


def chosen_sources(known: Mapping[str, SourceInfo], query: str) -> list[str]:
    """The keys a --source filter names (by key, key prefix or a word of the name:
    tracker.store.source_registry.matching_sources), or InvalidInput (exit 2) naming the sources
    there are when it names none: one rule for `compare` and `claims list`."""
    chosen = matching_sources(query, known)
    if not chosen:
        raise InvalidInput(
            f"--source {query[:40]!r} matches no source (by key, key prefix or name); sources: {', '.join(known)}"
        )
    return chosen


def require_source(conn: Connection, key: str) -> None:
    """InvalidInput (exit 2) naming the sources there are, when the store knows no source `key`:
    the one rule of every command that takes --source and reads what it stored."""
    known = sorted(conn.execute(select(m.source.c.key)).scalars())
    if key not in known:
        raise InvalidInput(f"no source {key!r} in the store; sources: {', '.join(known) or 'none yet'}")


def stored_source(conn: Connection, key: str) -> SourceInfo:
    """One source as the store knows it (see known_sources); named after its key if unknown."""
    return known_sources(conn).get(key) or source_info(key)


def source_rows(conn: Connection | None) -> list[dict[str, Any]]:
    """Every source (the registry file's in its order, then the store's own by key) with its
    fields and where it is defined; `conn` None: the registry alone (no store yet)."""
    stored = _stored(conn) if conn is not None else {}
    out = []
    for key in [*SOURCES, *sorted(stored.keys() - SOURCES.keys())]:
        info = with_overrides(source_info(key), **stored.get(key, {}))
        if key not in stored:
            where = IN_REGISTRY
        elif key not in SOURCES:
            where = IN_STORE
        else:  # a registry source the store recorded on first use is still the registry's
            registry = SOURCES[key]
            differs = any(v not in (None, "") and v != getattr(registry, f) for f, v in stored[key].items())
            where = OVERRIDES if differs else IN_REGISTRY
        row: dict[str, Any] = {"key": key, **{f: getattr(info, f) for f in SOURCE_FIELDS}, "defined_in": where}
        out.append(row)
    return out


def list_sources(url: str) -> list[dict[str, Any]]:
    """source_rows of the store at `url`, or of the registry alone when there is no store there yet.

    A store that exists but cannot be read (unreachable, outdated, newer) is a StoreError.
    """
    from tracker.store.db import make_engine, open_store, schema_revision, sqlite_file_missing

    if sqlite_file_missing(url):
        return source_rows(None)
    probe = make_engine(url, write=False)
    try:
        empty = schema_revision(probe) is None
    finally:
        probe.dispose()
    if empty:
        return source_rows(None)
    engine = open_store(url, write=False)
    try:
        with engine.connect() as conn:
            return source_rows(conn)
    except SQLAlchemyError as exc:
        from tracker.store.db import store_failure

        raise store_failure(exc, "cannot read the sources") from None
    finally:
        engine.dispose()


def sources_for_run(url: str) -> dict[str, SourceInfo]:
    """The sources as a run about to start sees them (for its defaults: side, name); the registry
    alone when no current store can be read yet (the run itself then creates, migrates or fails)."""
    try:
        rows = list_sources(url)
    except StoreError:
        return dict(SOURCES)
    return {r["key"]: with_overrides(source_info(r["key"]), **{f: r[f] for f in SOURCE_FIELDS}) for r in rows}


@dataclass
class SourceUpdate:
    """What `tracker sources add` did to a source's record in the store."""

    key: str
    created: bool  # the store had no record of the source before
    info: SourceInfo  # the source as the store now knows it
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)  # (field, before, after)
    # Current figures of the source with no definition of their own that a changed definition
    # relabels (they count what their source counts).
    relabelled: int = 0


def add_source(url: str, key: str, given: Mapping[str, str | None], *, lock_wait: float = 10.0) -> SourceUpdate:
    """Record a source in the store, or update the fields `given` (SOURCE_FIELDS; None: keep) of
    one it has: under the writer lock, creating or migrating the store as an ingest does.

    A new key not in the registry needs a name (InvalidInput). The registry file is never written.
    """
    from tracker.store.db import make_engine, store_failure
    from tracker.store.lock import writing

    fields = {f: v for f, v in given.items() if f in SOURCE_FIELDS and v not in (None, "")}
    engine = make_engine(url)
    try:
        with writing(engine, wait=lock_wait):
            with engine.begin() as conn:
                return _record(conn, key, fields)
    except SQLAlchemyError as exc:
        raise store_failure(exc, "store write failed, nothing changed") from None
    finally:
        engine.dispose()


def _record(conn: Connection, key: str, fields: dict[str, str]) -> SourceUpdate:
    stored = _stored(conn).get(key)
    before = with_overrides(source_info(key), **(stored or {}))
    if stored is None:
        if key not in SOURCES and "name" not in fields:
            raise InvalidInput(f"source {key!r} is new: give it a --name")
        after = with_overrides(before, **fields)
        conn.execute(insert(m.source).values(key=key, **{f: getattr(after, f) for f in SOURCE_FIELDS}))
    else:
        after = with_overrides(before, **fields)
    changes = [
        (f, getattr(before, f), getattr(after, f)) for f in SOURCE_FIELDS if getattr(before, f) != getattr(after, f)
    ]
    if stored is not None and changes:
        conn.execute(update(m.source).where(m.source.c.key == key).values({f: new for f, _old, new in changes}))
    update_ = SourceUpdate(key, stored is None, after, changes)
    if stored is not None and any(f == "definition" for f, _o, _n in changes):
        update_.relabelled = _undefined_figures(conn, key, {before.definition, after.definition})
    return update_


def _undefined_figures(conn: Connection, key: str, definitions: set[str | None]) -> int:
    """Current figures of the source without a definition of their own, of the metric kinds the
    definitions apply to: what a change of the source's definition relabels."""
    kinds = {DEFINITIONS[d].kind for d in definitions if d in DEFINITIONS}
    obs = m.observation
    query = (
        select(func.count())
        .select_from(obs)
        .join(m.feed, m.feed.c.id == obs.c.feed_id)
        .join(m.source, m.source.c.id == m.feed.c.source_id)
        .join(m.metric, m.metric.c.id == obs.c.metric_id)
        .where(
            m.source.c.key == key,
            obs.c.kind == "total",
            obs.c.definition.is_(None),
            obs.c.superseded_at.is_(None),
            obs.c.removed.is_(False),
            m.metric.c.kind.in_(kinds),
        )
    )
    return int(conn.execute(query).scalar_one())


@dataclass(frozen=True)
class RemovedSource:
    """What `tracker sources remove` took out of the store with a source: its feeds and their runs."""

    key: str
    feeds: int
    runs: int


def remove_source(url: str, key: str, *, lock_wait: float = 10.0) -> RemovedSource:
    """Remove a source that has no figures (a key a mistyped CSV column made, say), with its feeds,
    their run records, findings and the raw payloads only they kept; under the writer lock, in one
    transaction. InvalidInput (nothing changed) when the store does not record the key, or when it
    holds any figure of it, current or past (a revision, a note, a claim): history is never deleted.
    """
    from sqlalchemy import delete

    from tracker.store.db import error_line, open_store, safe_url, sqlite_file_missing
    from tracker.store.lock import writing

    if sqlite_file_missing(url):  # nothing to remove: never create a store for it
        raise InvalidInput(f"source {key!r} is not in the store (there is no store at {safe_url(url)})")
    engine = open_store(url, write=True)
    try:
        with writing(engine, wait=lock_wait), engine.begin() as conn:
            source_id = conn.execute(select(m.source.c.id).where(m.source.c.key == key)).scalar()
            if source_id is None:
                raise InvalidInput(f"source {key!r} is not in the store (see `tracker sources list`)")
            figures = sum(
                conn.execute(select(func.count()).select_from(table).where(table.c.source_id == source_id)).scalar_one()
                for table in (m.observation, m.report_note, m.claim)
            )
            if figures:
                raise InvalidInput(
                    f"source {key!r} has {figures:,} figure(s) in the store (revisions included): "
                    "only a source with none can be removed"
                )
            feeds = list(conn.execute(select(m.feed.c.id).where(m.feed.c.source_id == source_id)).scalars())
            runs = list(conn.execute(select(m.ingest_run.c.id).where(m.ingest_run.c.feed_id.in_(feeds))).scalars())
            fetch = m.payload_fetch
            blobs = set(conn.execute(select(fetch.c.blob_id).where(fetch.c.run_id.in_(runs))).scalars())
            conn.execute(delete(m.finding).where(m.finding.c.feed_id.in_(feeds)))
            conn.execute(delete(fetch).where(fetch.c.run_id.in_(runs)))
            conn.execute(delete(m.ingest_run).where(m.ingest_run.c.id.in_(runs)))
            conn.execute(delete(m.feed).where(m.feed.c.id.in_(feeds)))
            conn.execute(delete(m.source).where(m.source.c.id == source_id))
            if blobs:  # raw bytes no other run fetched
                kept = set(conn.execute(select(fetch.c.blob_id).where(fetch.c.blob_id.in_(blobs))).scalars())
                conn.execute(delete(m.payload_blob).where(m.payload_blob.c.id.in_(blobs - kept)))
            return RemovedSource(key, len(feeds), len(runs))
    except SQLAlchemyError as exc:
        raise StoreError(f"store write failed, nothing changed: {error_line(exc)}") from None
    finally:
        engine.dispose()
