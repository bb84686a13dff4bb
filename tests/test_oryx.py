"""Oryx as a feed, on real snapshots of totals_by_type.csv (../shared/data/oryx/history).

A module-scoped store holds six real snapshots chosen for their mess: a type listed twice
(2022-05-29), a decrease (Russian tanks 876 on 2022-07-17, 865 on 2022-07-18), a type name split
over two rows (2022-12-26), and the last two (2025-07-17 and 2025-07-19) with the summary rows
and the quoted name with an embedded newline.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.clirun import run_tracker
from tests.storecheck import fingerprint
from tracker.errors import ExitCode, InvalidInput
from tracker.ingest.feeds.oryx import OryxFeed
from tracker.ingest.snapshots import ingest_snapshots, parse_moment, snapshot_folders
from tracker.store.queries import observations_frame
from tracker.store.typemap import load_typemap

CHOSEN = (
    "2022-05-29T1131_7e3b45b",
    "2022-07-17T1132_c5debe1",
    "2022-07-18T1132_e0aec6e",
    "2022-12-26T1233_02baf9c",
    "2025-07-17T1144_1738104",
    "2025-07-19T1144_a8624b4",
)
LAST = dt.date(2025, 7, 19)
HEADER = "country,equipment_type,destroyed,abandoned,captured,damaged,type_total\n"


def chosen_folder(root: Path, history: Path, names: tuple[str, ...] = CHOSEN) -> Path:
    """A folder of links to some real snapshot folders (the data is never copied)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / name).symlink_to(history / name, target_is_directory=True)
    return root


def backfill(url: str, folder: Path) -> list:
    return ingest_snapshots(
        url, OryxFeed, snapshot_folders(folder), dated_feed=lambda moment: OryxFeed(observed_at=moment)
    )


@pytest.fixture(scope="module")
def oryx_store(tmp_path_factory, oryx_history) -> str:
    tmp = tmp_path_factory.mktemp("oryx")
    url = f"sqlite:///{tmp / 'oryx.db'}"
    reports = backfill(url, chosen_folder(tmp / "history", oryx_history))
    assert [r.status for r in reports] == [
        "ok_with_findings",  # 2022-05-29: Ukraine's IMV listed twice
        "ok",
        "ok",
        "ok_with_findings",  # 2022-12-26: a name split over two rows
        "ok",
        "ok",
    ], [r.error for r in reports]
    return url


def query(url: str, sql: str, **params: object) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def stored(url: str, metric: str, side: str, day: str, kind: str = "total") -> list[int]:
    return [
        row[0]
        for row in query(
            url,
            "SELECT o.value FROM observation o JOIN metric m ON m.id = o.metric_id WHERE m.name = :metric "
            "AND o.side = :side AND o.report_date = :day AND o.kind = :kind AND o.superseded_at IS NULL "
            "AND o.removed = :no",
            metric=metric,
            side=side,
            day=day,
            kind=kind,
            no=False,
        )
    ]


def findings(url: str, rule: str) -> list[tuple]:
    return query(url, "SELECT severity, metric, report_date, message FROM finding WHERE rule = :r ORDER BY id", r=rule)


def write_snapshot(path: Path, rows: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "totals_by_type.csv").write_text(HEADER + rows, encoding="utf-8")
    return path


# --- the real snapshots -------------------------------------------------------------------------


def test_summary_rows_are_recognised_and_not_stored_as_types(oryx_store):
    per_side = query(
        oryx_store,
        "SELECT o.side, COUNT(DISTINCT o.metric_id) FROM observation o WHERE o.report_date = :d "
        "AND o.kind = 'total' AND o.superseded_at IS NULL GROUP BY o.side ORDER BY o.side",
        d=LAST.isoformat(),
    )
    names = [row[0] for row in query(oryx_store, "SELECT name FROM metric WHERE name LIKE 'oryx.%'")]

    assert per_side == [("russia", 25), ("ukraine", 25)]  # 28 rows a side, 3 of them summary rows
    assert not [n for n in names if "losses" in n or "all_types" in n]
    assert findings(oryx_store, "unmapped_type") == []


def test_a_quoted_name_with_an_embedded_newline_is_one_type(oryx_store):
    labels = query(oryx_store, "SELECT label FROM metric WHERE name = 'oryx.sam'")

    assert stored(oryx_store, "oryx.sam", "ukraine", "2025-07-19") == [171]
    assert stored(oryx_store, "oryx.sam", "russia", "2025-07-19") == [339]
    assert labels == [("Surface-To-Air Missile Systems",)]


