"""The store's tables (SQLAlchemy Core): who claims, where we got it, and every revision of it.

Revision-aware tables (`observation`, `report_note`, `claim`) never update a value in place: a
change supersedes the current row (sets `superseded_at`) and inserts the next `revision`; a row
that disappears from a feed gets a removal revision (`removed`), and a re-added one a new revision.
The row current at a moment T is the one with first_seen_at <= T < superseded_at (or open).

Plain tables, not ORM classes: nothing here is read as objects, and the ORM cost every process
that touches the store a fifth of a second to import and map.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
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

from tracker.store import reading, run_report

# Runs that left the store consistent with their payload (a failed run changed nothing).
SUCCESS_STATUSES = run_report.SUCCESS_STATUSES

# Bump together with a new Alembic migration (in tracker.store.reading, which readers import
# without SQLAlchemy); tests check it equals the migrations' head.
SCHEMA_REVISION = reading.SCHEMA_REVISION

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

UTCDateTime = DateTime(timezone=True)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _required(name: str, kind: Any, *args: Any, **kwargs: Any) -> Column[Any]:
    """A NOT NULL column."""
    return Column(name, kind, *args, nullable=False, **kwargs)


def _revisioned() -> list[Column[Any]]:
    """The columns of a revision-aware table (see the module docstring): which revision a row
    is, whether it records a removal, when it was first and last seen, when it was superseded,
    and the runs that wrote it and last confirmed it."""
    return [
        _required("revision", Integer),
        _required("removed", Boolean, default=False),
        _required("first_seen_at", UTCDateTime),
        _required("last_seen_at", UTCDateTime),
        Column("superseded_at", UTCDateTime),
        _required("run_id", Integer, ForeignKey("ingest_run.id")),
        _required("last_seen_run_id", Integer, ForeignKey("ingest_run.id")),
    ]


# Who makes a claim: the General Staff, UK Defence Intelligence, a think tank, ...
# How the source dates its figures ("report", "covered" or "documented"), whose losses its
# figures are by default, what they count by default, and the terms its data comes under.
source = Table(
    "source",
    metadata,
    _id(),
    _required("key", String(64), unique=True),
    _required("name", String(200)),
    Column("url", Text),
    Column("dates_by", String(16)),
    Column("side", String(16)),
    Column("definition", String(32)),
    Column("licence", Text),
)

# Where we got a source's figures: the open dataset, the API, a CSV file. `role` is whether
# `tracker status` judges the feed: "daily" (run by `tracker daily`, or scheduled by hand),
# "one-off" (a CSV or an API range tried once: listed, never turns status red) or "retired".
feed = Table(
    "feed",
    metadata,
    _id(),
    _required("name", String(64)),
    _required("source_id", Integer, ForeignKey("source.id")),
    Column("default_location", Text),
    _required("role", String(16), server_default="one-off", default="one-off"),
    UniqueConstraint("name", "source_id", name="uq_feed_name_source"),
)

# A canonical category (tracker.domain): personnel, tanks, ...
metric = Table(
    "metric",
    metadata,
    _id(),
    _required("name", String(64), unique=True),
    _required("label", String(200)),
    _required("unit", String(32)),
    _required("kind", String(16)),
    _required("retired", Boolean, default=False),
)

# One run of `tracker ingest`: what it fetched, what it changed, how it ended.
# status: ok | ok_with_findings | unchanged | failed
ingest_run = Table(
    "ingest_run",
    metadata,
    _id(),
    _required("feed_name", String(64)),
    _required("source_key", String(64)),
    Column("feed_id", Integer, ForeignKey("feed.id")),
    Column("location", Text),
    _required("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    _required("observed_at", UTCDateTime),
    _required("status", String(32)),
    Column("error", Text),
    Column("exit_code", Integer),
    Column("digest", String(64)),
    _required("n_records", Integer, default=0),
    _required("n_new", Integer, default=0),
    _required("n_revised", Integer, default=0),
    _required("n_removed", Integer, default=0),
    _required("n_unchanged", Integer, default=0),
    _required("n_findings_new", Integer, default=0),
    _required("n_findings_open", Integer, default=0),
)

# Raw bytes of a fetch, compressed, stored once per distinct content.
payload_blob = Table(
    "payload_blob",
    metadata,
    _id(),
    _required("sha256", String(64), unique=True),
    _required("size", BigInteger),
    _required("compression", String(16)),
    _required("content", LargeBinary),
)

# Every fetch of every run: where from (and where redirects ended, if elsewhere), when, and
# which raw payload it returned.
payload_fetch = Table(
    "payload_fetch",
    metadata,
    _id(),
    _required("run_id", Integer, ForeignKey("ingest_run.id"), index=True),
    _required("blob_id", Integer, ForeignKey("payload_blob.id")),
    _required("location", Text),
    Column("final_location", Text),
    _required("role", String(32)),
    _required("fetched_at", UTCDateTime),
    Column("content_type", String(200)),
    Column("status_code", Integer),
)

# A revision of a figure for (feed, kind, metric, side, report_date).
#
# kind "total": a cumulative total as reported; kind "adjustment": a documented correction of a
# total on that report date (from the corrections file), kept apart from the totals; a source
# that breaks a total down by status (Oryx) stores each part under its status as kind
# ("destroyed", "damaged", "abandoned", "captured"). `side` is whose losses the figure counts;
# `definition` what it counts (None: the source's default, see tracker.store.sources).
observation = Table(
    "observation",
    metadata,
    _id(),
    _required("source_id", Integer, ForeignKey("source.id")),
    _required("feed_id", Integer, ForeignKey("feed.id")),
    _required("metric_id", Integer, ForeignKey("metric.id")),
    _required("kind", String(16)),
    _required("side", String(16), server_default="russia", default="russia"),
    _required("report_date", Date),
    Column("value", BigInteger),
    Column("definition", String(32)),
    Column("qualifier", String(32)),
    Column("reported_increase", BigInteger),
    *_revisioned(),
    # The unique key also serves every read of a series (its first four columns name one, in
    # report-date order), and the window index a run's report dates; nothing more is kept up to date.
    UniqueConstraint("feed_id", "kind", "metric_id", "side", "report_date", "revision", name="uq_observation_revision"),
    Index("ix_observation_window", "feed_id", "report_date"),
)

# A revision of a report's text, such as the "greatest losses direction".
report_note = Table(
    "report_note",
    metadata,
    _id(),
    _required("source_id", Integer, ForeignKey("source.id")),
    _required("feed_id", Integer, ForeignKey("feed.id")),
    _required("key", String(64)),
    _required("report_date", Date),
    Column("text", Text),
    *_revisioned(),
    UniqueConstraint("feed_id", "key", "report_date", "revision", name="uq_report_note_revision"),
    Index("ix_report_note_current", "feed_id", "key", "superseded_at"),
)

# A validation finding: flags a doubtful point, never changes or drops it. `metric` is the raw
# name for unknown metrics; status: open | resolved.
finding = Table(
    "finding",
    metadata,
    _id(),
    _required("feed_id", Integer, ForeignKey("feed.id")),
    _required("run_id", Integer, ForeignKey("ingest_run.id")),
    _required("last_run_id", Integer, ForeignKey("ingest_run.id")),
    _required("rule", String(32)),
    _required("severity", String(16)),
    Column("metric", String(200)),
    Column("report_date", Date),
    _required("message", Text),
    _required("status", String(16)),
    _required("first_seen_at", UTCDateTime),
    _required("last_seen_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Index("ix_finding_feed_status", "feed_id", "status"),
)

# A revision of a claim of another source (tracker.claims), keyed by (feed, claim_key).
#
# One figure of one statement: who said it (`source_id`), whose losses, what it counts
# (`definition`), its `kind` and period with its precision, low / best / high with a qualifier,
# when it was published (with precision), where it was reported and what it says it is based on.
# Value columns are nullable because a removal revision carries no values; `metric` is a
# canonical name (tracker.domain).
claim = Table(
    "claim",
    metadata,
    _id(),
    _required("feed_id", Integer, ForeignKey("feed.id")),
    _required("claim_key", String(128)),
    Column("source_id", Integer, ForeignKey("source.id")),
    Column("subject", String(32)),
    Column("metric", String(64)),
    Column("definition", String(32)),
    Column("kind", String(32)),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("period_precision", String(16)),
    Column("qualifier", String(32)),
    Column("low", Float(53)),
    Column("best", Float(53)),
    Column("high", Float(53)),
    Column("published_date", Date),
    Column("published_precision", String(16)),
    Column("url", Text),
    Column("note", Text),
    Column("based_on", Text),
    *_revisioned(),
    UniqueConstraint("feed_id", "claim_key", "revision", name="uq_claim_revision"),
    Index("ix_claim_current", "feed_id", "superseded_at"),
    Index("ix_claim_key", "claim_key"),
)

# A withdrawal held back (tracker.ingest.withdrawals): the rows a full snapshot left out that the shrink
# rule judged suspicious (an emptied series, its latest reports cut off, a large share of it).
# They stay current until someone decides: `tracker feeds accept-withdrawal` removes them (a run
# of its own, status "accepted"), `--allow-shrink` on a run removes them with its other removals,
# or upstream undoes it (the rows come back; status "undone"). status: held | accepted | undone.
# `metrics` names its series; `finding_id` the withdrawal_held finding it opened.
withdrawal = Table(
    "withdrawal",
    metadata,
    _id(),
    _required("feed_id", Integer, ForeignKey("feed.id")),
    _required("run_id", Integer, ForeignKey("ingest_run.id")),
    _required("status", String(16)),
    _required("opened_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("closed_run_id", Integer, ForeignKey("ingest_run.id")),
    _required("n_rows", Integer),
    _required("metrics", Text),
    _required("first_date", Date),
    _required("last_date", Date),
    Column("finding_id", Integer, ForeignKey("finding.id")),
    Index("ix_withdrawal_feed_status", "feed_id", "status"),
)

# Each key a withdrawal holds: (kind, metric, side, report_date) of the feed's observations.
# `held_values` (JSON: value, qualifier, reported_increase, definition) is set for a documented
# series' drop held back (the value a snapshot brought and the store did not take), null for a
# removal held back. `closed_run_id` is the run after which it is no longer held.
# A claims file's held claim (kind CLAIM_ROW_KIND) keeps its key in `held_values` as
# {"claim_key": ...} and its metric, subject (as side) and publication date (as report_date).
CLAIM_ROW_KIND = "claim"
withdrawal_row = Table(
    "withdrawal_row",
    metadata,
    _id(),
    _required("withdrawal_id", Integer, ForeignKey("withdrawal.id")),
    _required("kind", String(16)),
    _required("metric_id", Integer, ForeignKey("metric.id")),
    _required("side", String(16)),
    _required("report_date", Date),
    Column("held_values", Text),
    Column("closed_run_id", Integer, ForeignKey("ingest_run.id")),
    Index("ix_withdrawal_row_withdrawal", "withdrawal_id"),
)
