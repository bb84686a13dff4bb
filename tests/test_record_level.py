"""One bad record never sinks a payload, and never removes what the store holds.

A bad value (null, text, a fraction, NaN, ...) in one report is not stored and becomes a finding
(exit 3) while every other value is stored; a report whose date cannot be read removes nothing;
only a payload that cannot be read as a whole, or is mostly bad, is refused (exit 5, store as it
was). Each feed: the open dataset, the russianwarship.rip API, the plain CSV and the claims file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.storecheck import count, fingerprint
from tracker.errors import BadPayload, ExitCode, InvalidInput, LocalFileError
from tracker.ingest.feeds.claims import DEFAULT_FILE, ClaimsFeed
from tracker.ingest.feeds.csvfeed import CsvFeed
from tracker.ingest.feeds.dataset import FILES, DatasetFeed
from tracker.ingest.feeds.warship import WarshipFeed
from tracker.ingest.run import run_ingest

PERSONNEL = FILES["personnel"]
EQUIPMENT = FILES["equipment"]
TOTALS = "SELECT COUNT(*) FROM observation WHERE kind = 'total' AND superseded_at IS NULL AND removed = :r"
REMOVALS = "SELECT COUNT(*) FROM observation WHERE removed = :r"
FINDINGS = "SELECT message FROM finding WHERE rule = :rule ORDER BY id"
WARSHIP_PAGES = Path(__file__).parent / "fixtures" / "warship" / "pages"


def messages(url: str, rule: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        found = [row[0] for row in conn.execute(text(FINDINGS), {"rule": rule})]
    engine.dispose()
    return found


def personnel_value(url: str, date: str) -> list[tuple[int, bool]]:
    """(value, removed) of every current personnel row of a date."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT o.value, o.removed FROM observation o JOIN metric m ON m.id = o.metric_id "
                "WHERE m.name = 'personnel' AND o.kind = 'total' AND o.superseded_at IS NULL "
                "AND o.report_date = :d"
            ),
            {"d": date},
        ).all()
    engine.dispose()
    return [(int(v) if v is not None else None, bool(r)) for v, r in rows]


@pytest.fixture(scope="module")
def personnel_rows(latest_dir: Path) -> list[dict]:
    return json.loads((latest_dir / PERSONNEL).read_text())


def write_personnel(folder: Path, rows: list, *, raw: str | None = None) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PERSONNEL).write_text(raw if raw is not None else json.dumps(rows))
    return str(folder)


def with_value(rows: list[dict], date: str, key: str, value: object) -> list[dict]:
    return [{**r, key: value} if r["date"] == date else r for r in rows]


# --- the open dataset ----------------------------------------------------------------------


def test_null_military_auto_and_fuel_tank_on_the_merge_day_are_findings_and_everything_else_is_stored(
    store_url, full_store_url, latest_dir, tmp_path
):
    # The upstream equipment file as it was from 2022-05-01 to 2022-07-16: the day the two
    # categories merged into "vehicles and fuel tanks", its row still named them, with nulls.
    rows = json.loads((latest_dir / EQUIPMENT).read_text())
    rows = [{**r, "military auto": None, "fuel tank": None} if r["date"] == "2022-05-01" else r for r in rows]
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / EQUIPMENT).write_text(json.dumps(rows))
    for role in ("personnel", "corrections"):
        (folder / FILES[role]).write_bytes((latest_dir / FILES[role]).read_bytes())

    report = run_ingest(store_url, DatasetFeed(), location=str(folder))

    assert (report.status, report.exit_code) == ("ok_with_findings", ExitCode.FINDINGS), report.error
    # Nulls are "not reported": the clean file has no such keys on that day, so exactly the
    # same totals are stored as from the clean file, and nothing is invented for the old series.
    # 1,688 personnel and POW totals, 20,687 equipment totals.
    assert count(store_url, TOTALS, r=False) == count(full_store_url, TOTALS, r=False) == 22_375
    found = messages(store_url, "bad_value")
    where = str(folder / EQUIPMENT)
    assert found == [
        f"{where} 2022-05-01 'military auto': bad value None (empty: not reported); not stored, "
        "and no stored value is removed for it",
        f"{where} 2022-05-01 'fuel tank': bad value None (empty: not reported); not stored, "
        "and no stored value is removed for it",
    ]
    assert (
        count(
            store_url,
            "SELECT COUNT(*) FROM observation o JOIN metric m ON m.id = o.metric_id "
            "WHERE m.name IN ('military_auto', 'fuel_tanks') AND o.report_date >= '2022-05-01'",
        )
        == 0
    )


