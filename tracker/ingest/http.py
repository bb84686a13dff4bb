"""The one place that does HTTP: a configured client and a GET with bounded retries and a deadline.

Feeds call `fetch` and get the raw bytes as a `Fetched`, or a one-line `SourceUnreachable`
(network, timeouts, HTTP errors, an unverifiable certificate, a redirect loop, the deadline) or
`BadPayload` (a truncated or oversized body). Every fetch ends: a read timeout bounds each wait
for bytes, a per-attempt deadline bounds a body that trickles in, and an overall deadline bounds
all attempts and the waits between them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import logging
import math
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from tracker import __version__
from tracker.errors import BadPayload, SourceUnreachable, redact_userinfo, sanitize
from tracker.ingest.parsed import MAX_BYTES, Fetched

if TYPE_CHECKING:
    # httpx is imported where a request is made: a local file's ingest does not pay for it.
    import httpx

USER_AGENT = f"tracker/{__version__} (casualty-claims tracker)"
TIMEOUT = 30.0  # seconds to connect, and to wait for each read or write
ATTEMPT_DEADLINE = 120.0  # seconds for one attempt, from connecting to the last byte of the body
DEADLINE = 300.0  # seconds for a whole fetch: every attempt and every wait between them
TIMEOUT_ENV = "TRACKER_HTTP_TIMEOUT"  # overrides TIMEOUT (e.g. for a slow link, or tests)
DEADLINE_ENV = "TRACKER_HTTP_DEADLINE"  # overrides DEADLINE

log = logging.getLogger("tracker.ingest.http")
T = TypeVar("T")


def make_client(*, timeout: float = TIMEOUT, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An httpx client with TLS verification, redirects followed and our User-Agent."""
    import httpx

    return httpx.Client(
        timeout=timeout,
        follow_redirects=True,
        verify=True,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
    )


def env_seconds(name: str, default: float) -> float:
    """Seconds from environment variable `name` (finite, > 0), or `default` when unset or empty."""
    from tracker.config import env_seconds as read

    return read(name, default)


class Budget:
    """One deadline shared by the several fetches of one feed run (the dataset's three files, the
    API's pages): each fetch gets what is left, so a run ends in $TRACKER_HTTP_DEADLINE (or
    DEADLINE) seconds however many requests it makes."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = seconds if seconds is not None else env_seconds(DEADLINE_ENV, DEADLINE)
        self.end = time.monotonic() + self.seconds

    def left(self, url: str) -> float:
        """Seconds left for fetching `url`; SourceUnreachable when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise SourceUnreachable(
                f"{url}: not fetched: the {_secs(self.seconds)} s for all of this feed's requests ran out"
            )
        return left


