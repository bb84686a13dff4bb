"""tracker.store.pgcopy.copy_rows: COPY FROM STDIN into PostgreSQL inside the caller's transaction.

Runs on the PostgreSQL server named by TRACKER_TEST_PG_URL (skipped without it, a failure with
TRACKER_REQUIRE_POSTGRES=1), each test in a fresh database.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DataError

from tracker.store.pgcopy import copy_rows

COLUMNS = ("id", "flag", "name", "day", "at", "big", "note")
UTC = dt.UTC
ROWS = [
    (1, True, "plain", dt.date(2022, 2, 24), dt.datetime(2022, 2, 24, 6, 0, tzinfo=UTC), 2**40, "x"),
    (2, False, "tab\there", dt.date(1999, 12, 31), dt.datetime(2026, 11, 26, 7, 20, 45, 123456, tzinfo=UTC), -7, ""),
    (3, None, "line\nbreak\r\nand CR\r", None, None, None, None),
    (4, True, "back\\slash \\N \\t \\\\", dt.date(2263, 1, 1), dt.datetime(1970, 1, 1, tzinfo=UTC), 0, "\\N"),
    (5, False, "quotes ' \" `", dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC), 1, "NULL"),
    (6, None, "юнікод ✓ 𝄞 Ω", dt.date(2000, 1, 1), dt.datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=UTC), 5, "a,b;c|d"),
]


@pytest.fixture
def engine(pg_url):
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE sample (id integer PRIMARY KEY, flag boolean, name text NOT NULL, day date, "
                "at timestamptz, big bigint, note text)"
            )
        )
    yield engine
    engine.dispose()


def _stored(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT {', '.join(COLUMNS)} FROM sample ORDER BY id"))]


def test_copied_rows_read_back_exactly_with_nulls_dates_and_special_characters(engine):
    with engine.begin() as conn:
        assert copy_rows(conn, "sample", COLUMNS, iter(ROWS)) == 6
    assert _stored(engine) == ROWS


def test_shared_values_lead_every_row_as_their_columns_say(engine):
    shared = (dt.datetime(2026, 11, 26, 7, 0, tzinfo=UTC), "shared\ttext", None)  # at, note, day
    own = [(r[0], r[1], r[2], r[5]) for r in ROWS]  # id, flag, name, big
    with engine.begin() as conn:
        assert copy_rows(conn, "sample", ("at", "note", "day", "id", "flag", "name", "big"), own, shared=shared) == 6
    assert _stored(engine) == [(i, flag, name, None, shared[0], big, "shared\ttext") for i, flag, name, big in own]


def test_copied_rows_stay_in_the_callers_transaction_until_it_commits(engine):
    with engine.connect() as conn, engine.connect() as other:
        conn.execute(text("INSERT INTO sample (id, name) VALUES (0, 'before')"))
        assert copy_rows(conn, "sample", COLUMNS, ROWS[:2]) == 2
        assert conn.execute(text("SELECT count(*) FROM sample")).scalar_one() == 3
        assert other.execute(text("SELECT count(*) FROM sample")).scalar_one() == 0
        other.rollback()
        conn.commit()
        assert other.execute(text("SELECT count(*) FROM sample")).scalar_one() == 3


def test_copy_as_the_first_statement_of_a_connection_is_committed_by_its_commit(engine):
    with engine.connect() as conn:
        assert not conn.in_transaction()
        assert copy_rows(conn, "sample", COLUMNS, ROWS[:1]) == 1
        assert conn.in_transaction()
        conn.commit()
    assert _stored(engine) == ROWS[:1]


def test_a_rolled_back_transaction_leaves_no_copied_rows(engine):
    with engine.connect() as conn:
        with conn.begin() as tx:
            assert copy_rows(conn, "sample", COLUMNS, ROWS) == 6
            tx.rollback()
    assert _stored(engine) == []


def test_text_in_an_integer_column_raises_a_data_error_and_the_transaction_rolls_back(engine):
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO sample (id, name) VALUES (0, 'kept?')"))
        bad = [ROWS[0], ("seven", None, "x", None, None, None, None)]
        with pytest.raises(DataError) as caught:
            copy_rows(conn, "sample", COLUMNS, bad)
        assert type(caught.value.orig).__name__ == "InvalidTextRepresentation"
        assert 'invalid input syntax for type integer: "seven"' in str(caught.value)
        conn.rollback()
        # the connection is usable again, and nothing of the failed transaction was kept
        assert conn.execute(text("SELECT count(*) FROM sample")).scalar_one() == 0


def test_a_row_with_too_few_values_raises_a_data_error(engine):
    with engine.connect() as conn:
        with pytest.raises(DataError, match="missing data for column"):
            copy_rows(conn, "sample", COLUMNS, [(1, True, "short")])
        conn.rollback()
    assert _stored(engine) == []


def test_no_rows_write_nothing_and_return_zero(engine):
    with engine.begin() as conn:
        assert copy_rows(conn, "sample", COLUMNS, []) == 0
    assert _stored(engine) == []


def test_a_schema_qualified_table_with_quoted_column_names(engine):
    with engine.begin() as conn:
        conn.execute(text('CREATE SCHEMA extra; CREATE TABLE extra."Mixed" ("Value" integer, "report date" date)'))
        assert copy_rows(conn, "extra.Mixed", ["Value", "report date"], [(1, dt.date(2022, 2, 24)), (2, None)]) == 2
    with engine.connect() as conn:
        stored = conn.execute(text('SELECT "Value", "report date" FROM extra."Mixed" ORDER BY 1')).all()
    assert [tuple(r) for r in stored] == [(1, dt.date(2022, 2, 24)), (2, None)]


def test_a_sqlite_connection_is_refused(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn, pytest.raises(ValueError, match="needs PostgreSQL through psycopg, not sqlite"):
        copy_rows(conn, "sample", COLUMNS, ROWS)
    engine.dispose()


def test_equal_instants_at_different_offsets_keep_their_own_text(engine):
    utc = dt.datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    kyiv = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    with engine.begin() as conn:
        rows = [(1, None, "utc", None, utc, None, utc), (2, None, "kyiv", None, kyiv, None, kyiv)]
        assert copy_rows(conn, "sample", COLUMNS, rows) == 2
    stored = _stored(engine)
    assert [r[4] for r in stored] == [utc, utc]  # one instant in timestamptz
    assert [r[6] for r in stored] == ["2024-05-01 07:00:00+00:00", "2024-05-01 10:00:00+03:00"]  # text as given


def test_more_distinct_dates_than_the_memo_holds_all_read_back(engine, monkeypatch):
    monkeypatch.setattr("tracker.store.pgcopy._MEMO_LIMIT", 3)
    rows = [
        (
            i,
            None,
            f"r{i}",
            dt.date(2022, 2, 24) + dt.timedelta(days=i % 5),
            dt.datetime(2022, 1, 1, i, tzinfo=UTC),
            i,
            None,
        )
        for i in range(12)
    ]
    with engine.begin() as conn:
        assert copy_rows(conn, "sample", COLUMNS, rows) == 12
    assert _stored(engine) == rows