@pytest.mark.parametrize(
    "raw, shown, reason",
    [
        ('"n/a"', "'n/a'", "text, not a number"),
        ("5012.5", "5012.5", "not a whole number"),
        ("null", "None", "empty: not reported"),
        ("true", "True", "a boolean is not a number"),
        ("1" + "0" * 30, "1" + "0" * 30, "implausibly large (the limit is 100,000,000)"),
        ("NaN", "NaN", "not a number"),
        ("-Infinity", "-Infinity", "not a number"),
        ("-5", "-5", "negative"),
    ],
    ids=["text", "fraction", "null", "boolean", "10**30", "NaN", "-Infinity", "negative"],
)
def test_a_bad_personnel_total_is_one_finding_and_every_other_value_is_stored(
    store_url, personnel_rows, tmp_path, raw, shown, reason
):
    marker = '"__BAD__"'
    rows = with_value(personnel_rows, "2024-11-10", "personnel", "__BAD__")
    text = json.dumps(rows).replace(marker, raw)
    folder = write_personnel(tmp_path / "bad", [], raw=text)

    report = run_ingest(store_url, DatasetFeed(), location=folder)

    assert (report.status, report.exit_code) == ("ok_with_findings", ExitCode.FINDINGS), report.error
    clean = sum(1 for r in personnel_rows for k in r if k in ("personnel", "POW"))
    assert count(store_url, TOTALS, r=False) == clean - 1
    assert personnel_value(store_url, "2024-11-10") == []
    assert messages(store_url, "bad_value") == [
        f"{Path(folder) / PERSONNEL} 2024-11-10 'personnel': bad value {shown} ({reason}); not stored, "
        "and no stored value is removed for it"
    ]


def test_a_bad_value_on_a_date_the_store_holds_leaves_the_stored_value_in_place(store_url, personnel_rows, tmp_path):
    run_ingest(store_url, DatasetFeed(), location=write_personnel(tmp_path / "clean", personnel_rows))
    rows = with_value(personnel_rows, "2024-11-10", "personnel", None)

    report = run_ingest(store_url, DatasetFeed(), location=write_personnel(tmp_path / "null", rows))

    assert report.exit_code == ExitCode.FINDINGS
    assert (report.counts.removed, report.counts.new, report.counts.revised) == (0, 0, 0)
    assert personnel_value(store_url, "2024-11-10") == [(708_890, False)]
    assert count(store_url, REMOVALS, r=True) == 0


def test_a_report_with_an_unreadable_date_is_a_finding_and_its_file_removes_nothing(
    store_url, personnel_rows, tmp_path
):
    run_ingest(store_url, DatasetFeed(), location=write_personnel(tmp_path / "clean", personnel_rows))
    # 2024-11-10 written as no calendar date, and 2024-11-11 left out: a clean file without
    # 2024-11-11 would remove it, but with a report we cannot date we cannot know what it held.
    rows = [
        {**r, "date": "2024-11-31"} if r["date"] == "2024-11-10" else r
        for r in personnel_rows
        if r["date"] != "2024-11-11"
    ]
    index = next(i for i, r in enumerate(rows, 1) if r["date"] == "2024-11-31")

    report = run_ingest(store_url, DatasetFeed(), location=write_personnel(tmp_path / "undated", rows))

    assert report.exit_code == ExitCode.FINDINGS
    assert report.counts.removed == 0
    assert personnel_value(store_url, "2024-11-11") == [(710_660, False)]
    assert personnel_value(store_url, "2024-11-10") == [(708_890, False)]
    assert messages(store_url, "bad_row") == [
        f"{tmp_path / 'undated' / PERSONNEL}: 1 row(s) could not be read: report #{index} "
        "(date '2024-11-31': no such calendar date); their values are not stored, and this file "
        "removes nothing this run"
    ]


