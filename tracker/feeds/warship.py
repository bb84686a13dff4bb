"""The russianwarship.rip API v2: General Staff totals with the reported daily increase.

Answers `{"message": ..., "data": {"records": [...], "paging": {"next_url": ...}}}` for a date
range, or `{"data": {record}}` for a single day; each record carries `date`, `stats` (totals)
and `increase` (the reported 24-hour change), keyed as in `tracker.metrics.WARSHIP_KEYS`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin

from tracker.errors import BadPayload, InvalidInput
from tracker.metrics import WARSHIP_KEYS
from tracker.records import Fetched, ObservationRecord, ParsedPayload, ParseIssue, Scope

if TYPE_CHECKING:
    import httpx

PAGE_LIMIT = 50
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class WarshipFeed:
    """Fetch and parse the russianwarship.rip API v2 (or saved copies of its answers)."""

    name = "russianwarship-api"
    source = "ua-general-staff"
    default_location = "https://russianwarship.rip/api/v2"

    def fetch(
        self,
        location: str | None = None,
        *,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        client: httpx.Client | None = None,
        max_pages: int = 500,
        progress: Callable[[int], None] | None = None,
    ) -> list[Fetched]:
        """Saved answers from a local file or folder, or the API at base URL `location`.

        Without dates asks for the latest report; with dates follows the pages of the range.
        Dates only apply to the API: a local file is read whole.
        """
        location = location or self.default_location
        if not location.startswith(("http://", "https://")):
            return _read_local(Path(location))
        if date_from and date_to and date_from > date_to:
            raise InvalidInput(f"date_from {date_from} is after date_to {date_to}")

        from tracker import http  # lazily: keeps httpx out of `import tracker.feeds.warship`

        base = location.rstrip("/")
        own_client = client is None
        client = client if client is not None else http.make_client()
        try:
            if date_from is None and date_to is None:
                page = http.fetch(f"{base}/statistics/latest", client=client, role="statistics")
                if progress:
                    progress(1)
                return [page]
            query: dict[str, str | int] = {"offset": 0, "limit": PAGE_LIMIT}
            if date_from is not None:
                query["date_from"] = date_from.isoformat()
            if date_to is not None:
                query["date_to"] = date_to.isoformat()
            url: str | None = f"{base}/statistics?{urlencode(query)}"
            pages: list[Fetched] = []
            seen: set[str] = set()
            while url is not None:
                if url in seen:
                    raise BadPayload(f"{url}: paging loops back to a page already fetched")
                if len(pages) >= max_pages:
                    raise BadPayload(f"{base}: more than {max_pages} pages; stopped at {url}")
                seen.add(url)
                page = http.fetch(url, client=client, role="statistics")
                pages.append(page)
                if progress:
                    progress(len(pages))
                url = _next_url(page)
            return pages
        finally:
            if own_client:
                client.close()

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        """Observations (total and reported increase) per metric and report date.

        Unknown keys and conflicting duplicates become ParseIssues; anything that makes the
        payload unreadable raises a one-line BadPayload naming the location and date.
        """
        if not fetched:
            raise BadPayload("russianwarship.rip: nothing to parse (no pages fetched)")
        kept: dict[tuple[str, dt.date], tuple[ObservationRecord, str]] = {}
        issues: list[ParseIssue] = []
        unknown: dict[str, list[dt.date]] = {}
        for item in fetched:
            for record in _records(item):
                date, stats, increase = _read_record(item.location, record)
                for key, value in stats.items():
                    metric = WARSHIP_KEYS.get(key)
                    if metric is None:
                        unknown.setdefault(key, []).append(date)
                        continue
                    obs = ObservationRecord(metric, date, value, reported_increase=increase.get(key))
                    previous = kept.get((metric, date))
                    if previous and previous[0] != obs:
                        issues.append(_conflict(previous, (obs, item.location)))
                    kept[(metric, date)] = (obs, item.location)
        for key, dates in unknown.items():
            span = f"{min(dates)}" if min(dates) == max(dates) else f"{min(dates)}..{max(dates)}"
            issues.append(
                ParseIssue(
                    rule="unknown_metric",
                    message=f"russianwarship.rip key {key!r} is not a known metric; its values "
                    f"({len(dates)} on {span}) were not stored",
                    metric=key,
                )
            )
        observations = [obs for obs, _ in kept.values()]
        dates = [obs.report_date for obs in observations]
        scope = Scope(
            metrics=frozenset(obs.metric for obs in observations),
            date_from=min(dates, default=None),
            date_to=max(dates, default=None),
        )
        return ParsedPayload(observations=observations, issues=issues, scope=scope)


def _read_local(path: Path) -> list[Fetched]:
    """A saved answer, or a folder of them (`*.json`, in name order), as Fetched."""
    if path.is_dir():
        files = sorted(p for p in path.glob("*.json") if p.is_file())
        if not files:
            raise InvalidInput(f"{path}: no *.json files in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise InvalidInput(f"{path}: no such file or folder (and not an http(s) URL)")
    now = dt.datetime.now(dt.UTC)
    try:
        return [
            Fetched(
                location=str(p),
                content=p.read_bytes(),
                fetched_at=now,
                content_type="application/json",
                status=None,
                role="statistics",
            )
            for p in files
        ]
    except OSError as exc:
        raise InvalidInput(f"{exc.filename}: cannot read ({exc.strerror})") from exc


def _next_url(page: Fetched) -> str | None:
    """The next page's absolute URL, or None at the end.

    A page that is not readable JSON ends the paging quietly: it is returned with the others
    so that it gets archived, and `parse` reports what is wrong with it.
    """
    try:
        data = json.loads(page.content).get("data")
        next_url = data.get("paging", {}).get("next_url")
    except (ValueError, AttributeError):
        return None
    if next_url is None or next_url == "":
        return None
    if not isinstance(next_url, str):
        raise BadPayload(f"{page.location}: paging.next_url is not a URL: {next_url!r}")
    return urljoin(page.location, next_url)


def _load(item: Fetched) -> Any:
    """The decoded JSON document, or a BadPayload saying what the bytes look like instead."""
    where = item.location
    if not item.content.strip():
        raise BadPayload(f"{where}: empty body")
    try:
        text = item.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadPayload(f"{where}: expected JSON, got binary data (starts with {item.content[:16]!r})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        stripped = text.strip()
        # An unterminated string can only end at the end of the text.
        cut_short = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        if stripped[:1] in "{[" and cut_short:
            raise BadPayload(
                f"{where}: truncated JSON (ends after {len(item.content)} bytes with {stripped[-20:]!r})"
            ) from None
        if stripped[:1] in "{[":
            raise BadPayload(f"{where}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        first_line = stripped.splitlines()[0][:40]
        raise BadPayload(f"{where}: expected JSON, got {_looks_like(stripped)} (starts with {first_line!r})") from None


def _looks_like(text: str) -> str:
    head = text[:200].lower()
    if head.startswith("<!doctype html") or "<html" in head:
        return "an HTML page"
    if head.startswith("<"):
        return "XML or markup"
    return "plain text"


def _records(item: Fetched) -> list[Any]:
    """The records of a paged answer, or the one record of a single-day answer."""
    where = item.location
    doc = _load(item)
    if not isinstance(doc, dict) or "data" not in doc:
        raise BadPayload(f"{where}: wrong shape: expected an object with 'data', got {_kind(doc)}{_message(doc)}")
    data = doc["data"]
    if not isinstance(data, dict):
        raise BadPayload(f"{where}: wrong shape: 'data' is {_kind(data)}{_message(doc)}")
    if "records" in data:
        records = data["records"]
        if not isinstance(records, list):
            raise BadPayload(f"{where}: wrong shape: data.records is {_kind(records)}")
        return records
    if "date" in data or "stats" in data:
        return [data]
    raise BadPayload(f"{where}: wrong shape: 'data' has neither 'records' nor a single record")


def _read_record(where: str, record: Any) -> tuple[dt.date, dict[str, int], dict[str, int]]:
    """Check one record: its report date, totals (integers >= 0) and reported increases."""
    if not isinstance(record, dict):
        raise BadPayload(f"{where}: wrong shape: a record is {_kind(record)}, not an object")
    raw_date = record.get("date")
    if raw_date is None:
        raise BadPayload(f"{where}: wrong shape: a record has no 'date'")
    try:
        if not isinstance(raw_date, str) or not _ISO_DATE.fullmatch(raw_date):
            raise ValueError
        date = dt.date.fromisoformat(raw_date)
    except ValueError:
        raise BadPayload(f"{where}: malformed date {raw_date!r} (expected YYYY-MM-DD)") from None
    here = f"{where}: record {date}"
    stats = _int_map(here, "stats", record.get("stats"))
    for key, value in stats.items():
        if value < 0:
            raise BadPayload(f"{here}: stats.{key} is negative ({value})")
    # The increase may be absent, and may be negative after a correction.
    increase = _int_map(here, "increase", record.get("increase") or {})
    return date, stats, increase


def _int_map(here: str, field: str, value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise BadPayload(f"{here}: wrong shape: '{field}' is {_kind(value)}, not an object")
    return {key: _as_int(f"{here}: {field}.{key}", v) for key, v in value.items()}


def _as_int(here: str, value: Any) -> int:
    """An integer as JSON can carry it (5 or 5.0); anything else is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise BadPayload(f"{here} is not an integer: {value!r}")


def _conflict(first: tuple[ObservationRecord, str], last: tuple[ObservationRecord, str]) -> ParseIssue:
    (a, a_where), (b, b_where) = first, last
    return ParseIssue(
        rule="duplicate_date",
        message=f"{b.metric} on {b.report_date} appears twice with different values: "
        f"{a.value} (increase {a.reported_increase}) in {a_where}, then "
        f"{b.value} (increase {b.reported_increase}) in {b_where}; kept the last",
        metric=b.metric,
        report_date=b.report_date,
    )


def _kind(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def _message(doc: Any) -> str:
    """The API's own `message`, when it explains an empty answer."""
    message = doc.get("message") if isinstance(doc, dict) else None
    return f" (message: {message!r})" if isinstance(message, str) and message else ""
