"""A CSV of many sources loads in one pass and one transaction (issue 12): each source's run is
stored as its last row is read, a new store gets its indexes after the load, a failure midway
leaves the store as it was, and a file of new days is validated around them with the same
findings as a backfill of the whole series."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from clirun import run_tracker
from sqlalchemy import create_engine, inspect, text
from storecheck import fingerprint

import tracker.ingest.http
import tracker.ingest.parsed
from tracker.errors import StoreError
from tracker.ingest import csvload, rules
from tracker.ingest.feeds.csvfeed import CsvFeed, CsvReading, survey_sources
from tracker.ingest.feeds.dataset import DatasetFeed
from tracker.ingest.parsed import Fetched
from tracker.ingest.run import run_ingest
from tracker.store.db import open_store
from tracker.store.queries import observations_frame

INDEXES = {"ix_observation_window"}


def _interleaved(sources: int, days: int) -> str:
    """Rows of `sources` sources, one day at a time: every source is open until the last day."""
    lines = ["report_date,metric,value,source"]
    for d in range(days):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=d)
        for s in range(sources):
            for m, metric in enumerate(("personnel", "tanks")):
                lines.append(f"{day},{metric},{(s + 1) * (m + 2) * (d + 1)},src-{s}")
    return "\n".join(lines) + "\n"


def _load(url: str, content: str, where: str = "file.csv", **options: object) -> list[csvload.RunReport]:
    fetched = [Fetched(where, content.encode(), dt.datetime.now(dt.UTC), "text/csv", None, "csv")]
    survey = survey_sources(fetched, "src-0")
    readings = {key: CsvReading(key, key == "src-0") for key in survey.order}
    return csvload.load_sources(url, fetched, where, readings, survey, **options)


def _values(url: str) -> dict[str, list[int]]:
    engine = open_store(url, write=False)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT s.key, o.value FROM observation o JOIN source s ON s.id = o.source_id "
                    "ORDER BY s.key, o.metric_id, o.report_date"
                )
            ).all()
    finally:
        engine.dispose()
    out: dict[str, list[int]] = {}
    for key, value in rows:
        out.setdefault(key, []).append(value)
    return out


def _indexes(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {i["name"] for i in inspect(engine).get_indexes("observation")}
    finally:
        engine.dispose()


def test_interleaved_sources_over_the_parse_budget_load_in_groups_with_the_same_rows(monkeypatch, store_url, tmp_path):
    content = _interleaved(sources=5, days=8)
    one_pass = f"sqlite:///{tmp_path / 'one-pass.db'}"
    _load(one_pass, content)
    monkeypatch.setattr(csvload, "PARSE_BUDGET", 20)  # 16 rows a source: at most one source a pass

    reports = _load(store_url, content)

    assert [r.source for r in reports] == [f"src-{s}" for s in range(5)]
    assert {(r.status, r.counts.new) for r in reports} == {("ok", 16)}
    assert _values(store_url) == _values(one_pass)
    assert _values(store_url)["src-4"][:3] == [10, 20, 30]


def test_blank_lines_and_a_source_in_two_runs_of_rows_still_give_each_source_all_its_rows(store_url):
    content = (
        "report_date,metric,value,source\n"
        "2024-01-01,personnel,10,src-1\n"
        "\n"
        ",,,\n"
        "2024-01-01,personnel,5,\n"
        "2024-01-02,personnel,11,src-1\n"
        "2024-01-02,personnel,6,src-0\n"
        "  ,  \n"
        "2024-01-03,personnel,12,src-1\n"
        "2024-01-03,personnel,9\n"  # three fields of four: the blank source's (src-0) row
    )
    reports = _load(store_url, content)
    assert [(r.source, r.status, r.n_records) for r in reports] == [("src-0", "ok", 3), ("src-1", "ok", 3)]
    assert _values(store_url) == {"src-0": [5, 6, 9], "src-1": [10, 11, 12]}


def _foreign_keys(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {
            key["referred_table"] + "." + key["constrained_columns"][0]
            for key in inspect(engine).get_foreign_keys("observation")
        }
    finally:
        engine.dispose()


def test_a_new_store_gets_its_observation_indexes_and_foreign_keys_back_after_the_load(store_url):
    _load(store_url, _interleaved(sources=3, days=5))

    assert INDEXES <= _indexes(store_url)
    assert _foreign_keys(store_url) == {
        "source.source_id",
        "feed.feed_id",
        "metric.metric_id",
        "ingest_run.run_id",
        "ingest_run.last_seen_run_id",
    }


def test_progress_hears_of_each_sources_run_as_it_is_written_with_its_counts(store_url):
    heard = []

    reports = _load(
        store_url, _interleaved(sources=3, days=5), progress=lambda r: heard.append((r.source, r.counts.new))
    )

    assert heard == [("src-0", 10), ("src-1", 10), ("src-2", 10)]
    assert [r.source for r in reports] == ["src-0", "src-1", "src-2"]


def test_a_store_error_midway_leaves_the_store_and_its_indexes_as_they_were(monkeypatch, store_url):
    _load(store_url, _interleaved(sources=2, days=3))
    before = fingerprint(store_url)
    calls = []
    real = csvload._store_run

    def failing(conn, report, *args, **kwargs):
        calls.append(report.source)
        if len(calls) == 3:
            conn.execute(text("SELECT * FROM no_such_table"))
        return real(conn, report, *args, **kwargs)

    monkeypatch.setattr(csvload, "_store_run", failing)

    with pytest.raises(StoreError, match="store write failed, nothing changed"):
        _load(store_url, _interleaved(sources=4, days=4))

    assert len(calls) == 3
    assert fingerprint(store_url) == before
    assert INDEXES <= _indexes(store_url) and len(_foreign_keys(store_url)) == 5


def test_the_cycle_collector_is_off_while_runs_are_stored_and_on_again_after_a_failure(monkeypatch, sqlite_url):
    import gc

    collecting = []
    real = csvload._store_run

    def watched(conn, report, *args, **kwargs):
        collecting.append(gc.isenabled())
        if len(collecting) == 3:
            conn.execute(text("SELECT * FROM no_such_table"))
        return real(conn, report, *args, **kwargs)

    monkeypatch.setattr(csvload, "_store_run", watched)
    assert gc.isenabled()

    with pytest.raises(StoreError):
        _load(sqlite_url, _interleaved(sources=4, days=4))

    assert collecting == [False, False, False]
    assert gc.isenabled()


def test_a_single_feeds_run_is_parsed_and_stored_with_the_collector_off(monkeypatch, sqlite_url, latest_dir):
    import gc

    import tracker.ingest.steps

    collecting = []
    real_parse, real_store = DatasetFeed.parse, tracker.ingest.steps._store_run
    monkeypatch.setattr(DatasetFeed, "parse", lambda self, f: collecting.append(gc.isenabled()) or real_parse(self, f))
    monkeypatch.setattr(
        tracker.ingest.steps, "_store_run", lambda *a, **k: collecting.append(gc.isenabled()) or real_store(*a, **k)
    )

    report = run_ingest(sqlite_url, DatasetFeed(), location=str(latest_dir))

    assert report.counts.new == 22375
    assert collecting == [False, False]
    assert gc.isenabled()


def test_a_first_load_checks_foreign_keys_after_its_rows_and_refuses_one_naming_a_missing_parent(
    monkeypatch, sqlite_url
):
    open_store(sqlite_url, write=True).dispose()  # an empty store: the next load is a first load
    before = fingerprint(sqlite_url)
    real = csvload._store_run

    def orphaning(conn, report, *args, **kwargs):
        real(conn, report, *args, **kwargs)
        # Row by row (foreign keys on) this would fail at once; a first load checks at its end.
        conn.execute(text("UPDATE observation SET metric_id = 999 WHERE id = (SELECT max(id) FROM observation)"))

    monkeypatch.setattr(csvload, "_store_run", orphaning)

    with pytest.raises(StoreError, match=r"nothing changed: 2 row\(s\) name a missing parent \(first: observation row"):
        _load(sqlite_url, _interleaved(sources=2, days=2))

    after = fingerprint(sqlite_url)
    # Nothing of the load is stored; only the failed run's record names its source and feed.
    assert {k: v for k, v in after.items() if k not in ("source", "feed")} == {
        k: v for k, v in before.items() if k not in ("source", "feed")
    }
    assert INDEXES <= _indexes(sqlite_url)


def test_a_failed_load_into_a_new_store_keeps_its_indexes(monkeypatch, sqlite_url):
    def failing(conn, report, *args, **kwargs):
        conn.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(csvload, "_store_run", failing)

    with pytest.raises(StoreError):
        _load(sqlite_url, _interleaved(sources=2, days=2))

    assert INDEXES <= _indexes(sqlite_url)


def _dataset_csv(latest_dir: Path, first: dt.date | None, last: dt.date | None) -> str:
    """The dataset's totals (no corrections: a CSV has none) between two report dates."""
    fetched = [
        Fetched(str(latest_dir / name), (latest_dir / name).read_bytes(), dt.datetime.now(dt.UTC), None, None, role)
        for name, role in (
            ("russia_losses_personnel.json", "personnel"),
            ("russia_losses_equipment.json", "equipment"),
        )
    ]
    parsed = DatasetFeed().parse(fetched)
    lines = ["report_date,metric,value"]
    for o in sorted(parsed.totals(), key=lambda o: (o.metric, o.report_date)):
        if (first is None or o.report_date >= first) and (last is None or o.report_date <= last):
            lines.append(f"{o.report_date},{o.metric},{o.value}")
    return "\n".join(lines) + "\n"