def test_a_file_with_more_than_half_of_its_values_bad_is_refused_whole(store_url, personnel_rows, tmp_path):
    run_ingest(store_url, DatasetFeed(), location=write_personnel(tmp_path / "clean", personnel_rows))
    before = fingerprint(store_url)
    values = sum(1 for r in personnel_rows for k in r if k in ("personnel", "POW"))
    rows = [{**r, "personnel": "n/a"} for r in personnel_rows]  # every personnel value; POW stays good
    bad = len(rows)
    assert bad * 2 > values  # more than half

    report = run_ingest(store_url, DatasetFeed(), location=write_personnel(tmp_path / "broken", rows))

    assert (report.status, report.exit_code) == ("failed", ExitCode.BAD_PAYLOAD)
    assert report.error == (
        f"{tmp_path / 'broken' / PERSONNEL}: {bad:,} of {values:,} values unreadable (more than 50%): not a "
        "dataset file as expected, nothing stored (first: 2022-02-25 'personnel': bad value 'n/a' "
        "(text, not a number))"
    )
    assert fingerprint(store_url) == before


def test_a_file_with_exactly_half_of_its_values_bad_is_stored_with_findings(sqlite_url, personnel_rows, tmp_path):
    rows = [{"date": r["date"], "personnel": r["personnel"], "POW": None} for r in personnel_rows[:4]]

    report = run_ingest(sqlite_url, DatasetFeed(), location=write_personnel(tmp_path / "half", rows))

    assert report.exit_code == ExitCode.FINDINGS
    assert count(sqlite_url, TOTALS, r=False) == 4
    assert len(messages(sqlite_url, "bad_value")) == 4


def test_a_repeated_key_in_a_report_is_a_finding_and_the_later_value_is_kept(sqlite_url, personnel_rows, tmp_path):
    text = json.dumps(personnel_rows[-3:]).replace('"personnel": 1456610', '"personnel": 1456000, "personnel": 1456610')

    report = run_ingest(sqlite_url, DatasetFeed(), location=write_personnel(tmp_path / "dup", [], raw=text))

    assert report.exit_code == ExitCode.FINDINGS
    assert personnel_value(sqlite_url, "2026-08-08") == [(1_456_610, False)]
    assert messages(sqlite_url, "duplicate_key") == [
        f"{tmp_path / 'dup' / PERSONNEL}: key 'personnel' appears twice in one object (report 2026-08-08) "
        "with 1456000 and 1456610; kept the later, as JSON does"
    ]


def test_a_direction_note_with_a_lone_surrogate_is_a_finding_and_removes_no_note(sqlite_url, latest_dir, tmp_path):
    rows = json.loads((latest_dir / EQUIPMENT).read_text())[:60]
    folder = tmp_path / "eq"
    folder.mkdir()
    (folder / EQUIPMENT).write_text(json.dumps(rows))
    run_ingest(sqlite_url, DatasetFeed(), location=str(folder))
    notes = count(sqlite_url, "SELECT COUNT(*) FROM report_note WHERE removed = :r", r=False)
    bad_day = next(r for r in rows if "greatest losses direction" in r)
    text = json.dumps(rows).replace(f'"{bad_day["greatest losses direction"]}"', '"Izyum \\ud800"', 1)
    (folder / EQUIPMENT).write_text(text)

    report = run_ingest(sqlite_url, DatasetFeed(), location=str(folder))

    assert report.exit_code == ExitCode.FINDINGS
    assert count(sqlite_url, "SELECT COUNT(*) FROM report_note WHERE removed = :r", r=False) == notes
    assert count(sqlite_url, "SELECT COUNT(*) FROM report_note WHERE removed = :r", r=True) == 0
    [message] = messages(sqlite_url, "bad_value")
    assert message == (
        f"{folder / EQUIPMENT} {bad_day['date']} 'greatest losses direction': bad value 'Izyum \\ud800' "
        "(holds a lone surrogate (not valid Unicode text)); not stored, and no stored value is removed for it"
    )


# --- the russianwarship.rip API ------------------------------------------------------------


def warship_page(records: list[dict]) -> str:
    return json.dumps({"message": "ok", "data": {"records": records, "paging": {"next_url": None}}})


def fixture_records() -> list[dict]:
    return [r for p in sorted(WARSHIP_PAGES.glob("*.json")) for r in json.loads(p.read_text())["data"]["records"]]


def test_api_record_with_a_null_total_stores_the_others_and_keeps_the_stored_value(store_url, tmp_path):
    run_ingest(store_url, WarshipFeed(), location=str(WARSHIP_PAGES))
    records = fixture_records()
    for r in records:
        if r["date"] == "2024-11-11":
            r["stats"]["personnel_units"] = None
    (tmp_path / "p.json").write_text(warship_page(records))

    report = run_ingest(store_url, WarshipFeed(), location=str(tmp_path / "p.json"))

    assert report.exit_code == ExitCode.FINDINGS
    assert (report.counts.removed, report.counts.revised, report.counts.unchanged) == (0, 0, 5 * 15 - 1)
    assert personnel_value(store_url, "2024-11-11") == [(710_660, False)]
    assert messages(store_url, "bad_value") == [
        f"{tmp_path / 'p.json'}: record 2024-11-11: stats.personnel_units: bad value None (empty: not reported); "
        "not stored, and no stored value is removed for it"
    ]


