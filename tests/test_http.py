"""tracker.ingest.http: retries, Retry-After, size and truncation limits, errors — against mock servers."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tracker import __version__
from tracker.errors import BadPayload, InvalidInput, SourceUnreachable
from tracker.ingest.http import DEADLINE_ENV, TIMEOUT_ENV, Limits, fetch, make_client

URL = "https://api.example.test/statistics/latest"
BODY = b'{"message": "ok", "data": {"date": "2024-11-11", "stats": {"personnel_units": 710660}}}'

Handler = Callable[[httpx.Request], httpx.Response]


def mock_client(handler: Handler) -> httpx.Client:
    return make_client(transport=httpx.MockTransport(handler))


def scripted(*steps: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering each request with the next step (a response or a raised error)."""
    remaining = list(steps)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = remaining.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    return handler, seen


class FakeSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class BrokenStream(httpx.SyncByteStream):
    """A body whose connection drops after the first chunk."""

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"data": {"records": ['
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def ok(content: bytes = BODY, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=content, headers={"Content-Type": "application/json", **headers})


def test_success_returns_the_body_with_status_content_type_role_and_aware_utc_time() -> None:
    handler, seen = scripted(ok())
    before = dt.datetime.now(dt.UTC)
    fetched = fetch(URL, client=mock_client(handler), role="statistics", sleep=FakeSleep())
    assert fetched.location == URL
    assert fetched.content == BODY
    assert fetched.status == 200
    assert fetched.content_type == "application/json"
    assert fetched.role == "statistics"
    assert fetched.final_location is None  # no redirect
    assert fetched.fetched_at.tzinfo is not None and fetched.fetched_at >= before
    assert len(seen) == 1


def test_client_sends_the_tracker_user_agent_and_follows_redirects() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "https://api.example.test/new"})
        assert request.headers["User-Agent"] == f"tracker/{__version__} (casualty-claims tracker)"
        return ok()

    fetched = fetch("https://api.example.test/old", client=mock_client(handler))
    assert fetched.content == BODY
    assert fetched.location == "https://api.example.test/old"
    assert fetched.final_location == "https://api.example.test/new"


def test_make_client_uses_the_given_timeout_and_redirect_following() -> None:
    with make_client(timeout=5.0) as client:
        assert client.timeout == httpx.Timeout(5.0)
        assert client.follow_redirects is True


def test_a_503_is_retried_with_exponential_backoff_until_success(caplog: pytest.LogCaptureFixture) -> None:
    handler, seen = scripted(httpx.Response(503), httpx.Response(503), ok())
    sleep = FakeSleep()
    with caplog.at_level(logging.INFO, logger="tracker.ingest.http"):
        fetched = fetch(URL, client=mock_client(handler), sleep=sleep, limits=Limits(backoff=2.0))
    assert fetched.content == BODY
    assert len(seen) == 3
    assert sleep.waits == [2.0, 4.0]
    retries = [r for r in caplog.records if r.name == "tracker.ingest.http" and r.levelno == logging.INFO]
    assert len(retries) == 2
    assert "HTTP 503" in retries[0].getMessage() and URL in retries[0].getMessage()


def test_backoff_is_capped_at_max_backoff() -> None:
    handler, _ = scripted(*[httpx.Response(502)] * 4, ok())
    sleep = FakeSleep()
    fetch(URL, client=mock_client(handler), retries=4, sleep=sleep, limits=Limits(backoff=10.0, max_backoff=25.0))
    assert sleep.waits == [10.0, 20.0, 25.0, 25.0]


def test_retry_after_header_sets_the_wait_before_the_next_attempt() -> None:
    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": "7"}), ok())
    sleep = FakeSleep()
    fetched = fetch(URL, client=mock_client(handler), sleep=sleep, limits=Limits(backoff=1.0))
    assert fetched.status == 200
    assert sleep.waits == [7.0]
    assert len(seen) == 2


def test_retry_after_as_http_date_waits_until_that_time() -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    header = email.utils.format_datetime(when, usegmt=True)
    handler, _ = scripted(httpx.Response(503, headers={"Retry-After": header}), ok())
    sleep = FakeSleep()
    fetch(URL, client=mock_client(handler), sleep=sleep)
    assert len(sleep.waits) == 1
    assert 28.0 <= sleep.waits[0] <= 30.0


