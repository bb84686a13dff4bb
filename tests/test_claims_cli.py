"""`tracker claims add|list|show`: validated input, one-line errors, an unchanged store, safe output."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.clirun import run_tracker
from tests.storecheck import count, fingerprint, runs
from tracker.errors import ExitCode
from tracker.ingest.feeds.claims import ClaimsFeed
from tracker.ingest.run import run_ingest

ADD = [
    "claims",
    "add",
    "--source",
    "uk-defence-intelligence",
    "--definition",
    "killed_or_wounded",
    "--kind",
    "daily_average",
    "--period",
    "2024-08",
    "--best",
    "1187",
    "--published",
    "2024-09-08",
    "--url",
    "https://example.org/ukdi-august",
    "--based-on",
    "Ukrainian General Staff figures",
    "--note",
    "August 2024 average (test claim).",
]


@pytest.fixture
def store(sqlite_url: str) -> str:
    """A store holding the curated claims (no series needed for these commands)."""
    assert run_ingest(sqlite_url, ClaimsFeed()).status == "ok"
    return sqlite_url


def add(capsys, store: str, *changes: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """claims add with ADD's options, later options overriding earlier ones."""
    return run_tracker(capsys, *ADD, *changes, "--db", store)


def test_claims_add_writes_one_claim_as_its_own_run(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = add(capsys, store)
    assert (code, err) == (0, "")
    assert "added claim 'uk-defence-intelligence-2024-09-08-daily_average-2024-08': 1,187" in out
    run = runs(store)[-1]
    assert (run["feed_name"], run["source_key"], run["status"], run["n_new"]) == ("cli", "curated", "ok", 1)
    code, out, _ = run_tracker(
        capsys, "claims", "list", "--db", store, "--period", "2024-08", "--side", "russia", "--format", "json"
    )
    (row,) = json.loads(out)
    assert (row["key"], row["best"], row["feed"], row["period"]) == (
        "uk-defence-intelligence-2024-09-08-daily_average-2024-08",
        1187,
        "cli",
        "2024-08",
    )
    # The curated file is complete only for its own feed: loading it again keeps the added claim.
    run_ingest(store, ClaimsFeed())
    assert count(store, "SELECT count(*) FROM claim WHERE superseded_at IS NULL AND removed = false") == 74


def test_claims_add_with_a_range_and_a_qualifier(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_tracker(
        capsys,
        "claims",
        "add",
        "--key",
        "test-range",
        "--source",
        "us-officials",
        "--definition",
        "wounded",
        "--kind",
        "cumulative",
        "--period",
        "2024-06",
        "--low",
        "100000",
        "--high",
        "120000",
        "--qualifier",
        "about",
        "--published",
        "2024-07",
        "--url",
        "https://example.org/range",
        "--db",
        store,
    )
    assert code == 0 and "about 100,000–120,000" in out
    code, out, _ = run_tracker(capsys, "claims", "show", "test-range", "--db", store)
    assert "precision   month" in out and "feed cli" in out and "r1" in out


@pytest.mark.parametrize(
    "changes, message",
    [
        (["--period", "2024-08-31/2024-08-01"], "period: period end 2024-08-01 is before its start 2024-08-31"),
        (["--low", "1200"], "low 1,200 is greater than best 1,187"),
        (["--high", "1100"], "best 1,187 is greater than high 1,100"),
        (["--best", "-1187"], "best -1187 is negative"),
        (["--kind", "monthly"], "unknown kind 'monthly'"),
        (["--definition", "casualties"], "unknown definition 'casualties'"),
        (["--url", "htp:/example"], "malformed url 'htp:/example'"),
        (["--published", "2024-09-31"], "published: malformed date '2024-09-31'"),
        (["--period", "2024/08"], "period: malformed period '2024/08': malformed date or period '08'"),
        (
            ["--key", "ukdi-2024-10-06-sep-2024-avg"],
            "duplicate: a claim with key 'ukdi-2024-10-06-sep-2024-avg' is already in the store (feed claims-file)",
        ),
        (
            ["--period", "2024-09", "--best", "1271", "--published", "2024-10-07", "--key", "again"],
            "duplicate: the store already holds this claim as 'ukdi-2024-10-06-sep-2024-avg'",
        ),
        (["--note", "bell\x07"], "note contains the control character U+0007 at position 5"),
        (["--note", "\x1b]0;pwned\x07"], "note contains the control character U+001B at position 1"),
        (["--note", "x" * 1_048_576], "note is 1,048,576 characters long; the limit is 1,000"),
        (["--source", "'; DROP TABLE claim; --"], 'unknown source "\'; DROP TABLE claim; --"'),
    ],
)
def test_each_invalid_input_is_refused_with_its_message_and_an_unchanged_store(
    store: str, capsys, changes: list[str], message: str
) -> None:  # type: ignore[no-untyped-def]
    before, n_runs = fingerprint(store), len(runs(store))
    code, out, err = add(capsys, store, *changes)
    assert code == ExitCode.USAGE
    assert err.startswith("error: ") and message in err
    assert len(err.splitlines()) == 1 and len(err) < 400 and "Traceback" not in err
    assert fingerprint(store) == before and len(runs(store)) == n_runs


def test_a_hostile_but_printable_note_is_stored_and_printed_verbatim(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    note = "It's \"1,187\"; '); DROP TABLE claim; -- <b>bold</b> ∑ «ок»"
    assert add(capsys, store, "--key", "hostile", "--note", note)[0] == 0
    assert count(store, "SELECT count(*) FROM claim") == 74  # the table is still there
    _, out, _ = run_tracker(
        capsys, "claims", "list", "--db", store, "--format", "json", "--kind", "daily_average", "--period", "2024-08"
    )
    assert json.loads(out)[0]["note"] == note
    _, out, _ = run_tracker(
        capsys, "claims", "list", "--db", store, "--format", "csv", "--period", "2024-08", "--side", "russia"
    )
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["note"] == note and row["key"] == "hostile"
    _, out, _ = run_tracker(capsys, "claims", "show", "hostile", "--db", store)
    assert f"note        {note}" in out


def test_claims_list_filters_by_source_metric_kind_and_period(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    def keys(*args: str) -> list[str]:
        code, out, _ = run_tracker(capsys, "claims", "list", "--db", store, "--format", "json", *args)
        assert code == 0
        return [r["key"] for r in json.loads(out)]

    assert len(keys()) == 73
    assert keys("--source", "csis", "--side", "russia") == ["csis-2026-01-casualties", "csis-2026-01-killed"]
    assert keys("--kind", "peak_day") == ["news-2024-11-11-may-2024-peak"]
    assert keys("--kind", "day") == ["news-2024-11-11-day", "ukdi-2024-12-05-2024-11-28-day"]
    assert keys("--period", "2024-09", "--side", "russia") == ["ukdi-2024-10-06-sep-2024-avg"]
    assert len(keys("--metric", "personnel")) == 73 and keys("--metric", "tanks") == []
    assert set(keys("--source", "uk-defence-intelligence", "--period", "2025-07")) == {
        "ukdi-2025-07-11-2025-ytd-total",
        "ukdi-2025-07-11-total",
        "ukdi-2025-08-05-jul-2025-avg",
        "ukdi-2025-08-05-2025-ytd-total",
        "ukdi-2025-10-14-2025-ytd-total",
    }


def test_claims_list_source_matches_by_key_prefix_or_name_as_compare_does(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    import csv

    from tracker.ingest.feeds.claims import DEFAULT_FILE

    with DEFAULT_FILE.open(encoding="utf-8", newline="") as handle:
        curated = list(csv.DictReader(handle))

    def listed(query: str) -> tuple[int, list[dict[str, str]], str]:
        code, out, err = run_tracker(capsys, "claims", "list", "--source", query, "--format", "json", "--db", store)
        return code, json.loads(out) if code == 0 else [], err

    code, uk, _ = listed("uk")
    assert code == 0
    assert sorted(r["key"] for r in uk) == sorted(r["claim_key"] for r in curated if r["source"].startswith("uk-"))
    assert {r["source"] for r in uk} >= {"uk-defence-intelligence", "uk-fcdo"}
    assert listed("UK")[1] == uk  # a word of the sources' names ("UK Defence Intelligence", ...)
    code, ua, _ = listed("ua")
    assert sorted(r["key"] for r in ua) == sorted(r["claim_key"] for r in curated if r["source"].startswith("ua-"))
    assert [r["source"] for r in listed("csis")[1]] == ["csis"] * sum(r["source"] == "csis" for r in curated)
    code, _, err = listed("nowhere")
    assert code == ExitCode.USAGE and "'nowhere' matches no source" in err and "uk-fcdo" in err
    assert len(err.splitlines()) == 1


def test_claims_list_prints_a_table_and_a_csv(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_tracker(capsys, "claims", "list", "--db", store, "--source", "us-dod", "--side", "russia")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "id",
        "source",
        "side",
        "published",
        "kind",
        "period",
        "definition",
        "figure",
        "note",
    ]
    assert "70,000–80,000" in out and "more than 600,000" in out and "(2 claim(s);" in out
    _, out, _ = run_tracker(
        capsys, "claims", "list", "--db", store, "--format", "csv", "--source", "us-dod", "--side", "russia"
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["period"], r["low"], r["best"], r["high"]) for r in rows] == [
        ("2022-08-08", "70000", "", "80000"),
        ("2024-10-09", "", "600000", ""),
    ]


def test_claims_list_side_keeps_the_claims_about_one_sides_losses(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    def rows(*args: str) -> list[dict]:
        code, out, err = run_tracker(capsys, "claims", "list", "--db", store, "--format", "json", *args)
        assert (code, err) == (0, "")
        return json.loads(out)

    ukraine, russia = rows("--side", "ukraine"), rows("--side", "russia")
    assert (len(ukraine), len(russia)) == (21, 52)
    assert {r["subject"] for r in ukraine} == {"ukraine"} and {r["subject"] for r in russia} == {"russia"}
    # Russia's defence ministry's claims about Ukraine's losses are claims like any other, by who made them.
    assert [
        (r["key"], r["figure"]) for r in rows("--side", "ukraine", "--source", "ru-mod", "--kind", "cumulative")
    ] == [
        ("ru-mod-2023-12-19-total", "more than 383,000"),
        ("ru-mod-2024-02-27-total", "more than 444,000"),
    ]
    # CSIS spoke of both sides in one report: --side tells them apart.
    assert [r["key"] for r in rows("--source", "csis", "--side", "ukraine")] == [
        "csis-2026-01-ukraine-casualties",
        "csis-2026-01-ukraine-killed",
    ]
    code, out, _ = run_tracker(capsys, "claims", "list", "--db", store, "--side", "ukraine", "--source", "ua-president")
    assert code == 0 and "ukraine" in out.splitlines()[2] and "(10 claim(s);" in out


@pytest.mark.parametrize("side", ["mars", "", "UKRAINE; DROP"])
def test_claims_list_refuses_an_unknown_side_in_one_line(store: str, capsys, side: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "claims", "list", "--db", store, "--side", side)
    assert (code, out) == (ExitCode.USAGE, "")
    assert err.startswith("error: ") and "russia, ukraine" in err and len(err.splitlines()) == 1


def test_claims_show_accepts_an_id_or_a_key(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = run_tracker(capsys, "claims", "list", "--db", store, "--format", "json", "--kind", "peak_day")
    claim_id = json.loads(out)[0]["id"]
    code, by_id, _ = run_tracker(capsys, "claims", "show", str(claim_id), "--db", store)
    code2, by_key, _ = run_tracker(capsys, "claims", "show", "news-2024-11-11-may-2024-peak", "--db", store)
    assert code == code2 == 0 and by_id == by_key
    assert "figure      1,730" in by_id and "kind        peak_day" in by_id and "news-report" in by_id
    _, out, _ = run_tracker(capsys, "claims", "show", str(claim_id), "--db", store, "--format", "json")
    assert json.loads(out)[0][0]["best"] == 1730


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["claims", "show", "no-such-claim"], ExitCode.USAGE, "no claim 'no-such-claim' in the store"),
        (["claims", "list", "--format", "xml"], ExitCode.USAGE, "'xml' is not one of 'table', 'json', 'csv'"),
        (["claims", "list", "--kind", "weekly"], ExitCode.USAGE, "unknown kind 'weekly'"),
        (["claims", "list", "--period", "last year"], ExitCode.USAGE, "--period: malformed date or period"),
    ],
)
def test_bad_list_and_show_options_fail_in_one_line(
    store: str, capsys, args: list[str], code: int, message: str
) -> None:  # type: ignore[no-untyped-def]
    got, _, err = run_tracker(capsys, *args, "--db", store)
    assert got == code and message in err and len(err.splitlines()) == 1


def test_reading_claims_from_a_missing_store_says_what_to_run(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_tracker(capsys, "claims", "list", "--db", str(tmp_path / "none.db"))
    assert code == ExitCode.STORE and "run `tracker ingest" in err
