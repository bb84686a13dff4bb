"""`tracker ingest claims`: the curated file loads in full, is idempotent, and keeps every revision."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest

from tests.clirun import run_tracker
from tests.storecheck import count, fingerprint, runs
from tracker.claims.queries import claim_history, list_claims
from tracker.errors import ExitCode
from tracker.ingest.feeds.claims import DEFAULT_FILE, ClaimsFeed
from tracker.ingest.run import run_ingest
from tracker.store.db import open_store

CURRENT = "SELECT count(*) FROM claim WHERE superseded_at IS NULL AND removed = :r"


def copy_store(url: str, dest: Path) -> str:
    """A private copy of a SQLite store (the shared full store must stay as it is)."""
    src = sqlite3.connect(url.removeprefix("sqlite:///"))
    dst = sqlite3.connect(dest)
    src.backup(dst)
    src.close()
    dst.close()
    return f"sqlite:///{dest}"


def curated_rows() -> list[dict]:
    return list(csv.DictReader(io.StringIO(DEFAULT_FILE.read_text(encoding="utf-8"))))


def write_claims(path: Path, rows: list[dict]) -> str:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


@pytest.fixture
def store(full_store_url: str, tmp_path: Path) -> str:
    """The full latest dataset, in a private copy."""
    return copy_store(full_store_url, tmp_path / "store.db")


def test_ingest_claims_loads_every_curated_claim(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "ingest", "claims", "--db", store)
    assert (code, err) == (0, "")
    assert "claims-file (curated)" in out and "73 new" in out
    claims = list_claims(open_store(store, write=False))
    assert sorted(c["key"] for c in claims) == sorted(r["claim_key"] for r in curated_rows())
    assert len(claims) == 73
    by_key = {c["key"]: c for c in claims}
    sep = by_key["ukdi-2024-10-06-sep-2024-avg"]
    assert (sep["source"], sep["kind"], sep["period"], sep["best"], sep["feed"]) == (
        "uk-defence-intelligence",
        "daily_average",
        "2024-09",
        1271,
        "claims-file",
    )
    assert sep["based_on"] == "Ukrainian General Staff reporting"
    assert sep["entered_at"] is not None and sep["revision"] == 1
    kahl = by_key["us-dod-2022-08-08-total"]
    assert (kahl["low"], kahl["best"], kahl["high"], kahl["figure"]) == (70000, None, 80000, "70,000–80,000")
    last = runs(store)[-1]
    assert (last["feed_name"], last["source_key"], last["status"], last["n_new"]) == (
        "claims-file",
        "curated",
        "ok",
        73,
    )
    assert count(store, "SELECT count(*) FROM source WHERE key = 'uk-defence-intelligence'") == 1


def test_a_second_run_changes_nothing(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run_tracker(capsys, "ingest", "claims", "--db", store)[0] == 0
    before = fingerprint(store)
    code, out, _ = run_tracker(capsys, "ingest", "claims", "--db", store)
    assert code == 0 and ": unchanged" in out
    assert fingerprint(store) == before
    assert runs(store)[-1]["status"] == "unchanged"
    assert count(store, CURRENT, r=False) == 73


def test_editing_a_claim_keeps_its_earlier_version(store: str, tmp_path: Path) -> None:
    run_ingest(store, ClaimsFeed())
    rows = curated_rows()
    target = next(r for r in rows if r["claim_key"] == "uk-cds-2024-11-10-oct-2024-avg")
    target["best"], target["note"] = "1450", "Corrected figure (hypothetical edit)."
    report = run_ingest(store, ClaimsFeed(), location=write_claims(tmp_path / "edited.csv", rows))
    assert (report.counts.new, report.counts.revised, report.counts.removed, report.counts.unchanged) == (0, 1, 0, 72)
    (history,) = claim_history(open_store(store, write=False), "uk-cds-2024-11-10-oct-2024-avg")
    assert [(h["revision"], h["best"], h["removed"]) for h in history] == [(1, 1500, False), (2, 1450, False)]
    assert history[0]["superseded_at"] is not None and history[1]["superseded_at"] is None
    assert history[0]["id"] == history[1]["id"]  # a claim's id stays that of its first revision
    assert count(store, CURRENT, r=False) == 73


def test_a_claim_deleted_from_the_file_gets_a_removal_revision(store: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run_ingest(store, ClaimsFeed())
    rows = [r for r in curated_rows() if r["claim_key"] != "csis-2026-01-killed"]
    report = run_ingest(store, ClaimsFeed(), location=write_claims(tmp_path / "fewer.csv", rows))
    assert (report.counts.removed, report.counts.unchanged) == (1, 72)
    assert count(store, CURRENT, r=False) == 72 and count(store, CURRENT, r=True) == 1
    assert "csis-2026-01-killed" not in {c["key"] for c in list_claims(open_store(store, write=False))}
    code, out, _ = run_tracker(capsys, "claims", "show", "csis-2026-01-killed", "--db", store)
    assert code == 0 and "REMOVED" in out and "r2" in out and "removed from its feed" in out
    assert "up to 325,000" in out  # the last figure it had is still shown
    report = run_ingest(store, ClaimsFeed())  # the full file again: re-added as a new revision
    assert report.counts.readded == 1
    (history,) = claim_history(open_store(store, write=False), "csis-2026-01-killed")
    assert [(h["revision"], h["removed"]) for h in history] == [(1, False), (2, True), (3, False)]


def test_a_bad_row_is_a_finding_naming_its_line_and_no_claim_is_removed(store: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run_ingest(store, ClaimsFeed())
    rows = curated_rows()
    rows[9]["period"] = "2024-06-30/2024-05-01"
    code, out, err = run_tracker(
        capsys,
        "ingest",
        "claims",
        "--from",
        write_claims(tmp_path / "bad.csv", rows),
        "--feed",
        "claims-file",
        "--db",
        store,
    )
    assert (code, err) == (ExitCode.FINDINGS, "")
    assert "bad.csv line 11: claim" in out and "period end 2024-05-01 is before its start 2024-06-30" in out
    assert count(store, CURRENT, r=False) == 73 and count(store, CURRENT, r=True) == 0
    assert runs(store)[-1]["status"] == "ok_with_findings"


def test_claims_revisions_work_on_every_backend(store_url: str, tmp_path: Path) -> None:
    rows = curated_rows()[:3]
    first = run_ingest(store_url, ClaimsFeed(), location=write_claims(tmp_path / "a.csv", rows))
    assert (first.status, first.counts.new) == ("ok", 3)
    rows[0]["high"], rows = "85000", rows[:2]
    second = run_ingest(store_url, ClaimsFeed(), location=write_claims(tmp_path / "b.csv", rows))
    assert (second.counts.revised, second.counts.removed, second.counts.unchanged) == (1, 1, 1)
    engine = open_store(store_url, write=False)
    assert [c["key"] for c in list_claims(engine)] == [r["claim_key"] for r in rows]
    (history,) = claim_history(engine, rows[0]["claim_key"])
    assert [h["high"] for h in history] == [80000, 85000]
    engine.dispose()


def test_a_claims_file_can_be_read_from_a_url(sqlite_url: str) -> None:
    import httpx

    body = DEFAULT_FILE.read_bytes()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=body, headers={"content-type": "text/csv"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    report = run_ingest(
        sqlite_url, ClaimsFeed(), location="https://example.org/claims.csv", fetch_options={"client": client}
    )
    assert (report.status, report.counts.new, seen) == ("ok", 73, ["https://example.org/claims.csv"])