def test_retry_after_is_capped_at_max_backoff() -> None:
    handler, _ = scripted(httpx.Response(429, headers={"Retry-After": "200"}), ok())
    sleep = FakeSleep()
    fetch(URL, client=mock_client(handler), deadline=300.0, sleep=sleep, limits=Limits(max_backoff=60.0))
    assert sleep.waits == [60.0]


def test_retry_after_past_the_deadline_ends_the_fetch_at_once_saying_what_the_server_asked() -> None:
    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": "3600"}), ok())
    sleep = FakeSleep()
    with pytest.raises(SourceUnreachable) as info:
        fetch(URL, client=mock_client(handler), deadline=300.0, sleep=sleep)
    assert str(info.value) == (
        f"{URL}: HTTP 429; the server asked to retry after 3600 s, past the 300 s deadline (1 attempt)"
    )
    assert sleep.waits == []
    assert len(seen) == 1


def test_a_backoff_longer_than_the_time_left_ends_the_fetch_at_once() -> None:
    handler, seen = scripted(httpx.Response(503), ok())
    sleep = FakeSleep()
    with pytest.raises(SourceUnreachable) as info:
        fetch(URL, client=mock_client(handler), deadline=0.5, sleep=sleep, limits=Limits(backoff=1.0))
    assert str(info.value) == f"{URL}: no complete answer within 0.5 s (1 attempt; last: HTTP 503)"
    assert sleep.waits == []
    assert len(seen) == 1


