"""initial schema: sources, feeds, metrics, runs, payloads, observations, notes, findings

Revision ID: 0001_initial
Revises: (none)
Create Date: 2026-11-25 03:07:26.274206
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric")),
        sa.UniqueConstraint("name", name=op.f("uq_metric_name")),
    )
    op.create_table(
        "payload_blob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("compression", sa.String(length=16), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payload_blob")),
        sa.UniqueConstraint("sha256", name=op.f("uq_payload_blob_sha256")),
    )
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
        sa.UniqueConstraint("key", name=op.f("uq_source_key")),
    )
    op.create_table(
        "feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("default_location", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_feed_source_id_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed")),
        sa.UniqueConstraint("name", "source_id", name="uq_feed_name_source"),
    )
    op.create_table(
        "ingest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_name", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("n_records", sa.Integer(), nullable=False),
        sa.Column("n_new", sa.Integer(), nullable=False),
        sa.Column("n_revised", sa.Integer(), nullable=False),
        sa.Column("n_removed", sa.Integer(), nullable=False),
        sa.Column("n_unchanged", sa.Integer(), nullable=False),
        sa.Column("n_findings_new", sa.Integer(), nullable=False),
        sa.Column("n_findings_open", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feed.id"], name=op.f("fk_ingest_run_feed_id_feed")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_run")),
    )
    op.create_table(
        "payload_fetch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["blob_id"], ["payload_blob.id"], name=op.f("fk_payload_fetch_blob_id_payload_blob")),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_run.id"], name=op.f("fk_payload_fetch_run_id_ingest_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payload_fetch")),
    )
    with op.batch_alter_table("payload_fetch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payload_fetch_run_id"), ["run_id"], unique=False)

    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("metric", sa.String(length=200), nullable=True),
        sa.Column("report_date", sa.Date(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["feed_id"], ["feed.id"], name=op.f("fk_finding_feed_id_feed")),
        sa.ForeignKeyConstraint(["last_run_id"], ["ingest_run.id"], name=op.f("fk_finding_last_run_id_ingest_run")),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_run.id"], name=op.f("fk_finding_run_id_ingest_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
    )
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.create_index("ix_finding_feed_status", ["feed_id", "status"], unique=False)

    op.create_table(
        "observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("qualifier", sa.String(length=32), nullable=True),
        sa.Column("reported_increase", sa.BigInteger(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("last_seen_run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feed.id"], name=op.f("fk_observation_feed_id_feed")),
        sa.ForeignKeyConstraint(
            ["last_seen_run_id"], ["ingest_run.id"], name=op.f("fk_observation_last_seen_run_id_ingest_run")
        ),
        sa.ForeignKeyConstraint(["metric_id"], ["metric.id"], name=op.f("fk_observation_metric_id_metric")),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_run.id"], name=op.f("fk_observation_run_id_ingest_run")),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_observation_source_id_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation")),
        sa.UniqueConstraint("feed_id", "kind", "metric_id", "report_date", "revision", name="uq_observation_revision"),
    )
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index("ix_observation_current", ["feed_id", "kind", "metric_id", "superseded_at"], unique=False)
        batch_op.create_index("ix_observation_last_seen_run", ["last_seen_run_id"], unique=False)

    op.create_table(
        "report_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("last_seen_run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feed.id"], name=op.f("fk_report_note_feed_id_feed")),
        sa.ForeignKeyConstraint(
            ["last_seen_run_id"], ["ingest_run.id"], name=op.f("fk_report_note_last_seen_run_id_ingest_run")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_run.id"], name=op.f("fk_report_note_run_id_ingest_run")),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_report_note_source_id_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_note")),
        sa.UniqueConstraint("feed_id", "key", "report_date", "revision", name="uq_report_note_revision"),
    )
    with op.batch_alter_table("report_note", schema=None) as batch_op:
        batch_op.create_index("ix_report_note_current", ["feed_id", "key", "superseded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_note", schema=None) as batch_op:
        batch_op.drop_index("ix_report_note_current")

    op.drop_table("report_note")
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_last_seen_run")
        batch_op.drop_index("ix_observation_current")

    op.drop_table("observation")
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_feed_status")

    op.drop_table("finding")
    with op.batch_alter_table("payload_fetch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payload_fetch_run_id"))

    op.drop_table("payload_fetch")
    op.drop_table("ingest_run")
    op.drop_table("feed")
    op.drop_table("source")
    op.drop_table("payload_blob")
    op.drop_table("metric")
