"""A plain CSV a person can write: report_date,metric,value[,qualifier].

Additive: rows missing from a later file are not removals (a person may send one day at a time).
A bad row (wrong number of fields, a date or value that cannot be read) is a finding and the
other rows are stored; only a file that cannot be read as CSV, or is mostly bad, is refused.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tracker.errors import BadPayload, InvalidInput
from tracker.feeds.payload import csv_rows, decode_csv_text, read_local, read_row, unreadable_rows
from tracker.metrics import resolve
from tracker.payloads import Fetched, ObservationRecord, ParsedPayload, ParseIssue, keep_later
from tracker.sources import GENERAL_STAFF
from tracker.values import MAX_BAD_SHARE, parse_count, parse_iso_date, show, too_broken

if TYPE_CHECKING:
    import httpx

COLUMNS = ("report_date", "metric", "value", "qualifier")


class CsvFeed:
    """report_date,metric,value[,qualifier] rows from a local file or a URL."""

    name = "csv"
    source = GENERAL_STAFF
    default_location = ""  # a person's own data: there is no live default, --from is required

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
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
            _parse_one(item, seen, out)
        out.observations = list(seen.values())
        return out


def _parse_one(item: Fetched, seen: dict[tuple[str, dt.date], ObservationRecord], out: ParsedPayload) -> None:
    where = item.location
    reader = csv_rows(decode_csv_text(item.content, where))
    first = read_row(reader, where)
    header = [h.strip().lower() for h in first[1]] if first else []
    if header[:3] != list(COLUMNS[:3]) or len(header) > 4 or (len(header) == 4 and header[3] != "qualifier"):
        raise BadPayload(f"{where}: header must be {','.join(COLUMNS[:3])}[,qualifier], got {','.join(header)!r}")
    unknown: dict[str, int] = {}
    bad: list[ParseIssue] = []
    bad_rows: list[str] = []
    total = 0
    while (next_row := read_row(reader, where)) is not None:
        line_no, row = next_row
        if not row or all(not cell.strip() for cell in row):
            continue
        total += 1
        if len(row) < 3 or len(row) > len(header):
            bad_rows.append(f"line {line_no} has {len(row)} fields, not {len(header)}")
            continue
        raw_date, raw_metric, raw_value = (cell.strip() for cell in row[:3])
        try:
            report_date = parse_iso_date(raw_date)
        except ValueError as exc:
            bad_rows.append(f"line {line_no} date {show(raw_date)}: {exc}")
            continue
        try:
            metric = resolve(raw_metric).name
        except KeyError:
            unknown[raw_metric] = unknown.get(raw_metric, 0) + 1
            continue
        try:
            value = parse_count(raw_value)
        except ValueError as exc:
            message = f"{where} line {line_no} {report_date} {raw_metric!r}: bad value {show(raw_value)} ({exc})"
            bad.append(ParseIssue("bad_value", message + "; not stored", metric, report_date))
            continue
        qualifier = row[3].strip() or None if len(row) > 3 else None
        keep_later(seen, ObservationRecord(metric, report_date, value, qualifier), out.issues)
    if too_broken(len(bad) + len(bad_rows), total):
        example = bad_rows[0] if bad_rows else bad[0].message.removeprefix(where + " ")
        raise BadPayload(
            f"{where}: {len(bad) + len(bad_rows):,} of {total:,} rows unreadable (more than {MAX_BAD_SHARE:.0%}): "
            f"not the CSV expected, nothing stored (first: {example})"
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