def test_api_record_with_an_unreadable_date_removes_nothing(store_url, tmp_path):
    run_ingest(store_url, WarshipFeed(), location=str(WARSHIP_PAGES))
    records = [r for r in fixture_records() if r["date"] != "2024-11-10"]
    records[0] = {**records[0], "date": "2024-11-8"}

    report = run_ingest(store_url, WarshipFeed(), location=_write(tmp_path / "p.json", warship_page(records)))

    assert report.exit_code == ExitCode.FINDINGS
    assert report.counts.removed == 0
    assert personnel_value(store_url, "2024-11-10") == [(708_890, False)]
    assert messages(store_url, "bad_row") == [
        f"{tmp_path / 'p.json'}: 1 row(s) could not be read: malformed date '2024-11-8' (expected YYYY-MM-DD: "
        "not a date written YYYY-MM-DD); nothing is removed this run"
    ]


def test_api_page_mostly_bad_is_refused_whole(store_url, tmp_path):
    run_ingest(store_url, WarshipFeed(), location=str(WARSHIP_PAGES))
    before = fingerprint(store_url)
    records = fixture_records()
    for r in records:
        r["stats"] = {k: "n/a" for k in r["stats"]}

    report = run_ingest(store_url, WarshipFeed(), location=_write(tmp_path / "p.json", warship_page(records)))

    assert report.exit_code == ExitCode.BAD_PAYLOAD
    assert report.error == (
        f"{tmp_path / 'p.json'}: 75 of 75 values unreadable (more than 50%), nothing stored; first: record "
        "2024-11-08: stats.personnel_units: bad value 'n/a' (text, not a number)"
    )
    assert fingerprint(store_url) == before


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# --- the plain CSV -------------------------------------------------------------------------


def test_csv_bad_rows_are_findings_and_the_good_rows_are_stored(store_url, tmp_path):
    text = (
        "report_date,metric,value,qualifier\n"
        "2024-11-09,personnel,707540,about\n"
        "2024-11-10,personnel,708890,about\n"
        "2024-11-11,personnel,710660,about\n"
        "2024-11-11,tanks,9253,\n"
        "2024-11-12,personnel,5012.5,about\n"  # a fraction
        "2024-11-12,tanks,\u0669\u0662\u0665\u0665,\n"  # Arabic-Indic digits
        "20241113,personnel,712000,\n"  # not YYYY-MM-DD
        "2024-11-13,personnel\n"  # too few fields
        '2024-11-13,personnel,"=HYPERLINK(""http://x"")"\n'  # text, not a count
        "2024-11-08,personnel,706000,about\n"
        "2024-11-10,tanks,9240,\n"
    )

    report = run_ingest(store_url, CsvFeed(), location=_write(tmp_path / "c.csv", text))

    assert report.exit_code == ExitCode.FINDINGS
    assert report.counts.new == 6  # 5 of 11 rows bad: less than half, so the file is read
    where = tmp_path / "c.csv"
    assert messages(store_url, "bad_value") == [
        f"{where} line 6 2024-11-12 'personnel': bad value '5012.5' (not a whole number: ASCII digits 0-9 only); "
        "not stored",
        f"{where} line 7 2024-11-12 'tanks': bad value '\u0669\u0662\u0665\u0665' (not a whole number: ASCII "
        "digits 0-9 only); not stored",
        f"{where} line 10 2024-11-13 'personnel': bad value '=HYPERLINK(\"http://x\")' (not a whole number: "
        "ASCII digits 0-9 only); not stored",
    ]
    assert messages(store_url, "bad_row") == [
        f"{where}: 2 row(s) could not be read: line 8 date '20241113': not a date written YYYY-MM-DD; "
        "line 9 has 2 fields, not 4; not stored"
    ]


