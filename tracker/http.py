"""The one place that does HTTP: a configured client and a GET with bounded retries.

Feeds call `fetch` and get the raw bytes as a `Fetched`, or a one-line `SourceUnreachable`
(network, timeouts, HTTP errors) or `BadPayload` (a truncated or oversized body).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import time
from collections.abc import Callable

import httpx

from tracker import __version__
from tracker.errors import BadPayload, SourceUnreachable
from tracker.records import Fetched

USER_AGENT = f"tracker/{__version__} (casualty-claims tracker)"

log = logging.getLogger("tracker.http")


def make_client(*, timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An httpx client with TLS verification, redirects followed and our User-Agent."""
    return httpx.Client(
        timeout=timeout,
        follow_redirects=True,
        verify=True,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
    )


class _Transient(Exception):
    """A failure worth another attempt; `cause` words it for the final message."""

    def __init__(self, cause: str, retry_after: float | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after


def fetch(
    url: str,
    *,
    client: httpx.Client | None = None,
    role: str = "data",
    retries: int = 3,
    backoff: float = 1.0,
    max_backoff: float = 60.0,
    max_bytes: int = 64 * 2**20,
    sleep: Callable[[float], None] = time.sleep,
) -> Fetched:
    """GET `url` and return its body, retrying connection errors, timeouts, 5xx and 429.

    Waits `backoff * 2**n` seconds between attempts, or what `Retry-After` asks, at most
    `max_backoff`. Other HTTP errors fail at once.
    """
    own_client = client is None
    http = client if client is not None else make_client()
    attempts = max(0, retries) + 1
    try:
        for attempt in range(1, attempts + 1):
            try:
                return _get_once(http, url, role=role, max_bytes=max_bytes)
            except _Transient as exc:
                if attempt == attempts:
                    tried = f"{attempts} attempt" + ("s" if attempts > 1 else "")
                    raise SourceUnreachable(f"{url}: {exc.cause} after {tried}") from exc.__cause__
                wait = exc.retry_after if exc.retry_after is not None else backoff * 2 ** (attempt - 1)
                wait = min(max(wait, 0.0), max_backoff)
                log.info("%s: %s; retrying in %.1fs (attempt %d of %d)", url, exc.cause, wait, attempt + 1, attempts)
                sleep(wait)
        raise AssertionError("unreachable")  # the loop returns or raises
    finally:
        if own_client:
            http.close()


def _get_once(client: httpx.Client, url: str, *, role: str, max_bytes: int) -> Fetched:
    """One GET: a Fetched, or _Transient for what may succeed on a retry."""
    try:
        with client.stream("GET", url) as response:
            status = response.status_code
            if status == 429 or status >= 500:
                retry_after = _parse_retry_after(response.headers.get("Retry-After"))
                raise _Transient(f"HTTP {status}", retry_after)
            if not response.is_success:
                raise SourceUnreachable(f"{url}: HTTP {status} {response.reason_phrase}".rstrip())
            content = _read_body(url, response, max_bytes)
            return Fetched(
                location=url,
                content=content,
                fetched_at=dt.datetime.now(dt.UTC),
                content_type=response.headers.get("Content-Type"),
                status=status,
                role=role,
            )
    except httpx.TimeoutException as exc:
        raise _Transient(f"timed out ({type(exc).__name__})") from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
        # RemoteProtocolError here means before a response arrived (e.g. the server hung up);
        # during the body `_read_body` turns it into BadPayload.
        raise _Transient(f"connection failed ({_one_line(exc)})") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise SourceUnreachable(f"{url}: {_one_line(exc)}") from exc


def _read_body(url: str, response: httpx.Response, max_bytes: int) -> bytes:
    """Stream the body, refusing more than `max_bytes` and a body shorter than announced."""
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
    except httpx.RemoteProtocolError as exc:
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


def _size(n: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