def test_both_sides_are_stored_with_every_status_dated_by_the_snapshot(oryx_store):
    parts = {k: stored(oryx_store, "oryx.tanks", "russia", "2025-07-19", k) for k in ("destroyed", "damaged")}
    parts |= {k: stored(oryx_store, "oryx.tanks", "russia", "2025-07-19", k) for k in ("abandoned", "captured")}
    definitions = query(oryx_store, "SELECT DISTINCT definition FROM observation")

    assert stored(oryx_store, "oryx.tanks", "russia", "2025-07-19") == [4074]
    assert stored(oryx_store, "oryx.tanks", "ukraine", "2025-07-19") == [1220]
    assert parts == {"destroyed": [2991], "damaged": [158], "abandoned": [392], "captured": [533]}
    assert definitions == [("confirmed",)]


def test_a_decrease_is_stored_as_reported_with_an_info_finding(oryx_store):
    decrease = [f for f in findings(oryx_store, "decrease") if f[1] == "oryx.tanks"]

    assert stored(oryx_store, "oryx.tanks", "russia", "2022-07-17") == [876]
    assert stored(oryx_store, "oryx.tanks", "russia", "2022-07-18") == [865]
    assert [(f[0], str(f[2])) for f in decrease] == [("info", "2022-07-18")]
    assert "total fell from 876 to 865 (-11) since 2022-07-17: the source corrected itself" in decrease[0][3]


def test_series_of_oryx_tanks_for_ukraine_is_the_mapped_types_total(oryx_store):
    frame = observations_frame(create_engine(oryx_store), source="oryx", metric="tanks", side="ukraine")

    assert frame.set_index("report_date")["value"][dt.datetime(2025, 7, 19)] == 1220
    assert frame.attrs["definition"] == "confirmed" and frame.attrs["dates_by"] == "documented"
    assert frame.attrs["side"] == "ukraine" and frame.lineage.iloc[-1] == "oryx.tanks"


def test_composite_afv_is_the_sum_of_five_oryx_types_at_the_same_snapshot(oryx_store):
    frame = observations_frame(create_engine(oryx_store), source="oryx", metric="afv", as_of=LAST)
    last = frame.iloc[-1]

    assert last.report_date == dt.datetime(2025, 7, 19)
    assert int(last.value) == 2200 + 6069 + 676 + 61 + 398 == 9404
    assert last.lineage == "oryx.afv+oryx.ifv+oryx.apc+oryx.mrap+oryx.imv"


def test_naval_ships_and_their_renamed_category_are_one_series(oryx_store):
    ships = observations_frame(create_engine(oryx_store), source="oryx", metric="ships")
    by_date = dict(zip(ships.report_date.dt.date, ships.value))

    assert by_date[LAST] == 28
    assert by_date[dt.date(2022, 7, 18)] == 10  # listed as "Naval Ships" then
    assert set(ships.lineage) == {"oryx.naval_ships"}


def test_a_name_split_over_two_rows_is_a_finding_and_the_composite_leaves_that_day_out(oryx_store):
    bad = [f for f in findings(oryx_store, "bad_row") if "2022-12-26" in f[3]]
    frame = observations_frame(create_engine(oryx_store), source="oryx", metric="afv")

    assert len(bad) == 1 and bad[0][0] == "warning"
    assert "2 row(s) could not be read" in bad[0][3] and "'tured: 569)' is not a type name" in bad[0][3]
    assert stored(oryx_store, "oryx.ifv", "russia", "2022-12-26") == []
    # IFVs are listed before and after that day: a sum without them would show a fall that never happened.
    assert dt.datetime(2022, 12, 26) not in set(frame.report_date)
    assert [d.date().isoformat() for d in frame.report_date] == [
        "2022-05-29", "2022-07-17", "2022-07-18", "2025-07-17", "2025-07-19"
    ]  # fmt: skip


def test_a_type_listed_twice_for_a_side_keeps_the_first_row(oryx_store):
    bad = [f for f in findings(oryx_store, "bad_row") if "2022-05-29" in f[3]]

    assert len(bad) == 1
    assert stored(oryx_store, "oryx.imv", "ukraine", "2022-05-29") == [100]
    assert "ukraine 'Infantry Mobility Vehicles' listed again (first on line 32)" in bad[0][3]


