"""The open General Staff dataset (PetroIvaniuk/2022-Ukraine-Russia-War-Dataset).

Each file is a JSON list of reports; `date` is the report date and values are cumulative since
2022-02-24. A file is a full snapshot: a report missing from a later version was removed.

A bad value in one report (null, text, a fraction, NaN, ...) is not stored and becomes a finding;
every other value is. It never causes a removal: the payload's scope leaves that (metric, date)
out, and a report whose date cannot be read takes its whole file's metrics out of the scope.
Only a file that cannot be read as a whole, or whose values are mostly bad, is refused.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.domain import DATASET_KEYS
from tracker.errors import BadPayload, InvalidInput, LocalFileError
from tracker.ingest.feeds.json_payload import check_location, load_json, read_local, unreadable_rows
from tracker.ingest.parsed import (
    AdjustmentRecord,
    Fetched,
    ParsedPayload,
    ParseIssue,
    Scope,
    TotalRow,
    TotalsTable,
    keep_later,
)
from tracker.ingest.values import (
    MAX_BAD_SHARE,
    MAX_QUALIFIER,
    check_text,
    parse_iso_date,
    parse_json_count,
    show,
    too_broken,
)
from tracker.store.source_registry import GENERAL_STAFF

LIVE_BASE = "https://raw.githubusercontent.com/PetroIvaniuk/2022-Ukraine-Russia-War-Dataset/main/data"
FILES = {
    "personnel": "russia_losses_personnel.json",
    "equipment": "russia_losses_equipment.json",
    "corrections": "russia_losses_equipment_correction.json",
}
PERSONNEL_METRICS = frozenset({"personnel", "pow"})
EQUIPMENT_METRICS = frozenset(DATASET_KEYS.values()) - PERSONNEL_METRICS
QUALIFIER_KEYS = {"personnel*": "personnel"}
DIRECTION_KEY = "greatest losses direction"
IGNORED_KEYS = {"date", "day"}


class DatasetFeed:
    """Personnel, equipment and corrections files, from the live repository or a local folder."""

    name = "ua-dataset"
    source = GENERAL_STAFF
    default_location = LIVE_BASE

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        location = check_location(location, self.default_location)
        if location.startswith(("http://", "https://")):
            return self._fetch_http(location.rstrip("/"), options)
        return self._fetch_local(Path(location))

    def _fetch_http(self, base: str, options: dict[str, Any]) -> list[Fetched]:
        from tracker.ingest import http

        passed = {k: options[k] for k in ("client", "retries", "sleep") if options.get(k) is not None}
        budget = http.Budget()
        fetched = []
        for role, name in FILES.items():
            url = f"{base}/{name}"
            fetched.append(http.fetch(url, role=role, deadline=budget.left(url), **passed))
        return fetched

    def _fetch_local(self, path: Path) -> list[Fetched]:
        try:
            is_dir = path.is_dir()
        except OSError as exc:  # a path we may not even look at (a folder without permission)
            raise LocalFileError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
        if not is_dir:
            if not os.path.lexists(path):
                raise InvalidInput(f"{path}: no such file or folder")
            if not path.exists():  # a link to nothing: a local file error, as for csv and oryx
                raise LocalFileError(f"{path}: broken symbolic link (its target does not exist)")
            role = next((r for r, n in FILES.items() if n == path.name), None)
            if role is None:
                raise InvalidInput(f"{path}: not a dataset file (expected one of {', '.join(FILES.values())})")
            return [read_local(path, content_type="application/json", role=role)]
        # A name that exists in any form (even a broken link or a folder) is read, so that what
        # cannot be read is an error naming it, never a file silently left out of the snapshot.
        found = [
            read_local(path / name, content_type="application/json", role=role)
            for role, name in FILES.items()
            if os.path.lexists(path / name)
        ]
        if not found:
            raise InvalidInput(f"{path}: holds none of {', '.join(FILES.values())}")
        return found

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        out = ParsedPayload()
        scope_metrics: set[str] = set()
        unreadable: set[tuple[str, dt.date]] = set()
        complete: set[str] = set()
        seen: dict[tuple[str, dt.date], TotalRow] = {}
        for item in fetched:
            document = load_json(item)
            rows = document.value
            if not isinstance(rows, list):
                raise BadPayload(f"{item.location}: expected a JSON list of reports, got {type(rows).__name__}")
            file = _FileRead(item.location)
            out.issues.extend(document.issues)
            if item.role == "corrections":
                out.adjustments.extend(_adjustments(rows, file, out.issues))
                # Corrections are complete as a whole: one unreadable value would read as the
                # removal of a stored adjustment, so a file with any of them removes none.
                if not file.bad_rows and not file.bad_values:
                    complete.add("adjustment")
            else:
                directions_ok = _observations(rows, file, seen, out)
                if item.role == "equipment" and directions_ok and not file.bad_rows:
                    complete.add("note")
                if not file.bad_rows:
                    scope_metrics |= PERSONNEL_METRICS if item.role == "personnel" else EQUIPMENT_METRICS
                unreadable |= file.unreadable
            file.finish(out.issues)
        # Totals of Russia's losses, each counted as the General Staff counts it: held as rows.
        out.table = TotalsTable("russia", {}, seen)
        out.scope = Scope(metrics=frozenset(scope_metrics), unreadable=frozenset(unreadable))
        out.complete_kinds = frozenset(complete)
        return out


@dataclass
class _FileRead:
    """What reading one file found: its values good and bad, and the reports it could not read."""

    location: str
    total: int = 0  # values (and unreadable reports) seen
    bad_values: list[ParseIssue] = field(default_factory=list)
    bad_rows: list[str] = field(default_factory=list)  # "report #7 (date '2024-13-01')"
    bad_row_values: int = 0  # values lost with those reports
    first: str = ""  # the first problem, quoted if the file is refused whole
    unreadable: set[tuple[str, dt.date]] = field(default_factory=set)

    def bad_value(self, report_date: dt.date, key: str, metric: str | None, raw: object, reason: str) -> None:
        text = f"{report_date} {key!r}: bad value {show(raw)} ({reason})"
        self.first = self.first or text
        self.bad_values.append(
            ParseIssue(
                "bad_value",
                f"{self.location} {text}; not stored, and no stored value is removed for it",
                metric or key[:200],
                report_date,
            )
        )
        if metric is not None:
            self.unreadable.add((metric, report_date))

    def rows(self, rows: list[Any]) -> Iterator[tuple[dt.date, dict[str, Any]]]:
        """The reports whose date can be read; the others are counted as bad rows."""
        for index, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                self.total += 1
                self.bad_row_values += 1
                self.bad_rows.append(f"report #{index} ({type(row).__name__} {show(row, 30)}, not an object)")
                self.first = self.first or self.bad_rows[-1]
                continue
            raw_date = row.get("date")
            try:
                report_date = parse_iso_date(raw_date)
            except ValueError as exc:
                lost = max(1, sum(1 for k in row if k in DATASET_KEYS))
                self.total += lost
                self.bad_row_values += lost
                what = "no date" if "date" not in row else f"date {show(raw_date, 30)}: {exc}"
                self.bad_rows.append(f"report #{index} ({what})")
                self.first = self.first or self.bad_rows[-1]
                continue
            yield report_date, row

    def finish(self, issues: list[ParseIssue]) -> None:
        """Refuse a file mostly bad; otherwise add its findings to `issues`."""
        bad = len(self.bad_values) + self.bad_row_values
        if too_broken(bad, self.total):
            raise BadPayload(
                f"{self.location}: {bad:,} of {self.total:,} values unreadable (more than "
                f"{MAX_BAD_SHARE:.0%}): not a dataset file as expected, nothing stored (first: {self.first})"
            )
        issues.extend(self.bad_values)
        if self.bad_rows:
            consequence = "their values are not stored, and this file removes nothing this run"
            issues.append(unreadable_rows(self.location, self.bad_rows, consequence))


def _observations(
    rows: list[Any], file: _FileRead, seen: dict[tuple[str, dt.date], TotalRow], out: ParsedPayload
) -> bool:
    """Read the totals and direction notes of a personnel or equipment file; False if a note was bad."""
    unknown: dict[str, int] = {}
    directions_ok = True
    for report_date, row in file.rows(rows):
        qualifiers = {QUALIFIER_KEYS[k]: v for k, v in row.items() if k in QUALIFIER_KEYS}
        for key, raw in row.items():
            if key in IGNORED_KEYS or key in QUALIFIER_KEYS:
                continue
            if key == DIRECTION_KEY:
                try:
                    text = None if raw is None else check_text(raw)
                except ValueError as exc:
                    file.bad_value(report_date, key, None, raw, str(exc))
                    directions_ok = False
                    continue
                if text:
                    out.directions[report_date] = text
                continue
            metric = DATASET_KEYS.get(key)
            if metric is None:
                unknown[key] = unknown.get(key, 0) + 1
                continue
            file.total += 1
            try:
                value = parse_json_count(raw)
                qualifier = qualifiers.get(metric)
                if qualifier is not None:
                    try:
                        check_text(qualifier, MAX_QUALIFIER)
                    except ValueError as exc:
                        raw = qualifier
                        raise ValueError(f"its qualifier {exc}") from None
            except ValueError as exc:
                file.bad_value(report_date, key, metric, raw, str(exc))
                continue
            total = (value, qualifier)
            previous = seen.setdefault((metric, report_date), total)
            if previous is not total:
                keep_later(seen, metric, report_date, previous, total, out.issues)
    for key, count in unknown.items():
        out.issues.append(
            ParseIssue(
                "unknown_metric",
                f"unknown category {show(key)} in {count} report(s) of {file.location}: not stored as a series",
                key[:200],
            )
        )
    return directions_ok


def _adjustments(rows: list[Any], file: _FileRead, issues: list[ParseIssue]) -> list[AdjustmentRecord]:
    found: dict[tuple[str, dt.date], AdjustmentRecord] = {}
    unknown: dict[str, int] = {}
    for report_date, row in file.rows(rows):
        for key, raw in row.items():
            if key in IGNORED_KEYS:
                continue
            metric = DATASET_KEYS.get(key)
            if metric is None:
                unknown[key] = unknown.get(key, 0) + 1
                continue
            file.total += 1
            try:
                delta = parse_json_count(raw, signed=True)
            except ValueError as exc:
                file.bad_value(report_date, key, metric, raw, str(exc))
                continue
            if delta:
                found[(metric, report_date)] = AdjustmentRecord(metric, report_date, delta)
    for key, count in unknown.items():
        issues.append(
            ParseIssue(
                "unknown_metric",
                f"unknown category {show(key)} in {count} correction(s) of {file.location}: not stored",
                key[:200],
            )
        )
    return list(found.values())