def _open_findings(url: str) -> set[tuple[str, str, str]]:
    engine = open_store(url, write=False)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT rule, metric, report_date FROM finding WHERE status = 'open'")).all()
    finally:
        engine.dispose()
    return {(rule, metric or "", str(day)) for rule, metric, day in rows}


def test_new_days_validated_around_them_give_the_findings_of_a_whole_backfill(latest_dir, tmp_path):
    whole, daily = f"sqlite:///{tmp_path / 'whole.db'}", f"sqlite:///{tmp_path / 'daily.db'}"
    (tmp_path / "all.csv").write_text(_dataset_csv(latest_dir, None, None))
    run_ingest(whole, CsvFeed(), location=str(tmp_path / "all.csv"))
    # The first year, then the next 12 days one file each, then the rest in one file.
    cut = dt.date(2023, 2, 24)
    (tmp_path / "start.csv").write_text(_dataset_csv(latest_dir, None, cut))
    run_ingest(daily, CsvFeed(), location=str(tmp_path / "start.csv"))
    for d in range(1, 13):
        day = cut + dt.timedelta(days=d)
        (tmp_path / f"{day}.csv").write_text(_dataset_csv(latest_dir, day, day))
        assert run_ingest(daily, CsvFeed(), location=str(tmp_path / f"{day}.csv")).status in ("ok", "ok_with_findings")
    (tmp_path / "rest.csv").write_text(_dataset_csv(latest_dir, cut + dt.timedelta(days=13), None))
    run_ingest(daily, CsvFeed(), location=str(tmp_path / "rest.csv"))

    found = _open_findings(whole)
    assert len(found) > 50  # the dataset's gaps, outliers, rounded early figures, catch-ups
    assert _open_findings(daily) == found