def test_an_oryx_type_reads_as_its_own_series_and_an_unmapped_category_is_refused(oryx_store):
    engine = create_engine(oryx_store)
    own = observations_frame(engine, source="oryx", metric="oryx.ifv", side="ukraine")

    assert int(own.value.iloc[-1]) == 1422
    with pytest.raises(InvalidInput, match="oryx has no types counted as 'personnel'"):
        observations_frame(engine, source="oryx", metric="personnel")


def test_the_types_file_names_every_type_of_the_621_snapshots(oryx_history):
    typemap = load_typemap("oryx")
    assert typemap is not None
    unknown, summaries, snapshots = set(), 0, 0
    for path in sorted(oryx_history.glob("*/totals_by_type.csv")):
        snapshots += 1
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                found = typemap.lookup(row["equipment_type"])
                summaries += found is not None and found.summary
                if found is None:
                    unknown.add(" ".join(row["equipment_type"].split())[:40])

    assert snapshots == 621
    # Only the 2022-12-26 name the scraper split over two rows (numbers in it: a bad row).
    assert unknown == {"Infantry Fighting Vehicles (1849, of whi", "tured: 569)"}
    assert summaries == 621 * 2 + 103 * 4  # "All Types" always; the two sentences from 2024-08-31


# --- the command --------------------------------------------------------------------------------


def test_ingest_oryx_snapshots_loads_on_each_backend_and_a_rerun_is_unchanged(
    capsys, store_url, tmp_path, oryx_history
):
    folder = chosen_folder(tmp_path / "h", oryx_history, CHOSEN[-2:])
    code, out, err = run_tracker(capsys, "ingest", "oryx", "--snapshots", "--from", str(folder), "--db", store_url)

    assert code == ExitCode.OK, err
    assert out.splitlines()[-1].startswith("oryx: 2 of 2 snapshots ingested — 500 new, 0 revised, 0 removed")
    assert "oryx: 2/2 snapshots (2025-07-19)" in err
    before = fingerprint(store_url)

    code, out, _ = run_tracker(capsys, "ingest", "oryx", "--snapshots", "--from", str(folder), "--db", store_url)

    assert code == ExitCode.OK
    assert len(out.splitlines()) == 1
    assert out.startswith(
        "oryx: 1 of 1 snapshots ingested (1 already stored) — 0 new, 0 revised, 0 removed, "
        "250 unchanged; 0 new findings (0 warnings); latest report 2025-07-19"
    )
    frame = observations_frame(create_engine(store_url), source="oryx", metric="tanks", side="ukraine")
    assert frame.value.tolist() == [1217, 1220]
    assert fingerprint(store_url)["observation"] == before["observation"]


def test_one_snapshot_with_observed_at_is_dated_by_that_moment(capsys, sqlite_url, oryx_history):
    code, _, err = run_tracker(
        capsys, "ingest", "oryx", "--from", str(oryx_history / CHOSEN[-1]), "--observed-at", "2025-07-19T11:44",
        "--db", sqlite_url, "--quiet",
    )  # fmt: skip

    assert code == ExitCode.OK, err
    assert stored(sqlite_url, "oryx.trucks", "russia", "2025-07-19") == [4099]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (b"<!DOCTYPE html><html><body>rate limited</body></html>", "expected CSV, got an HTML page"),
        (b"country,type,total\nRussia,Tanks,5\n", "header must name country,equipment_type"),
        (HEADER.encode(), "no rows below the header"),
    ],
)
def test_a_file_that_is_not_a_totals_file_is_refused_in_one_line(capsys, sqlite_url, tmp_path, content, expected):
    path = tmp_path / "totals_by_type.csv"
    path.write_bytes(content)

    code, out, err = run_tracker(capsys, "ingest", "oryx", "--from", str(path), "--db", sqlite_url)

    assert code == ExitCode.BAD_PAYLOAD
    assert out == "" and len(err.strip().splitlines()) == 1 and expected in err
    assert query(sqlite_url, "SELECT COUNT(*) FROM observation") == [(0,)]


