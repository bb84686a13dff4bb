"""What an ingest run did, without SQLAlchemy: the report a command prints, and its counts.

tracker.ingest.run's unchanged-payload step (tracker.ingest.repeat, sqlite3 alone) and its full path
(tracker.ingest.steps, SQLAlchemy and the ORM models) report alike: both take these from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tracker.errors import ExitCode

# Runs that left the store consistent with their payload (a failed run changed nothing); also
# tracker.store.models.SUCCESS_STATUSES.
SUCCESS_STATUSES = ("ok", "ok_with_findings", "unchanged")
# The run `tracker feeds accept-withdrawal` records (tracker.ingest.withdrawals): it writes revisions but
# fetched nothing, so it is not a success that makes a feed fresh.
ACCEPTED_STATUS = "accepted"


@dataclass
class NewFinding:
    """A finding a run produced (tracker.ingest.validation), before it is stored."""

    rule: str
    severity: str
    metric: str | None
    report_date: dt.date | None
    message: str


@dataclass
class RevisionCounts:
    new: int = 0
    revised: int = 0
    removed: int = 0
    readded: int = 0
    unchanged: int = 0

    def add(self, other: RevisionCounts) -> None:
        for name in ("new", "revised", "removed", "readded", "unchanged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class RunOptions:
    """How an ingest run writes: how long it waits for another run's writer lock (then StoreBusy,
    exit 7); `allow_shrink` applies at once the removals the shrink rule would hold
    (tracker.ingest.withdrawals) and closes the withdrawals held for them; `role` ("daily") marks the feed
    as one that `tracker status` judges."""

    lock_wait: float = 10.0
    allow_shrink: bool = False
    role: str | None = None


@dataclass
class RunReport:
    """What a run did, for the summary line, the exit code and tests."""

    feed: str
    source: str
    location: str
    observed_at: dt.datetime
    status: str = "failed"
    exit_code: ExitCode = ExitCode.OK
    run_id: int | None = None
    error: str | None = None
    n_records: int = 0
    counts: RevisionCounts = field(default_factory=RevisionCounts)
    adjustments: RevisionCounts = field(default_factory=RevisionCounts)
    new_findings: list[NewFinding] = field(default_factory=list)
    open_findings: int = 0
    latest_report_date: dt.date | None = None
    seconds: float = 0.0
    # Rows this run left out that stay current, held by a withdrawal (tracker.ingest.withdrawals).
    held: int = 0

    def __post_init__(self) -> None:
        # Where the run read from is printed and stored: a URL's user:password@ never is.
        from tracker.errors import redact_userinfo

        self.location = redact_userinfo(self.location)

    def summary(self) -> str:
        """One log line: what ran, how it ended, and what changed."""
        c = self.counts
        head = f"{self.feed} ({self.source}) from {self.location}: {self.status}"
        if self.status == "failed":
            return f"{head} — {self.error}"
        parts = [
            f"{self.n_records:,} records",
            f"{c.new:,} new",
            f"{c.revised:,} revised",
            f"{c.removed:,} removed",
            f"{c.readded:,} re-added",
            f"{c.unchanged:,} unchanged",
        ]
        if self.held:
            parts.append(f"{self.held:,} held (see `tracker feeds withdrawals {self.feed}`)")
        if self.adjustments.new or self.adjustments.revised or self.adjustments.removed:
            parts.append(f"{self.adjustments.new + self.adjustments.revised:,} adjustments changed")
        warnings = sum(1 for f in self.new_findings if f.severity == "warning")
        parts.append(f"{len(self.new_findings):,} new findings ({warnings:,} warnings), {self.open_findings:,} open")
        if self.latest_report_date:
            parts.append(f"latest report {self.latest_report_date.isoformat()}")
        return f"{head} — " + ", ".join(parts) + f" [{self.seconds:.2f}s]"