def test_a_mock_body_still_arriving_after_the_attempt_deadline_is_cut_off() -> None:
    class TricklingStream(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            for _ in range(1000):  # 20 s at most, far past the 0.3 s deadline
                time.sleep(0.02)
                yield b"x"

    handler, seen = scripted(httpx.Response(200, stream=TricklingStream()))
    with pytest.raises(SourceUnreachable) as info:
        fetch(URL, client=mock_client(handler), deadline=0.3, sleep=FakeSleep())
    assert str(info.value) == (
        f"{URL}: no complete answer within 0.3 s (1 attempt; last: body still arriving at the deadline)"
    )
    assert len(seen) == 1


def test_unreadable_retry_after_falls_back_to_exponential_backoff() -> None:
    handler, _ = scripted(httpx.Response(429, headers={"Retry-After": "soon"}), ok())
    sleep = FakeSleep()
    fetch(URL, client=mock_client(handler), sleep=sleep, limits=Limits(backoff=1.5))
    assert sleep.waits == [1.5]


def test_exhausted_retries_on_5xx_raise_source_unreachable_naming_url_status_and_attempts() -> None:
    handler, seen = scripted(*[httpx.Response(503)] * 4)
    with pytest.raises(SourceUnreachable) as info:
        fetch(URL, client=mock_client(handler), retries=3, sleep=FakeSleep())
    assert str(info.value) == f"{URL}: HTTP 503 after 4 attempts"
    assert len(seen) == 4


def test_exhausted_retries_on_429_raise_source_unreachable() -> None:
    handler, _ = scripted(*[httpx.Response(429)] * 2)
    with pytest.raises(SourceUnreachable, match="HTTP 429 after 2 attempts"):
        fetch(URL, client=mock_client(handler), retries=1, sleep=FakeSleep())


@pytest.mark.parametrize("error", [httpx.ConnectTimeout, httpx.ReadTimeout])
def test_timeouts_are_retried_then_raise_source_unreachable(error: type[httpx.TimeoutException]) -> None:
    request = httpx.Request("GET", URL)
    handler, seen = scripted(*[error("timed out", request=request)] * 4)
    sleep = FakeSleep()
    with pytest.raises(SourceUnreachable) as info:
        fetch(URL, client=mock_client(handler), retries=3, sleep=sleep)
    assert str(info.value) == f"{URL}: timed out ({error.__name__}) after 4 attempts"
    assert len(seen) == 4
    assert sleep.waits == [1.0, 2.0, 4.0]


def test_a_timeout_followed_by_success_returns_the_body() -> None:
    handler, _ = scripted(httpx.ReadTimeout("timed out", request=httpx.Request("GET", URL)), ok())
    assert fetch(URL, client=mock_client(handler), sleep=FakeSleep()).content == BODY


def test_connection_errors_are_retried_then_raise_source_unreachable_with_the_cause() -> None:
    request = httpx.Request("GET", URL)
    handler, seen = scripted(*[httpx.ConnectError("[Errno -2] Name or service not known", request=request)] * 2)
    with pytest.raises(SourceUnreachable) as info:
        fetch(URL, client=mock_client(handler), retries=1, sleep=FakeSleep())
    message = str(info.value)
    assert message.startswith(f"{URL}: connection failed (ConnectError: ")
    assert "Name or service not known" in message and message.endswith("after 2 attempts")
    assert "\n" not in message
    assert len(seen) == 2


def test_a_404_fails_at_once_without_retrying() -> None:
    handler, seen = scripted(httpx.Response(404), ok())
    sleep = FakeSleep()
    with pytest.raises(SourceUnreachable) as info:
        fetch(URL, client=mock_client(handler), sleep=sleep)
    assert str(info.value) == f"{URL}: HTTP 404 Not Found"
    assert len(seen) == 1
    assert sleep.waits == []


def test_body_shorter_than_content_length_is_a_truncated_bad_payload() -> None:
    handler, _ = scripted(ok(BODY, **{"Content-Length": str(len(BODY) + 100)}))
    with pytest.raises(BadPayload) as info:
        fetch(URL, client=mock_client(handler), sleep=FakeSleep())
    assert str(info.value) == f"{URL}: truncated body (received {len(BODY)} of {len(BODY) + 100} bytes)"


def test_connection_dropped_mid_body_is_a_truncated_bad_payload() -> None:
    handler, _ = scripted(httpx.Response(200, stream=BrokenStream()))
    with pytest.raises(BadPayload, match=rf"^{URL}: truncated body \(RemoteProtocolError: peer closed"):
        fetch(URL, client=mock_client(handler), sleep=FakeSleep())


def test_a_body_past_max_bytes_is_refused_while_streaming() -> None:
    class EndlessStream(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            while True:
                yield b"x" * 1024

    handler, _ = scripted(httpx.Response(200, stream=EndlessStream()))
    with pytest.raises(BadPayload) as info:
        fetch(URL, client=mock_client(handler), sleep=FakeSleep(), limits=Limits(max_bytes=64 * 1024))
    assert str(info.value) == f"{URL}: response larger than 64 KiB limit"


def test_an_announced_content_length_past_max_bytes_is_refused_before_reading() -> None:
    handler, _ = scripted(ok(b"{}", **{"Content-Length": str(65 * 2**20)}))
    with pytest.raises(BadPayload, match=rf"^{URL}: response larger than 64 MiB limit$"):
        fetch(URL, client=mock_client(handler), sleep=FakeSleep())


def test_a_body_of_exactly_max_bytes_is_accepted() -> None:
    handler, _ = scripted(ok(b"x" * 100))
    assert len(fetch(URL, client=mock_client(handler), sleep=FakeSleep(), limits=Limits(max_bytes=100)).content) == 100


def test_an_unsupported_scheme_fails_without_retrying() -> None:
    # The real transport refuses the scheme before opening any connection.
    sleep = FakeSleep()
    with pytest.raises(SourceUnreachable, match=r"^ftp://example\.test/x: UnsupportedProtocol"):
        fetch("ftp://example.test/x", sleep=sleep)
    assert sleep.waits == []


def test_a_client_passed_in_is_left_open() -> None:
    client = mock_client(lambda request: ok())
    fetch(URL, client=client, sleep=FakeSleep())
    assert not client.is_closed


@pytest.mark.parametrize("name", [TIMEOUT_ENV, DEADLINE_ENV])
@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "soon"])
def test_an_unusable_timeout_or_deadline_in_the_environment_is_one_line_of_usage_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    handler, seen = scripted(ok())
    with pytest.raises(InvalidInput) as info:
        fetch(URL, client=mock_client(handler), sleep=FakeSleep())
    assert str(info.value) == f"${name} must be a finite number of seconds above 0, not '{value}'"
    assert seen == []


def test_the_deadline_comes_from_the_environment_when_not_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEADLINE_ENV, " 0.5 ")
    handler, _ = scripted(httpx.Response(503), ok())
    with pytest.raises(SourceUnreachable) as info:
        fetch(URL, client=mock_client(handler), sleep=FakeSleep(), limits=Limits(backoff=1.0))
    assert str(info.value) == f"{URL}: no complete answer within 0.5 s (1 attempt; last: HTTP 503)"


def test_importing_tracker_http_does_not_import_pandas() -> None:
    code = "import sys, tracker.ingest.http; sys.exit('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
