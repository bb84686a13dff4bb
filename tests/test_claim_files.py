"""Claims files coexist (issue 23): each file is its own feed, so a newsroom's own claims survive
the curated file and the daily job; a key names one claim across files; claims may name any source
the store knows; and an emptied or much shrunk file holds its removals as a withdrawal."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.clirun import run_tracker
from tests.storecheck import count, fingerprint
from tracker.errors import ExitCode, InvalidInput
from tracker.ingest.feeds.claims import CURATED_FEED, DEFAULT_FILE, check_feed_name, default_feed
from tracker.reports.cache import CACHE_ENV

# A newsroom's own estimates, in the curated file's format (data/claims/README.md).
NEWSDESK = (Path(__file__).parent / "fixtures" / "claims" / "newsdesk.csv").read_text(encoding="utf-8")
NEWSDESK_KEYS = {"newsdesk-2024-06-01-total", "newsdesk-2025-q1-daily-average", "newsdesk-2024-killed"}
CURRENT = "SELECT count(*) FROM claim WHERE superseded_at IS NULL AND NOT removed"
CURRENT_OF = (
    "SELECT count(*) FROM claim JOIN feed ON feed.id = claim.feed_id "
    "WHERE claim.superseded_at IS NULL AND NOT claim.removed AND feed.name = :feed"
)


def curated_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(DEFAULT_FILE.read_text(encoding="utf-8"))))


def curated_copy(path: Path, rows: list[dict[str, str]]) -> str:
    """The curated file with only `rows` (the header always)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(curated_rows()[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def newsdesk_file(tmp_path: Path, text: str = NEWSDESK) -> str:
    path = tmp_path / "newsdesk.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def add_newsdesk(capsys, url: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(
        capsys, "sources", "add", "newsdesk", "--name", "Newsdesk", "--definition", "killed_or_wounded", "--db", url
    )
    assert code == 0, err


def keys_of(capsys, url: str, *extra: str) -> set[str]:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "claims", "list", "--format", "json", "--db", url, *extra)
    assert code == 0, err
    return {c["key"] for c in json.loads(out)}


