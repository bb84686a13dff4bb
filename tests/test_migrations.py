"""Alembic migrations build exactly the schema the models describe, and SCHEMA_REVISION is their head."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from tracker.store.db import MIGRATIONS_DIR, make_engine, open_store, run_alembic_upgrade, schema_revision
from tracker.store.models import SCHEMA_REVISION, metadata


def _script() -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg)


def test_schema_revision_is_the_single_alembic_head() -> None:
    assert _script().get_heads() == [SCHEMA_REVISION]
    assert _script().get_revision("0002_claims").down_revision == "0001_initial"


def test_migrating_a_fresh_database_gives_the_models_schema(store_url: str) -> None:
    engine = make_engine(store_url)
    run_alembic_upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
    assert schema_revision(engine) == SCHEMA_REVISION
    engine.dispose()


def test_a_store_created_from_the_models_matches_the_migrated_one(store_url: str) -> None:
    engine = open_store(store_url, write=True)  # the create_all + stamp path
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        indexes = {ix["name"] for ix in inspect(conn).get_indexes("claim")}
    assert diff == []
    assert {"ix_claim_current", "ix_claim_key"} <= indexes
    engine.dispose()


def test_a_0001_store_with_data_upgrades_to_0002_and_keeps_it(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    run_alembic_upgrade(engine, "0001_initial")
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO source (key, name) VALUES ('ua-general-staff', 'GS')"))
        conn.execute(text("INSERT INTO feed (name, source_id) VALUES ('ua-dataset', 1)"))
        conn.execute(
            text(
                "INSERT INTO ingest_run (feed_name, source_key, started_at, observed_at, status, n_records, "
                "n_new, n_revised, n_removed, n_unchanged, n_findings_new, n_findings_open) "
                "VALUES ('ua-dataset', 'ua-general-staff', :t, :t, 'ok', 0, 0, 0, 0, 0, 0, 0)"
            ),
            {"t": now},
        )
    engine.dispose()
    engine = open_store(sqlite_url, write=True)  # a writer upgrades through Alembic
    assert schema_revision(engine) == SCHEMA_REVISION
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ingest_run")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM claim")).scalar() == 0
    engine.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    """Alembic's downgrade of the engine's database to `revision`."""
    from alembic import command

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_the_claims_migration_downgrades_cleanly(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    run_alembic_upgrade(engine)
    _downgrade(engine, "0001_initial")
    with engine.connect() as conn:
        assert "claim" not in inspect(conn).get_table_names()
    assert schema_revision(engine) == "0001_initial"
    engine.dispose()


def _observation_indexes(url: str) -> set[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        names = {ix["name"] for ix in inspect(conn).get_indexes("observation")}
    engine.dispose()
    return names


@pytest.mark.parametrize(
    ("revision", "dropped"),
    [
        ("0004_series_side_definition", "ix_observation_last_seen_run"),
        ("0005_drop_last_seen_index", "ix_observation_current"),
    ],
)
def test_a_store_with_data_at_an_older_schema_upgrades_without_the_dropped_index_and_keeps_its_rows(
    store_url: str, latest_dir, revision: str, dropped: str
) -> None:
    from sqlalchemy import create_engine

    from tracker.ingest.feeds.dataset import DatasetFeed
    from tracker.ingest.run import run_ingest

    run_ingest(store_url, DatasetFeed(), location=str(latest_dir))
    engine = create_engine(store_url)  # foreign keys off, as a batch migration recreating tables needs
    _downgrade(engine, revision)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*), sum(value) FROM observation")).one()
    engine.dispose()
    assert dropped in _observation_indexes(store_url)

    open_store(store_url, write=True).dispose()  # a writer upgrades

    engine = make_engine(store_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), sum(value) FROM observation")).one() == rows
    assert schema_revision(engine) == SCHEMA_REVISION == "0007_withdrawals"
    engine.dispose()
    assert {name for name in _observation_indexes(store_url) if name.startswith("ix_")} == {"ix_observation_window"}
    assert rows[0] == 22_375 + 86  # the totals and the documented adjustments


def test_confirming_an_unchanged_payload_finds_its_feeds_rows_by_an_index_seek(sqlite_url: str) -> None:
    import sqlite3

    open_store(sqlite_url, write=True).dispose()
    db = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        plan = [
            row[3]
            for row in db.execute(
                "EXPLAIN QUERY PLAN UPDATE observation SET last_seen_at = ?, last_seen_run_id = ? WHERE feed_id = ? "
                "AND last_seen_run_id = ? AND superseded_at IS NULL AND removed = 0",
                ("2026-11-26 00:00:00.000000", 2, 1, 1),
            )
        ]
    finally:
        db.close()
    assert len(plan) == 1 and plan[0].startswith("SEARCH observation USING INDEX ") and "(feed_id=?" in plan[0]
