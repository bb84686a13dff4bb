"""The normalized records every feed parses into, whatever its wire format.

A feed fetches bytes (`Fetched`), then parses them into a `ParsedPayload`: observations of
cumulative totals keyed by canonical metric and report date, plus anything else the payload says
(adjustments, the "greatest losses direction" text) and what looked wrong while parsing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.claims.claim import ClaimRecord
    from tracker.domain import Metric


# The largest payload accepted, fetched or local: far above any real one. Here, not in tracker.ingest.http,
# so that reading a local file does not import the HTTP machinery.
MAX_BYTES = 64 * 2**20


@dataclass(frozen=True, slots=True)
class Fetched:
    """One fetch: the raw bytes as received, and where and when they came from."""

    location: str  # URL or local path
    content: bytes
    fetched_at: dt.datetime  # timezone-aware UTC
    content_type: str | None = None
    status: int | None = None  # HTTP status; None for a local file
    role: str = "data"  # which part of the feed: "personnel", "equipment", "corrections", ...
    final_location: str | None = None  # where a redirect ended, when it differs from `location`


# Not frozen: a frozen dataclass sets each field through object.__setattr__, which made building
# a file's records cost more than storing them; nothing changes a record once made, and it hashes
# and compares by value all the same.
@dataclass(slots=True, unsafe_hash=True)
class ObservationRecord:
    """A cumulative total as a source reported it for one metric, side and report date."""

    metric: str  # canonical metric name (tracker.domain), or a type the payload declares
    report_date: dt.date
    value: int
    qualifier: str | None = None  # "about", "more", ... as the source worded it
    reported_increase: int | None = None  # the daily increase the feed reports, if any
    side: str = "russia"  # whose losses
    definition: str | None = None  # what it counts; None: the source's default (tracker.store.sources)
    kind: str = "total"  # or a status part of the total ("destroyed", ...) for sources that give one


@dataclass(frozen=True, slots=True)
class AdjustmentRecord:
    """A documented correction of a total on a report date (not a loss or a gain)."""

    metric: str
    report_date: dt.date
    delta: int


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """Something odd seen while parsing that is not fatal: becomes a validation finding."""

    rule: str  # "unknown_metric", "duplicate_date", ...
    message: str
    metric: str | None = None
    report_date: dt.date | None = None
    severity: str = "warning"  # "info" for what is worth knowing but not wrong (an unmapped type)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a payload is complete for: rows missing inside it are removals.

    A full-file feed covers every report date of its metrics; an API page covers its date
    range; an additive feed (a hand-written CSV) covers nothing, so it never removes rows.
    `unreadable` lists the (metric, date) values the payload held but could not read: a value
    not stored for that reason is not a removal.
    """

    metrics: frozenset[str] = frozenset()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    unreadable: frozenset[tuple[str, dt.date]] = frozenset()

    def covers(self, metric: str, report_date: dt.date) -> bool:
        if metric not in self.metrics or (metric, report_date) in self.unreadable:
            return False
        if self.date_from and report_date < self.date_from:
            return False
        if self.date_to and report_date > self.date_to:
            return False
        return True


# A total as a TotalsTable holds it: its value and qualifier.
TotalRow = tuple[int, str | None]


@dataclass(slots=True)
class TotalsTable:
    """Totals of one side held as rows, not a record each: what a bulk CSV parses into (at
    millions of rows, making a record per row cost more than storing it).

    `rows` maps (metric, report date) to (value, qualifier); `definitions` is what each metric's
    rows count (None: the source's default).
    """

    side: str
    definitions: dict[str, str | None]
    rows: dict[tuple[str, dt.date], TotalRow] = field(default_factory=dict)

    def records(self) -> list[ObservationRecord]:
        """The same totals as records."""
        side, definitions = self.side, self.definitions
        return [
            ObservationRecord(metric, day, value, qualifier, side=side, definition=definitions.get(metric))
            for (metric, day), (value, qualifier) in self.rows.items()
        ]


@dataclass(slots=True)
class ParsedPayload:
    observations: list[ObservationRecord] = field(default_factory=list)
    # More totals, as rows (a bulk CSV's); stored exactly as `observations` would be.
    table: TotalsTable | None = None
    adjustments: list[AdjustmentRecord] = field(default_factory=list)
    directions: dict[dt.date, str] = field(default_factory=dict)  # greatest losses direction
    # Other text stored with a report, by (note key, report date): the official page's address
    # ("source_url") of a transcription that gives it.
    notes: dict[tuple[str, dt.date], str] = field(default_factory=dict)
    issues: list[ParseIssue] = field(default_factory=list)
    scope: Scope = field(default_factory=Scope)
    # Which other kinds this payload carries in full ("adjustment", "note"): only those can
    # have rows removed when a payload no longer lists them.
    complete_kinds: frozenset[str] = frozenset()
    # Claims of other sources (tracker.claims), for feeds that carry them.
    claims: list[ClaimRecord] = field(default_factory=list)
    # Metrics this payload declares beyond the canonical ones (a source's own types, such as
    # Oryx's), by name: registered in the store on first use.
    metric_specs: dict[str, Metric] = field(default_factory=dict)
    # Reports set aside while reading because their date cannot be right (before the source's
    # first plausible report, or after the run's day): their metrics by date. A file of a million
    # such rows is then a finding per date, not a million records held in memory.
    implausible: dict[dt.date, list[str]] = field(default_factory=dict)

    def totals(self) -> list[ObservationRecord]:
        """Every total, the records and the table's rows alike."""
        return [*self.observations, *(self.table.records() if self.table is not None else ())]

    @property
    def n_totals(self) -> int:
        """How many totals: the records and the table's rows."""
        return len(self.observations) + (len(self.table.rows) if self.table is not None else 0)

    def total_dates(self) -> set[dt.date]:
        """Every report date a total is given for."""
        days = {o.report_date for o in self.observations}
        if self.table is not None:
            days.update(day for _metric, day in self.table.rows)
        return days


def keep_later(
    seen: dict[tuple[str, dt.date], TotalRow],
    metric: str,
    report_date: dt.date,
    previous: TotalRow,
    row: TotalRow,
    issues: list[ParseIssue],
) -> None:
    """A second report of one metric and date (`previous` was read first): keep the later,
    flagging the two if they differ. The raw payload keeps both; the store holds one value per
    report date and series."""
    seen[(metric, report_date)] = row
    if previous != row:
        issues.append(
            ParseIssue(
                "duplicate_date",
                f"{report_date} appears twice with {metric} {previous[0]:,} and {row[0]:,}; kept the later",
                metric,
                report_date,
            )
        )
