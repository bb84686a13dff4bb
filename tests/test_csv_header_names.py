"""A CSV's columns are read by their header names, in any order: the single-source run and the
bulk load of a multi-source file store the same rows as from the canonical order."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from clirun import run_tracker

from tracker.errors import ExitCode
from tracker.store.db import open_store
from tracker.store.queries import observation_rows

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "ua-general-staff-personnel.csv"


def _rows() -> list[dict[str, str]]:
    with SAMPLE.open(newline="") as f:
        return list(csv.DictReader(f))


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue())
    return str(path)


def _stored(url: str, source: str) -> list[tuple[object, ...]]:
    """(report_date, value, qualifier) of a source's personnel series as stored."""
    engine = open_store(url, write=False)
    try:
        rows, _attrs = observation_rows(engine, source=source, metric="personnel")
    finally:
        engine.dispose()
    return [(str(r[0]), r[1], r[2]) for r in rows]


def test_a_csv_with_its_columns_in_another_order_stores_the_same_rows(capsys, store_url, tmp_path):
    rows = _rows()
    rows[5]["qualifier"] = "about"  # a qualifier travels with its row too
    canonical = _write(tmp_path / "a.csv", ["report_date", "metric", "value", "qualifier"], rows)
    shuffled = _write(tmp_path / "b.csv", ["qualifier", "value", "report_date", "metric"], rows)

    first, _, err_a = run_tracker(capsys, "ingest", "csv", "--from", canonical, "--source", "canon", "--db", store_url)
    second, _, err_b = run_tracker(
        capsys, "ingest", "csv", "--from", shuffled, "--source", "shuffled", "--db", store_url
    )

    assert (first, second) == (0, 0), (err_a, err_b)
    stored = _stored(store_url, "shuffled")
    assert stored == _stored(store_url, "canon")
    assert len(stored) == 246 and stored[0] == ("2024-03-31", 442_170, None)
    assert stored[5][2] == "about"


def test_the_bulk_load_of_many_sources_reads_columns_by_name_too(capsys, store_url, tmp_path):
    rows = _rows()
    half = len(rows) // 2
    canonical = [{**r, "source": "alpha" if i < half else "beta"} for i, r in enumerate(rows)]
    shuffled = [{**r, "source": "gamma" if i < half else "delta"} for i, r in enumerate(rows)]
    a = _write(tmp_path / "a.csv", ["report_date", "metric", "value", "source"], canonical)
    b = _write(tmp_path / "b.csv", ["source", "value", "metric", "report_date"], shuffled)

    first, _, err_a = run_tracker(capsys, "ingest", "csv", "--from", a, "--source", "alpha", "--db", store_url)
    second, _, err_b = run_tracker(capsys, "ingest", "csv", "--from", b, "--source", "gamma", "--db", store_url)

    assert (first, second) == (0, 0), (err_a, err_b)
    assert _stored(store_url, "gamma") == _stored(store_url, "alpha")
    assert _stored(store_url, "delta") == _stored(store_url, "beta")
    assert len(_stored(store_url, "alpha")) == half and len(_stored(store_url, "delta")) == len(rows) - half


def test_a_header_names_its_unknown_missing_and_repeated_columns(capsys, sqlite_url, tmp_path):
    cases = {
        "source,report_date,metric,value,comment\nx,2024-03-01,personnel,1,hi\n": "unknown column 'comment'",
        "value,metric\n1,personnel\n": "missing report_date",
        "report_date,metric,value,value\n2024-03-01,personnel,1,2\n": "repeated value",
    }
    for text, detail in cases.items():
        path = tmp_path / "bad.csv"
        path.write_text(text)
        code, _, err = run_tracker(capsys, "ingest", "csv", "--from", str(path), "--db", sqlite_url)
        assert code == ExitCode.BAD_PAYLOAD, err
        assert (
            detail in err
            and "must name report_date, metric, value (and may name qualifier and source), in any order" in err
        )


def test_a_row_too_short_for_a_required_column_at_the_end_is_a_bad_row(capsys, sqlite_url, tmp_path):
    # value comes last: a row that leaves it off cannot be read, and is counted as bad
    text = "report_date,metric,value\n2024-03-01,personnel,100\n2024-03-02,personnel\n2024-03-03,personnel,300\n"
    path = tmp_path / "short.csv"
    path.write_text(text)

    code, out, _ = run_tracker(capsys, "ingest", "csv", "--from", str(path), "--source", "s", "--db", sqlite_url)

    assert code == ExitCode.FINDINGS and "line 3 has 2 fields, not 3; not stored" in out
    assert _stored(sqlite_url, "s") == [("2024-03-01", 100, None), ("2024-03-03", 300, None)]
