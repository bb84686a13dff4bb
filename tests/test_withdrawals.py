"""Withdrawals are held, not fatal (issue 22): a full snapshot's suspicious removals are held per
series while the rest of the day is stored, until accepted, applied with --allow-shrink, or
undone upstream."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from tests.clirun import run_tracker
from tests.storecheck import count, fingerprint, runs
from tracker.errors import ExitCode
from tracker.ingest.feeds.dataset import DatasetFeed
from tracker.ingest.run import run_ingest
from tracker.ingest.withdrawals import judge_series

PERSONNEL = "russia_losses_personnel.json"
EQUIPMENT = "russia_losses_equipment.json"
CURRENT_POW = (
    "SELECT COUNT(*) FROM observation o JOIN metric m ON m.id = o.metric_id "
    "WHERE m.name = 'pow' AND o.superseded_at IS NULL AND NOT o.removed"
)


def day(n: int) -> list[dt.date]:
    return [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(n)]


@pytest.mark.parametrize(
    ("removed", "n", "why"),
    [
        (set(day(10)), 10, "every row"),
        ({day(100)[-1]}, 100, None),  # the single latest report: upstream retracts and re-adds one
        ({day(100)[-1], day(100)[-2]}, 100, "its latest 2 reports"),
        ({day(100)[50]}, 100, None),  # one scattered row
        (set(day(100)[10:13]), 100, None),  # three rows: no more than SERIES_MIN_ROWS
        (set(day(100)[10:14]), 100, "4% of it"),  # four of 100: more than 2% and than three rows
        (set(day(1000)[10:14]), 1000, None),  # four of 1,000: under 2%
        ({day(100)[-1], day(100)[5]}, 100, None),  # the latest and one older: not a tail cut
    ],
)
def test_a_series_removal_is_held_when_it_empties_cuts_the_tail_or_takes_a_share(removed, n, why) -> None:
    assert judge_series(removed, day(n)) == why


def write(folder: Path, personnel: list[dict]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PERSONNEL).write_text(json.dumps(personnel))
    return str(folder)


def moment(n: int) -> dt.datetime:
    return dt.datetime(2022, 9, 1, 9, tzinfo=dt.UTC) + dt.timedelta(days=n)


def withdrawals(capsys, url: str, *extra: str) -> list[dict]:
    code, out, err = run_tracker(capsys, "feeds", "withdrawals", "ua-dataset", "--format", "json", "--db", url, *extra)
    assert code == 0, err
    return json.loads(out)


def test_a_history_that_drops_older_pow_values_stores_every_later_day_and_holds_them_until_accepted(
    capsys, store_url, latest_dir, tmp_path
) -> None:
    """Built like the real 2022-07-16 withdrawal: the POW field dropped from the 40 latest of the
    62 reports that have it (the shared file holds no more), then 30 daily versions."""
    reports = json.loads((latest_dir / PERSONNEL).read_text())
    with_pow = [i for i, r in enumerate(reports[:100]) if "POW" in r]
    assert len(with_pow) == 62
    dropped = set(with_pow[-40:])
    stripped = [{k: v for k, v in r.items() if not (k == "POW" and i in dropped)} for i, r in enumerate(reports)]
    first = run_ingest(store_url, DatasetFeed(), location=write(tmp_path / "d0", reports[:100]), observed_at=moment(0))
    assert first.exit_code in (ExitCode.OK, ExitCode.FINDINGS)
    assert count(store_url, CURRENT_POW) == 62

    codes, latest = [], []
    for n in range(1, 32):
        report = run_ingest(
            store_url, DatasetFeed(), location=write(tmp_path / f"d{n}", stripped[: 100 + n]), observed_at=moment(n)
        )
        codes.append(report.exit_code)
        latest.append(report.latest_report_date)
        assert report.counts.new == 1 and report.counts.removed == 0 and report.held == 40, (n, report.summary())

    assert codes[0] == ExitCode.FINDINGS  # the withdrawal day
    assert set(codes[1:]) <= {ExitCode.OK, ExitCode.FINDINGS}
    assert latest == [dt.date.fromisoformat(r["date"]) for r in reports[100:131]]  # every later day stored
    assert count(store_url, CURRENT_POW) == 62
    [held] = withdrawals(capsys, store_url)  # one withdrawal, not one per run
    withdrawal_run = runs(store_url)[1]["id"]
    assert (held["run"], held["rows"], held["status"]) == (withdrawal_run, 40, "held")
    assert (held["first_date"], held["last_date"]) == (reports[with_pow[-40]]["date"], "2022-04-27")
    assert held["metrics"] == "pow total: 40 (its latest 40 reports)"
    code, out, _ = run_tracker(capsys, "status", "--db", store_url)
    assert f"HELD           40 row(s) by run #{withdrawal_run} (pow total: 40" in out

    code, out, err = run_tracker(capsys, "feeds", "accept-withdrawal", "ua-dataset", "--db", store_url)

    assert code == 0, err
    accept_run = runs(store_url)[-1]
    assert accept_run["status"] == "accepted"
    assert out == (
        f"ua-dataset (ua-general-staff): run #{accept_run['id']} removed 40 row(s) held by run #{withdrawal_run} "
        f"(pow total: 40 (its latest 40 reports); reports {held['first_date']}..2022-04-27)\n"
    )
    assert count(store_url, CURRENT_POW) == 22
    code, out, _ = run_tracker(capsys, "changes", "--since", "yesterday", "--db", store_url)
    assert f"1 run (#{accept_run['id']} accepted " in out and " 40 removals" in out
    # history kept: each of the 40 has its first revision, superseded by a removal of the accept run
    removals = count(
        store_url,
        "SELECT COUNT(*) FROM observation o JOIN metric m ON m.id = o.metric_id WHERE m.name = 'pow' "
        "AND o.removed AND o.revision = 2 AND o.run_id = :r",
        r=accept_run["id"],
    )
    assert removals == 40
    assert count(store_url, "SELECT COUNT(*) FROM observation o JOIN metric m ON m.id = o.metric_id "
                 "WHERE m.name = 'pow' AND o.revision = 1") == 62  # fmt: skip
    # as known before the accept, all 62 were current
    from sqlalchemy import create_engine

    from tracker.store.queries import observations_frame

    engine = create_engine(store_url)
    try:
        known = observations_frame(engine, metric="pow", known_at=moment(31))
        now = observations_frame(engine, metric="pow")
    finally:
        engine.dispose()
    assert (len(known), len(now)) == (62, 22)
    assert withdrawals(capsys, store_url) == []
    [closed] = withdrawals(capsys, store_url, "--all")
    assert (closed["status"], closed["closed_run"]) == ("accepted", accept_run["id"])
    assert count(store_url, "SELECT COUNT(*) FROM finding WHERE rule = 'withdrawal_held' AND status = 'open'") == 0
    # the next daily version (still without them) stores its day and holds nothing
    report = run_ingest(store_url, DatasetFeed(), location=write(tmp_path / "d32", stripped[:132]))
    assert (report.counts.new, report.counts.removed, report.held) == (1, 0, 0)


REPORTS = 200  # the first 200 reports of the real files (to 2022-09-12): a store quick to build
TOTALS = 2_679  # the totals they hold
SERIES_20 = 13  # the series that report every one of their latest 20 days (2022-08-24..09-12)


@pytest.fixture
def small_store(store_url, latest_dir, tmp_path) -> str:
    """A store (each backend) holding the first REPORTS reports of the real personnel and equipment files."""
    folder = tmp_path / "first"
    folder.mkdir()
    for name in (PERSONNEL, EQUIPMENT):
        (folder / name).write_text(json.dumps(json.loads((latest_dir / name).read_text())[:REPORTS]))
    assert run_ingest(store_url, DatasetFeed(), location=str(folder)).error is None
    return store_url


def cut(folder: Path, dest: Path, days: int) -> Path:
    """The files of `folder` cut short by their latest `days` reports."""
    dest.mkdir()
    for name in (PERSONNEL, EQUIPMENT):
        (dest / name).write_text(json.dumps(json.loads((folder / name).read_text())[:-days]))
    return dest


def test_a_file_cut_by_its_latest_20_days_is_held_whole_then_applied_with_allow_shrink(
    capsys, small_store, tmp_path
) -> None:
    url = small_store
    folder = cut(tmp_path / "first", tmp_path / "cut", 20)
    last_20 = "SELECT COUNT(*) FROM observation WHERE kind = 'total' AND report_date > '2022-08-23'"
    would_go = count(url, last_20)
    assert would_go == 20 * SERIES_20
    before = fingerprint(url)

    code, out, _ = run_tracker(capsys, "ingest", "dataset", "--from", str(folder), "--db", url)

    assert code == ExitCode.FINDINGS
    assert f"0 removed, 0 re-added, {TOTALS - would_go:,} unchanged, {would_go:,} held" in out
    assert "latest report 2022-09-12" in out  # the headline does not fall back
    assert fingerprint(url)["observation"] == before["observation"]
    [held] = withdrawals(capsys, url)
    assert (held["rows"], held["first_date"], held["last_date"]) == (260, "2022-08-24", "2022-09-12")
    assert "(its latest 20 reports)" in held["metrics"] and "9 more series" in held["metrics"]

    code, out, _ = run_tracker(
        capsys, "ingest", "dataset", "--from", str(folder), "--db", url, "--allow-shrink", "--quiet"
    )

    assert code in (ExitCode.OK, ExitCode.FINDINGS)
    assert count(url, last_20 + " AND superseded_at IS NULL AND NOT removed") == 0
    assert count(url, last_20 + " AND removed") == would_go
    [closed] = withdrawals(capsys, url, "--all")
    assert (closed["status"], closed["closed_run"]) == ("accepted", runs(url)[-1]["id"])
    assert count(url, "SELECT COUNT(*) FROM finding WHERE rule = 'withdrawal_held' AND status = 'open'") == 0


def test_a_withdrawal_undone_upstream_closes_by_itself_and_its_finding_resolves(capsys, small_store, tmp_path) -> None:
    url = small_store
    folder = cut(tmp_path / "first", tmp_path / "cut", 2)
    assert run_ingest(url, DatasetFeed(), location=str(folder)).held == 2 * SERIES_20
    # the same cut bytes again: confirmed unchanged, the held rows left as they were
    seen = "SELECT MAX(last_seen_run_id) FROM observation WHERE report_date > '2022-09-10' AND superseded_at IS NULL"
    held_seen = count(url, seen)
    code, out, _ = run_tracker(capsys, "ingest", "dataset", "--from", str(folder), "--db", url)
    assert code == ExitCode.OK and ": unchanged" in out
    assert count(url, seen) == held_seen
    assert [w["status"] for w in withdrawals(capsys, url)] == ["held"]

    code, out, _ = run_tracker(capsys, "ingest", "dataset", "--from", str(tmp_path / "first"), "--db", url)

    assert code == ExitCode.OK
    assert f"0 new, 0 revised, 0 removed, 0 re-added, {TOTALS:,} unchanged" in out
    [undone] = withdrawals(capsys, url, "--all")
    assert (undone["status"], undone["rows"], undone["closed_run"]) == ("undone", 26, runs(url)[-1]["id"])
    assert count(url, "SELECT COUNT(*) FROM finding WHERE rule = 'withdrawal_held' AND status = 'resolved'") == 1
    assert count(url, "SELECT COUNT(*) FROM observation WHERE revision > 1 OR removed") == 0


def test_accepting_when_nothing_is_held_is_one_line_and_exit_2(capsys, sqlite_url, latest_dir, tmp_path) -> None:
    run_ingest(
        sqlite_url, DatasetFeed(), location=write(tmp_path / "d", json.loads((latest_dir / PERSONNEL).read_text())[:5])
    )

    code, out, err = run_tracker(capsys, "feeds", "accept-withdrawal", "ua-dataset", "--run", "7", "--db", sqlite_url)

    assert code == ExitCode.USAGE and out == ""
    assert (
        err.strip()
        == "error: ua-dataset: no withdrawal held by run #7 (see `tracker feeds withdrawals ua-dataset --all`)"
    )
    code, _, err = run_tracker(capsys, "feeds", "withdrawals", "no-such-feed", "--db", sqlite_url)
    assert (
        code == ExitCode.USAGE and "no feed 'no-such-feed' in the store (feeds: ua-dataset (ua-general-staff))" in err
    )


ORYX_LAST = "2025-07-19T1144_a8624b4"  # a real snapshot of Oryx's totals_by_type.csv


def oryx(capsys, url: str, folder: Path, day: str, *extra: str) -> tuple[int, str]:
    code, out, err = run_tracker(
        capsys, "ingest", "oryx", "--from", str(folder), "--observed-at", f"{day}T12:00", "--db", url, *extra
    )
    assert "Traceback" not in err, err
    return code, out


def oryx_rows(url: str, day: str, where: str = "") -> int:
    return count(
        url,
        "SELECT COUNT(*) FROM observation o JOIN feed f ON f.id = o.feed_id WHERE f.name = 'oryx' "
        f"AND o.report_date = :day AND o.superseded_at IS NULL AND NOT o.removed {where}",
        day=day,
    )


# The rows of 2025-07-19 whose series' total fell by more than DOCUMENTED_DROP_SHARE and _MIN when zeroed.
FALLING = (
    "AND EXISTS (SELECT 1 FROM observation t WHERE t.feed_id = o.feed_id AND t.metric_id = o.metric_id "
    "AND t.side = o.side AND t.report_date = o.report_date AND t.kind = 'total' AND t.superseded_at IS NULL "
    "AND t.value > 3)"
)


def test_an_all_zero_oryx_snapshot_holds_its_falls_and_a_good_next_day_undoes_them(
    capsys, store_url, oryx_history, tmp_path
) -> None:
    real = oryx_history / ORYX_LAST
    assert oryx(capsys, store_url, real, "2025-07-19")[0] == ExitCode.OK
    falling = oryx_rows(store_url, "2025-07-19", FALLING)
    assert (oryx_rows(store_url, "2025-07-19"), falling) == (250, 250)  # every category counts more than 3
    zeroed = tmp_path / "zeroed"
    zeroed.mkdir()
    with (real / "totals_by_type.csv").open(newline="") as f, (zeroed / "totals_by_type.csv").open("w") as out:
        rows = list(csv.reader(f))
        csv.writer(out).writerows(
            [rows[0], *([c if i < 2 or not c.strip() else "0" for i, c in enumerate(r)] for r in rows[1:])]
        )

    code, out = oryx(capsys, store_url, zeroed, "2025-07-20")

    assert code == ExitCode.FINDINGS
    assert f"{falling:,} held" in out
    assert oryx_rows(store_url, "2025-07-20") == 0
    assert oryx_rows(store_url, "2025-07-20", "AND o.value > 0") == 0
    [held] = json.loads(run_tracker(capsys, "feeds", "withdrawals", "oryx", "--format", "json", "--db", store_url)[1])
    assert (held["rows"], held["first_date"], held["last_date"]) == (falling, "2025-07-20", "2025-07-20")
    assert held["metrics"].startswith("oryx.aa_guns total: 1 (fell from ")

    code, out = oryx(capsys, store_url, real, "2025-07-21")

    assert code in (ExitCode.OK, ExitCode.FINDINGS) and "held" not in out
    assert oryx_rows(store_url, "2025-07-21") == 250
    [undone] = json.loads(
        run_tracker(capsys, "feeds", "withdrawals", "oryx", "--all", "--format", "json", "--db", store_url)[1]
    )
    assert undone["status"] == "undone"
    assert count(store_url, "SELECT COUNT(*) FROM finding WHERE rule = 'withdrawal_held' AND status = 'open'") == 0


def test_an_accepted_oryx_drop_stores_the_values_it_held(capsys, sqlite_url, oryx_history, tmp_path) -> None:
    real = oryx_history / ORYX_LAST
    oryx(capsys, sqlite_url, real, "2025-07-19")
    swapped = tmp_path / "swapped"
    swapped.mkdir()
    text = (real / "totals_by_type.csv").read_text()
    (swapped / "totals_by_type.csv").write_text(
        text.replace("\nRussia,", "\nTMP,").replace("\nUkraine,", "\nRussia,").replace("\nTMP,", "\nUkraine,")
    )
    code, out = oryx(capsys, sqlite_url, swapped, "2025-07-20")
    assert code == ExitCode.FINDINGS and " held" in out
    tanks = (
        "SELECT o.value FROM observation o JOIN metric m ON m.id = o.metric_id WHERE m.name = 'oryx.tanks' "
        "AND o.side = 'russia' AND o.kind = 'total' AND o.report_date = '2025-07-20' AND o.superseded_at IS NULL"
    )
    assert count(sqlite_url, tanks) == 0  # Russia's tanks fell to Ukraine's count: held, not stored

    code, out, err = run_tracker(capsys, "feeds", "accept-withdrawal", "oryx", "--db", sqlite_url)

    assert code == 0, err
    assert "stored" in out and "held value(s)" in out and "removed" not in out
    assert 0 < count(sqlite_url, tanks) < 4074  # now stored: the person decided


def test_an_oryx_recount_that_stays_down_is_held_once_then_stored_with_the_next_snapshot(
    capsys, sqlite_url, oryx_history, tmp_path
) -> None:
    real = oryx_history / ORYX_LAST
    oryx(capsys, sqlite_url, real, "2025-07-19")
    recount = tmp_path / "recount"
    recount.mkdir()
    with (real / "totals_by_type.csv").open(newline="") as f, (recount / "totals_by_type.csv").open("w") as out:
        rows = list(csv.reader(f))
        tanks = [i for i, r in enumerate(rows) if r[:2] == ["Russia", "Tanks"]]
        assert len(tanks) == 1 and rows[tanks[0]][-1] == "4074"
        rows[tanks[0]][-1] = "3000"  # Oryx moves a thousand entries to another category
        csv.writer(out).writerows(rows)
    tanks_on = (
        "SELECT COUNT(*) FROM observation o JOIN metric m ON m.id = o.metric_id WHERE m.name = 'oryx.tanks' "
        "AND o.side = 'russia' AND o.kind = 'total' AND o.report_date = :day AND o.value = 3000"
    )

    code, out = oryx(capsys, sqlite_url, recount, "2025-07-20")
    assert code == ExitCode.FINDINGS and "5 held" in out  # the total and its four status parts
    assert count(sqlite_url, tanks_on, day="2025-07-20") == 0
    code, out = oryx(capsys, sqlite_url, recount, "2025-07-21")

    assert "held" not in out
    assert count(sqlite_url, tanks_on, day="2025-07-21") == 1
    [closed] = json.loads(
        run_tracker(capsys, "feeds", "withdrawals", "oryx", "--all", "--format", "json", "--db", sqlite_url)[1]
    )
    assert (closed["status"], closed["metrics"]) == ("undone", "oryx.tanks total: 1 (fell from 4,074 to 3,000); "
                                                     "oryx.tanks abandoned: 1; oryx.tanks captured: 1; "
                                                     "oryx.tanks damaged: 1; 1 more series")  # fmt: skip
