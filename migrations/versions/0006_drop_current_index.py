"""drop the observation index on (feed, kind, metric, side, superseded_at): every query that used
it names a series' feed, kind, metric and side, the first four columns of the unique key, which
finds the same rows (and orders them by report date, which the index did not); every insert,
every supersession and every first load paid for keeping a third B-tree of the table

Revision ID: 0006_drop_current_index
Revises: 0005_drop_last_seen_index
Create Date: 2026-11-26 14:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0006_drop_current_index"
down_revision = "0005_drop_last_seen_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_observation_current", table_name="observation")


def downgrade() -> None:
    op.create_index("ix_observation_current", "observation", ["feed_id", "kind", "metric_id", "side", "superseded_at"])
