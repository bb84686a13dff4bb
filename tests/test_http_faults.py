"""Fault drills: tracker.ingest.http.fetch against a real server on 127.0.0.1 that misbehaves on purpose.

Every fault ends within the short timeouts and deadline a test passes, with the right exception
and one line naming the URL; end to end, `tracker ingest dataset` ends with the documented exit
code and leaves the store as it was (only the failed run's record, plus raw bytes that arrived).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.clirun import run_tracker
from tests.conftest import _pg_admin_url
from tests.faultserver import (
    Exchange,
    FaultServer,
    answer,
    json_answer,
    redirect,
    refused_port,
    reset_mid_body,
    running,
    self_signed_context,
    stall,
    trickle,
)
from tests.storecheck import count, fingerprint, runs
from tracker.errors import BadPayload, ExitCode, SourceUnreachable
from tracker.ingest.feeds.dataset import FILES, DatasetFeed
from tracker.ingest.http import DEADLINE_ENV, TIMEOUT_ENV, Limits, fetch
from tracker.ingest.run import run_ingest

BODY = b'[{"date": "2024-11-11", "personnel": 710660}]'
HTML = b"<!DOCTYPE html><html><head><title>Error</title></head><body>Rate limited</body></html>"


class FakeSleep:
    """Records the waits between attempts instead of sleeping through them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with running() as s:
        yield s


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory):
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed: cannot make a self-signed certificate")
    return self_signed_context(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(tls_context) -> Iterator[FaultServer]:
    with running(tls_context[0]) as s:
        yield s


@pytest.fixture
def trusting_client(tls_context) -> Iterator[httpx.Client]:
    """A client like make_client's that trusts the test's self-signed certificate."""
    context = ssl.create_default_context(cafile=str(tls_context[1]))
    with httpx.Client(verify=context, follow_redirects=True) as client:
        yield client


@pytest.fixture
def refused_url() -> Iterator[str]:
    with refused_port() as port:
        yield f"http://127.0.0.1:{port}/data.json"


# --- fetch: each fault ends, with the right error and one line ---------------------------------


def test_a_refused_connection_is_retried_then_unreachable(refused_url: str) -> None:
    sleep = FakeSleep()
    with pytest.raises(SourceUnreachable) as info:
        fetch(refused_url, retries=2, deadline=5, sleep=sleep)
    assert str(info.value) == (
        f"{refused_url}: connection failed (ConnectError: [Errno 111] Connection refused) after 3 attempts"
    )
    assert sleep.waits == [1.0, 2.0]


def test_a_connection_reset_mid_body_is_retried_then_unreachable(server: FaultServer) -> None:
    url = server.route("/reset", reset_mid_body(b"x" * 5000, sent=100))
    sleep = FakeSleep()
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, retries=1, deadline=5, sleep=sleep, limits=Limits(timeout=2))
    assert str(info.value) == (
        f"{url}: connection failed (ReadError: [Errno 104] Connection reset by peer) after 2 attempts"
    )
    assert server.hits("/reset") == 2
    assert sleep.waits == [1.0]


def test_a_server_that_never_answers_times_out_on_each_attempt(server: FaultServer) -> None:
    url = server.route("/stall", stall())
    sleep = FakeSleep()
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, retries=1, deadline=5, sleep=sleep, limits=Limits(timeout=0.2))
    assert str(info.value) == f"{url}: timed out (ReadTimeout) after 2 attempts"
    assert server.hits("/stall") == 2


def test_a_silent_server_is_cut_off_at_the_deadline_even_with_a_longer_read_timeout(server: FaultServer) -> None:
    url = server.route("/stall", stall())
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, deadline=0.3, sleep=FakeSleep(), limits=Limits(timeout=30))
    assert str(info.value) == f"{url}: no complete answer within 0.3 s (1 attempt; last: no response at the deadline)"


def test_a_body_trickling_in_is_cut_off_at_the_deadline(server: FaultServer) -> None:
    # One byte every 50 ms never trips a 30 s read timeout: only the deadline ends it.
    url = server.route("/trickle", trickle(BODY, interval=0.05))
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, deadline=1, sleep=FakeSleep(), limits=Limits(timeout=30))
    assert str(info.value) == (
        f"{url}: no complete answer within 1 s (1 attempt; last: body still arriving at the deadline)"
    )


def test_a_status_line_and_headers_trickling_in_are_cut_off_at_the_deadline(server: FaultServer) -> None:
    url = server.route("/trickle", trickle(BODY, interval=0.05, headers_too=True))
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, deadline=0.5, sleep=FakeSleep(), limits=Limits(timeout=30))
    assert str(info.value) == f"{url}: no complete answer within 0.5 s (1 attempt; last: no response at the deadline)"


