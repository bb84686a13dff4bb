"""Orc Losses (lod-db/orc-losses): a second, independent transcription of the General Staff's reports.

One JSON list of reports, newest first (`russian-losses.json`): `date` is the report date,
`sourceUri` the official mil.gov.ua / mod.gov.ua page the figures were read from, and each other
field a cumulative total named as in data/sources/orc-losses-fields.csv (a renamed field is one
more row of that file, mapped to the same metric, so it continues the same series). The file is a
full snapshot: a report missing from a later version was removed.

A null is "not reported that day": no value, no finding. A bad value is a finding and is not
stored (nor removed); a report whose date cannot be read is a finding, and the file then removes
nothing this run. The official page is stored as the report's `source_url` note; a bad address is
a finding and is not stored, the report's figures are.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tracker.domain import METRICS
from tracker.errors import BadPayload, InvalidInput, LocalFileError
from tracker.ingest.feeds.json_payload import check_location, load_json, read_local, unreadable_rows
from tracker.ingest.parsed import Fetched, ParsedPayload, ParseIssue, Scope, TotalRow, TotalsTable, keep_later
from tracker.ingest.values import MAX_BAD_SHARE, parse_iso_date, parse_json_count, show, too_broken
from tracker.store.source_registry import GENERAL_STAFF

FILE_NAME = "russian-losses.json"
LIVE_URL = f"https://raw.githubusercontent.com/lod-db/orc-losses/main/{FILE_NAME}"
FIELDS_FILE = Path(__file__).parents[2] / "_sources" / "orc-losses-fields.csv"
FIELDS_COLUMNS = ("field", "metric", "note")
DATE_FIELD = "date"
URL_FIELD = "sourceUri"
MAX_URL_LENGTH = 2_000  # far above any real page's address (the longest so far: 237 characters)


def read_fields(path: Path) -> dict[str, str]:
    """A fields file: each upstream field name to its canonical metric; ValueError naming the line
    of the first problem (a field named twice, a metric that is not canonical)."""
    fields: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != FIELDS_COLUMNS:
            raise ValueError(f"{path}: header must be {','.join(FIELDS_COLUMNS)}")
        for row in reader:
            where = f"{path} line {reader.line_num}"
            name, metric = (row["field"] or "").strip(), (row["metric"] or "").strip()
            if not name or name in fields or name in (DATE_FIELD, URL_FIELD):
                raise ValueError(f"{where}: a field must be named once, and not be {DATE_FIELD} or {URL_FIELD}")
            if metric not in METRICS:
                raise ValueError(f"{where}: metric {metric!r} is not a canonical metric (tracker.domain)")
            fields[name] = metric
    return fields


@cache
def load_fields() -> dict[str, str]:
    """The shipped mapping of Orc Losses' field names to canonical metrics."""
    return read_fields(FIELDS_FILE)


def check_source_url(raw: object) -> str:
    """An official page's address as stored: http(s) with a host, at most MAX_URL_LENGTH
    characters, no spaces, control or invisible formatting characters (a right-to-left override
    would show a reader another address than the link's); ValueError with a short reason."""
    if not isinstance(raw, str):
        raise ValueError("is not text")
    if len(raw) > MAX_URL_LENGTH:
        raise ValueError(f"longer than {MAX_URL_LENGTH:,} characters")
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in raw):
        raise ValueError("holds a space, a control or an invisible formatting character")
    try:
        parts = urlsplit(raw)
    except ValueError as exc:
        raise ValueError(f"not a URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) address with a host")
    return raw


class OrcLossesFeed:
    """Orc Losses' russian-losses.json, from the live repository, a URL, or a local file or folder."""

    name = "orc-losses"
    source = GENERAL_STAFF
    default_location = LIVE_URL

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        location = check_location(location, self.default_location)
        if location.startswith(("http://", "https://")):
            from tracker.ingest import http  # lazily: keeps httpx out of `import tracker.ingest.feeds.orc_losses`

            passed: dict[str, Any] = {
                k: options[k] for k in ("client", "retries", "sleep") if options.get(k) is not None
            }
            return [http.fetch(location, role="losses", **passed)]
        path = Path(location)
        try:
            is_dir = path.is_dir()
        except OSError as exc:
            raise LocalFileError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
        if is_dir:
            path = path / FILE_NAME
            if not os.path.lexists(path):
                raise InvalidInput(f"{path.parent}: holds no {FILE_NAME}")
        return [read_local(path, content_type="application/json", role="losses")]

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        """Totals by canonical metric and report date, each report's official page as a note, and
        findings for what could not be read; BadPayload for a file that is not a list of reports."""
        from tracker.store.notes import SOURCE_URL_KEY  # at call time: SQLAlchemy stays out of the import

        out = ParsedPayload()
        fields = load_fields()
        seen: dict[tuple[str, dt.date], TotalRow] = {}
        complete = notes_complete = True
        unreadable: set[tuple[str, dt.date]] = set()
        for item in fetched:
            document = load_json(item)
            if not isinstance(document.value, list):
                raise BadPayload(
                    f"{item.location}: expected a JSON list of reports, got {type(document.value).__name__}"
                )
            out.issues.extend(document.issues)
            read = _Reading(item.location, fields, SOURCE_URL_KEY)
            read.reports(document.value, seen, out)
            read.finish(out.issues)
            complete = complete and not read.bad_rows
            unreadable |= read.unreadable
            notes_complete = notes_complete and not read.bad_urls
        out.table = TotalsTable("russia", {}, seen)
        metrics = frozenset(fields.values()) if complete else frozenset()
        out.scope = Scope(metrics=metrics, unreadable=frozenset(unreadable))
        # A page that could not be read is not a removal of the one stored: no note is removed then.
        out.complete_kinds = frozenset({"note"}) if complete and notes_complete else frozenset()
        return out


