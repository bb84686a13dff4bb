"""every series carries its side (whose losses) and definition (what it counts); sources carry
their date convention, default side and definition, and licence

Revision ID: 0004_series_side_definition
Revises: 0003_feed_roles
Create Date: 2026-11-26 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_series_side_definition"
down_revision = "0003_feed_roles"
branch_labels = None
depends_on = None

OLD_KEY = ["feed_id", "kind", "metric_id", "report_date", "revision"]
NEW_KEY = ["feed_id", "kind", "metric_id", "side", "report_date", "revision"]


def upgrade() -> None:
    # Every row stored before this revision is a Russian loss (the General Staff's claims).
    with op.batch_alter_table("observation") as batch:
        batch.add_column(sa.Column("side", sa.String(length=16), server_default="russia", nullable=False))
        batch.add_column(sa.Column("definition", sa.String(length=32), nullable=True))
        batch.drop_constraint("uq_observation_revision", type_="unique")
        batch.create_unique_constraint("uq_observation_revision", NEW_KEY)
        batch.drop_index("ix_observation_current")
        batch.create_index("ix_observation_current", ["feed_id", "kind", "metric_id", "side", "superseded_at"])
        # A dated snapshot (Oryx's) is diffed against its own date only: found by date, not by scanning.
        batch.create_index("ix_observation_window", ["feed_id", "report_date"])
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("dates_by", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("side", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("definition", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("licence", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source") as batch:
        for column in ("licence", "definition", "side", "dates_by"):
            batch.drop_column(column)
    with op.batch_alter_table("observation") as batch:
        batch.drop_index("ix_observation_window")
        batch.drop_index("ix_observation_current")
        batch.create_index("ix_observation_current", ["feed_id", "kind", "metric_id", "superseded_at"])
        batch.drop_constraint("uq_observation_revision", type_="unique")
        batch.create_unique_constraint("uq_observation_revision", OLD_KEY)
        batch.drop_column("definition")
        batch.drop_column("side")
