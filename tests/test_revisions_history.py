"""Backfilling seven real snapshots records corrections, removals and re-additions as revisions."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.storecheck import count
from tracker.ingest.feeds.dataset import DatasetFeed
from tracker.ingest.run import run_ingest
from tracker.ingest.snapshots import parse_moment
from tracker.store.db import open_store
from tracker.store.queries import observations_frame

UTC = dt.UTC


@pytest.fixture
def history_store(store_url, history_dirs) -> str:
    assert len(history_dirs) == 7
    for folder in history_dirs:
        observed = parse_moment(folder.name.split("_")[0])
        report = run_ingest(store_url, DatasetFeed(), location=str(folder), observed_at=observed)
        assert report.status in ("ok", "ok_with_findings"), report.error
    return store_url


def personnel_on(url: str, day: str, *, known_at: dt.datetime | None = None) -> int | None:
    frame = observations_frame(open_store(url, write=False), metric="personnel", known_at=known_at)
    hit = frame[frame.report_date == day]
    return None if hit.empty else int(hit.value.iloc[0])


def revisions(url: str, day: str) -> list[tuple]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                """SELECT o.revision, o.value, o.removed FROM observation o JOIN metric m ON m.id = o.metric_id
               WHERE m.name = 'personnel' AND o.kind = 'total' AND o.report_date = :d ORDER BY o.revision"""
            ),
            {"d": dt.date.fromisoformat(day)},
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_next_day_correction_of_2023_01_12_is_a_second_revision(history_store):
    assert revisions(history_store, "2023-01-12") == [(1, 113_990, False), (2, 113_390, False)]


def test_ten_month_old_value_corrected_on_day369_is_a_second_revision(history_store):
    assert revisions(history_store, "2022-04-02") == [(1, 17_700, False), (2, 17_800, False)]


def test_row_removed_and_re_added_within_minutes_has_three_revisions(history_store):
    assert revisions(history_store, "2023-05-09") == [(1, 195_620, False), (2, None, True), (3, 195_620, False)]


def test_catch_up_of_44_days_arrives_in_one_snapshot(history_store):
    runs = count(history_store, "SELECT n_new FROM ingest_run WHERE location LIKE '%day368'")
    assert runs == 44 * 13  # 44 reports x 13 series (personnel and 12 equipment categories)


def test_store_read_as_known_between_two_snapshots_returns_that_moments_values(history_store):
    between_323_and_324 = dt.datetime(2023, 1, 13, 8, 0, tzinfo=UTC)
    assert personnel_on(history_store, "2023-01-12", known_at=between_323_and_324) == 113_990
    assert personnel_on(history_store, "2023-01-13", known_at=between_323_and_324) is None
    assert personnel_on(history_store, "2023-01-12") == 113_390

    before_day369 = dt.datetime(2023, 2, 27, 11, 0, tzinfo=UTC)
    assert personnel_on(history_store, "2022-04-02", known_at=before_day369) == 17_700
    assert personnel_on(history_store, "2022-04-02") == 17_800

    while_removed = dt.datetime(2023, 5, 9, 14, 50, tzinfo=UTC)
    assert personnel_on(history_store, "2023-05-09", known_at=while_removed) is None
    assert personnel_on(history_store, "2023-05-09", known_at=while_removed + dt.timedelta(minutes=5)) == 195_620


def test_as_of_a_date_reads_reports_up_to_it_with_values_known_by_its_end(history_store):
    frame = observations_frame(open_store(history_store, write=False), metric="personnel", as_of=dt.date(2023, 1, 12))
    assert frame.report_date.max() == dt.datetime(2023, 1, 12)
    assert int(frame.value.iloc[-1]) == 113_990  # the correction came the next day


def test_an_older_snapshot_after_a_newer_one_is_refused(store_url, history_dirs):
    from tracker.errors import InvalidInput

    run_ingest(
        store_url,
        DatasetFeed(),
        location=str(history_dirs[1]),
        observed_at=parse_moment(history_dirs[1].name.split("_")[0]),
    )
    with pytest.raises(InvalidInput, match="ingest snapshots in time order"):
        run_ingest(
            store_url,
            DatasetFeed(),
            location=str(history_dirs[0]),
            observed_at=parse_moment(history_dirs[0].name.split("_")[0]),
        )