def test_a_response_trickling_in_over_tls_is_cut_off_at_the_deadline(
    tls_server: FaultServer, trusting_client: httpx.Client
) -> None:
    url = tls_server.route("/trickle", trickle(BODY, interval=0.05, headers_too=True))
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, client=trusting_client, deadline=0.5, sleep=FakeSleep(), limits=Limits(timeout=30))
    assert str(info.value) == f"{url}: no complete answer within 0.5 s (1 attempt; last: no response at the deadline)"


def test_a_trusted_tls_server_answers_normally(tls_server: FaultServer, trusting_client: httpx.Client) -> None:
    url = tls_server.route("/data.json", json_answer(BODY))
    assert fetch(url, client=trusting_client, deadline=5, sleep=FakeSleep()).content == BODY


def test_each_attempt_has_its_own_deadline_and_is_retried_while_the_overall_one_allows(server: FaultServer) -> None:
    url = server.route("/trickle", trickle(BODY, interval=0.05))
    sleep = FakeSleep()
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, retries=1, deadline=5, sleep=sleep, limits=Limits(timeout=30, attempt_deadline=0.3))
    assert str(info.value) == f"{url}: body still arriving after 0.3 s after 2 attempts"
    assert server.hits("/trickle") == 2
    assert sleep.waits == [1.0]


def test_5xx_then_200_returns_the_body_after_three_attempts(server: FaultServer) -> None:
    url = server.route("/flaky", answer(503), answer(502), json_answer(BODY))
    sleep = FakeSleep()
    fetched = fetch(url, retries=3, deadline=5, sleep=sleep)
    assert fetched.content == BODY
    assert fetched.status == 200
    assert fetched.content_type == "application/json"
    assert server.hits("/flaky") == 3
    assert sleep.waits == [1.0, 2.0]


def test_429_with_retry_after_waits_as_asked_then_returns_the_body(server: FaultServer) -> None:
    url = server.route("/limited", answer(429, b"", {"Retry-After": "7"}), json_answer(BODY))
    sleep = FakeSleep()
    fetched = fetch(url, deadline=30, sleep=sleep)
    assert fetched.content == BODY
    assert server.hits("/limited") == 2
    assert sleep.waits == [7.0]


def test_429_asking_for_longer_than_the_deadline_ends_at_once(server: FaultServer) -> None:
    url = server.route("/limited", answer(429, b"", {"Retry-After": "600"}), json_answer(BODY))
    sleep = FakeSleep()
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, deadline=30, sleep=sleep)
    assert (
        str(info.value) == f"{url}: HTTP 429; the server asked to retry after 600 s, past the 30 s deadline (1 attempt)"
    )
    assert server.hits("/limited") == 1
    assert sleep.waits == []


def test_a_body_shorter_than_its_content_length_is_a_truncated_bad_payload_not_retried(server: FaultServer) -> None:
    url = server.route("/short", answer(200, BODY[:20], content_length=len(BODY)))
    with pytest.raises(BadPayload) as info:
        fetch(url, deadline=5, sleep=FakeSleep())
    assert str(info.value) == (
        f"{url}: truncated body (RemoteProtocolError: peer closed connection without sending complete message "
        f"body (received 20 bytes, expected {len(BODY)}))"
    )
    assert server.hits("/short") == 1


@pytest.mark.parametrize("declare_length", [True, False], ids=["announced", "streamed"])
def test_an_oversize_body_is_refused(server: FaultServer, declare_length: bool) -> None:
    url = server.route("/big", answer(200, b"x" * 5000, declare_length=declare_length))
    with pytest.raises(BadPayload) as info:
        fetch(url, deadline=5, sleep=FakeSleep(), limits=Limits(max_bytes=1024))
    assert str(info.value) == f"{url}: response larger than 1 KiB limit"


def test_a_redirect_loop_is_one_line_of_unreachable(server: FaultServer) -> None:
    url = server.route("/loop", redirect("/loop"))
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, deadline=5, sleep=FakeSleep())
    assert str(info.value) == f"{url}: too many redirects (more than 20; the last pointed to {url})"
    assert info.value.exit_code == ExitCode.UNREACHABLE
    assert server.hits("/loop") == 21  # the first request and 20 redirects followed


