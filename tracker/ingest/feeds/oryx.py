"""Oryx's visually confirmed equipment losses: `totals_by_type.csv` of scarnecchia/oryx_data.

Each row is one side's cumulative count of one type, by status (destroyed, damaged, abandoned,
captured) and in total, as of the moment the file was taken: there is no date column, so a
snapshot's report date is the UTC date of its observed moment (a snapshot folder's fetch time, a
live fetch's time, or --observed-at). Types are mapped to stored metrics by
data/sources/oryx-types.csv (tracker.store.typemap); summary rows are recognised there and not stored.

Every figure is stored as published, with a finding when it looks wrong:
- a type the types file does not know is still stored, under its slug, and named in a finding;
- a value that is not a count is a finding for that (type, status), the row's others are stored;
- a total that is not the sum of its four parts is a finding, both stored as published;
- a row whose side is neither Russia nor Ukraine, whose name holds numbers without being a known
  summary row (a name the scraper split across two rows), or that repeats a type already listed
  for its side (the first is kept: Oryx lists a category once, a later heading of the same name
  is a mislabelled section) is a finding and is not stored.
A snapshot covers its own date for every type (a type missing from a later snapshot of the same
day is removed there); it never touches earlier dates.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tracker.domain import SIDES
from tracker.errors import BadPayload, InvalidInput, LocalFileError
from tracker.ingest.feeds.json_payload import (
    check_location,
    csv_rows,
    decode_csv_text,
    read_local,
    read_row,
    unreadable_rows,
)
from tracker.ingest.parsed import Fetched, ObservationRecord, ParsedPayload, ParseIssue, Scope
from tracker.ingest.values import (
    MAX_BAD_SHARE,
    MAX_METRIC_LABEL,
    MAX_METRIC_NAME,
    check_fits_reason,
    parse_count,
    show,
    too_broken,
)
from tracker.store.source_registry import ORYX
from tracker.store.typemap import TypeMap, clean, load_typemap, slug, type_metric

if TYPE_CHECKING:
    import httpx

LIVE_URL = "https://raw.githubusercontent.com/scarnecchia/oryx_data/main/totals_by_type.csv"
FILE_NAME = "totals_by_type.csv"
ROLE = "totals_by_type"
STATUSES = ("destroyed", "damaged", "abandoned", "captured")
COLUMNS = ("country", "equipment_type", *STATUSES, "type_total")
DEFINITION = "confirmed"
_DIGIT = re.compile(r"[0-9]")


def series_name(metric: str, side: str) -> str:
    """How a finding names a type's series: "oryx.tanks (ukraine)", Russia's without the side."""
    return metric if side == "russia" else f"{metric} ({side})"


class OryxFeed:
    """totals_by_type.csv from a local file, a folder holding it, or a URL (default: the live file)."""

    name = "oryx"
    source = ORYX
    default_location = LIVE_URL

    def __init__(self, observed_at: dt.datetime | None = None, typemap: TypeMap | None = None) -> None:
        # The snapshot's moment, when it is not the fetch's (a backfilled snapshot, --observed-at).
        self.observed_at = observed_at
        found = typemap or load_typemap(self.source)
        if found is None:  # the file ships with the package: its absence is a broken install
            raise RuntimeError(f"no types file for source {self.source!r}")
        self.typemap = found

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        location = check_location(location, self.default_location)
        if location.startswith(("http://", "https://")):
            from tracker.ingest import http

            passed = {k: options[k] for k in ("retries", "sleep") if options.get(k) is not None}
            client = cast("httpx.Client | None", options.get("client"))  # the Feed protocol passes options untyped
            return [http.fetch(location, client=client, role=ROLE, **cast(dict[str, Any], passed))]
        path = Path(location)
        try:
            is_dir = path.is_dir()
        except OSError as exc:  # a path we may not even look at
            raise LocalFileError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
        if is_dir:
            if not os.path.lexists(path / FILE_NAME):
                raise InvalidInput(f"{path}: holds no {FILE_NAME}")
            path = path / FILE_NAME
        elif not os.path.lexists(path):
            raise InvalidInput(f"{path}: no such file or folder")
        return [read_local(path, content_type="text/csv", role=ROLE)]

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        if len(fetched) != 1:
            raise BadPayload(f"the oryx feed reads one {FILE_NAME}, got {len(fetched)} payloads")
        item = fetched[0]
        moment = self.observed_at or item.fetched_at
        day = moment.astimezone(dt.UTC).date()
        return _Reader(item.location, day, self.typemap).read(item.content)


class _Reader:
    """One file's rows into a payload dated `day`."""

    def __init__(self, where: str, day: dt.date, typemap: TypeMap) -> None:
        self.where, self.day, self.typemap = where, day, typemap
        self.out = ParsedPayload(metric_specs=typemap.specs())
        self.values = 0  # values seen, for the share of bad ones
        self.bad_values: list[ParseIssue] = []
        self.bad_rows: list[str] = []
        self.lost = 0  # values of the bad rows
        self.unreadable: set[tuple[str, dt.date]] = set()
        self.seen: dict[tuple[str, str], int] = {}  # (metric, side) -> line of its row
        self.first = ""  # the first problem, quoted if the file is refused whole

    def read(self, content: bytes) -> ParsedPayload:
        text = decode_csv_text(content, self.where)
        reader = csv_rows(text)
        first = read_row(reader, self.where)
        header = [h.strip().lower() for h in first[1]] if first else []
        missing = [c for c in COLUMNS if c not in header]
        if missing or len(set(header)) != len(header):
            raise BadPayload(f"{self.where}: header must name {','.join(COLUMNS)}, got {show(','.join(header))}")
        at = {c: header.index(c) for c in COLUMNS}
        rows = 0
        while (next_row := read_row(reader, self.where)) is not None:
            line, row = next_row
            if not row or all(not cell.strip() for cell in row):
                continue
            rows += 1
            self._row(line, row, at, len(header))
        if not rows:
            raise BadPayload(f"{self.where}: no rows below the header: not a totals file, nothing stored")
        bad = len(self.bad_values) + self.lost
        if too_broken(bad, self.values + self.lost):
            raise BadPayload(
                f"{self.where}: {bad:,} of {self.values + self.lost:,} values unreadable (more than "
                f"{MAX_BAD_SHARE:.0%}): not the totals file expected, nothing stored (first: {self.first})"
            )
        out = self.out
        out.issues.extend(self.bad_values)
        if self.bad_rows:
            # Dated by the snapshot: each day's unreadable rows are that day's finding.
            out.issues.append(replace(unreadable_rows(self.where, self.bad_rows, "not stored"), report_date=self.day))
        out.scope = Scope(
            metrics=frozenset(out.metric_specs),
            date_from=self.day,
            date_to=self.day,
            unreadable=frozenset(self.unreadable),
        )
        return out

    def _bad_row(self, text: str, metric: str | None = None) -> None:
        self.bad_rows.append(text)
        self.first = self.first or text
        self.lost += len(COLUMNS) - 2
        if metric is not None:  # not a removal of what an earlier snapshot of the day stored
            self.unreadable.add((metric, self.day))

    def _row(self, line: int, row: list[str], at: dict[str, int], width: int) -> None:
        """One row (file line `line`): a type's counts by status and its total, for one side. A row
        that cannot be read is a finding; a total over types is skipped."""
        if len(row) != width:
            self._bad_row(f"line {line} has {len(row)} fields, not {width}")
            return
        country, name = row[at["country"]].strip(), clean(row[at["equipment_type"]])
        side = country.lower()
        if side not in SIDES:
            self._bad_row(f"line {line}: country {show(country)} is neither Russia nor Ukraine")
            return
        if not name:
            self._bad_row(f"line {line}: no equipment type")
            return
        metric = self._metric(line, name)
        if metric is None:
            return
        if (metric, side) in self.seen:
            self._bad_row(
                f"line {line}: {side} {show(name)} listed again (first on line {self.seen[(metric, side)]}), "
                f"{'/'.join(row[at[c]].strip() for c in (*STATUSES, 'type_total'))} by "
                f"{'/'.join(STATUSES)}/total"
            )
            return
        self.seen[(metric, side)] = line
        label = series_name(metric, side)
        counts = self._counts(line, label, metric, [row[at[column]] for column in (*STATUSES, "type_total")])
        for column, value in counts.items():
            kind = "total" if column == "type_total" else column
            self.out.observations.append(
                ObservationRecord(metric, self.day, value, side=side, definition=DEFINITION, kind=kind)
            )
        self._check_parts(line, label, counts)

    def _metric(self, line: int, name: str) -> str | None:
        """The series of an equipment type: the types file's, else one of its own (with a finding
        that it is unmapped); None for a total over types or a row that is not a type."""
        known = self.typemap.lookup(name)
        if known is not None and known.summary:
            return None  # a total over types (recognised by the types file), not a type
        if known is None and _DIGIT.search(name):
            # Oryx's type names are words; a name with numbers is a sentence, such as a summary
            # row the types file does not know or a name the scraper split over two rows.
            head = self.typemap.lookup(name.split("(")[0])
            self._bad_row(
                f"line {line}: {show(name)} is not a type name (it holds numbers)", head.metric if head else None
            )
            return None
        if known is not None and known.metric is not None:
            return known.metric
        metric = slug(ORYX, name)
        if len(metric) > MAX_METRIC_NAME or len(name) > MAX_METRIC_LABEL:
            # A series the store cannot name (PostgreSQL would refuse the whole snapshot).
            why = (
                f"its series name {check_fits_reason(metric, MAX_METRIC_NAME)}"
                if len(metric) > MAX_METRIC_NAME
                else f"its name {check_fits_reason(name, MAX_METRIC_LABEL)}"
            )
            self._bad_row(f"line {line}: type {show(name)} cannot be stored: {why}")
            return None
        if metric not in self.out.metric_specs:
            self._unmapped(metric, name)
        return metric

    def _unmapped(self, metric: str, name: str) -> None:
        """Name a type the types file does not know as the series `metric`, with a finding."""
        self.out.metric_specs[metric] = type_metric(metric, name)
        self.out.issues.append(
            ParseIssue(
                "unmapped_type",
                f"{self.where}: type {show(name)} is not in the Oryx types file "
                f"(data/sources/oryx-types.csv): stored as {metric}, counted toward no General Staff "
                "category until it is mapped",
                metric,
                self.day,
                severity="info",
            )
        )

    def _counts(self, line: int, label: str, metric: str, raw: list[str]) -> dict[str, int]:
        """A row's counts by status and its total (`raw`, in that order), each value that cannot
        be read a finding (not stored, its series' stored value for the day not removed)."""
        counts: dict[str, int] = {}
        for column, cell in zip((*STATUSES, "type_total"), raw, strict=True):
            self.values += 1
            try:
                counts[column] = parse_count(cell)
            except ValueError as exc:
                text = f"{self.day} {label} {column}: bad value {show(cell)} ({exc})"
                self.first = self.first or text
                self.bad_values.append(
                    ParseIssue(
                        "bad_value",
                        f"{self.where} line {line} {text}; not stored, the row's other values are",
                        label,
                        self.day,
                    )
                )
                self.unreadable.add((metric, self.day))
        return counts

    def _check_parts(self, line: int, label: str, counts: dict[str, int]) -> None:
        """A finding when a row's total is not the sum of its statuses (both are stored as published)."""
        if len(counts) == len(STATUSES) + 1 and counts["type_total"] != sum(counts[s] for s in STATUSES):
            parts = " + ".join(f"{counts[s]:,} {s}" for s in STATUSES)
            self.out.issues.append(
                ParseIssue(
                    "parts_mismatch",
                    f"{self.where} line {line}: {label} total {counts['type_total']:,} is not the sum of its parts "
                    f"({parts} = {sum(counts[s] for s in STATUSES):,}); both stored as published",
                    label,
                    self.day,
                )
            )