def test_a_newsrooms_own_file_and_the_curated_file_are_both_current_after_the_daily_job(
    capsys, store_url, tmp_path, latest_dir, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TRACKER_CHARTS_DIR", raising=False)
    monkeypatch.delenv("TRACKER_SITE_DIR", raising=False)
    monkeypatch.delenv("TRACKER_CLAIMS_FROM", raising=False)
    monkeypatch.setenv(CACHE_ENV, "0")  # the report cache is not what this test is about
    add_newsdesk(capsys, store_url)
    code, out, err = run_tracker(capsys, "ingest", "claims", "--from", newsdesk_file(tmp_path), "--db", store_url)
    assert (code, err) == (0, "")
    assert out.startswith("newsdesk (curated) from ") and "3 new" in out and "0 removed" in out
    code, out, err = run_tracker(capsys, "ingest", "claims", "--db", store_url)
    curated = len(curated_rows())
    assert (
        (code, err) == (0, "") and f"{CURATED_FEED} (curated)" in out and f"{curated} new, 0 revised, 0 removed" in out
    )

    code, out, err = run_tracker(capsys, "daily", "--dataset-from", str(latest_dir), "--db", store_url)

    assert code == ExitCode.FINDINGS, err  # the dataset's own findings
    assert f"{CURATED_FEED} (curated) from {DEFAULT_FILE}: unchanged" in out
    assert count(store_url, CURRENT) == curated + 3
    assert keys_of(capsys, store_url, "--source", "newsdesk") == NEWSDESK_KEYS
    code, out, err = run_tracker(capsys, "compare", "--source", "newsdesk", "--format", "json", "--db", store_url)
    assert code == 0, err
    judged = {row["key"]: (row["series"], row["verdict"]) for row in json.loads(out)}
    assert judged == {
        "newsdesk-2024-06-01-total": (508_780, "close"),  # the General Staff's report of 2024-06-01
        # 2025 Q1's daily average with documented corrections taken out, as `averages` gives it
        "newsdesk-2025-q1-daily-average": (pytest.approx(1_378.11, abs=0.01), "lower"),
        "newsdesk-2024-killed": (None, "not comparable"),  # killed only, against killed or wounded
    }


def test_a_newsrooms_file_run_again_is_unchanged_and_the_curated_file_removes_none_of_its_claims(
    capsys, store_url, tmp_path
):  # type: ignore[no-untyped-def]
    add_newsdesk(capsys, store_url)
    newsdesk = newsdesk_file(tmp_path)
    assert run_tracker(capsys, "ingest", "claims", "--from", newsdesk, "--db", store_url)[0] == 0
    assert run_tracker(capsys, "ingest", "claims", "--db", store_url)[0] == 0
    code, out, _ = run_tracker(capsys, "ingest", "claims", "--from", newsdesk, "--db", store_url)
    assert code == 0 and "newsdesk (curated)" in out and ": unchanged" in out and "3 unchanged" in out
    # The curated file edited (one claim deleted) and loaded as the curated feed from elsewhere.
    rows = curated_rows()
    edited = curated_copy(tmp_path / "edited.csv", rows[1:])
    code, out, err = run_tracker(
        capsys, "ingest", "claims", "--from", edited, "--feed", CURATED_FEED, "--db", store_url
    )
    assert (code, err) == (0, "")
    assert f"0 new, 0 revised, 1 removed, 0 re-added, {len(rows) - 1} unchanged" in out
    assert count(store_url, CURRENT_OF, feed="newsdesk") == 3
    assert count(store_url, CURRENT) == len(rows) - 1 + 3


def test_a_claim_key_in_two_files_is_refused_naming_both_and_nothing_is_stored(capsys, store_url, tmp_path):  # type: ignore[no-untyped-def]
    add_newsdesk(capsys, store_url)
    assert run_tracker(capsys, "ingest", "claims", "--db", store_url)[0] == 0
    taken = curated_rows()[0]
    clash = newsdesk_file(tmp_path, NEWSDESK + ",".join(f'"{taken[f]}"' for f in curated_rows()[0]) + "\n")
    before = fingerprint(store_url)

    code, out, err = run_tracker(capsys, "ingest", "claims", "--from", clash, "--db", store_url)

    assert (code, out) == (ExitCode.BAD_PAYLOAD, "")
    assert err.count("\n") == 1
    assert (
        f"{clash} (feed newsdesk): claim key {taken['claim_key']!r} is already a claim of feed {CURATED_FEED} "
        f"({DEFAULT_FILE}); a claim key is unique across claims files: rename it in one of them (nothing stored)"
    ) in err
    # The failed run is recorded (with its feed, as any failed run's), and nothing else.
    assert {k: v for k, v in fingerprint(store_url).items() if k != "feed"} == {
        k: v for k, v in before.items() if k != "feed"
    }
    assert count(store_url, CURRENT_OF, feed="newsdesk") == 0


def test_a_claim_naming_a_source_the_store_does_not_know_is_refused_naming_sources_add(capsys, store_url, tmp_path):  # type: ignore[no-untyped-def]
    newsdesk = newsdesk_file(tmp_path)
    code, out, err = run_tracker(capsys, "ingest", "claims", "--from", newsdesk, "--db", store_url)
    assert (code, out) == (ExitCode.BAD_PAYLOAD, "")
    assert err.count("\n") == 1 and "unknown source 'newsdesk'" in err and "`tracker sources add`" in err
    add_newsdesk(capsys, store_url)
    code, out, err = run_tracker(capsys, "ingest", "claims", "--from", newsdesk, "--db", store_url)
    assert (code, err) == (0, "") and "3 new" in out


def test_an_emptied_claims_file_holds_every_claim_with_exit_3_until_accept_withdrawal_removes_them(
    capsys, store_url, tmp_path
):  # type: ignore[no-untyped-def]
    add_newsdesk(capsys, store_url)
    assert run_tracker(capsys, "ingest", "claims", "--from", newsdesk_file(tmp_path), "--db", store_url)[0] == 0
    assert run_tracker(capsys, "ingest", "claims", "--db", store_url)[0] == 0
    curated = len(curated_rows())
    emptied = curated_copy(tmp_path / "emptied.csv", [])

    code, out, err = run_tracker(
        capsys, "ingest", "claims", "--from", emptied, "--feed", CURATED_FEED, "--db", store_url
    )

    assert (code, err) == (ExitCode.FINDINGS, "")
    assert f"0 removed, 0 re-added, 0 unchanged, {curated} held" in out
    assert f"{curated} claim(s) held, not removed: this file would remove every claim of its feed" in out
    assert count(store_url, CURRENT) == curated + 3  # the curated claims stay current
    code, out, _ = run_tracker(capsys, "feeds", "withdrawals", CURATED_FEED, "--format", "json", "--db", store_url)
    [held] = json.loads(out)
    assert (held["rows"], held["of"], held["status"]) == (curated, "claims", "held")
    code, out, _ = run_tracker(capsys, "status", "--db", store_url)
    assert f"HELD           {curated} claim(s) by run #{held['run']}" in out

    code, out, err = run_tracker(capsys, "feeds", "accept-withdrawal", CURATED_FEED, "--db", store_url)

    assert (code, err) == (0, "")
    assert f"removed {curated} claim(s) held by run #{held['run']}" in out
    assert count(store_url, CURRENT) == 3 and count(store_url, CURRENT_OF, feed="newsdesk") == 3
    code, out, _ = run_tracker(
        capsys, "feeds", "withdrawals", CURATED_FEED, "--all", "--format", "json", "--db", store_url
    )
    assert [w["status"] for w in json.loads(out)] == ["accepted"]
    # The curated file again: every claim re-added, as a new revision.
    code, out, _ = run_tracker(capsys, "ingest", "claims", "--db", store_url)
    assert code == 0 and f"{curated} re-added" in out


def test_a_file_dropping_more_than_3_claims_holds_them_and_one_dropping_2_removes_them(capsys, store_url, tmp_path):  # type: ignore[no-untyped-def]
    rows = curated_rows()
    assert run_tracker(capsys, "ingest", "claims", "--db", store_url)[0] == 0
    two_fewer = curated_copy(tmp_path / "two-fewer.csv", rows[2:])
    code, out, _ = run_tracker(
        capsys, "ingest", "claims", "--from", two_fewer, "--feed", CURATED_FEED, "--db", store_url
    )
    assert code == 0 and "2 removed" in out and "held" not in out
    cut = curated_copy(tmp_path / "cut.csv", rows[2:-4])  # a file cut short: its last 4 claims gone

    code, out, _ = run_tracker(capsys, "ingest", "claims", "--from", cut, "--feed", CURATED_FEED, "--db", store_url)

    assert code == ExitCode.FINDINGS
    assert "0 removed" in out and "4 held" in out
    assert f"this file would remove 4 of its {len(rows) - 2} claims at once" in out
    assert count(store_url, CURRENT) == len(rows) - 2
    # The claims come back: the withdrawal is undone and its finding resolved.
    code, out, _ = run_tracker(
        capsys, "ingest", "claims", "--from", two_fewer, "--feed", CURATED_FEED, "--db", store_url
    )
    assert code == 0
    code, out, _ = run_tracker(
        capsys, "feeds", "withdrawals", CURATED_FEED, "--all", "--format", "json", "--db", store_url
    )
    assert [(w["status"], w["rows"]) for w in json.loads(out)] == [("undone", 4)]
    assert count(store_url, "SELECT count(*) FROM finding WHERE rule = 'withdrawal_held' AND status = 'open'") == 0
    # --allow-shrink applies such removals at once.
    code, out, _ = run_tracker(
        capsys, "ingest", "claims", "--from", cut, "--feed", CURATED_FEED, "--allow-shrink", "--db", store_url
    )
    assert code == 0 and "4 removed" in out
    assert count(store_url, CURRENT) == len(rows) - 6


@pytest.mark.parametrize(
    ("location", "feed"),
    [
        (None, CURATED_FEED),
        (str(DEFAULT_FILE), CURATED_FEED),
        (str(Path(__file__).parent.parent / "data" / "claims" / "claims.csv"), CURATED_FEED),
        ("newsdesk.csv", "newsdesk"),
        ("/srv/desk/Newsdesk Estimates 2025.CSV", "newsdesk-estimates-2025"),
        ("https://example.org/files/our_claims.csv?raw=1", "our-claims"),
    ],
)
def test_a_claims_files_feed_is_named_after_the_file_and_the_curated_file_stays_claims_file(
    location: str | None, feed: str
) -> None:
    assert default_feed(location) == feed


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("cli", "is the feed of `tracker claims add`"),
        ("News Desk", "must be lowercase letters, digits"),
        ("", "must be lowercase letters, digits"),
    ],
)
def test_a_feed_name_that_is_not_a_slug_or_is_claims_adds_is_refused(name: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_feed_name(name)


@pytest.mark.parametrize(
    ("file", "message"), [("cli.csv", "would be the feed 'cli'"), ("ÄÖ.csv", "give one with --feed")]
)
def test_a_file_name_that_makes_no_feed_name_asks_for_feed(capsys, tmp_path, file: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / file
    path.write_text(NEWSDESK, encoding="utf-8")
    code, out, err = run_tracker(capsys, "ingest", "claims", "--from", str(path), "--db", str(tmp_path / "s.db"))
    assert (code, out) == (ExitCode.USAGE, "") and message in err and err.count("\n") == 1
    assert not (tmp_path / "s.db").exists()