def test_a_redirect_records_the_final_url_and_keeps_the_requested_one(server: FaultServer) -> None:
    old = server.route("/old/data.json", redirect("/new/data.json", status=301))
    new = server.route("/new/data.json", json_answer(BODY))
    fetched = fetch(old, deadline=5, sleep=FakeSleep())
    assert fetched.location == old
    assert fetched.final_location == new
    assert fetched.content == BODY
    assert [r.path for r in server.requests] == ["/old/data.json", "/new/data.json"]


def test_a_self_signed_certificate_is_refused_at_once(tls_server: FaultServer) -> None:
    url = tls_server.route("/data.json", json_answer(BODY))
    sleep = FakeSleep()
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, deadline=5, sleep=sleep)
    assert str(info.value) == f"{url}: TLS certificate could not be verified (self-signed certificate)"
    assert sleep.waits == []  # not retried: a certificate does not fix itself
    assert tls_server.requests == []  # no request was ever sent over the unverified connection


def test_an_error_status_is_named_by_its_standard_reason_not_the_servers_text(server: FaultServer) -> None:
    def hostile(ex: Exchange) -> None:
        ex.send(b"HTTP/1.1 404 \x9b31mGone\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    url = server.route("/gone", hostile)
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, deadline=5, sleep=FakeSleep())
    assert str(info.value) == f"{url}: HTTP 404 Not Found"


def test_a_malformed_response_with_terminal_escapes_gives_a_line_without_them(server: FaultServer) -> None:
    def hostile(ex: Exchange) -> None:
        ex.send(b"HTTP/1.1 200 OK\r\n\x1b]0;owned\x07\r\n\r\n")

    url = server.route("/junk", hostile)
    with pytest.raises(SourceUnreachable) as info:
        fetch(url, retries=0, deadline=5, sleep=FakeSleep())
    message = str(info.value)
    assert message.startswith(f"{url}: connection failed (RemoteProtocolError: ")
    assert message.endswith(" after 1 attempt")
    assert message.isprintable()  # no ESC, BEL or newline reached the line


# --- end to end: `tracker ingest dataset --from http://127.0.0.1:PORT/...` ---------------------


@pytest.fixture(scope="module")
def dataset_files(latest_dir: Path) -> dict[str, bytes]:
    """Three real reports (2024-11-09 to 2024-11-11) of each dataset file, as the server's good answer."""
    out = {}
    for name in FILES.values():
        rows = json.loads((latest_dir / name).read_text())
        out[name] = json.dumps([r for r in rows if "2024-11-09" <= r["date"] <= "2024-11-11"]).encode()
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded_store(request, tmp_path_factory, dataset_files: dict[str, bytes]) -> Iterator[str]:
    """One store per backend holding the good reports, ingested over HTTP, shared by the tests
    below: each proves that its failed run leaves the store as it found it."""
    if request.param == "sqlite":
        yield _seed(f"sqlite:///{tmp_path_factory.mktemp('faults') / 'store.db'}", dataset_files)
        return
    with _pg_database() as url:
        yield _seed(url, dataset_files)


def _seed(url: str, dataset_files: dict[str, bytes]) -> str:
    with running() as good:
        for name, body in dataset_files.items():
            good.route(f"/good/{name}", json_answer(body))
        report = run_ingest(url, DatasetFeed(), location=good.url("/good"))
    assert report.status in ("ok", "ok_with_findings"), report.error
    return url


def _pg_database() -> contextlib.AbstractContextManager[str]:
    """A fresh PostgreSQL database for this module (conftest's `pg_url` is per test)."""
    from drills.common import fresh_pg_database

    return fresh_pg_database(_pg_admin_url(), prefix="tracker_test")  # skips without a server


