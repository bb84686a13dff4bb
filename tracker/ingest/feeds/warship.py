"""The russianwarship.rip API v2: General Staff totals with the reported daily increase.

Answers `{"message": ..., "data": {"records": [...], "paging": {"next_url": ...}}}` for a date
range, or `{"data": {record}}` for a single day; each record carries `date`, `stats` (totals)
and `increase` (the reported 24-hour change), keyed as in `tracker.domain.WARSHIP_KEYS`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin

from tracker.domain import WARSHIP_KEYS
from tracker.errors import BadPayload, InvalidInput
from tracker.ingest.feeds.json_payload import (
    JsonDocument,
    check_location,
    decode_json_bytes,
    read_local,
    strict_loads,
    unreadable_rows,
)
from tracker.ingest.parsed import Fetched, ObservationRecord, ParsedPayload, ParseIssue, Scope
from tracker.ingest.values import MAX_BAD_SHARE, parse_iso_date, parse_json_count, show, too_broken
from tracker.store.source_registry import GENERAL_STAFF

if TYPE_CHECKING:
    import httpx

PAGE_LIMIT = 50


class WarshipFeed:
    """Fetch and parse the russianwarship.rip API v2 (or saved copies of its answers)."""

    name = "russianwarship-api"
    source = GENERAL_STAFF
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
        location = check_location(location, self.default_location)
        if not location.startswith(("http://", "https://")):
            return _read_local(Path(location))
        if date_from and date_to and date_from > date_to:
            raise InvalidInput(f"date_from {date_from} is after date_to {date_to}")

        from tracker.ingest import http  # lazily: keeps httpx out of `import tracker.ingest.feeds.warship`

        base = location.rstrip("/")
        own_client = client is None
        client = client if client is not None else http.make_client()
        budget = http.Budget()
        try:
            if date_from is None and date_to is None:
                latest = f"{base}/statistics/latest"
                page = http.fetch(latest, client=client, role="statistics", deadline=budget.left(latest))
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
                page = http.fetch(url, client=client, role="statistics", deadline=budget.left(url))
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

        Unknown keys, conflicting duplicates and unreadable values or records become
        ParseIssues (what they held is not stored and not removed); a page that cannot be read
        as a whole, or is mostly bad, raises a one-line BadPayload naming the location.
        """
        if not fetched:
            raise BadPayload("russianwarship.rip: nothing to parse (no pages fetched)")
        found = _Found()
        for item in fetched:
            document = _load(item)
            found.issues.extend(document.issues)
            page = _Page(item.location)
            for record in _records(item, document.value):
                read = page.record(record)
                if read is not None:
                    found.take(item.location, *read)
            page.finish(found.issues)
            found.undated = found.undated or page.undated
            found.dates_lost |= page.dates_lost
        found.name_unknown_keys()
        return found.payload()


@dataclass
class _Found:
    """What the pages of one run hold: one observation per metric and date (the last page's,
    a conflicting duplicate a finding), the keys no metric has, and what could not be read."""

    kept: dict[tuple[str, dt.date], tuple[ObservationRecord, str]] = field(default_factory=dict)
    issues: list[ParseIssue] = field(default_factory=list)
    unknown: dict[str, list[dt.date]] = field(default_factory=dict)
    unreadable: set[tuple[str, dt.date]] = field(default_factory=set)
    dates_lost: set[dt.date] = field(default_factory=set)  # a record of this date could not be read at all
    undated: bool = False  # a record whose date could not be read: no removals this run

    def take(self, where: str, date: dt.date, stats: dict[str, int | None], increase: dict[str, int]) -> None:
        """Keep a record's totals (read on the page at `where`) as observations of their metrics."""
        for key, value in stats.items():
            metric = WARSHIP_KEYS.get(key)
            if metric is None:
                self.unknown.setdefault(key, []).append(date)
                continue
            if value is None:
                self.unreadable.add((metric, date))
                continue
            obs = ObservationRecord(metric, date, value, reported_increase=increase.get(key))
            previous = self.kept.get((metric, date))
            if previous and previous[0] != obs:
                self.issues.append(_conflict(previous, (obs, where)))
            self.kept[(metric, date)] = (obs, where)

    def name_unknown_keys(self) -> None:
        """A finding for each key that is not a known metric, with how many values it had and when."""
        for key, dates in self.unknown.items():
            span = f"{min(dates)}" if min(dates) == max(dates) else f"{min(dates)}..{max(dates)}"
            self.issues.append(
                ParseIssue(
                    rule="unknown_metric",
                    message=f"russianwarship.rip key {key!r} is not a known metric; its values "
                    f"({len(dates)} on {span}) were not stored",
                    metric=key,
                )
            )

    def payload(self) -> ParsedPayload:
        """The observations, findings and scope: the run compares the dates its records span, and
        the metrics they hold (none when a record's date was unreadable, so nothing is removed)."""
        observations = [obs for obs, _ in self.kept.values()]
        dates = [obs.report_date for obs in observations] + [d for _, d in self.unreadable] + list(self.dates_lost)
        metrics = frozenset(obs.metric for obs in observations) | {m for m, _ in self.unreadable}
        unreadable = self.unreadable | {(m, d) for m in metrics for d in self.dates_lost}
        scope = Scope(
            metrics=frozenset() if self.undated else metrics,
            date_from=min(dates, default=None),
            date_to=max(dates, default=None),
            unreadable=frozenset(unreadable),
        )
        return ParsedPayload(observations=observations, issues=self.issues, scope=scope)