def _stored(url: str) -> tuple[list[tuple], list[tuple]]:
    """Every observation and finding as a person reads them (no ids or times, which differ)."""
    engine = open_store(url, write=False)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT mt.name, o.kind, o.side, o.report_date, o.value, o.qualifier, o.reported_increase, "
                    "o.definition, o.revision, o.removed, o.superseded_at IS NULL FROM observation o "
                    "JOIN metric mt ON mt.id = o.metric_id ORDER BY mt.name, o.kind, o.side, o.report_date, o.revision"
                )
            ).all()
            findings = conn.execute(
                text(
                    "SELECT rule, severity, metric, report_date, message, status FROM finding "
                    "ORDER BY rule, metric, report_date, message"
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows], [tuple(f) for f in findings]


def test_the_bulk_loader_stores_exactly_what_one_run_of_the_feed_stores(latest_dir, tmp_path):
    # The loader takes a file's totals as rows (TotalsTable), the feed as records; into a new
    # store and then into one that holds the first part, both must store the same.
    bulk, single = f"sqlite:///{tmp_path / 'bulk.db'}", f"sqlite:///{tmp_path / 'single.db'}"
    cut = dt.date(2024, 2, 24)
    for name, first, last in (("start", None, cut), ("rest", cut + dt.timedelta(days=1), None)):
        path = tmp_path / f"{name}.csv"
        path.write_text(_dataset_csv(latest_dir, first, last))
        assert run_ingest(single, CsvFeed(), location=str(path)).status in ("ok", "ok_with_findings")
        fetched = [Fetched(str(path), path.read_bytes(), dt.datetime.now(dt.UTC), "text/csv", None, "csv")]
        survey = survey_sources(fetched, "ua-general-staff")
        (report,) = csvload.load_sources(bulk, fetched, str(path), {"ua-general-staff": CsvReading()}, survey)
        assert report.status in ("ok", "ok_with_findings")

    rows, findings = _stored(bulk)
    assert len(rows) == 22_375  # every total of the dataset
    assert len(findings) > 50
    assert (rows, findings) == _stored(single)


def test_one_new_day_reads_the_neighbours_of_each_series_not_its_history(monkeypatch, sqlite_url, tmp_path):
    (tmp_path / "a.csv").write_text(_interleaved(sources=1, days=200).replace(",src-0", ""))
    run_ingest(sqlite_url, CsvFeed(), location=str(tmp_path / "a.csv"))
    lines = ["report_date,metric,value", "2024-07-19,personnel,402", "2024-07-19,tanks,603"]
    (tmp_path / "b.csv").write_text("\n".join(lines) + "\n")
    read: list[int] = []
    original = rules.check_columns

    def counting(label, dates, values, **columns):
        read.append(len(dates))
        return original(label, dates, values, **columns)

    monkeypatch.setattr(rules, "check_columns", counting)

    report = run_ingest(sqlite_url, CsvFeed(), location=str(tmp_path / "b.csv"))

    assert (report.status, report.counts.new, report.counts.unchanged) == ("ok", 2, 0)
    assert read == [65, 65]  # 64 stored reports before the new one, and it
    engine = open_store(sqlite_url, write=False)
    try:
        assert observations_frame(engine, source="ua-general-staff", metric="tanks")["value"].iloc[-1] == 603
    finally:
        engine.dispose()


def test_rows_dated_in_the_future_are_set_aside_while_reading_one_finding_per_date(capsys, sqlite_url, tmp_path):
    rows = ["report_date,metric,value,source", "2024-03-01,personnel,100,mine", "2024-03-02,personnel,150,mine"]
    rows += [f"{2263 + y}-01-0{d},{metric},5,mine" for y in range(3) for d in (1, 2) for metric in ("tanks", "afv")]
    (tmp_path / "f.csv").write_text("\n".join(rows) + "\n")

    code, out, _ = run_tracker(capsys, "ingest", "csv", "--from", str(tmp_path / "f.csv"), "--db", sqlite_url, "-q")

    assert code == 3 and "2 new" in out
    assert _values(sqlite_url) == {"mine": [100, 150]}
    assert _open_findings(sqlite_url) == {
        ("implausible_date", "", f"{2263 + y}-01-0{d}") for y in range(3) for d in (1, 2)
    }


def test_a_csv_over_the_payload_limit_is_refused_with_how_to_load_it(capsys, monkeypatch, sqlite_url, tmp_path):
    monkeypatch.setattr(tracker.ingest.parsed, "MAX_BYTES", 1000)
    path = tmp_path / "big.csv"
    path.write_text(_interleaved(sources=10, days=10))

    code, _, err = run_tracker(capsys, "ingest", "csv", "--from", str(path), "--db", sqlite_url)

    assert code == 5
    assert (
        f"{path}: {path.stat().st_size:,} bytes is over the 1,000-byte limit for one payload: split it into files"
        in err
    )


def test_ingesting_a_local_csv_imports_neither_pandas_nor_matplotlib_nor_httpx(sqlite_url, tmp_path):
    path = tmp_path / "day.csv"
    path.write_text(_interleaved(sources=2, days=3))
    code = (
        "import sys\n"
        f"sys.argv = ['tracker', 'ingest', 'csv', '--from', {str(path)!r}, '--db', {sqlite_url!r}, '-q']\n"
        "from tracker.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    print('EXIT', exit.code, file=sys.stderr)\n"
        "heavy = sorted(m for m in ('pandas', 'matplotlib', 'numpy', 'httpx') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)

    assert "EXIT 0" in done.stderr and "HEAVY []" in done.stderr, done.stderr[-500:]