@pytest.fixture
def seeded(seeded_store: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The seeded store, with short HTTP timeouts for the run under test (as cron could set them)."""
    monkeypatch.setenv(TIMEOUT_ENV, "0.3")
    monkeypatch.setenv(DEADLINE_ENV, "1")
    return seeded_store


def ingest_fails(capsys, store_url: str, base: str, code: ExitCode, *, raw_files: int = 0) -> str:
    """Run the ingest from `base`; check the exit code and that only a failed run record (and
    `raw_files` raw payloads) was added. Returns the one error line."""
    before = fingerprint(store_url)
    fetches = count(store_url, "SELECT COUNT(*) FROM payload_fetch")
    earlier = len(runs(store_url))
    exit_code, out, err = run_tracker(capsys, "ingest", "dataset", "--from", base, "--db", store_url)
    assert (exit_code, out) == (code, "")
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert fingerprint(store_url) == before
    after = runs(store_url)
    assert (len(after), after[-1]["status"], after[-1]["exit_code"]) == (earlier + 1, "failed", code)
    assert count(store_url, "SELECT COUNT(*) FROM payload_fetch") - fetches == raw_files
    return err.rstrip("\n")


def failed_line(base: str, error: str) -> str:
    return f"error: ua-dataset (ua-general-staff) from {base}: failed — {error}"


PERSONNEL = FILES["personnel"]


def test_cli_refused_connection_exits_4(seeded: str, refused_url: str, capsys) -> None:
    base = refused_url.rsplit("/", 1)[0]
    line = ingest_fails(capsys, seeded, base, ExitCode.UNREACHABLE)
    assert line == failed_line(
        base,
        f"{base}/{PERSONNEL}: no complete answer within 1 s "
        "(1 attempt; last: connection failed (ConnectError: [Errno 111] Connection refused))",
    )


def test_cli_stall_past_the_timeout_exits_4(seeded: str, server: FaultServer, capsys) -> None:
    server.route(f"/stall/{PERSONNEL}", stall())
    base = server.url("/stall")
    line = ingest_fails(capsys, seeded, base, ExitCode.UNREACHABLE)
    assert line == failed_line(
        base, f"{base}/{PERSONNEL}: no complete answer within 1 s (1 attempt; last: timed out (ReadTimeout))"
    )


def test_ctrl_c_while_the_server_never_answers_is_one_line_exit_130_and_changes_nothing(
    seeded_store: str, server: FaultServer
) -> None:
    asked = threading.Event()

    def silent(ex: Exchange) -> None:
        asked.set()
        stall()(ex)

    server.route(f"/stall/{PERSONNEL}", silent)
    before = fingerprint(seeded_store)
    tracker = [str(Path(sys.executable).with_name("tracker")), "ingest", "dataset"]
    proc = subprocess.Popen(
        [*tracker, "--from", server.url("/stall"), "--db", seeded_store],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As a terminal's Ctrl-C finds it, even when the tests run where SIGINT is ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert asked.wait(60), "the ingest never reached the server"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)

    assert (proc.returncode, out, err) == (130, "", "interrupted: an unfinished run changes nothing\n")
    assert fingerprint(seeded_store) == before


def test_cli_short_body_exits_5_as_truncated(seeded: str, server: FaultServer, capsys) -> None:
    server.route(f"/short/{PERSONNEL}", answer(200, BODY[:20], content_length=len(BODY)))
    base = server.url("/short")
    line = ingest_fails(capsys, seeded, base, ExitCode.BAD_PAYLOAD)
    assert line == failed_line(
        base,
        f"{base}/{PERSONNEL}: truncated body (RemoteProtocolError: peer closed connection without sending "
        f"complete message body (received 20 bytes, expected {len(BODY)}))",
    )


def test_cli_html_error_page_with_200_exits_5_and_keeps_the_raw_bytes(seeded: str, server: FaultServer, capsys) -> None:
    for name in FILES.values():
        server.route(f"/html/{name}", answer(200, HTML, {"Content-Type": "text/html"}))
    base = server.url("/html")
    line = ingest_fails(capsys, seeded, base, ExitCode.BAD_PAYLOAD, raw_files=3)
    assert line.startswith(failed_line(base, f"{base}/{PERSONNEL}: expected JSON, got an HTML page"))


def test_cli_redirect_loop_exits_4(seeded: str, server: FaultServer, capsys) -> None:
    url = server.route(f"/loop/{PERSONNEL}", redirect(f"/loop/{PERSONNEL}"))
    base = server.url("/loop")
    line = ingest_fails(capsys, seeded, base, ExitCode.UNREACHABLE)
    assert line == failed_line(base, f"{url}: too many redirects (more than 20; the last pointed to {url})")


def test_cli_self_signed_certificate_exits_4(seeded: str, tls_server: FaultServer, capsys) -> None:
    url = tls_server.route(f"/base/{PERSONNEL}", json_answer(BODY))
    base = tls_server.url("/base")
    line = ingest_fails(capsys, seeded, base, ExitCode.UNREACHABLE)
    assert line == failed_line(base, f"{url}: TLS certificate could not be verified (self-signed certificate)")


def test_cli_an_unusable_deadline_setting_is_one_line_and_exit_2(
    seeded: str, server: FaultServer, capsys, monkeypatch
) -> None:
    monkeypatch.setenv(DEADLINE_ENV, "forever")
    before = fingerprint(seeded)
    code, out, err = run_tracker(capsys, "ingest", "dataset", "--from", server.url("/good"), "--db", seeded)
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == f"error: ${DEADLINE_ENV} must be a finite number of seconds above 0, not 'forever'\n"
    assert fingerprint(seeded) == before
