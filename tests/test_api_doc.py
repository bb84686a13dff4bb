"""docs/api.md's example runs as written (its URL and data folder swapped) on both backends, with
the figures it states; and `tracker.Store` behaves as the doc says around it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from storecheck import count

from tracker.errors import InvalidInput

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def doc_example() -> str:
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    return code


def test_the_api_doc_example_runs_on_each_backend_with_the_figures_it_states(
    store_url, latest_dir, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code = doc_example().replace("sqlite:///tracker.db", store_url)
    code = code.replace("../shared/data/ua-general-staff/latest", str(latest_dir))
    namespace: dict = {}

    exec(code, namespace)

    run, again, store = namespace["run"], namespace["again"], namespace["store"]
    assert run.status in ("ok", "ok_with_findings") and run.counts.new == 22_375
    assert again.status == "unchanged" and again.counts.unchanged == 22_461  # with the corrections
    personnel, latest = namespace["personnel"], namespace["latest"]
    assert personnel.index.name == "report_date" and str(personnel.index[-1].date()) == "2026-08-08"
    assert (latest["total"], latest["increment"]) == (1_456_610, 1_190)
    deadliest = namespace["deadliest"]
    assert (str(deadliest["report_date"]), deadliest["increment"]) == ("2024-12-20", 2_200)
    years = namespace["years"].set_index("period")
    assert years.loc["2024", "total"] == 430_320 and years.loc["2024", "days"] == 366
    assert len(namespace["claims"]) == count(store_url, "SELECT COUNT(*) FROM claim WHERE subject = 'russia'") > 0
    assert namespace["found"].feeds == ["ua-dataset"]
    assert [f.feed for f in namespace["news"].feeds] == ["ua-dataset", "claims-file"]
    assert namespace["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert store._engine is None  # the with block closed its one engine


def test_the_doc_states_the_figures_its_test_checks():
    text = DOC.read_text()
    assert "2026-08-08 with a total of\n1,456,610 (+1,190)" in text and "2024-12-20 (+2,200)" in text


def test_importing_tracker_stays_light_and_store_is_there_when_asked_for():
    code = (
        "import sys, tracker\n"
        "heavy = sorted(m for m in ('pandas', 'sqlalchemy', 'tracker.api') if m in sys.modules)\n"
        "print(heavy, tracker.Store.__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] tracker.api"


def test_store_without_a_url_is_the_configured_default_and_a_missing_one_says_what_to_run(tmp_path, monkeypatch):
    from tracker import Store
    from tracker.errors import StoreError

    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tmp_path / 'none.db'}")
    store = Store()
    assert store.url == f"sqlite:///{tmp_path / 'none.db'}"
    with pytest.raises(StoreError, match="run `tracker ingest ...` or `tracker db upgrade` first"):
        store.series()
    assert not (tmp_path / "none.db").exists()


def test_store_refuses_an_unknown_feed_an_option_of_another_and_a_csv_of_several_sources(sqlite_url, tmp_path):
    from tracker import Store

    many = tmp_path / "many.csv"
    many.write_text("report_date,metric,value,source\n2024-03-01,personnel,1,a\n2024-03-01,personnel,2,b\n")
    store = Store(sqlite_url)
    with pytest.raises(InvalidInput, match="unknown feed 'warships': use one of dataset, api, csv"):
        store.ingest("warships")
    with pytest.raises(InvalidInput, match="ingest 'dataset' takes no option since"):
        store.ingest("dataset", since="2024-01-01")
    with pytest.raises(InvalidInput, match="holds 2 sources: Store.ingest_csv runs each"):
        store.ingest("csv", from_=str(many), source="a")
    assert (
        not Path(sqlite_url.removeprefix("sqlite:///")).exists() or count(sqlite_url, "SELECT COUNT(*) FROM run") == 0
    )
    reports = store.ingest_csv(str(many), source="a")
    assert [(r.source, r.counts.new) for r in reports] == [("a", 1), ("b", 1)]
    store.close()


def test_store_reads_refuse_a_bad_option_in_one_line_before_opening_the_store(sqlite_url, tmp_path):
    from tracker import Store

    store = Store(sqlite_url)
    cases = [
        (lambda: store.series(sinse="2024-01-01"), "unknown option sinse: use source, side, by, since"),
        (lambda: store.series(by="sideways"), "by 'sideways': use one of report, covered"),
        (lambda: store.averages(period="decade"), "period 'decade': use one of day, week, month"),
        (lambda: store.averages(rolling=0), "rolling must be a whole number of days from 1 to 10,000"),
        (lambda: store.records(top=-3), "top must be a whole number from 1 to 100,000, not '-3'"),
        (lambda: store.compare(convention="sideways"), "convention 'sideways': use one of report, covered"),
        (lambda: store.chart("daily", tmp_path / "c.png", size=(5, 5)), "size width must be a whole number"),
        (lambda: store.ingest("dataset", wait=float("nan")), "--wait must be a finite number of seconds"),
    ]
    for call, message in cases:
        with pytest.raises(InvalidInput, match=re.escape(message)):
            call()
    assert not (tmp_path / "store.db").exists() and not (tmp_path / "c.png").exists()


def test_every_read_of_a_store_goes_through_its_one_engine(full_store_url, monkeypatch, tmp_path):
    from tracker import Store
    from tracker.store import db, reading

    engines, readers = [], []
    make_engine, sqlite_reader = db.make_engine, reading.sqlite_reader
    monkeypatch.setattr(db, "make_engine", lambda *a, **k: engines.append(a) or make_engine(*a, **k))
    monkeypatch.setattr(reading, "sqlite_reader", lambda *a, **k: readers.append(a) or sqlite_reader(*a, **k))

    with Store(full_store_url) as store:
        total = store.series("personnel")["total"].iloc[-1]
        deadliest = store.records("personnel")["deadliest_day"]["increment"].iloc[0]
        year = store.averages("personnel", period="year").set_index("period").loc["2025", "total"]
        store.reconcile()
        store.compare()
        store.changes(since="2024-01-01")
        chart = store.chart("daily", tmp_path / "daily.png")
        assert store._engine is not None  # the chart left the store's engine open for the next read

    assert (total, deadliest, year) == (1_456_610, 2_200, 416_550)
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (len(engines), readers) == (1, [])


def test_store_ingests_each_feed_by_the_name_the_cli_gives_it(sqlite_url, oryx_history, orc_losses):
    from tracker import Store

    pages = Path(__file__).parent / "fixtures" / "warship" / "pages"
    with Store(sqlite_url) as store:
        api = store.ingest("api", from_=str(pages))
        oryx = store.ingest("oryx", from_=str(oryx_history / "2022-03-28T0443_36f9122"), observed_at="2022-03-28T04:43")
        orc = store.ingest("orc-losses", from_=str(orc_losses / "latest"))

        assert [(r.feed, r.status) for r in (api, oryx)] == [("russianwarship-api", "ok"), ("oryx", "ok")]
        assert orc.feed == "orc-losses" and orc.status in ("ok", "ok_with_findings")
        assert store.series(feed="russianwarship-api").loc["2024-11-11", "total"] == 710_660
        assert store.series("tanks", source="oryx")["total"].tolist() == [310]
        assert store.series(feed="orc-losses").index[-1].date().isoformat() == "2026-08-22"
