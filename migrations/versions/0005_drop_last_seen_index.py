"""drop the observation index on last_seen_run_id: only the confirmation of an unchanged payload
used it, and that statement names the feed, whose rows the unique key already finds; every insert
and every confirmation paid for keeping it

Revision ID: 0005_drop_last_seen_index
Revises: 0004_series_side_definition
Create Date: 2026-11-26 13:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0005_drop_last_seen_index"
down_revision = "0004_series_side_definition"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_observation_last_seen_run", table_name="observation")


def downgrade() -> None:
    op.create_index("ix_observation_last_seen_run", "observation", ["last_seen_run_id"])
