"""withdrawals: the rows a full snapshot left out that the shrink rule held back instead of
removing (a withdrawal, and each key it holds), until accepted or undone upstream

Revision ID: 0007_withdrawals
Revises: 0006_drop_current_index
Create Date: 2026-12-04 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_withdrawals"
down_revision = "0006_drop_current_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "withdrawal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_run_id", sa.Integer(), nullable=True),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["feed_id"], ["feed.id"], name=op.f("fk_withdrawal_feed_id_feed")),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_run.id"], name=op.f("fk_withdrawal_run_id_ingest_run")),
        sa.ForeignKeyConstraint(
            ["closed_run_id"], ["ingest_run.id"], name=op.f("fk_withdrawal_closed_run_id_ingest_run")
        ),
        sa.ForeignKeyConstraint(["finding_id"], ["finding.id"], name=op.f("fk_withdrawal_finding_id_finding")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal")),
    )
    op.create_index("ix_withdrawal_feed_status", "withdrawal", ["feed_id", "status"])
    op.create_table(
        "withdrawal_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("withdrawal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("metric_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("held_values", sa.Text(), nullable=True),
        sa.Column("closed_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["withdrawal_id"], ["withdrawal.id"], name=op.f("fk_withdrawal_row_withdrawal_id_withdrawal")
        ),
        sa.ForeignKeyConstraint(["metric_id"], ["metric.id"], name=op.f("fk_withdrawal_row_metric_id_metric")),
        sa.ForeignKeyConstraint(
            ["closed_run_id"], ["ingest_run.id"], name=op.f("fk_withdrawal_row_closed_run_id_ingest_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal_row")),
    )
    op.create_index("ix_withdrawal_row_withdrawal", "withdrawal_row", ["withdrawal_id"])


def downgrade() -> None:
    op.drop_index("ix_withdrawal_row_withdrawal", table_name="withdrawal_row")
    op.drop_table("withdrawal_row")
    op.drop_index("ix_withdrawal_feed_status", table_name="withdrawal")
    op.drop_table("withdrawal")
