"""claims: curated claims of other sources (UK Defence Intelligence, US officials, ...), with revisions

Revision ID: 0002_claims
Revises: 0001_initial
Create Date: 2026-11-25 03:14:23.601153
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_claims"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("claim_key", sa.String(length=128), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=32), nullable=True),
        sa.Column("metric", sa.String(length=64), nullable=True),
        sa.Column("definition", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("period_precision", sa.String(length=16), nullable=True),
        sa.Column("qualifier", sa.String(length=32), nullable=True),
        sa.Column("low", sa.Float(precision=53), nullable=True),
        sa.Column("best", sa.Float(precision=53), nullable=True),
        sa.Column("high", sa.Float(precision=53), nullable=True),
        sa.Column("published_date", sa.Date(), nullable=True),
        sa.Column("published_precision", sa.String(length=16), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("based_on", sa.Text(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("last_seen_run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["feed.id"], name=op.f("fk_claim_feed_id_feed")),
        sa.ForeignKeyConstraint(
            ["last_seen_run_id"], ["ingest_run.id"], name=op.f("fk_claim_last_seen_run_id_ingest_run")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_run.id"], name=op.f("fk_claim_run_id_ingest_run")),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_claim_source_id_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
        sa.UniqueConstraint("feed_id", "claim_key", "revision", name="uq_claim_revision"),
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index("ix_claim_current", ["feed_id", "superseded_at"], unique=False)
        batch_op.create_index("ix_claim_key", ["claim_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_key")
        batch_op.drop_index("ix_claim_current")
    op.drop_table("claim")
