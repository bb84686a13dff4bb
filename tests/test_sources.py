"""Sources and definitions are data (issue 10, part 1): `tracker sources list|add`, and `ingest csv`
with --definition, --side and a `source` column, so a killed-only count is labelled killed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from clirun import run_tracker
from storecheck import count, fingerprint, runs

from tracker.domain import label_for
from tracker.errors import ExitCode
from tracker.store.db import open_store
from tracker.store.queries import observations_frame
from tracker.store.source_registry import SOURCES

# A killed-only study: three reports of personnel (made-up figures).
KILLED = "report_date,metric,value\n2024-03-01,personnel,1000\n2024-03-02,personnel,1040\n2024-03-03,personnel,1100\n"


def _csv(tmp_path: Path, text: str, name: str = "study.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _listed(capsys, db: str) -> dict[str, dict]:
    code, out, err = run_tracker(capsys, "sources", "list", "--format", "json", "--db", db)
    assert (code, err) == (0, "")
    return {row["key"]: row for row in json.loads(out)}


def _frame(url: str, source: str, side: str = "russia"):
    engine = open_store(url, write=False)
    try:
        return observations_frame(engine, source=source, metric="personnel", side=side)
    finally:
        engine.dispose()


# --- sources list ------------------------------------------------------------------------------


def test_sources_list_without_a_store_shows_the_registry_and_creates_no_store(capsys, tmp_path):
    db = tmp_path / "none.db"

    listed = _listed(capsys, str(db))

    assert {k: listed[k]["dates_by"] for k in ("ua-general-staff", "uk-defence-intelligence", "oryx")} == {
        "ua-general-staff": "report",
        "uk-defence-intelligence": "covered",
        "oryx": "documented",
    }
    assert listed["oryx"]["definition"] == "confirmed" and listed["oryx"]["side"] == "russia"
    assert listed["ua-general-staff"]["url"] == "https://www.zsu.gov.ua/"
    assert {row["defined_in"] for row in listed.values()} == {"registry"}
    assert len(listed) == len(SOURCES) and not db.exists()


def test_sources_list_table_names_each_source_with_its_convention_and_licence(capsys, tmp_path):
    code, out, _ = run_tracker(capsys, "sources", "list", "--db", str(tmp_path / "none.db"))

    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["key", "dates", "by", "side", "definition", "defined", "in"]
    assert lines[1].split() == ["ua-general-staff", "report", "russia", "killed_or_wounded", "registry"]
    assert "  licence: Open Government Licence v3.0" in lines
    assert lines[-1].startswith(f"({len(SOURCES)} source(s);")


def test_sources_add_then_list_shows_the_new_source_with_its_fields_and_the_registry(capsys, store_url):
    code, out, err = run_tracker(
        capsys, "sources", "add", "mystudy", "--name", "My study", "--url", "https://example.org/study",
        "--dates-by", "covered", "--side", "ukraine", "--definition", "killed", "--licence", "CC BY 4.0",
        "--db", store_url,
    )  # fmt: skip

    assert (code, err) == (0, "")
    assert out == "added source mystudy: My study (dates by covered, side ukraine, definition killed)\n"
    listed = _listed(capsys, store_url)
    assert listed["mystudy"] == {
        "key": "mystudy",
        "name": "My study",
        "dates_by": "covered",
        "side": "ukraine",
        "definition": "killed",
        "licence": "CC BY 4.0",
        "url": "https://example.org/study",
        "defined_in": "store",
    }
    assert listed["uk-defence-intelligence"]["dates_by"] == "covered"
    assert listed["uk-defence-intelligence"]["defined_in"] == "registry"
    assert len(listed) == len(SOURCES) + 1


def test_sources_add_of_a_known_key_updates_only_the_fields_given_and_says_what_changed(capsys, sqlite_url):
    run_tracker(capsys, "sources", "add", "mystudy", "--name", "My study", "--definition", "killed", "--db", sqlite_url)

    code, out, _ = run_tracker(
        capsys,
        "sources",
        "add",
        "mystudy",
        "--definition",
        "wounded",
        "--url",
        "https://example.org/s",
        "--db",
        sqlite_url,
    )
    again = run_tracker(capsys, "sources", "add", "mystudy", "--definition", "wounded", "--db", sqlite_url)

    assert (code, out) == (0, "updated source mystudy: url — → https://example.org/s; definition killed → wounded\n")
    assert again == (0, "source mystudy unchanged: the store already records these values\n", "")
    row = _listed(capsys, sqlite_url)["mystudy"]
    assert (row["name"], row["definition"], row["url"]) == ("My study", "wounded", "https://example.org/s")


def test_sources_add_of_a_registry_key_overrides_the_registry_in_this_store_only(capsys, sqlite_url, tmp_path):
    code, out, _ = run_tracker(capsys, "sources", "add", "uk-mod", "--dates-by", "covered", "--db", sqlite_url)

    assert (code, out) == (0, "recorded source uk-mod: dates_by report → covered (overrides the registry)\n")
    row = _listed(capsys, sqlite_url)["uk-mod"]
    assert (row["dates_by"], row["name"], row["defined_in"]) == ("covered", "UK Ministry of Defence", OVERRIDES)
    assert _listed(capsys, str(tmp_path / "other.db"))["uk-mod"]["dates_by"] == "report"


OVERRIDES = "store, overrides registry"

BAD_ADDS = [
    (["Bad Key", "--name", "x"], "error: a source key is up to 64 lowercase letters, digits, '.', '_' or '-': 'Bad Key'"),
    (["mine", "--name", "x", "--dates-by", "weekly"], "error: unknown --dates-by 'weekly': use one of report, covered, documented"),
    (["mine", "--name", "x", "--side", "mars"], "error: unknown --side 'mars': use one of russia, ukraine"),
    (["mine", "--name", "x", "--definition", "dead"], "error: unknown --definition 'dead': use one of killed_or_wounded, "
     "killed, wounded, killed_confirmed_by_name, claimed, confirmed"),
    (["mine", "--name", "x", "--url", "ftp://example.org/f"], "error: malformed url 'ftp://example.org/f': expected an "
     "absolute http(s) URL such as https://example.org/page"),
    (["mine", "--name", "My\x1bstudy"], "error: --name contains the control character U+001B at position 3; use plain "
     "text on one line"),
    (["mine", "--name", "x" * 201], "error: --name is 201 characters long; the limit is 200"),
    (["mine", "--name", "  "], "error: --name is blank"),
    (["mine"], "error: source 'mine' is new: give it a --name"),
]  # fmt: skip


def test_bad_values_of_sources_add_are_one_line_exit_2_and_change_nothing(capsys, sqlite_url):
    run_tracker(capsys, "sources", "add", "mystudy", "--name", "My study", "--db", sqlite_url)
    before = fingerprint(sqlite_url)

    for args, message in BAD_ADDS:
        code, out, err = run_tracker(capsys, "sources", "add", *args, "--db", sqlite_url)
        assert (code, out, err) == (ExitCode.USAGE, "", message + "\n"), args

    assert fingerprint(sqlite_url) == before


def test_a_bad_sources_add_creates_no_store(capsys, tmp_path):
    db = tmp_path / "new.db"

    for args, _message in BAD_ADDS:
        assert run_tracker(capsys, "sources", "add", *args, "--db", str(db))[0] == ExitCode.USAGE

    assert not db.exists()


# --- ingest csv: definitions and sides ----------------------------------------------------------


def test_sources_add_definition_killed_then_ingest_csv_gives_a_series_labelled_killed(capsys, store_url, tmp_path):
    run_tracker(capsys, "sources", "add", "mystudy", "--name", "My study", "--definition", "killed", "--db", store_url)

    code, out, _ = run_tracker(
        capsys, "ingest", "csv", "--source", "mystudy", "--from", _csv(tmp_path, KILLED), "--db", store_url
    )
    series = run_tracker(capsys, "series", "--source", "mystudy", "--db", store_url)

    assert code == 0 and "csv (mystudy) from" in out and "3 new" in out
    frame = _frame(store_url, "mystudy")
    assert frame.attrs["definition"] == "killed" and frame["value"].tolist() == [1000, 1040, 1100]
    assert label_for("personnel", frame.attrs["definition"]) == "Personnel (killed)"
    assert series[0] == 0
    assert series[1].splitlines()[0] == "Daily series: Personnel (killed) (personnel), source mystudy"
    assert "killed and wounded" not in series[1]
    # The figures follow their source's definition: none of their own is stored.
    assert count(store_url, "SELECT COUNT(*) FROM observation WHERE definition IS NULL") == 3


def test_definition_on_the_command_line_overrides_the_sources_and_is_stored(capsys, sqlite_url, tmp_path):
    run_tracker(capsys, "sources", "add", "mystudy", "--name", "My study", "--definition", "killed", "--db", sqlite_url)

    code, _, _ = run_tracker(
        capsys, "ingest", "csv", "--source", "mystudy", "--definition", "wounded", "--from", _csv(tmp_path, KILLED),
        "--db", sqlite_url,
    )  # fmt: skip

    assert code == 0
    assert _frame(sqlite_url, "mystudy").attrs["definition"] == "wounded"
    assert count(sqlite_url, "SELECT COUNT(*) FROM observation WHERE definition = 'wounded'") == 3


def test_a_changed_definition_on_reingest_of_the_same_file_is_a_revision_never_an_overwrite(
    capsys, store_url, tmp_path
):
    path = _csv(tmp_path, KILLED)
    ingest = ("ingest", "csv", "--source", "mystudy", "--from", path, "--db", store_url)
    run_tracker(capsys, *ingest, "--definition", "killed")

    same = run_tracker(capsys, *ingest, "--definition", "killed")
    changed = run_tracker(capsys, *ingest, "--definition", "wounded")

    assert same[0] == 0 and "unchanged — 3 records, 0 new, 0 revised" in same[1]
    assert changed[0] == 0 and "3 records, 0 new, 3 revised, 0 removed" in changed[1]
    assert [r["n_revised"] for r in runs(store_url)] == [0, 0, 3]
    history = "SELECT COUNT(*) FROM observation WHERE definition = :d AND superseded_at IS {} NULL"
    assert count(store_url, history.format("NOT"), d="killed") == 3
    assert count(store_url, history.format(""), d="wounded") == 3
    assert _frame(store_url, "mystudy").attrs["definition"] == "wounded"


def test_a_personnel_definition_leaves_equipment_rows_to_their_sources_definition(capsys, sqlite_url, tmp_path):
    text = "report_date,metric,value\n2024-03-01,personnel,1000\n2024-03-01,tanks,7\n"

    code, _, _ = run_tracker(
        capsys, "ingest", "csv", "--source", "mystudy", "--definition", "killed", "--from", _csv(tmp_path, text),
        "--db", sqlite_url,
    )  # fmt: skip

    assert code == 0
    stored = "SELECT o.definition FROM observation o JOIN metric m ON m.id = o.metric_id WHERE m.name = :m"
    assert (
        count(sqlite_url, stored.replace("o.definition", "COUNT(*)") + " AND o.definition = 'killed'", m="personnel")
        == 1
    )
    assert count(sqlite_url, stored.replace("o.definition", "COUNT(*)") + " AND o.definition IS NULL", m="tanks") == 1


def test_side_ukraine_is_stored_and_a_russia_query_does_not_see_it(capsys, store_url, tmp_path):
    code, _, _ = run_tracker(
        capsys, "ingest", "csv", "--source", "mystudy", "--side", "ukraine", "--from", _csv(tmp_path, KILLED),
        "--db", store_url,
    )  # fmt: skip

    assert code == 0
    assert _frame(store_url, "mystudy", side="ukraine")["value"].tolist() == [1000, 1040, 1100]
    assert _frame(store_url, "mystudy", side="russia").empty
    assert count(store_url, "SELECT COUNT(*) FROM observation WHERE side = 'ukraine'") == 3


def test_a_sources_side_is_the_default_side_of_its_csv_rows(capsys, sqlite_url, tmp_path):
    run_tracker(capsys, "sources", "add", "theirs", "--name", "Their count", "--side", "ukraine", "--db", sqlite_url)

    code, _, _ = run_tracker(
        capsys, "ingest", "csv", "--source", "theirs", "--from", _csv(tmp_path, KILLED), "--db", sqlite_url
    )

    assert code == 0
    assert count(sqlite_url, "SELECT COUNT(*) FROM observation WHERE side = 'ukraine'") == 3
    assert count(sqlite_url, "SELECT COUNT(*) FROM observation WHERE side = 'russia'") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--definition", "dead"], "error: unknown --definition 'dead'"),
        (["--side", "both"], "error: unknown --side 'both': use one of russia, ukraine"),
        (["--source", "My Source"], "error: --source must be a short key"),
    ],
)
def test_bad_definition_side_or_source_of_ingest_csv_is_exit_2_and_changes_nothing(
    capsys, sqlite_url, tmp_path, args, message
):
    path = _csv(tmp_path, KILLED)
    run_tracker(capsys, "ingest", "csv", "--from", path, "--db", sqlite_url)
    before = fingerprint(sqlite_url)

    code, out, err = run_tracker(capsys, "ingest", "csv", "--from", path, *args, "--db", sqlite_url)

    assert (code, out) == (ExitCode.USAGE, "") and err.startswith(message) and err.count("\n") == 1
    assert fingerprint(sqlite_url) == before


def test_a_file_without_a_source_column_is_read_as_before_one_run_one_archived_file(capsys, sqlite_url, tmp_path):
    code, out, _ = run_tracker(
        capsys, "ingest", "csv", "--source", "mystudy", "--from", _csv(tmp_path, KILLED), "--db", sqlite_url
    )

    assert code == 0 and out.count("\n") == 2  # the run's line, and the note naming an unregistered source
    assert out.splitlines()[1].startswith("note: source 'mystudy' is not registered: `tracker sources add mystudy")
    assert [(r["feed_name"], r["source_key"], r["n_new"]) for r in runs(sqlite_url)] == [("csv", "mystudy", 3)]
    assert count(sqlite_url, "SELECT COUNT(*) FROM payload_fetch WHERE role = 'csv'") == 1
    assert count(sqlite_url, "SELECT COUNT(*) FROM payload_fetch") == 1


# --- ingest csv: a source column ----------------------------------------------------------------


def test_a_file_of_many_unregistered_sources_ends_in_one_note_naming_them_not_one_each(capsys, sqlite_url, tmp_path):
    rows = "".join(f"2024-03-01,personnel,{n + 1},study-{n}\n" for n in range(5))
    path = _csv(tmp_path, "report_date,metric,value,source\n" + rows)

    code, out, _ = run_tracker(capsys, "ingest", "csv", "--from", path, "--db", sqlite_url)

    assert code == 0 and out.count("note:") == 1
    assert out.splitlines()[-1].startswith(
        "note: 5 sources are not registered (study-0, study-1, study-2, ... study-4): `tracker sources add KEY"
    )
    assert [r["source_key"] for r in runs(sqlite_url)] == [f"study-{n}" for n in range(5)]


MULTI = (
    "report_date,metric,value,qualifier,source\n"
    "2024-03-01,personnel,100,,mystudy\n"
    "2024-03-02,personnel,150,about,mystudy\n"
    "2024-03-01,tanks,20,,theirs\n"
    "2024-03-01,personnel,300,,\n"
    "2024-03-02,personnel,5,,Not A Key\n"
    "2024-03-03,personnel,oops,,theirs\n"
)


def test_a_multi_source_csv_makes_one_run_per_source_with_the_right_counts(capsys, store_url, tmp_path):
    path = _csv(tmp_path, MULTI)

    code, out, _ = run_tracker(capsys, "ingest", "csv", "--source", "other", "--from", path, "--db", store_url)

    assert code == ExitCode.FINDINGS  # the worst of the runs: two have findings
    done = [(r["feed_name"], r["source_key"], r["status"], r["n_new"], r["exit_code"]) for r in runs(store_url)]
    # Runs are numbered as the sources are listed (--source's first, then by key), though each is
    # stored as soon as its last row is read (mystudy's ends first, on line 3).
    assert done == [
        ("csv", "other", "ok_with_findings", 1, 3),  # the blank cell, and the row no source owns
        ("csv", "mystudy", "ok", 2, 0),
        ("csv", "theirs", "ok_with_findings", 1, 3),  # its bad value, on the last line
    ]
    assert "line 6 source 'Not A Key': not a source key" in out
    assert "line 7 2024-03-03 'personnel': bad value 'oops'" in out
    frame = _frame(store_url, "mystudy")
    assert frame["value"].tolist() == [100, 150] and frame["qualifier"].isna().tolist() == [True, False]
    assert frame["qualifier"].iloc[1] == "about"
    assert _frame(store_url, "other")["value"].tolist() == [300]
    # The file is archived once, whatever the number of its runs.
    sha = hashlib.sha256(MULTI.encode()).hexdigest()
    assert count(store_url, "SELECT COUNT(*) FROM payload_blob WHERE sha256 = :s", s=sha) == 1
    assert count(store_url, "SELECT COUNT(*) FROM payload_fetch WHERE role = 'csv'") == 3


def test_a_multi_source_csv_again_is_unchanged_for_every_source(capsys, sqlite_url, tmp_path):
    path = _csv(tmp_path, MULTI)
    run_tracker(capsys, "ingest", "csv", "--source", "other", "--from", path, "--db", sqlite_url)

    code, out, _ = run_tracker(
        capsys, "ingest", "csv", "--source", "other", "--from", path, "--db", sqlite_url, "--quiet"
    )

    assert code == 0
    assert [r["status"] for r in runs(sqlite_url)[3:]] == ["unchanged"] * 3
    assert out.count(": unchanged — ") == 3 and "note:" not in out


def test_a_source_column_with_only_named_sources_makes_no_run_for_the_default_source(capsys, sqlite_url, tmp_path):
    text = "report_date,metric,value,source\n2024-03-01,personnel,100,mystudy\n2024-03-01,personnel,7,theirs\n"

    code, _, _ = run_tracker(capsys, "ingest", "csv", "--from", _csv(tmp_path, text), "--db", sqlite_url)

    assert code == 0
    assert [(r["source_key"], r["n_new"]) for r in runs(sqlite_url)] == [("mystudy", 1), ("theirs", 1)]


def test_a_multi_source_csv_mostly_bad_is_refused_whole_in_every_run(capsys, sqlite_url, tmp_path):
    text = "report_date,metric,value,source\n2024-03-01,personnel,100,mystudy\n2024-03-01,personnel,x,theirs\n" + (
        "2024-03-02,personnel,y,theirs\n"
    )

    code, _, err = run_tracker(capsys, "ingest", "csv", "--from", _csv(tmp_path, text), "--db", sqlite_url)

    assert code == ExitCode.BAD_PAYLOAD
    assert [(r["source_key"], r["status"]) for r in runs(sqlite_url)] == [("mystudy", "failed"), ("theirs", "failed")]
    assert err.count("2 of 3 rows unreadable (more than 50%): not the CSV expected, nothing stored") == 2
    assert count(sqlite_url, "SELECT COUNT(*) FROM observation") == 0


def test_a_header_with_an_unknown_column_is_refused_naming_the_columns_allowed(capsys, sqlite_url, tmp_path):
    text = "report_date,metric,value,source,comment\n2024-03-01,personnel,100,mystudy,hi\n"

    code, _, err = run_tracker(capsys, "ingest", "csv", "--from", _csv(tmp_path, text), "--db", sqlite_url)

    assert code == ExitCode.BAD_PAYLOAD
    assert (
        "header must name report_date, metric, value (and may name qualifier and source), in any order; "
        "got 'report_date,metric,value,source,comment': unknown column 'comment'" in err
    )
