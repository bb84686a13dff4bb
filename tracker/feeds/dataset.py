"""The open General Staff dataset (PetroIvaniuk/2022-Ukraine-Russia-War-Dataset).

Each file is a JSON list of reports; `date` is the report date and values are cumulative since
2022-02-24. A file is a full snapshot: a report missing from a later version was removed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tracker.errors import BadPayload, InvalidInput
from tracker.feeds.payload import load_json, parse_count, parse_date
from tracker.metrics import DATASET_KEYS
from tracker.records import (
    AdjustmentRecord,
    Fetched,
    ObservationRecord,
    ParsedPayload,
    ParseIssue,
    Scope,
    keep_later,
)

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
    source = "ua-general-staff"
    default_location = LIVE_BASE

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        location = location or self.default_location
        if location.startswith(("http://", "https://")):
            return self._fetch_http(location.rstrip("/"), options)
        return self._fetch_local(Path(location))

    def _fetch_http(self, base: str, options: dict) -> list[Fetched]:
        from tracker import http

        passed = {k: options[k] for k in ("client", "retries", "sleep") if options.get(k) is not None}
        return [http.fetch(f"{base}/{name}", role=role, **passed) for role, name in FILES.items()]

    def _fetch_local(self, path: Path) -> list[Fetched]:
        now = dt.datetime.now(dt.UTC)
        if path.is_file():
            role = next((r for r, n in FILES.items() if n == path.name), None)
            if role is None:
                raise InvalidInput(f"{path}: not a dataset file (expected one of {', '.join(FILES.values())})")
            return [Fetched(str(path), path.read_bytes(), now, "application/json", None, role)]
        if not path.is_dir():
            raise InvalidInput(f"{path}: no such file or folder")
        found = [
            Fetched(str(path / name), (path / name).read_bytes(), now, "application/json", None, role)
            for role, name in FILES.items()
            if (path / name).is_file()
        ]
        if not found:
            raise InvalidInput(f"{path}: holds none of {', '.join(FILES.values())}")
        return found

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        out = ParsedPayload()
        scope_metrics: set[str] = set()
        complete: set[str] = set()
        seen: dict[tuple[str, dt.date], ObservationRecord] = {}
        for item in fetched:
            rows = load_json(item)
            if not isinstance(rows, list):
                raise BadPayload(f"{item.location}: expected a JSON list of reports, got {type(rows).__name__}")
            if item.role == "corrections":
                out.adjustments.extend(_adjustments(rows, item.location))
                complete.add("adjustment")
                continue
            scope_metrics |= PERSONNEL_METRICS if item.role == "personnel" else EQUIPMENT_METRICS
            if item.role == "equipment":
                complete.add("note")
            _observations(rows, item.location, seen, out)
        out.observations = list(seen.values())
        out.scope = Scope(metrics=frozenset(scope_metrics))
        out.complete_kinds = frozenset(complete)
        return out


def _report_rows(rows: list, location: str):
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise BadPayload(f"{location}: report #{index + 1} is {type(row).__name__}, not an object")
        if "date" not in row:
            raise BadPayload(f"{location}: report #{index + 1} has no date")
        yield parse_date(row["date"], f"{location} report #{index + 1}"), row


def _observations(rows: list, location: str, seen: dict, out: ParsedPayload) -> None:
    unknown: dict[str, int] = {}
    for report_date, row in _report_rows(rows, location):
        where = f"{location} {report_date}"
        qualifiers = {QUALIFIER_KEYS[k]: v for k, v in row.items() if k in QUALIFIER_KEYS}
        for key, raw in row.items():
            if key in IGNORED_KEYS or key in QUALIFIER_KEYS:
                continue
            if key == DIRECTION_KEY:
                if raw is not None and not isinstance(raw, str):
                    raise BadPayload(f"{where}: {DIRECTION_KEY!r} is not text")
                if raw:
                    out.directions[report_date] = raw
                continue
            metric = DATASET_KEYS.get(key)
            if metric is None:
                unknown[key] = unknown.get(key, 0) + 1
                continue
            qualifier = qualifiers.get(metric)
            if qualifier is not None and not isinstance(qualifier, str):
                raise BadPayload(f"{where}: qualifier {qualifier!r} is not text")
            keep_later(
                seen,
                ObservationRecord(metric, report_date, parse_count(raw, f"{where} {key!r}"), qualifier),
                out.issues,
            )
    for key, count in unknown.items():
        out.issues.append(
            ParseIssue(
                "unknown_metric",
                f"unknown category {key!r} in {count} report(s) of {location}: not stored as a series",
                key,
            )
        )


def _adjustments(rows: list, location: str) -> list[AdjustmentRecord]:
    found: dict[tuple[str, dt.date], AdjustmentRecord] = {}
    for report_date, row in _report_rows(rows, location):
        for key, raw in row.items():
            if key in IGNORED_KEYS:
                continue
            metric = DATASET_KEYS.get(key)
            if metric is None:
                raise BadPayload(f"{location} {report_date}: unknown category {key!r} in corrections")
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise BadPayload(f"{location} {report_date} {key!r}: {raw!r} is not a whole number")
            if raw:
                found[(metric, report_date)] = AdjustmentRecord(metric, report_date, raw)
    return list(found.values())