@dataclass
class _Reading:
    """What reading one file found: its values good and bad, and the reports it could not read."""

    location: str
    fields: dict[str, str]
    note_key: str  # the key the official page is stored under (tracker.store.notes.SOURCE_URL_KEY)
    total: int = 0  # values (and unreadable reports) seen
    bad_values: list[ParseIssue] = field(default_factory=list)
    bad_urls: int = 0
    bad_rows: list[str] = field(default_factory=list)  # "report #7 (no date)"
    bad_row_values: int = 0  # values lost with those reports
    first: str = ""  # the first problem, quoted if the file is refused whole
    unreadable: set[tuple[str, dt.date]] = field(default_factory=set)
    unknown: dict[str, int] = field(default_factory=dict)

    def bad(self, report_date: dt.date, key: str, raw: object, reason: str, what: str) -> None:
        text = f"{report_date} {key!r}: bad value {show(raw)} ({reason})"
        self.first = self.first or text
        self.bad_values.append(ParseIssue("bad_value", f"{self.location} {text}; {what}", key[:200], report_date))

    def reports(self, rows: list[Any], seen: dict[tuple[str, dt.date], TotalRow], out: ParsedPayload) -> None:
        """Read every report into `seen` (totals) and `out` (notes, findings)."""
        dates: set[dt.date] = set()
        for index, row in enumerate(rows, start=1):
            report_date = self._date(index, row)
            if report_date is None:
                continue
            if report_date in dates:
                out.issues.append(
                    ParseIssue(
                        "duplicate_date",
                        f"{self.location}: report {report_date} appears more than once; kept the later",
                        None,
                        report_date,
                    )
                )
            dates.add(report_date)
            for key, raw in row.items():
                if key == DATE_FIELD:
                    continue
                if key == URL_FIELD:
                    self._url(report_date, raw, out)
                    continue
                metric = self.fields.get(key)
                if metric is None:
                    self.unknown[key] = self.unknown.get(key, 0) + 1
                    continue
                if raw is None:  # not reported that day
                    continue
                self.total += 1
                try:
                    value = parse_json_count(raw)
                except ValueError as exc:
                    self.bad(report_date, key, raw, str(exc), "not stored, and no stored value is removed for it")
                    self.unreadable.add((metric, report_date))
                    continue
                total: TotalRow = (value, None)
                previous = seen.setdefault((metric, report_date), total)
                if previous is not total:
                    keep_later(seen, metric, report_date, previous, total, out.issues)

    def _date(self, index: int, row: object) -> dt.date | None:
        """A report's date, or None (counted as a bad row) when it has none that can be read."""
        if not isinstance(row, dict):
            self.total += 1
            self.bad_row_values += 1
            self.bad_rows.append(f"report #{index} ({type(row).__name__} {show(row, 30)}, not an object)")
            self.first = self.first or self.bad_rows[-1]
            return None
        raw = row.get(DATE_FIELD)
        try:
            return parse_iso_date(raw)
        except ValueError as exc:
            lost = max(1, sum(1 for k in row if k in self.fields))
            self.total += lost
            self.bad_row_values += lost
            what = "no date" if DATE_FIELD not in row else f"date {show(raw, 30)}: {exc}"
            self.bad_rows.append(f"report #{index} ({what})")
            self.first = self.first or self.bad_rows[-1]
            return None

    def _url(self, report_date: dt.date, raw: object, out: ParsedPayload) -> None:
        if raw is None:
            return
        try:
            out.notes[(self.note_key, report_date)] = check_source_url(raw)
        except ValueError as exc:
            self.bad_urls += 1
            out.notes.pop((self.note_key, report_date), None)
            self.bad(report_date, URL_FIELD, raw, str(exc), "the official page is not stored; the figures are")

    def finish(self, issues: list[ParseIssue]) -> None:
        """Refuse a file mostly bad; otherwise add its findings to `issues`."""
        bad = len(self.bad_values) - self.bad_urls + self.bad_row_values
        if too_broken(bad, self.total):
            raise BadPayload(
                f"{self.location}: {bad:,} of {self.total:,} values unreadable (more than "
                f"{MAX_BAD_SHARE:.0%}): not an Orc Losses file as expected, nothing stored (first: {self.first})"
            )
        issues.extend(self.bad_values)
        if self.bad_rows:
            consequence = "their values are not stored, and this file removes nothing this run"
            issues.append(unreadable_rows(self.location, self.bad_rows, consequence))
        for key, count in self.unknown.items():
            issues.append(
                ParseIssue(
                    "unknown_metric",
                    f"unknown field {show(key)} in {count} report(s) of {self.location}: not stored as a series "
                    "(a new name of a known category is a row of data/sources/orc-losses-fields.csv)",
                    key[:200],
                )
            )