def test_csv_formula_and_terminal_escape_in_a_qualifier_are_stored_as_given(sqlite_url, tmp_path):
    qualifier = '=HYPERLINK("http://evil")\x1b[31m'
    text = (
        f'report_date,metric,value,qualifier\n2024-11-11,personnel,710660,"{qualifier.replace(chr(34), 2 * chr(34))}"\n'
    )

    report = run_ingest(sqlite_url, CsvFeed(), location=_write(tmp_path / "c.csv", text))

    assert report.status == "ok"
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(sql("SELECT qualifier FROM observation")).scalar_one() == qualifier
    engine.dispose()


@pytest.mark.parametrize(
    "text, message",
    [
        (
            'report_date,metric,value,qualifier\n2024-11-11,personnel,710660,"about\n2024-11-12,personnel,1,\n',
            "line 2: unreadable CSV: a quoted field is never closed (it would swallow the rest of the file)",
        ),
        (
            "report_date,metric,value,qualifier\n2024-11-11,personnel,710660," + "x" * 131_073 + "\n",
            "line 2: unreadable CSV: field larger than field limit (131072)",
        ),
    ],
    ids=["unterminated quote", "field over the csv limit"],
)
def test_csv_that_cannot_be_split_into_rows_is_refused_whole(sqlite_url, tmp_path, text, message):
    report = run_ingest(sqlite_url, CsvFeed(), location=_write(tmp_path / "c.csv", text))

    assert report.exit_code == ExitCode.BAD_PAYLOAD
    assert report.error == f"{tmp_path / 'c.csv'} {message}"
    assert count(sqlite_url, "SELECT COUNT(*) FROM observation") == 0


# --- the claims file -----------------------------------------------------------------------

CURRENT = "SELECT count(*) FROM claim WHERE superseded_at IS NULL AND removed = :r"


def claim_rows() -> list[dict]:
    return list(csv.DictReader(io.StringIO(DEFAULT_FILE.read_text(encoding="utf-8"))))


