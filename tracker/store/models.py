"""SQLAlchemy 2.0 models of the store: who claims, where we got it, and every revision of it.

Revision-aware tables (`observation`, `report_note`) never update a value in place: a change
supersedes the current row (sets `superseded_at`) and inserts the next `revision`; a row that
disappears from a feed gets a removal revision (`removed`), and a re-added one a new revision.
The row current at a moment T is the one with first_seen_at <= T < superseded_at (or open).
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tracker import run_report
from tracker.store import reading

# Runs that left the store consistent with their payload (a failed run changed nothing).
SUCCESS_STATUSES = run_report.SUCCESS_STATUSES

# Bump together with a new Alembic migration (in tracker.store.reading, which readers import
# without the ORM); tests check it equals the migrations' head.
SCHEMA_REVISION = reading.SCHEMA_REVISION

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


UTCDateTime = DateTime(timezone=True)


class Revisioned:
    """The columns of a revision-aware table (see the module docstring): which revision a row
    is, whether it records a removal, when it was first and last seen, when it was superseded,
    and the runs that wrote it and last confirmed it."""

    revision: Mapped[int] = mapped_column(Integer)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id"))
    last_seen_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id"))


class Source(Base):
    """Who makes a claim: the General Staff, UK Defence Intelligence, a think tank, ..."""

    __tablename__ = "source"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    # How the source dates its figures ("report", "covered" or "documented"), whose losses its
    # figures are by default, what they count by default, and the terms its data comes under.
    dates_by: Mapped[str | None] = mapped_column(String(16))
    side: Mapped[str | None] = mapped_column(String(16))
    definition: Mapped[str | None] = mapped_column(String(32))
    licence: Mapped[str | None] = mapped_column(Text)


class Feed(Base):
    """Where we got a source's figures: the open dataset, the API, a CSV file."""

    __tablename__ = "feed"
    __table_args__ = (UniqueConstraint("name", "source_id", name="uq_feed_name_source"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    default_location: Mapped[str | None] = mapped_column(Text)
    # Whether `tracker status` judges the feed: "daily" (run by `tracker daily`, or scheduled by
    # hand), "one-off" (a CSV or an API range tried once: listed, never turns status red) or
    # "retired" (no longer judged).
    role: Mapped[str] = mapped_column(String(16), server_default="one-off", default="one-off")


class Metric(Base):
    """A canonical category (tracker.metrics): personnel, tanks, ..."""

    __tablename__ = "metric"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class IngestRun(Base):
    """One run of `tracker ingest`: what it fetched, what it changed, how it ended."""

    __tablename__ = "ingest_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_name: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(64))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feed.id"))
    location: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    observed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # ok | ok_with_findings | unchanged | failed
    status: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    digest: Mapped[str | None] = mapped_column(String(64))
    n_records: Mapped[int] = mapped_column(Integer, default=0)
    n_new: Mapped[int] = mapped_column(Integer, default=0)
    n_revised: Mapped[int] = mapped_column(Integer, default=0)
    n_removed: Mapped[int] = mapped_column(Integer, default=0)
    n_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    n_findings_new: Mapped[int] = mapped_column(Integer, default=0)
    n_findings_open: Mapped[int] = mapped_column(Integer, default=0)


class PayloadBlob(Base):
    """Raw bytes of a fetch, compressed, stored once per distinct content."""

    __tablename__ = "payload_blob"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    compression: Mapped[str] = mapped_column(String(16))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class PayloadFetch(Base):
    """Every fetch of every run: where from, when, and which raw payload it returned."""

    __tablename__ = "payload_fetch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id"), index=True)
    blob_id: Mapped[int] = mapped_column(ForeignKey("payload_blob.id"))
    location: Mapped[str] = mapped_column(Text)
    final_location: Mapped[str | None] = mapped_column(Text)  # where redirects ended, if elsewhere
    role: Mapped[str] = mapped_column(String(32))
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    content_type: Mapped[str | None] = mapped_column(String(200))
    status_code: Mapped[int | None] = mapped_column(Integer)


