"""`tracker notes`: the "greatest losses direction" notes the General Staff's reports carried,
as stored by the dataset ingest (tracker.store.notes)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from tests.clirun import run_tracker
from tracker.store.db import open_store
from tracker.store.notes import direction_notes, latest_note_date

DIRECTION = "greatest losses direction"


def by_hand(folder) -> list[tuple[str, str]]:
    """(date, direction) of every report of the equipment file that names one."""
    rows = json.loads((folder / "russia_losses_equipment.json").read_text(encoding="utf-8"))
    return [(r["date"], r[DIRECTION]) for r in rows if r.get(DIRECTION)]


def test_the_notes_read_back_are_the_files_directions_on_every_backend(store_url, history_dirs, capsys):
    snapshot = history_dirs[0]
    code, _, err = run_tracker(capsys, "ingest", "dataset", "--from", str(snapshot), "--db", store_url, "--quiet")
    assert code in (0, 3), err
    engine = open_store(store_url, write=False)
    try:
        notes = direction_notes(engine)
        assert [(n["report_date"].isoformat(), n["direction"]) for n in notes] == by_hand(snapshot)
        assert latest_note_date(engine) == dt.date(2023, 1, 2)
        cut = direction_notes(engine, since=dt.date(2022, 12, 20), until=dt.date(2023, 1, 1))
        assert [(n["report_date"].isoformat(), n["direction"]) for n in cut] == [
            (d, text) for d, text in by_hand(snapshot) if "2022-12-20" <= d <= "2023-01-01"
        ]
        assert len(cut) >= 2 and {n["revision"] for n in cut} == {1}
        assert direction_notes(engine, source="uk-mod") == [] and latest_note_date(engine, source="uk-mod") is None
    finally:
        engine.dispose()


def test_notes_table_lists_every_direction_with_a_count(full_store_url, latest_dir, capsys):
    code, out, err = run_tracker(capsys, "notes", "--db", full_store_url)
    assert (code, err) == (0, "")
    expected = by_hand(latest_dir)
    assert len(expected) == 203
    assert out.splitlines()[0] == (
        "Greatest losses direction, as named in the reports of ua-general-staff: "
        "203 notes (the latest stored is dated 2023-01-02)."
    )
    assert "2022-04-25   Sievierodonetsk" in out
    assert out.rstrip().splitlines()[-1].split() == ["2023-01-02", "Lyman,", "Bakhmut", "and", "Avdiivka", "1"]


def test_notes_last_two_weeks_in_csv(full_store_url, latest_dir, capsys):
    code, out, err = run_tracker(capsys, "notes", "--last", "2", "weeks", "--format", "csv", "--db", full_store_url)
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    # 2023-01-02 is a Monday: its ISO week and the one before, 2022-12-26 to 2023-01-02.
    expected = [d for d, _ in by_hand(latest_dir) if "2022-12-26" <= d <= "2023-01-02"]
    assert [r["report_date"] for r in rows] == expected and len(expected) >= 2
    assert rows[-1]["direction"] == "Lyman, Bakhmut and Avdiivka"


def test_notes_json_between_dates(full_store_url, capsys):
    args = ("notes", "--since", "2022-04-25", "--until", "2022-04-30", "--format", "json", "--db", full_store_url)
    code, out, err = run_tracker(capsys, *args)
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert (data["since"], data["until"], data["count"]) == ("2022-04-25", "2022-04-30", len(data["rows"]))
    assert data["rows"][0] == {**data["rows"][0], "report_date": "2022-04-25", "direction": "Sievierodonetsk"}


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ("--last", "2", "weeks", "--since", "2022-05-01"),
            "error: --last 2 weeks and --since 2022-05-01 both choose the days: give one or the other\n",
        ),  # fmt: skip
        (("--since", "2022-05-02", "--until", "2022-05-01"), "error: --since 2022-05-02 is after --until 2022-05-01\n"),
        (
            (
                "--since",
                "20220501",
            ),
            "error: --since: ",
        ),
    ],
)
def test_bad_notes_options_end_in_one_line(full_store_url, capsys, args, message):
    code, out, err = run_tracker(capsys, "notes", *args, "--db", full_store_url)
    assert (code, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1


def test_a_store_without_notes_says_so(sqlite_url, tmp_path, capsys):
    source = tmp_path / "mine.csv"
    source.write_text("report_date,metric,value\n2024-11-10,personnel,708890\n", encoding="utf-8")
    assert run_tracker(capsys, "ingest", "csv", "--from", str(source), "--db", sqlite_url, "--quiet")[0] in (0, 3)
    code, out, err = run_tracker(capsys, "notes", "--db", sqlite_url)
    assert (code, err) == (0, "")
    assert out == (
        "Greatest losses direction: no note from ua-general-staff in the store "
        "(`tracker ingest dataset` stores them).\n"
    )
