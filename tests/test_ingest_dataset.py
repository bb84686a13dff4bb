"""The daily ingest of the open General Staff dataset into a revision-aware store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.storecheck import count, fingerprint, runs
from tracker.errors import StoreError
from tracker.ingest.feeds.dataset import DatasetFeed
from tracker.ingest.repeat import Attempt
from tracker.ingest.run import run_ingest
from tracker.store.db import open_store
from tracker.store.queries import observations_frame

PERSONNEL_SQL = """SELECT COUNT(*) FROM observation o JOIN metric m ON m.id = o.metric_id
                   WHERE m.name = 'personnel' AND o.kind = 'total' AND o.superseded_at IS NULL"""


def test_latest_dataset_loads_every_personnel_report_and_equipment_series(store_url, latest_dir):
    report = run_ingest(store_url, DatasetFeed(), location=str(latest_dir))

    assert report.status == "ok_with_findings"
    assert count(store_url, PERSONNEL_SQL) == 1626
    series = count(store_url, "SELECT COUNT(DISTINCT metric_id) FROM observation WHERE kind = 'total'")
    assert series == 19  # personnel, POW and 17 equipment categories (current and retired)
    assert count(store_url, "SELECT COUNT(*) FROM observation WHERE kind = 'total'") == 22_375
    assert report.latest_report_date == dt.date(2026, 8, 8)


def test_store_gives_710660_on_2024_11_11_and_1770_over_the_day_before(store_url, latest_dir):
    run_ingest(store_url, DatasetFeed(), location=str(latest_dir))
    frame = observations_frame(open_store(store_url, write=False), metric="personnel")
    by_date = frame.set_index("report_date")["value"]

    assert by_date[dt.datetime(2024, 11, 11)] == 710_660
    assert by_date[dt.datetime(2024, 11, 11)] - by_date[dt.datetime(2024, 11, 10)] == 1_770


def test_ingesting_the_same_payload_again_adds_only_an_unchanged_run_record(store_url, latest_dir):
    run_ingest(store_url, DatasetFeed(), location=str(latest_dir))
    before = fingerprint(store_url)
    before_obs = count(store_url, "SELECT COUNT(*) FROM observation")

    report = run_ingest(store_url, DatasetFeed(), location=str(latest_dir))

    assert report.status == "unchanged"
    assert report.counts.new == report.counts.revised == report.counts.removed == 0
    assert count(store_url, "SELECT COUNT(*) FROM observation") == before_obs
    assert fingerprint(store_url) == before
    assert [r["status"] for r in runs(store_url)] == ["ok_with_findings", "unchanged"]


def test_corrections_file_is_stored_as_adjustments_beside_the_totals(store_url, latest_dir):
    run_ingest(store_url, DatasetFeed(), location=str(latest_dir))
    # 2022-10-13: the afv (APC) total was corrected by -25, a documented adjustment, not a loss
    delta = count(
        store_url,
        """SELECT o.value FROM observation o JOIN metric m ON m.id = o.metric_id
                               WHERE o.kind = 'adjustment' AND m.name = 'afv' AND o.report_date = '2022-10-13'""",
    )
    assert delta == -25
    frame = observations_frame(open_store(store_url, write=False), metric="afv")
    row = frame[frame.report_date == "2022-10-13"].iloc[0]
    assert row.adjustment == -25
    assert count(store_url, "SELECT COUNT(*) FROM observation WHERE kind = 'adjustment'") == 86


def test_merged_category_is_continuous_across_its_merge_date(sqlite_url, latest_dir):
    run_ingest(sqlite_url, DatasetFeed(), location=str(latest_dir))
    frame = observations_frame(open_store(sqlite_url, write=False), metric="vehicles_fuel_tanks")
    before = frame[frame.report_date == "2022-04-30"].iloc[0]
    after = frame[frame.report_date == "2022-05-01"].iloc[0]

    assert before.lineage == "military_auto+fuel_tanks"
    assert before.value == 1701 + 76
    assert after.value - before.value == 1796 - 1777  # +19, not a fake gain of 1,796


def test_greatest_losses_direction_text_is_kept(sqlite_url, latest_dir):
    run_ingest(sqlite_url, DatasetFeed(), location=str(latest_dir))
    assert count(sqlite_url, "SELECT COUNT(*) FROM report_note WHERE key = 'greatest_losses_direction'") == 203


def test_raw_payloads_are_archived_compressed_with_their_sha256(sqlite_url, latest_dir):
    import hashlib
    import zlib

    from sqlalchemy import create_engine, text

    run_ingest(sqlite_url, DatasetFeed(), location=str(latest_dir))
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("""SELECT f.location, f.role, b.sha256, b.size, b.content
                                    FROM payload_fetch f JOIN payload_blob b ON b.id = f.blob_id""")
        ).all()
    assert {r.role for r in rows} == {"personnel", "equipment", "corrections"}
    for r in rows:
        raw = zlib.decompress(r.content)
        assert raw == Path(r.location).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == r.sha256 and len(raw) == r.size
        assert len(r.content) < r.size / 4


def _orphaning(monkeypatch) -> None:
    """Every run, after storing its rows, points one of them at a metric that does not exist."""
    from sqlalchemy import text

    from tracker.ingest import steps as ingest

    real = ingest._store_run

    def orphaning(conn, *args, **kwargs):
        real(conn, *args, **kwargs)
        conn.execute(text("UPDATE observation SET metric_id = 999 WHERE id = (SELECT max(id) FROM observation)"))

    monkeypatch.setattr(ingest, "_store_run", orphaning)


def test_a_first_ingest_checks_foreign_keys_at_its_end_and_refuses_a_row_naming_a_missing_parent(
    monkeypatch, sqlite_url, latest_dir
):
    open_store(sqlite_url, write=True).dispose()
    _orphaning(monkeypatch)

    with pytest.raises(StoreError, match=r"nothing changed: 1 row\(s\) name a missing parent \(first: observation row"):
        run_ingest(sqlite_url, DatasetFeed(), location=str(latest_dir))

    assert count(sqlite_url, "SELECT COUNT(*) FROM observation") == 0
    assert [r["status"] for r in runs(sqlite_url)] == ["failed"]


def test_a_later_ingest_checks_each_row_against_its_parents_as_it_is_written(monkeypatch, sqlite_url, latest_dir):
    assert run_ingest(sqlite_url, DatasetFeed(), location=str(latest_dir)).exit_code == 3
    before = fingerprint(sqlite_url)
    _orphaning(monkeypatch)
    # The same bytes again: the full path's confirmation, not the sqlite3 step's (tracker.ingest.repeat).
    monkeypatch.setattr("tracker.ingest.repeat.try_repeat", lambda url, feed, **options: Attempt(None, feed))

    with pytest.raises(StoreError, match=r"nothing changed: .*FOREIGN KEY constraint failed"):
        run_ingest(sqlite_url, DatasetFeed(), location=str(latest_dir))

    after = fingerprint(sqlite_url)
    assert after["observation"] == before["observation"]