class Observation(Revisioned, Base):
    """A revision of a figure for (feed, kind, metric, side, report_date).

    kind "total": a cumulative total as reported; kind "adjustment": a documented correction
    of a total on that report date (from the corrections file), kept apart from the totals; a
    source that breaks a total down by status (Oryx) stores each part under its status as kind
    ("destroyed", "damaged", "abandoned", "captured"). `side` is whose losses the figure counts;
    `definition` what it counts (None: the source's default, see tracker.sources).
    """

    __tablename__ = "observation"
    __table_args__ = (
        UniqueConstraint(
            "feed_id", "kind", "metric_id", "side", "report_date", "revision", name="uq_observation_revision"
        ),
        Index("ix_observation_current", "feed_id", "kind", "metric_id", "side", "superseded_at"),
        Index("ix_observation_window", "feed_id", "report_date"),
        Index("ix_observation_last_seen_run", "last_seen_run_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id"))
    kind: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(16), server_default="russia", default="russia")
    report_date: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[int | None] = mapped_column(BigInteger)
    definition: Mapped[str | None] = mapped_column(String(32))
    qualifier: Mapped[str | None] = mapped_column(String(32))
    reported_increase: Mapped[int | None] = mapped_column(BigInteger)


class ReportNote(Revisioned, Base):
    """A revision of a report's text, such as the "greatest losses direction"."""

    __tablename__ = "report_note"
    __table_args__ = (
        UniqueConstraint("feed_id", "key", "report_date", "revision", name="uq_report_note_revision"),
        Index("ix_report_note_current", "feed_id", "key", "superseded_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id"))
    key: Mapped[str] = mapped_column(String(64))
    report_date: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str | None] = mapped_column(Text)


class Finding(Base):
    """A validation finding: flags a doubtful point, never changes or drops it."""

    __tablename__ = "finding"
    __table_args__ = (Index("ix_finding_feed_status", "feed_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id"))
    last_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id"))
    rule: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str | None] = mapped_column(String(200))  # raw name for unknown metrics
    report_date: Mapped[dt.date | None] = mapped_column(Date)
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # open | resolved
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Claim(Revisioned, Base):
    """A revision of a claim of another source (tracker.claims), keyed by (feed, claim_key).

    One figure of one statement: who said it (`source_id`), whose losses, what it counts
    (`definition`), its `kind` and period with its precision, low / best / high with a qualifier,
    when it was published (with precision), where it was reported and what it says it is based on.
    Value columns are nullable because a removal revision carries no values.
    """

    __tablename__ = "claim"
    __table_args__ = (
        UniqueConstraint("feed_id", "claim_key", "revision", name="uq_claim_revision"),
        Index("ix_claim_current", "feed_id", "superseded_at"),
        Index("ix_claim_key", "claim_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id"))
    claim_key: Mapped[str] = mapped_column(String(128))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"))
    subject: Mapped[str | None] = mapped_column(String(32))
    metric: Mapped[str | None] = mapped_column(String(64))  # canonical name (tracker.metrics)
    definition: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(32))
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    period_precision: Mapped[str | None] = mapped_column(String(16))
    qualifier: Mapped[str | None] = mapped_column(String(32))
    low: Mapped[float | None] = mapped_column(Float(53))
    best: Mapped[float | None] = mapped_column(Float(53))
    high: Mapped[float | None] = mapped_column(Float(53))
    published_date: Mapped[dt.date | None] = mapped_column(Date)
    published_precision: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    based_on: Mapped[str | None] = mapped_column(Text)


def table(model: type[Base]) -> Table:
    """The Core table of a mapped model, typed as the Table it is (SQLAlchemy types
    `__table__` as a FromClause, which insert(), update() and the revision helpers refuse)."""
    return cast(Table, model.__table__)
