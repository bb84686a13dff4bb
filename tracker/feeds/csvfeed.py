"""A plain CSV a person can write: report_date,metric,value[,qualifier][,source].

Additive: rows missing from a later file are not removals (a person may send one day at a time).
A bad row (wrong number of fields, a date or value that cannot be read) is a finding and the
other rows are stored; only a file that cannot be read as CSV, or is mostly bad, is refused.

A `source` column lets one file carry several sources: `tracker ingest csv` then makes one run
per source, each reading only its own rows (a blank cell is the run's --source). What the rows
count (`definition`) and whose losses they are (`side`) come from the run's `CsvReading`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tracker.errors import BadPayload, InvalidInput
from tracker.feeds.payload import csv_rows, decode_csv_text, read_local, read_row, unreadable_rows
from tracker.metrics import METRICS, resolve
from tracker.payloads import Fetched, ObservationRecord, ParsedPayload, ParseIssue, keep_later
from tracker.sources import DEFINITIONS, GENERAL_STAFF
from tracker.values import MAX_BAD_SHARE, parse_count, parse_iso_date, show, too_broken

if TYPE_CHECKING:
    import httpx

COLUMNS = ("report_date", "metric", "value", "qualifier")
OPTIONAL_COLUMNS = ("qualifier", "source")
# A source key: what `--source`, a `source` cell and `tracker sources add` accept.
SOURCE_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
# The archived record of how a run read the file (see CsvReading.as_fetched).
READING_ROLE = "csv-reading"


@dataclass(frozen=True)
class CsvReading:
    """How one run reads the file: whose rows it takes, and what they count.

    `source` owns the rows whose `source` cell names it; with `blank` it also owns the rows
    with a blank cell (it is the run's --source) and reports the rows no source can own (a bad
    source key, a wrong number of fields). `side` is whose losses the rows count; `definition`
    what they count, for rows of metrics of its kind (None: the source's default).
    """

    source: str = GENERAL_STAFF
    blank: bool = True
    side: str = "russia"
    definition: str | None = None

    @property
    def plain(self) -> bool:
        """Whether the bytes alone say how to read the file (as before sources were data)."""
        return self.blank and self.side == "russia" and self.definition is None

    def applies_to(self, metric: str) -> str | None:
        """The definition to store with a row of `metric`: ours when it is of the metric's kind."""
        own = DEFINITIONS.get(self.definition or "")
        return own.key if own is not None and own.kind == METRICS[metric].kind else None

    def as_fetched(self) -> Fetched:
        """The reading as a small archived item: the raw archive then says how its bytes were read,
        and a run that reads the same bytes differently is not taken for an unchanged repeat."""
        content = json.dumps(asdict(self), sort_keys=True).encode()
        return Fetched(
            "tracker ingest csv options", content, dt.datetime.now(dt.UTC), "application/json", None, READING_ROLE
        )


@dataclass
class CsvFeed:
    """report_date,metric,value[,qualifier][,source] rows from a local file or a URL.

    `prefetched` (what `tracker ingest csv` read once for all of a file's sources) is returned
    by fetch instead of reading again; an exception there is raised by fetch, so the run that
    meets it records it as a failed run.
    """

    reading: CsvReading = field(default_factory=CsvReading)
    prefetched: list[Fetched] | Exception | None = None
    source: str = field(init=False)  # whose rows: the reading's source
    name = "csv"
    default_location = ""  # a person's own data: there is no live default, --from is required

    def __post_init__(self) -> None:
        self.source = self.reading.source

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        if isinstance(self.prefetched, Exception):
            raise self.prefetched
        fetched = self.prefetched if self.prefetched is not None else self._read(location, options)
        return fetched if self.reading.plain else [*fetched, self.reading.as_fetched()]

    @staticmethod
    def _read(location: str | None, options: dict[str, object]) -> list[Fetched]:
        if location is not None and not location.strip():
            raise InvalidInput("an empty --from: give a path or URL")
        if not location:
            raise InvalidInput("the csv feed needs --from PATH or URL")
        if location.startswith(("http://", "https://")):
            from tracker import http

            client = cast("httpx.Client | None", options.get("client"))  # the Feed protocol passes options untyped
            return [http.fetch(location, client=client, role="csv")]
        return [read_local(Path(location), content_type="text/csv", role="csv")]

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        out = ParsedPayload()
        seen: dict[tuple[str, dt.date], ObservationRecord] = {}
        for item in fetched:
            if item.role != READING_ROLE:
                _parse_one(item, self.reading, seen, out)
        out.observations = list(seen.values())
        return out


def sources_in(fetched: list[Fetched], default: str) -> list[str] | None:
    """The sources a file's rows belong to, `default` (for blank cells and rows no source can
    own) first when it has any; None for a file without a `source` column (all rows are the
    default's). Raises BadPayload for a file that cannot be read as this CSV at all."""
    keys: set[str] = set()
    orphans = False
    for item in fetched:
        reader = csv_rows(decode_csv_text(item.content, item.location))
        columns = _columns(reader, item.location)
        if "source" not in columns:
            return None
        while (next_row := read_row(reader, item.location)) is not None:
            _line, row = next_row
            if not row or all(not cell.strip() for cell in row):
                continue
            owner = _owner(row, columns)
            if owner is None or len(row) < 3 or len(row) > len(columns):
                orphans = True
            else:
                keys.add(owner or default)
    first = [default] if default in keys or orphans else []
    return first + sorted(keys - {default})


def _columns(reader: object, where: str) -> dict[str, int]:
    """Column positions from the header row; BadPayload naming the header it got otherwise."""
    first = read_row(reader, where)
    header = [h.strip().lower() for h in first[1]] if first else []
    extra = header[3:]
    if header[:3] != list(COLUMNS[:3]) or len(set(extra)) != len(extra) or not set(extra) <= set(OPTIONAL_COLUMNS):
        raise BadPayload(
            f"{where}: header must be {','.join(COLUMNS[:3])}[,qualifier][,source], got {','.join(header)!r}"
        )
    return {name: i for i, name in enumerate(header)}


def _owner(row: list[str], columns: dict[str, int]) -> str | None:
    """Whose row it is: its source cell ("" when blank or absent: the run's --source), None for a
    cell that is not a source key."""
    at = columns.get("source")
    cell = row[at].strip() if at is not None and at < len(row) else ""
    return cell if not cell or SOURCE_KEY.fullmatch(cell) else None


def _is_ours(owner: str | None, columns: dict[str, int], reading: CsvReading) -> bool:
    """Whether a row is this run's: every row of a file without a source column; else the rows
    naming its source, and the blank ones when it is the run of --source."""
    if "source" not in columns:
        return True
    return owner == reading.source or (owner == "" and reading.blank)


def _parse_one(
    item: Fetched, reading: CsvReading, seen: dict[tuple[str, dt.date], ObservationRecord], out: ParsedPayload
) -> None:
    """The rows of `item` that are `reading.source`'s; whether the file is too broken to trust is
    judged on all of its rows, so every run of a multi-source file reaches the same verdict."""
    where = item.location
    reader = csv_rows(decode_csv_text(item.content, where))
    columns = _columns(reader, where)
    unknown: dict[str, int] = {}
    bad: list[ParseIssue] = []
    bad_rows: list[str] = []
    n_bad = total = 0
    while (next_row := read_row(reader, where)) is not None:
        line_no, row = next_row
        if not row or all(not cell.strip() for cell in row):
            continue
        total += 1
        owner = _owner(row, columns)
        ours = _is_ours(owner, columns, reading)
        if len(row) < 3 or len(row) > len(columns):
            n_bad += 1
            if ours or reading.blank:  # a row whose fields cannot be told apart has no trusted source
                bad_rows.append(f"line {line_no} has {len(row)} fields, not {len(columns)}")
            continue
        if owner is None:
            n_bad += 1
            if reading.blank:
                cell = row[columns["source"]].strip()
                bad_rows.append(f"line {line_no} source {show(cell)}: not a source key (a-z, 0-9, '.', '_', '-')")
            continue
        raw_date, raw_metric, raw_value = (cell.strip() for cell in row[:3])
        try:
            report_date = parse_iso_date(raw_date)
        except ValueError as exc:
            n_bad += 1
            if ours:
                bad_rows.append(f"line {line_no} date {show(raw_date)}: {exc}")
            continue
        try:
            metric = resolve(raw_metric).name
        except KeyError:
            if ours:
                unknown[raw_metric] = unknown.get(raw_metric, 0) + 1
            continue
        try:
            value = parse_count(raw_value)
        except ValueError as exc:
            n_bad += 1
            if ours:
                message = f"{where} line {line_no} {report_date} {raw_metric!r}: bad value {show(raw_value)} ({exc})"
                bad.append(ParseIssue("bad_value", message + "; not stored", metric, report_date))
            continue
        if not ours:
            continue
        at = columns.get("qualifier")
        qualifier = row[at].strip() or None if at is not None and at < len(row) else None
        record = ObservationRecord(
            metric, report_date, value, qualifier, side=reading.side, definition=reading.applies_to(metric)
        )
        keep_later(seen, record, out.issues)
    if too_broken(n_bad, total):
        example = bad_rows[0] if bad_rows else (bad[0].message.removeprefix(where + " ") if bad else "")
        raise BadPayload(
            f"{where}: {n_bad:,} of {total:,} rows unreadable (more than {MAX_BAD_SHARE:.0%}): "
            f"not the CSV expected, nothing stored" + (f" (first: {example})" if example else "")
        )
    out.issues.extend(bad)
    if bad_rows:
        out.issues.append(unreadable_rows(where, bad_rows, "not stored"))
    for key, count in unknown.items():
        out.issues.append(
            ParseIssue(
                "unknown_metric", f"unknown metric {key[:80]!r} in {count} row(s) of {where}: not stored", key[:200]
            )
        )
