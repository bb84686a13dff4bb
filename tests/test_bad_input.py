"""Bad input of any kind: a one-line error or a recorded finding, the right exit code, and the
store as it was (a failed run leaves only its own record and raw bytes)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.clirun import run_tracker
from tests.storecheck import count, fingerprint, runs
from tracker.errors import ExitCode
from tracker.ingest.feeds.dataset import DatasetFeed
from tracker.ingest.run import run_ingest


@pytest.fixture(scope="module")
def good(latest_dir) -> list[dict]:
    """Three real reports (2024-11-09 to 2024-11-11) from the shared dataset: the good input
    that each bad variant below is made from."""
    rows = json.loads((latest_dir / "russia_losses_personnel.json").read_text())
    picked = [r for r in rows if "2024-11-09" <= r["date"] <= "2024-11-11"]
    assert [r["personnel"] for r in picked] == [707_540, 708_890, 710_660]
    return picked


def later(good: list[dict], date: str, personnel: int) -> dict:
    """A further report like the last good one, for another date and total."""
    return {**good[-1], "date": date, "personnel": personnel}


def write_dataset(folder: Path, rows: object, *, raw: bytes | None = None) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "russia_losses_personnel.json"
    path.write_bytes(raw if raw is not None else json.dumps(rows).encode())
    return str(folder)


@pytest.fixture
def seeded(store_url, tmp_path, good) -> str:
    """A store holding three good reports, to prove that bad input changes none of it."""
    report = run_ingest(store_url, DatasetFeed(), location=write_dataset(tmp_path / "good", good))
    assert report.status == "ok", report.error
    return store_url


def ingest_cli(capsys, url: str, folder: str, *extra: str) -> tuple[int, str, str]:
    return run_tracker(capsys, "ingest", "dataset", "--from", folder, "--db", url, *extra)


@pytest.mark.parametrize(
    "name, make, message",
    [
        ("truncated", lambda g: json.dumps(g).encode()[:-40], "truncated JSON"),
        (
            "html",
            lambda g: b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
            "expected JSON, got an HTML page",
        ),
        ("not json", lambda g: b"Service temporarily unavailable", "expected JSON, got text that is not JSON"),
        ("empty", lambda g: b"", "empty payload"),
        ("wrong shape", lambda g: json.dumps({"data": g}).encode(), "expected a JSON list of reports, got dict"),
        ("nested too deep", lambda g: b"[" * 100_000 + b"]" * 100_000, "JSON nested too deep to read"),
        # A bad record is a finding (tests/test_record_level.py); a file whose records are all
        # bad is not what we think it is, and is refused whole.
        ("no row an object", lambda g: json.dumps([1, 2]).encode(), "first: report #1 (int 1, not an object)"),
        (
            "only bad values",
            lambda g: json.dumps([{**r, "personnel": "707540"} for r in g]).encode(),
            "3 of 3 values unreadable (more than 50%): not a dataset file as expected, nothing stored "
            "(first: 2024-11-09 'personnel': bad value '707540' (text, not a number))",
        ),
        (
            "only bad dates",
            lambda g: json.dumps([{**g[0], "date": "2024-13-01"}]).encode(),
            "first: report #1 (date '2024-13-01': no such calendar date)",
        ),
        ("no dates", lambda g: json.dumps([{"personnel": 1}]).encode(), "first: report #1 (no date)"),
    ],
)
def test_unparseable_payload_fails_with_one_line_and_exit_5_leaving_the_store_unchanged(
    capsys, seeded, tmp_path, good, name, make, message
):
    before = fingerprint(seeded)

    code, out, err = ingest_cli(capsys, seeded, write_dataset(tmp_path / "bad", None, raw=make(good)))

    assert code == ExitCode.BAD_PAYLOAD
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err + out
    assert fingerprint(seeded) == before
    failed = runs(seeded)[-1]
    assert failed["status"] == "failed" and message in failed["error"]
    # the raw bytes are kept for inspection
    assert count(seeded, "SELECT COUNT(*) FROM payload_fetch WHERE run_id = :r", r=failed["id"]) == 1


def test_an_emptied_snapshot_is_stored_as_a_held_withdrawal_with_exit_3_leaving_every_row_current(
    capsys, seeded, tmp_path
):
    before = fingerprint(seeded)

    code, out, err = ingest_cli(capsys, seeded, write_dataset(tmp_path / "bad", None, raw=b"[]"))

    assert code == ExitCode.FINDINGS
    assert "0 removed" in out and "3 held" in out and "Traceback" not in err + out
    assert fingerprint(seeded)["observation"] == before["observation"]
    assert count(seeded, "SELECT n_rows FROM withdrawal WHERE status = 'held'") == 3


def test_decreasing_total_is_stored_and_flagged_with_exit_3(capsys, seeded, tmp_path, good):
    rows = good + [later(good, "2024-11-12", 709_000)]

    code, out, _ = ingest_cli(capsys, seeded, write_dataset(tmp_path / "dec", rows))

    assert code == ExitCode.FINDINGS
    assert "decrease" in out and "2024-11-12" in out
    assert count(seeded, "SELECT COUNT(*) FROM observation WHERE report_date = '2024-11-12'") == 1
    assert count(seeded, "SELECT COUNT(*) FROM finding WHERE rule = 'decrease' AND status = 'open'") == 1


def test_report_dated_in_the_future_is_a_finding_and_kept_out_of_the_series(capsys, seeded, tmp_path, good):
    rows = good + [later(good, "2099-01-01", 720_000)]

    code, out, _ = ingest_cli(capsys, seeded, write_dataset(tmp_path / "future", rows))

    assert code == ExitCode.FINDINGS
    assert "a report dated 2099-01-01 is after the run's day" in out
    assert count(seeded, "SELECT COUNT(*) FROM finding WHERE rule = 'implausible_date'") == 1
    assert count(seeded, "SELECT COUNT(*) FROM observation WHERE report_date = '2099-01-01'") == 0
    # nothing is missing between the good reports and the last plausible one
    assert count(seeded, "SELECT COUNT(*) FROM finding WHERE rule = 'gap'") == 0


def test_gap_in_report_dates_is_flagged(capsys, seeded, tmp_path, good):
    rows = good + [later(good, "2024-11-14", 714_380)]

    code, _, _ = ingest_cli(capsys, seeded, write_dataset(tmp_path / "gap", rows))

    assert code == ExitCode.FINDINGS
    assert count(seeded, "SELECT COUNT(*) FROM finding WHERE rule = 'gap' AND report_date = '2024-11-14'") == 1


def test_unknown_category_is_a_finding_and_the_known_values_are_stored(capsys, seeded, tmp_path, good):
    rows = [{**r, "laser cannons": 3} for r in good]

    code, out, _ = ingest_cli(capsys, seeded, write_dataset(tmp_path / "unknown", rows))

    assert code == ExitCode.FINDINGS
    assert "unknown category 'laser cannons' in 3 report(s)" in out
    assert count(seeded, "SELECT COUNT(*) FROM finding WHERE rule = 'unknown_metric'") == 1


def test_same_date_twice_with_different_values_is_a_finding(capsys, seeded, tmp_path, good):
    rows = good + [later(good, good[-1]["date"], 710_700)]

    code, out, _ = ingest_cli(capsys, seeded, write_dataset(tmp_path / "dup", rows))

    assert code == ExitCode.FINDINGS
    assert "2024-11-11 appears twice with personnel 710,660 and 710,700" in out


def test_hostile_strings_are_stored_as_text_and_printed_without_control_characters(capsys, seeded, tmp_path):
    hostile = "x'); DROP TABLE observation; --\x1b[31m\x07"
    csv_path = tmp_path / "hostile.csv"
    csv_path.write_text(f'report_date,metric,value\n2024-11-12,"{hostile}",1\n2024-11-12,personnel,712610\n')

    code, out, err = run_tracker(capsys, "ingest", "csv", "--from", str(csv_path), "--db", seeded)

    assert code == ExitCode.FINDINGS
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert count(seeded, "SELECT COUNT(*) FROM observation") >= 4  # the table is still there
    assert (
        count(seeded, "SELECT COUNT(*) FROM finding WHERE rule = 'unknown_metric' AND metric LIKE '%DROP TABLE%'") == 1
    )


def test_unreachable_source_exits_4_with_the_url_and_changes_nothing(seeded):
    before = fingerprint(seeded)
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url)
        return httpx.Response(503, text="upstream down")

    client = httpx.Client(transport=httpx.MockTransport(handler))
    report = run_ingest(
        seeded,
        DatasetFeed(),
        location="https://example.invalid/data",
        fetch_options={"client": client, "sleep": lambda s: None},
    )

    assert report.exit_code == ExitCode.UNREACHABLE
    assert "https://example.invalid/data/russia_losses_personnel.json: HTTP 503 after 4 attempts" in report.error
    assert len(attempts) == 4
    assert fingerprint(seeded) == before
    assert runs(seeded)[-1]["status"] == "failed"


def test_live_dataset_over_http_is_fetched_file_by_file(sqlite_url, good):
    files = {
        "russia_losses_personnel.json": good,
        "russia_losses_equipment.json": [
            {"date": r["date"], "day": r["day"], "tank": 9000 + i} for i, r in enumerate(good)
        ],
        "russia_losses_equipment_correction.json": [],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=files[request.url.path.rsplit("/", 1)[-1]])

    client = httpx.Client(transport=httpx.MockTransport(handler))
    report = run_ingest(sqlite_url, DatasetFeed(), fetch_options={"client": client})

    assert report.status == "ok", report.error
    assert report.counts.new == 6
    assert (
        count(
            sqlite_url, "SELECT COUNT(*) FROM payload_fetch WHERE location LIKE 'https://raw.githubusercontent.com/%'"
        )
        == 3
    )


def test_store_that_cannot_be_opened_exits_6(capsys, tmp_path, latest_dir):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    code, _, err = run_tracker(
        capsys, "ingest", "dataset", "--from", str(latest_dir), "--db", f"sqlite:///{blocker}/store.db"
    )

    assert code == ExitCode.STORE
    assert err.startswith("error: ") and err.count("\n") == 1


def test_second_writer_waits_then_exits_7_with_a_clear_message(capsys, tmp_path, good):
    from tracker.store.db import open_store
    from tracker.store.lock import writer_lock

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    engine = open_store(url, write=True)
    with writer_lock(engine, wait=0):
        code, _, err = run_tracker(
            capsys, "ingest", "dataset", "--from", write_dataset(tmp_path / "d", good), "--db", url, "--wait", "0.3"
        )
    assert code == ExitCode.BUSY
    assert "another tracker run" in err and "is writing to this store" in err


def test_crash_in_the_middle_of_a_run_leaves_the_store_as_before(seeded, tmp_path, monkeypatch, good):
    import tracker.ingest.rules

    before = fingerprint(seeded)
    rows = good + [later(good, "2024-11-12", 712_610)]

    def crash(*args, **kwargs):
        raise RuntimeError("killed mid-run")

    monkeypatch.setattr(tracker.ingest.rules, "check_columns", crash)
    with pytest.raises(RuntimeError):
        run_ingest(seeded, DatasetFeed(), location=write_dataset(tmp_path / "crash", rows))

    assert fingerprint(seeded) == before
    assert count(seeded, "SELECT COUNT(*) FROM observation WHERE report_date = '2024-11-12'") == 0