def write_claims(path: Path, rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return _write(path, out.getvalue())


def test_a_bad_claim_row_is_a_finding_the_others_are_stored_and_it_is_not_removed(store_url, tmp_path):
    rows = claim_rows()
    run_ingest(store_url, ClaimsFeed(), location=write_claims(tmp_path / "all.csv", rows))
    key = rows[9]["claim_key"]
    rows[9]["period"] = "2024-06-30/2024-05-01"
    rows[3]["best"] = "1.5e3"

    report = run_ingest(store_url, ClaimsFeed(), location=write_claims(tmp_path / "bad.csv", rows))

    assert report.exit_code == ExitCode.FINDINGS
    assert (report.counts.unchanged, report.counts.removed) == (len(rows) - 2, 0)
    assert count(store_url, CURRENT, r=False) == len(rows) and count(store_url, CURRENT, r=True) == 0
    assert messages(store_url, "bad_claim") == [
        f"{tmp_path / 'bad.csv'} line 5: claim {rows[3]['claim_key']!r}: best '1.5e3' is not a number (write e.g. "
        "41980 or 1271.5); not stored, and no claim is recorded as removed this run",
        f"{tmp_path / 'bad.csv'} line 11: claim {key!r}: period: period end 2024-05-01 is before its start "
        "2024-06-30; not stored, and no claim is recorded as removed this run",
    ]


def test_a_claim_row_without_a_readable_key_means_no_removals_this_run(store_url, tmp_path):
    rows = claim_rows()
    run_ingest(store_url, ClaimsFeed(), location=write_claims(tmp_path / "all.csv", rows))
    shipped = len(rows)
    rows = rows[1:]  # a claim deleted from the file: a clean file would record its removal
    rows[0] = {**rows[0], "claim_key": "Not A Key!"}

    report = run_ingest(store_url, ClaimsFeed(), location=write_claims(tmp_path / "bad.csv", rows))

    assert report.exit_code == ExitCode.FINDINGS
    assert report.counts.removed == 0
    assert count(store_url, CURRENT, r=False) == shipped
    [message] = messages(store_url, "bad_row")
    assert message.startswith(f"{tmp_path / 'bad.csv'}: 1 row(s) could not be read: line 2: claim_key 'Not A Key!'")
    assert message.endswith("; not stored, and no claim is recorded as removed this run")


def test_a_claims_file_mostly_bad_is_refused_whole(sqlite_url, tmp_path):
    rows = claim_rows()
    bad = len(rows) // 2 + 1  # just over half
    for row in rows[:bad]:
        row["published"] = "yesterday"

    report = run_ingest(sqlite_url, ClaimsFeed(), location=write_claims(tmp_path / "bad.csv", rows))

    assert report.exit_code == ExitCode.BAD_PAYLOAD
    assert report.error.startswith(
        f"{tmp_path / 'bad.csv'}: {bad} of {len(rows)} claims unreadable (more than 50%): nothing stored (first: line 2: "
        "published: malformed date or period 'yesterday'"
    )
    assert count(sqlite_url, "SELECT COUNT(*) FROM claim") == 0


# --- local files ---------------------------------------------------------------------------


@pytest.mark.parametrize("feed", [DatasetFeed(), CsvFeed(), ClaimsFeed(), WarshipFeed()], ids=lambda f: f.name)
def test_an_empty_from_never_means_the_live_source(feed):
    with pytest.raises(InvalidInput, match="^an empty --from: give a path or URL$"):
        feed.fetch("")


def test_a_dataset_file_that_is_a_folder_is_a_local_file_error_naming_it(tmp_path):
    (tmp_path / PERSONNEL).mkdir()
    with pytest.raises(LocalFileError, match=f"^{tmp_path / PERSONNEL}: is a folder, not a file$"):
        DatasetFeed().fetch(str(tmp_path))


def test_a_broken_symlink_is_a_local_file_error_naming_it(tmp_path):
    (tmp_path / EQUIPMENT).symlink_to(tmp_path / "gone.json")
    with pytest.raises(LocalFileError, match="broken symbolic link"):
        DatasetFeed().fetch(str(tmp_path))
    with pytest.raises(LocalFileError, match=f"^{tmp_path / EQUIPMENT}: broken symbolic link"):
        DatasetFeed().fetch(str(tmp_path / EQUIPMENT))


def test_a_symlink_loop_is_a_local_file_error_naming_it(tmp_path):
    (tmp_path / PERSONNEL).symlink_to(tmp_path / PERSONNEL)
    with pytest.raises(LocalFileError, match=f"^{tmp_path / PERSONNEL}: cannot read \\(Too many levels"):
        DatasetFeed().fetch(str(tmp_path))


def test_a_folder_with_none_of_the_files_stays_invalid_input(tmp_path):
    (tmp_path / "other.json").write_text("[]")
    with pytest.raises(InvalidInput, match="holds none of"):
        DatasetFeed().fetch(str(tmp_path))


def test_an_unreadable_file_is_a_local_file_error_for_an_unprivileged_user(request):
    def request_cleanup(folder: Path) -> None:
        import shutil

        request.addfinalizer(lambda: shutil.rmtree(folder, ignore_errors=True))

    if os.geteuid() != 0:
        pytest.skip("needs root to switch to the user nobody")
    import tempfile

    # pytest's tmp_path lies under a folder only root may enter: the user nobody needs a way in.
    folder = Path(tempfile.mkdtemp(prefix="tracker-perm-"))
    request_cleanup(folder)
    folder.chmod(0o755)
    (folder / PERSONNEL).write_text("[]")
    (folder / PERSONNEL).chmod(0o000)
    code = (
        "import sys\nfrom tracker.ingest.feeds.dataset import DatasetFeed\nfrom tracker.errors import LocalFileError\n"
        f"try:\n    DatasetFeed().fetch({str(folder)!r})\nexcept LocalFileError as exc:\n    print(exc); sys.exit(6)\n"
    )
    done = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert (done.returncode, done.stdout) == (6, f"{folder / PERSONNEL}: cannot read (Permission denied)\n"), (
        done.stderr
    )


def test_a_local_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import tracker.ingest.parsed

    monkeypatch.setattr(tracker.ingest.parsed, "MAX_BYTES", 1000)
    path = tmp_path / PERSONNEL
    with path.open("wb") as out:
        out.truncate(200 * 2**20)  # 200 MB, sparse: refused by its size, never read

    with pytest.raises(BadPayload, match=f"^{path}: 209,715,200 bytes is over the 1,000-byte limit for one payload$"):
        DatasetFeed().fetch(str(tmp_path))


def test_the_size_limit_of_a_local_file_is_that_of_http():
    import tracker.ingest.http
    import tracker.ingest.parsed
    from tracker.ingest.feeds import json_payload as payload

    assert tracker.ingest.http.MAX_BYTES == 64 * 2**20
    assert tracker.ingest.http.MAX_BYTES is tracker.ingest.parsed.MAX_BYTES  # one limit, read where no HTTP is imported
    assert "MAX_BYTES" not in vars(payload)
