"""A plain CSV a person can write: report_date,metric,value[,qualifier].

Additive: rows missing from a later file are not removals (a person may send one day at a time).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from tracker.errors import BadPayload, InvalidInput
from tracker.feeds.payload import describe
from tracker.metrics import resolve
from tracker.records import Fetched, ObservationRecord, ParsedPayload, ParseIssue, keep_later

COLUMNS = ("report_date", "metric", "value", "qualifier")


class CsvFeed:
    """report_date,metric,value[,qualifier] rows from a local file or a URL."""

    name = "csv"
    source = "ua-general-staff"
    default_location = ""  # a person's own data: there is no live default, --from is required

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        if not location:
            raise InvalidInput("the csv feed needs --from PATH or URL")
        if location.startswith(("http://", "https://")):
            from tracker import http

            return [http.fetch(location, client=options.get("client"), role="csv")]  # type: ignore[arg-type]
        path = Path(location)
        if not path.is_file():
            raise InvalidInput(f"{path}: no such file")
        return [Fetched(str(path), path.read_bytes(), dt.datetime.now(dt.UTC), "text/csv", None, "csv")]

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        out = ParsedPayload()
        seen: dict[tuple[str, dt.date], ObservationRecord] = {}
        for item in fetched:
            _parse_one(item, seen, out)
        out.observations = list(seen.values())
        return out


def _parse_one(item: Fetched, seen: dict, out: ParsedPayload) -> None:
    where = item.location
    try:
        text = item.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadPayload(f"{where}: not UTF-8 text") from None
    if not text.strip():
        raise BadPayload(f"{where}: empty file")
    if text.lstrip().startswith("<"):
        raise BadPayload(f"{where}: expected CSV, got {describe(item.content)}")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader)]
    if header[:3] != list(COLUMNS[:3]) or len(header) > 4 or (len(header) == 4 and header[3] != "qualifier"):
        raise BadPayload(f"{where}: header must be {','.join(COLUMNS[:3])}[,qualifier], got {','.join(header)!r}")
    unknown: dict[str, int] = {}
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < 3 or len(row) > len(header):
            raise BadPayload(f"{where} line {line_no}: expected {len(header)} fields, got {len(row)}")
        raw_date, raw_metric, raw_value = (cell.strip() for cell in row[:3])
        try:
            report_date = dt.date.fromisoformat(raw_date)
        except ValueError:
            raise BadPayload(f"{where} line {line_no}: malformed date {raw_date!r}") from None
        try:
            value = int(raw_value)
        except ValueError:
            raise BadPayload(f"{where} line {line_no}: value {raw_value!r} is not a whole number") from None
        if value < 0:
            raise BadPayload(f"{where} line {line_no}: negative total {value}")
        try:
            metric = resolve(raw_metric).name
        except KeyError:
            unknown[raw_metric] = unknown.get(raw_metric, 0) + 1
            continue
        qualifier = row[3].strip() or None if len(row) > 3 else None
        keep_later(seen, ObservationRecord(metric, report_date, value, qualifier), out.issues)
    for key, count in unknown.items():
        out.issues.append(
            ParseIssue(
                "unknown_metric", f"unknown metric {key[:80]!r} in {count} row(s) of {where}: not stored", key[:200]
            )
        )