def test_a_bad_value_is_a_finding_for_that_status_and_the_rest_is_stored(capsys, sqlite_url, tmp_path):
    folder = write_snapshot(tmp_path / "s", "Russia,Tanks,10,1,2,x3,16\nUkraine,Tanks,5,0,1,1,7\n")

    code, out, _ = run_tracker(
        capsys, "ingest", "oryx", "--from", str(folder), "--observed-at", "2025-07-20T10:00", "--db", sqlite_url,
        "--quiet",
    )  # fmt: skip

    assert code == ExitCode.FINDINGS and len(out.strip().splitlines()) == 1
    assert stored(sqlite_url, "oryx.tanks", "russia", "2025-07-20") == [16]
    assert stored(sqlite_url, "oryx.tanks", "russia", "2025-07-20", "damaged") == []
    assert stored(sqlite_url, "oryx.tanks", "russia", "2025-07-20", "captured") == [2]
    bad = findings(sqlite_url, "bad_value")
    assert [(f[0], f[1]) for f in bad] == [("warning", "oryx.tanks")]
    assert "oryx.tanks damaged: bad value 'x3' (not a whole number" in bad[0][3]


def test_a_third_country_is_a_bad_row_not_stored(capsys, sqlite_url, tmp_path):
    folder = write_snapshot(tmp_path / "s", "Russia,Tanks,10,1,2,3,16\nBelarus,Tanks,1,0,0,0,1\n")

    code, out, _ = run_tracker(
        capsys, "ingest", "oryx", "--from", str(folder), "--observed-at", "2025-07-20T10:00", "--db", sqlite_url,
        "--quiet",
    )  # fmt: skip

    assert code == ExitCode.FINDINGS and len(out.strip().splitlines()) == 1
    assert query(sqlite_url, "SELECT DISTINCT side FROM observation") == [("russia",)]
    assert "line 3: country 'Belarus' is neither Russia nor Ukraine" in findings(sqlite_url, "bad_row")[0][3]


def test_an_unmapped_type_is_stored_under_its_slug_and_a_total_off_its_parts_is_a_finding(sqlite_url, tmp_path):
    from tracker.ingest.run import run_ingest

    folder = write_snapshot(tmp_path / "s", "Russia,Tanks,10,1,2,3,17\nRussia,Armoured Trains,2,0,1,0,3\n")
    moment = parse_moment("2025-07-20T10:00")

    report = run_ingest(sqlite_url, OryxFeed(observed_at=moment), location=str(folder), observed_at=moment)

    assert report.status == "ok_with_findings"
    assert stored(sqlite_url, "oryx.armoured_trains", "russia", "2025-07-20") == [3]
    assert "type 'Armoured Trains' is not in the Oryx types file" in findings(sqlite_url, "unmapped_type")[0][3]
    assert stored(sqlite_url, "oryx.tanks", "russia", "2025-07-20") == [17]
    mismatch = findings(sqlite_url, "parts_mismatch")[0][3]
    assert "oryx.tanks total 17 is not the sum of its parts" in mismatch and "= 16); both stored" in mismatch


def test_a_type_gone_from_a_later_snapshot_of_the_same_day_is_removed_there_only(sqlite_url, tmp_path):
    from tracker.ingest.run import run_ingest

    rows = "Russia,Tanks,10,1,2,3,16\nRussia,Aircraft,1,0,0,0,1\n"
    for moment, folder in (
        ("2025-07-20T10:00", write_snapshot(tmp_path / "a", rows)),
        ("2025-07-21T10:00", write_snapshot(tmp_path / "b", rows)),
        ("2025-07-21T12:00", write_snapshot(tmp_path / "c", "Russia,Tanks,10,1,2,3,16\n")),
    ):
        at = parse_moment(moment)
        assert run_ingest(sqlite_url, OryxFeed(observed_at=at), location=str(folder), observed_at=at).exit_code == 0

    assert stored(sqlite_url, "oryx.aircraft", "russia", "2025-07-20") == [1]
    assert stored(sqlite_url, "oryx.aircraft", "russia", "2025-07-21") == []
    assert stored(sqlite_url, "oryx.tanks", "russia", "2025-07-21") == [16]


@pytest.mark.skipif(
    os.environ.get("TRACKER_ORYX_FULL_HISTORY") != "1",
    reason="the 621-snapshot backfill takes 1.5–3 min on SQLite, too long for every CI run "
    "(set TRACKER_ORYX_FULL_HISTORY=1 to run it)",
)
def test_the_whole_history_loads(capsys, sqlite_url, oryx_history):
    code, out, err = run_tracker(
        capsys, "ingest", "oryx", "--snapshots", "--from", str(oryx_history), "--db", sqlite_url, "--quiet"
    )

    assert code == ExitCode.FINDINGS, err
    assert out.splitlines()[-1].startswith("oryx: 621 of 621 snapshots ingested")
    assert stored(sqlite_url, "oryx.tanks", "russia", "2025-07-19") == [4074]