def _read_local(path: Path) -> list[Fetched]:
    """A saved answer, or a folder of them (`*.json`, in name order), as Fetched."""
    if path.is_dir():
        # Every *.json entry is read, so one that cannot be (a folder, a broken link) is an
        # error naming it rather than a page silently left out.
        files = sorted(path.glob("*.json"))
        if not files:
            raise InvalidInput(f"{path}: no *.json files in this folder")
    elif os.path.lexists(path):
        files = [path]
    else:
        raise InvalidInput(f"{path}: no such file or folder (and not an http(s) URL)")
    return [read_local(p, content_type="application/json", role="statistics") for p in files]


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


def _load(item: Fetched) -> JsonDocument:
    """The decoded JSON document, or a BadPayload saying what the bytes look like instead."""
    where = item.location
    if not item.content.strip():
        raise BadPayload(f"{where}: empty body")
    try:
        text = decode_json_bytes(item.content, where)
    except BadPayload:
        raise BadPayload(f"{where}: expected JSON, got binary data (starts with {item.content[:16]!r})") from None
    try:
        return strict_loads(text, where)
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


def _records(item: Fetched, doc: Any) -> list[Any]:
    """The records of a paged answer, or the one record of a single-day answer."""
    where = item.location
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


class _Page:
    """Reads the records of one page, keeping what could not be read as findings."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.total = 0  # values (and unreadable records) seen
        self.first = ""  # the first problem, quoted when the page is refused whole
        self.lost: list[str] = []  # records that could not be read at all
        self.bad_units = 0
        self.values: list[ParseIssue] = []
        self.undated = False
        self.dates_lost: set[dt.date] = set()

    def record(self, record: Any) -> tuple[dt.date, dict[str, int | None], dict[str, int]] | None:
        """A record's date, totals (None where unreadable) and increases; None if it is unreadable."""
        if not isinstance(record, dict):
            self._lost(f"wrong shape: a record is {_kind(record)}, not an object", None, 1)
            return None
        raw_date = record.get("date")
        stats, increase = record.get("stats"), record.get("increase") or {}
        size = len(stats) if isinstance(stats, dict) else 1
        if raw_date is None:
            self._lost("wrong shape: a record has no 'date'", None, size)
            return None
        try:
            date = parse_iso_date(raw_date)
        except ValueError as exc:
            self._lost(f"malformed date {show(raw_date)} (expected YYYY-MM-DD: {exc})", None, size)
            return None
        for name, value in (("stats", stats), ("increase", increase)):
            if not isinstance(value, dict):
                self._lost(f"record {date}: wrong shape: '{name}' is {_kind(value)}, not an object", date, size)
                return None
        assert isinstance(stats, dict) and isinstance(increase, dict)
        totals: dict[str, int | None] = {}
        increases: dict[str, int] = {}
        for key, raw in stats.items():
            self.total += 1
            totals[key] = None  # until both the total and its increase are read
            try:
                total = parse_json_count(raw)
            except ValueError as exc:
                self._bad_value(date, f"stats.{key}", raw, str(exc))
                continue
            if key in increase:
                # The increase may be absent, and may be negative after a correction.
                try:
                    increases[key] = parse_json_count(increase[key], signed=True)
                except ValueError as exc:
                    self._bad_value(date, f"increase.{key}", increase[key], str(exc))
                    continue
            totals[key] = total
        return date, totals, increases

    def _bad_value(self, date: dt.date, field: str, value: object, reason: str) -> None:
        text = f"record {date}: {field}: bad value {show(value)} ({reason})"
        self.first = self.first or text
        self.bad_units += 1
        key = field.split(".", 1)[1]
        self.values.append(
            ParseIssue(
                "bad_value",
                f"{self.where}: {text}; not stored, and no stored value is removed for it",
                WARSHIP_KEYS.get(key, key[:200]),
                date,
            )
        )

    def _lost(self, text: str, date: dt.date | None, size: int) -> None:
        """Count a record that could not be read (`size` values lost with it)."""
        self.total += size
        self.bad_units += size
        self.first = self.first or text
        self.lost.append(text)
        if date is None:
            self.undated = True
        else:
            self.dates_lost.add(date)

    def finish(self, issues: list[ParseIssue]) -> None:
        """Refuse a page mostly bad; otherwise add its findings to `issues`."""
        if too_broken(self.bad_units, self.total):
            raise BadPayload(
                f"{self.where}: {self.bad_units:,} of {self.total:,} values unreadable (more than "
                f"{MAX_BAD_SHARE:.0%}), nothing stored; first: {self.first}"
            )
        issues.extend(self.values)
        if self.lost:
            consequence = (
                "nothing is removed this run"
                if self.undated
                else "their values are not stored, and nothing stored for their dates is removed"
            )
            issues.append(unreadable_rows(self.where, self.lost, consequence))


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


def date_range(date_from: dt.date | None, date_to: dt.date | None) -> dict[str, object]:
    """The fetch options of a range of report dates: --since alone runs to today (Kyiv);
    InvalidInput for --until without --since, or --since after --until."""
    from tracker.domain import kyiv_today

    if date_from and not date_to:
        date_to = kyiv_today()
    if date_to and not date_from:
        raise InvalidInput("--until needs --since")
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(f"--since {date_from} is after --until {date_to}")
    return {"date_from": date_from, "date_to": date_to}
