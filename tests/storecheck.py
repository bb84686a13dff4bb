"""Test helpers that read a store directly: fingerprints to prove it did not change."""

from __future__ import annotations

import hashlib

from sqlalchemy import create_engine, inspect, text

# What a failed run may add: its own record and the raw bytes it fetched. Nothing else.
RUN_RECORD_TABLES = {"ingest_run", "payload_fetch", "payload_blob"}
# When a run last saw a row: moves with every run that confirms the row, by design.
SEEN_COLUMNS = {"last_seen_at", "last_seen_run_id", "last_run_id"}


def fingerprint(url: str) -> dict[str, str]:
    """A digest of every table's rows except the run records."""
    engine = create_engine(url)
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            if name in RUN_RECORD_TABLES:
                continue
            cols = [c["name"] for c in inspect(conn).get_columns(name) if c["name"] not in SEEN_COLUMNS]
            listed = ", ".join(f'"{c}"' for c in cols)
            rows = conn.execute(text(f'SELECT {listed} FROM "{name}" ORDER BY 1')).all()
            out[name] = hashlib.sha256(repr(rows).encode()).hexdigest() + f":{len(rows)}"
    engine.dispose()
    return out


def count(url: str, sql: str, **params) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql), params).scalar()
    engine.dispose()
    return int(value or 0)


def runs(url: str) -> list[dict]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM ingest_run ORDER BY id"))]
    engine.dispose()
    return rows