class _Transient(Exception):
    """A failure worth another attempt; `cause` words it for the final message."""

    def __init__(self, cause: str, retry_after: float | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    """The bounds of a fetch besides its whole deadline: the wait before retry n is `backoff *
    2**n` seconds (or what `Retry-After` asks), at most `max_backoff`; `max_bytes` of body;
    `timeout` (default $TRACKER_HTTP_TIMEOUT or TIMEOUT) for each connect and read;
    `attempt_deadline` for one whole attempt."""

    backoff: float = 1.0
    max_backoff: float = 60.0
    max_bytes: int = MAX_BYTES
    timeout: float | None = None
    attempt_deadline: float = ATTEMPT_DEADLINE


DEFAULT_LIMITS = Limits()


def fetch(
    url: str,
    *,
    client: httpx.Client | None = None,
    role: str = "data",
    retries: int = 3,
    deadline: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    limits: Limits = DEFAULT_LIMITS,
) -> Fetched:
    """GET `url` and return its body, retrying connection errors, timeouts, 5xx and 429 up to
    `retries` times, waiting with `sleep` as `limits` say. Other HTTP errors fail at once.
    `deadline` (default $TRACKER_HTTP_DEADLINE or DEADLINE) bounds the whole fetch: no retry
    starts that could not finish in time. A `user:password@` in the URL is sent, and hidden
    (`***@`) in what is returned, raised and logged.
    """
    if redact_userinfo(url) == url:
        return _fetch(url, client, role, retries, deadline, sleep, limits)
    try:  # a user:password@ is sent, never shown or stored
        found = _fetch(url, client, role, retries, deadline, sleep, limits)
    except (SourceUnreachable, BadPayload) as exc:
        raise type(exc)(redact_userinfo(str(exc))) from None
    final = found.final_location
    return dataclasses.replace(
        found, location=redact_userinfo(found.location), final_location=final and redact_userinfo(final)
    )


def _fetch(
    url: str,
    client: httpx.Client | None,
    role: str,
    retries: int,
    deadline: float | None,
    sleep: Callable[[float], None],
    limits: Limits,
) -> Fetched:
    """`fetch` without hiding a user:password@ (its caller does)."""
    timeout = limits.timeout
    read_timeout = _positive("timeout", timeout) if timeout is not None else env_seconds(TIMEOUT_ENV, TIMEOUT)
    total = _positive("deadline", deadline) if deadline is not None else env_seconds(DEADLINE_ENV, DEADLINE)
    _positive("attempt_deadline", limits.attempt_deadline)
    get = _Get(max(0, retries) + 1, url, role, limits, read_timeout, total, time.monotonic() + total)
    return get.run(client, sleep)


class _Retried(Generic[T]):
    """A request made again after a failure worth another attempt (`_Transient`), with a client
    of its own unless given one: the loop a GET and a webhook's POST share. A subclass makes one
    attempt, says how long to wait before the next (or raises to stop) and logs the retry."""

    attempts: int
    timeout: float  # a client of its own waits this long to connect and for each read

    def run(self, client: httpx.Client | None, sleep: Callable[[float], None]) -> T:
        """Attempt until one succeeds, or a failure (or `wait`) raises; `sleep` between attempts."""
        with _client(client, self.timeout) as http:
            failure: _Transient | None = None
            for attempt in range(1, self.attempts + 1):
                try:
                    return self.once(http, attempt, failure)
                except _Transient as exc:
                    failure = exc
                pause = self.wait(failure, attempt)
                self.retrying(failure, pause, attempt)
                sleep(pause)
            raise AssertionError("unreachable")  # the loop returns or raises

    def once(self, http: httpx.Client, attempt: int, failure: _Transient | None) -> T:
        """Attempt number `attempt` (`failure`: the last one's, if any)."""
        raise NotImplementedError

    def wait(self, failure: _Transient, attempt: int) -> float:
        """Seconds to wait after attempt `attempt` failed, or the SourceUnreachable that ends it."""
        raise NotImplementedError

    def retrying(self, failure: _Transient, pause: float, attempt: int) -> None:
        """Log that attempt `attempt + 1` follows in `pause` seconds."""
        raise NotImplementedError


@contextmanager
def _client(client: httpx.Client | None, timeout: float) -> Iterator[httpx.Client]:
    """`client`, or one of our own (closed after) waiting `timeout` seconds for each read."""
    if client is not None:
        yield client
        return
    own = make_client(timeout=timeout)
    try:
        yield own
    finally:
        own.close()


@dataclass
class _Get(_Retried[Fetched]):
    """A GET of `url` within `total` seconds (ending at monotonic time `end`), as `fetch` says."""

    attempts: int
    url: str
    role: str
    limits: Limits
    timeout: float
    total: float
    end: float

    def once(self, http: httpx.Client, attempt: int, failure: _Transient | None) -> Fetched:
        left = self.end - time.monotonic()
        if failure is not None and left <= 0:  # the sleep overran what was left: no time for an attempt
            raise SourceUnreachable(
                f"{self.url}: no complete answer within {_secs(self.total)} s "
                f"({_tried(attempt - 1)}; last: {failure.cause})"
            )
        attempt_deadline = self.limits.attempt_deadline
        return _get_once(
            http,
            self.url,
            role=self.role,
            max_bytes=self.limits.max_bytes,
            timeout=self.timeout,
            window=min(attempt_deadline, left),
            # An attempt ends at its own deadline or the fetch's, whichever comes first.
            limit=attempt_deadline if attempt_deadline < left else None,
        )

    def wait(self, failure: _Transient, attempt: int) -> float:
        left, limits = self.end - time.monotonic(), self.limits
        return _next_wait(
            self.url, failure, attempt, self.attempts, left, self.total, limits.backoff, limits.max_backoff
        )

    def retrying(self, failure: _Transient, pause: float, attempt: int) -> None:
        log.info(
            "%s: %s; retrying in %.1fs (attempt %d of %d)",
            redact_userinfo(self.url),
            failure.cause,
            pause,
            attempt + 1,
            self.attempts,
        )


def _next_wait(
    url: str,
    failure: _Transient,
    attempt: int,
    attempts: int,
    left: float,
    total: float,
    backoff: float,
    max_backoff: float,
) -> float:
    """Seconds to wait before the next attempt, or the SourceUnreachable that ends the fetch:
    no attempts left, or no time left for the wait and another attempt."""
    tried = _tried(attempt)
    cause = failure.__cause__
    out_of_time = f"{url}: no complete answer within {_secs(total)} s ({tried}; last: {failure.cause})"
    if left <= 0:
        raise SourceUnreachable(out_of_time) from cause
    if attempt == attempts:
        raise SourceUnreachable(f"{url}: {failure.cause} after {tried}") from cause
    asked = failure.retry_after
    if asked is not None and asked >= left:
        # Retrying sooner than the server asked would only earn another refusal.
        raise SourceUnreachable(
            f"{url}: {failure.cause}; the server asked to retry after {_secs(asked)} s, "
            f"past the {_secs(total)} s deadline ({tried})"
        ) from cause
    wait = min(max(asked if asked is not None else backoff * 2 ** (attempt - 1), 0.0), max_backoff)
    if wait >= left:
        raise SourceUnreachable(out_of_time) from cause
    return wait


def _tried(attempts: int) -> str:
    return f"{attempts} attempt" + ("s" if attempts > 1 else "")


def _worth_retrying(status: int) -> bool:
    """Whether an HTTP status may turn out otherwise on a later attempt: 429 and 5xx."""
    return status == 429 or status >= 500


def _status_line(status: int) -> str:
    """An HTTP status as a message words it: "HTTP 404 Not Found". The standard reason phrase,
    not the server's: that text could hold anything."""
    import httpx

    return f"HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip()


def _get_once(
    client: httpx.Client, url: str, *, role: str, max_bytes: int, timeout: float, window: float, limit: float | None
) -> Fetched:
    """One GET that ends within `window` seconds: a Fetched, or _Transient for what may succeed on a retry.

    `limit` is the attempt's own deadline when that (not the fetch's) sets `window`, to word the cause."""
    import httpx

    watchdog = _Watchdog(window, limit)
    try:
        with (
            watchdog,
            client.stream("GET", url, timeout=min(timeout, window), extensions={"trace": watchdog.trace}) as response,
        ):
            watchdog.answered(response)
            status = response.status_code
            if _worth_retrying(status):
                retry_after = _parse_retry_after(response.headers.get("Retry-After"))
                raise _Transient(f"HTTP {status}", retry_after)
            if not response.is_success:
                raise SourceUnreachable(f"{url}: {_status_line(status)}")
            content = _read_body(url, response, max_bytes, watchdog)
            watchdog.stand_down()  # before the connection goes back to a pool, where it is no longer ours
            final = str(response.url)
            return Fetched(
                location=url,
                content=content,
                fetched_at=dt.datetime.now(dt.UTC),
                content_type=response.headers.get("Content-Type"),
                status=status,
                role=role,
                final_location=final if response.history and final != url else None,
            )
    except httpx.TimeoutException as exc:
        # A read timeout cut to the attempt's last moment is the deadline, not a slow read.
        raise _Transient(watchdog.cause() or f"timed out ({type(exc).__name__})") from exc
    except httpx.TooManyRedirects as exc:
        last = sanitize(exc.request.url)  # the request the next redirect would have made
        raise SourceUnreachable(
            f"{url}: too many redirects (more than {client.max_redirects}; the last pointed to {last})"
        ) from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
        # RemoteProtocolError here means before a response arrived (e.g. the server hung up);
        # during the body `_read_body` turns it into BadPayload.
        if watchdog.cause():
            raise _Transient(watchdog.cause()) from exc
        unverified = _certificate_error(exc)
        if unverified is not None:
            raise SourceUnreachable(
                f"{url}: TLS certificate could not be verified ({sanitize(unverified.verify_message or unverified)})"
            ) from exc
        raise _Transient(f"connection failed ({_one_line(exc)})") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise SourceUnreachable(f"{url}: {_one_line(exc)}") from exc


def _read_body(url: str, response: httpx.Response, max_bytes: int, watchdog: _Watchdog) -> bytes:
    """Stream the body, refusing more than `max_bytes` and a body shorter than announced."""
    import httpx

    too_large = f"{url}: response larger than {_size(max_bytes)} limit"
    declared = _content_length(response)
    if declared is not None and declared > max_bytes:
        raise BadPayload(too_large)
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise BadPayload(too_large)
            chunks.append(chunk)
            if watchdog.overdue():
                raise _Transient(watchdog.cause())
    except httpx.RemoteProtocolError as exc:
        if watchdog.cause():  # the watchdog hung up on a body still arriving: not the server's doing
            raise _Transient(watchdog.cause()) from exc
        raise BadPayload(f"{url}: truncated body ({_one_line(exc)})") from exc
    except httpx.DecodingError as exc:
        raise BadPayload(f"{url}: undecodable body ({_one_line(exc)})") from exc
    content = b"".join(chunks)
    # Content-Length counts bytes on the wire. A response built from bytes (as in a mock)
    # is read eagerly and counts none, so fall back to the body's own length.
    received = response.num_bytes_downloaded or len(content)
    if declared is not None and received < declared:
        raise BadPayload(f"{url}: truncated body (received {received} of {declared} bytes)")
    return content


class _Watchdog:
    """Ends one attempt after `seconds` by shutting its sockets down, which wakes a blocked read.

    Read timeouts alone cannot: a server that sends a byte now and then never trips them. The
    sockets come from httpcore's documented `trace` events (a new connection) or the response's
    `network_stream` (a pooled one).
    """

    def __init__(self, seconds: float, limit: float | None = None) -> None:
        self.limit = limit
        self.expired = False
        self._end = time.monotonic() + seconds
        self._answered = False
        self._streams: list[Any] = []
        self._done = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stand_down()

    def stand_down(self) -> None:
        """The attempt is over: never touch its sockets again."""
        with self._lock:
            self._done = True
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: watch each connection as soon as it is open."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self._watch(info.get("return_value"))

    def answered(self, response: httpx.Response) -> None:
        """The status line and headers arrived; watch the connection the body comes on."""
        self._answered = True
        self._watch(response.extensions.get("network_stream"))

    def overdue(self) -> bool:
        if not self.expired and time.monotonic() >= self._end:
            self.expired = True
        return self.expired

    def cause(self) -> str:
        """What the attempt was waiting for when its time ran out; empty while it has time."""
        if not self.overdue():
            return ""
        waiting = "body still arriving" if self._answered else "no response"
        return f"{waiting} after {_secs(self.limit)} s" if self.limit is not None else f"{waiting} at the deadline"

    def _watch(self, stream: Any) -> None:
        with self._lock:
            if stream is None or self._done:
                return
            self._streams.append(stream)
            if self.expired:
                _shut_down(stream)

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for stream in self._streams:
                _shut_down(stream)


def _shut_down(stream: Any) -> None:
    """Shut a connection's socket down for both directions (the plain socket call, for TLS too:
    it wakes a read blocked in another thread without touching the TLS state it is using)."""
    sock = stream.get_extra_info("socket")
    if isinstance(sock, socket.socket):
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


def _certificate_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind a connection error, if that is what it was."""
    seen: BaseException | None = exc
    for _ in range(10):  # httpx error <- httpcore error <- ssl error; bounded against cycles
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length", "").strip()
    return int(value) if value.isdigit() else None


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _positive(name: str, value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and greater than 0, not {value!r}")
    return value


def _secs(seconds: float) -> str:
    """Seconds for a message: '300', '0.5', '1.25'."""
    return f"{seconds:.2f}".rstrip("0").rstrip(".")


def _size(n: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"


def _one_line(exc: BaseException) -> str:
    """An exception as one line, with any control character from the server shown as an escape."""
    text = sanitize(" ".join(str(exc).split()))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


NOTIFY_TIMEOUT = 10.0  # seconds for one whole attempt of a webhook post, unless $TRACKER_HTTP_TIMEOUT says otherwise
NOTIFY_MAX_ANSWER = 64 * 1024  # bytes of a webhook's answer read (its text names a refusal); the rest is ignored


def post_json(
    url: str,
    body: bytes,
    *,
    client: httpx.Client | None = None,
    retries: int = 1,
    backoff: float = 1.0,
    timeout: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST `body` (JSON) to `url` and return the HTTP status of a 2xx answer; else
    SourceUnreachable with one line that shows only the URL's scheme and host (a webhook's path
    is its secret). Each attempt ends within `timeout` seconds (default $TRACKER_HTTP_TIMEOUT, else
    NOTIFY_TIMEOUT), however slowly the server answers; connection errors, timeouts, 5xx and 429
    are tried again `retries` times after `backoff` seconds (or the server's Retry-After, at most
    `timeout`). Redirects are not followed: a redirected POST may arrive as a GET, posting nothing."""
    limit = _positive("timeout", timeout) if timeout is not None else env_seconds(TIMEOUT_ENV, NOTIFY_TIMEOUT)
    return _Post(max(0, retries) + 1, url, webhook_label(url), body, backoff, limit).run(client, sleep)


@dataclass
class _Post(_Retried[int]):
    """A webhook's POST of `body`, as `post_json` says; only `shown` (not `url`) goes into what
    is raised or logged."""

    attempts: int
    url: str
    shown: str
    body: bytes
    backoff: float
    timeout: float  # for each attempt, whole

    def once(self, http: httpx.Client, attempt: int, failure: _Transient | None) -> int:
        import httpx

        url, shown, limit = self.url, self.shown, self.timeout
        watchdog = _Watchdog(limit, limit)
        try:
            with (
                watchdog,
                http.stream(
                    "POST",
                    url,
                    content=self.body,
                    headers={"Content-Type": "application/json; charset=utf-8"},
                    timeout=limit,
                    follow_redirects=False,
                    extensions={"trace": watchdog.trace},
                ) as response,
            ):
                watchdog.answered(response)
                answer = _short_answer(response, watchdog)
                status = response.status_code
        except httpx.TimeoutException:
            raise _Transient(watchdog.cause() or f"no answer within {_secs(limit)} s") from None
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            raise _Transient(watchdog.cause() or f"connection failed ({_one_line(exc).replace(url, shown)})") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise SourceUnreachable(f"{shown}: {_one_line(exc).replace(url, shown)}") from None
        if response.is_success:
            return status
        reason = _status_line(status) + answer
        if not _worth_retrying(status):
            raise SourceUnreachable(f"{shown}: {reason} ({_tried(attempt)})")
        raise _Transient(reason, _parse_retry_after(response.headers.get("Retry-After")))

    def wait(self, failure: _Transient, attempt: int) -> float:
        if attempt == self.attempts:
            raise SourceUnreachable(f"{self.shown}: {failure.cause} ({_tried(attempt)})")
        asked = failure.retry_after
        return min(asked, self.timeout) if asked is not None else self.backoff

    def retrying(self, failure: _Transient, pause: float, attempt: int) -> None:
        log.info("%s: %s; posting again in %.1fs", self.shown, failure.cause, pause)


def webhook_label(url: str) -> str:
    """A webhook's URL as output may show it: scheme, host and port, the rest elided
    (https://hooks.slack.com/…), since the path or query usually holds its token."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the webhook"
    return sanitize(f"{parts.scheme}://{host}{port}/…")


def _short_answer(response: httpx.Response, watchdog: _Watchdog) -> str:
    """The start of a refusal's text (': invalid_token'), one line, at most 100 characters; empty
    for a success or an answer without text."""
    if response.is_success:
        return ""
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= NOTIFY_MAX_ANSWER or watchdog.overdue():
            break
    text = " ".join(data[:NOTIFY_MAX_ANSWER].decode("utf-8", "replace").split())[:100]
    return f": {sanitize(text)}" if text else ""
