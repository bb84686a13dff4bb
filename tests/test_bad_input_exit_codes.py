"""Bad input found by a hostile run (issue 26, item 5 and the minor ones): each is one line with the
documented exit code, never an internal error; one rule for each kind of input.

- impossible times and counts are usage errors (exit 2), not overflows (exit 1);
- a URL that cannot be fetched as written is exit 2 (no server was tried), its `user:password@`
  never printed nor stored;
- an unknown --source, a --since after --until: exit 2 everywhere;
- a broken link given as --from is a local file error (exit 6) for every feed;
- a store in a folder the reader cannot write is still readable.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.asuser import TRACKER, run_as_user
from tests.clirun import run_tracker
from tests.faultserver import FaultServer, answer, running
from tests.storecheck import fingerprint
from tracker.errors import ExitCode

SAMPLE_CSV = Path(__file__).resolve().parent.parent / "data" / "sample" / "ua-general-staff-personnel.csv"


def _error(capsys, code: int, *args: str) -> str:
    got, out, err = run_tracker(capsys, *args)
    assert (got, out) == (code, ""), err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err[len("error: ") : -1]


# --- times and counts beyond the calendar ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "0001-01-01"), "--since 0001-01-01: a day from 1970-01-01 to 9999-12-30"),
        (("--since", "0001-01-02"), "--since 0001-01-02: a day from 1970-01-01 to 9999-12-30"),
        (("--since", "2024-01-01", "--until", "9999-12-31"), "--until 9999-12-31: a day from 1970-01-01 to 9999-12-30"),
        (
            ("--since", "0001-01-01T00:00+01:00"),
            "--since 0001-01-01T00:00+01:00: a time from 1970-01-01 to 9999-12-30 (UTC)",
        ),
    ],
)
def test_changes_refuses_times_outside_the_span_a_run_can_have(
    capsys, full_store_url, args: tuple[str, ...], message: str
) -> None:
    assert _error(capsys, ExitCode.USAGE, "changes", *args, "--db", full_store_url) == message


def test_records_refuses_a_last_that_reaches_before_the_calendar(capsys, full_store_url) -> None:
    message = _error(capsys, ExitCode.USAGE, "records", "--last", "800000", "days", "--db", full_store_url)
    assert message == "--last 800000 days: N must be a whole number from 1 to 10,000, not '800000'"


def test_an_observed_at_before_the_calendar_is_refused_and_nothing_is_stored(capsys, store_url, latest_dir) -> None:
    assert run_tracker(capsys, "ingest", "csv", "--from", str(SAMPLE_CSV), "--db", store_url)[0] == ExitCode.OK
    before = fingerprint(store_url)

    message = _error(
        capsys,
        ExitCode.USAGE,
        "ingest", "dataset", "--from", str(latest_dir), "--observed-at", "0001-01-01T00:00+01:00", "--db", store_url,
    )  # fmt: skip

    assert message == "'0001-01-01T00:00+01:00' is outside the times a run can have: 1970-01-01 to 9999-12-30 (UTC)"
    assert fingerprint(store_url) == before


@pytest.mark.parametrize("ident", ["99999999999999999999999", "9223372036854775808", "١٥"])
def test_claims_show_an_id_no_store_can_hold_or_in_other_digits_is_no_such_claim(capsys, store_url, ident: str) -> None:
    assert run_tracker(capsys, "ingest", "claims", "--db", store_url)[0] == ExitCode.OK

    message = _error(capsys, ExitCode.USAGE, "claims", "show", ident, "--db", store_url)

    assert message == f"no claim {ident!r} in the store (see `tracker claims list`)"
    assert run_tracker(capsys, "claims", "show", "15", "--db", store_url)[0] == ExitCode.OK  # ASCII 15 is one


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc on this system")
def test_a_site_folder_that_cannot_hold_files_is_a_local_file_error(capsys, full_store_url) -> None:
    message = _error(capsys, ExitCode.STORE, "site", "--out-dir", "/proc/self", "--db", full_store_url, "-q")
    assert message == "cannot write into /proc/self: No such file or directory"


# --- one rule each ---------------------------------------------------------------------------------


def test_notes_of_an_unknown_source_is_a_usage_error_as_for_changes(capsys, full_store_url) -> None:
    notes = _error(capsys, ExitCode.USAGE, "notes", "--source", "nope", "--db", full_store_url)
    changes = _error(
        capsys, ExitCode.USAGE, "changes", "--source", "nope", "--since", "2024-01-01", "--db", full_store_url
    )
    assert notes == changes
    assert notes.startswith("no source 'nope' in the store; sources: ")


def test_compare_series_refuses_a_since_after_its_until(capsys, full_store_url) -> None:
    message = _error(
        capsys,
        ExitCode.USAGE,
        "compare", "--series", "oryx", "--since", "2024-01-01", "--until", "2023-01-01", "--db", full_store_url,
    )  # fmt: skip
    assert message == "--since 2024-01-01 is after --until 2023-01-01"


@pytest.mark.parametrize(
    "feed", [("dataset",), ("csv", "--source", "ua-general-staff"), ("oryx", "--observed-at", "2025-07-19T11:44")]
)
def test_a_broken_link_given_as_from_is_a_local_file_error_for_every_feed(
    capsys, sqlite_url, tmp_path, feed: tuple[str, ...]
) -> None:
    link = tmp_path / "gone.json"
    link.symlink_to(tmp_path / "nothing-here")

    message = _error(capsys, ExitCode.STORE, "ingest", feed[0], "--from", str(link), *feed[1:], "--db", sqlite_url)

    assert message.endswith(f"{link}: broken symbolic link (its target does not exist)")


# --- URLs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://", "http://: a URL needs a host, e.g. https://example.org/data"),
        ("http://[::1", "http://[::1: not a valid URL (Invalid IPv6 URL)"),
        ("ftp://x/y", "ftp://x/y: unsupported scheme 'ftp': give an http(s) URL or a local path"),
        (
            "https://u:pw@127.0.0.1:99999/d",
            "https://***@127.0.0.1:99999/d: not a valid URL (Port out of range 0-65535)",
        ),
    ],
)
@pytest.mark.parametrize("feed", [("dataset",), ("csv", "--source", "ua-general-staff")])
def test_a_url_that_cannot_be_fetched_as_written_is_a_usage_error(
    capsys, sqlite_url, feed: tuple[str, ...], location: str, message: str
) -> None:
    assert (
        _error(capsys, ExitCode.USAGE, "ingest", feed[0], "--from", location, *feed[1:], "--db", sqlite_url) == message
    )


def test_the_daily_jobs_dataset_from_that_is_not_a_url_it_can_fetch_is_a_usage_error(capsys, sqlite_url) -> None:
    code, _, err = run_tracker(capsys, "daily", "--dataset-from", "ftp://x/y", "--db", sqlite_url)
    assert code == ExitCode.USAGE
    assert "dataset: error: ftp://x/y: unsupported scheme 'ftp': give an http(s) URL or a local path\n" in err


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as srv:
        yield srv


def test_a_urls_password_is_neither_printed_nor_stored_in_the_run_record(capsys, sqlite_url, server) -> None:
    server.route("/data/russia_losses_personnel.json", answer(404, b"no such file"))
    url = server.url("/data").replace("http://", "http://reader:s3cret-pw@")

    code, out, err = run_tracker(capsys, "ingest", "dataset", "--from", url, "--db", sqlite_url)

    assert code == ExitCode.UNREACHABLE
    assert "s3cret-pw" not in out + err
    assert f"from http://***@127.0.0.1:{server.port}/data: failed" in err
    assert server.requests[0].headers.get("Authorization", "").startswith("Basic ")  # it was sent
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        dump = "\n".join(conn.iterdump())
    assert "s3cret-pw" not in dump
    assert f"http://***@127.0.0.1:{server.port}/data" in dump


# --- a store on a read-only folder -----------------------------------------------------------------


@pytest.fixture
def frozen_store(sqlite_url: str) -> Iterator[tuple[Path, Path]]:
    """A store holding the sample, in a folder the unprivileged user can read but not write (as on
    a read-only filesystem), and that user's home."""
    assert _ingested(sqlite_url)
    root = Path(tempfile.mkdtemp(prefix="tracker-frozen-"))
    try:
        root.chmod(0o755)
        folder, home = root / "store", root / "home"
        folder.mkdir()
        home.mkdir()
        home.chmod(0o777)
        store = folder / "tracker.db"
        shutil.copyfile(sqlite_url.removeprefix("sqlite:///"), store)
        store.chmod(0o644)
        folder.chmod(0o555)
        if os.geteuid() != 0 and os.access(folder, os.W_OK):
            pytest.skip("this user can write any folder: cannot make a read-only one")
        yield store, home
    finally:
        (root / "store").chmod(0o755)
        shutil.rmtree(root)


def _ingested(url: str) -> bool:
    from tracker.ingest.feeds.csvfeed import CsvFeed
    from tracker.ingest.run import run_ingest

    return run_ingest(url, CsvFeed(), location=str(SAMPLE_CSV)).status in ("ok", "ok_with_findings")


@pytest.mark.parametrize("command", [("headline",), ("status",), ("series", "--last", "3", "days", "--format", "csv")])
def test_a_store_in_a_folder_the_reader_cannot_write_is_still_read(frozen_store, command: tuple[str, ...]) -> None:
    store, home = frozen_store
    done = run_as_user(str(TRACKER), *command, "--db", str(store), home=home)
    assert done.returncode in (ExitCode.OK, ExitCode.FINDINGS), done.stderr
    assert done.stderr == ""
    if command[0] == "series":  # the sample's last three reports, read from the frozen file
        assert done.stdout.splitlines()[1].startswith("2024-11-29,")
    assert sorted(p.name for p in store.parent.iterdir()) == ["tracker.db"]  # nothing written beside it
