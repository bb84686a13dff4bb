"""feed roles (which feeds `tracker status` judges) and the final URL of a redirected fetch

Revision ID: 0003_feed_roles
Revises: 0002_claims
Create Date: 2026-11-26 02:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_feed_roles"
down_revision = "0002_claims"
branch_labels = None
depends_on = None

# The feeds the morning job ran before `tracker daily` existed (scripts/daily-job): they stay judged.
DAILY_FEEDS = ("ua-dataset", "claims-file")


def upgrade() -> None:
    with op.batch_alter_table("feed") as batch:
        batch.add_column(sa.Column("role", sa.String(length=16), server_default="one-off", nullable=False))
    with op.batch_alter_table("payload_fetch") as batch:
        batch.add_column(sa.Column("final_location", sa.Text(), nullable=True))
    feed = sa.table("feed", sa.column("name", sa.String), sa.column("role", sa.String))
    op.execute(feed.update().where(feed.c.name.in_(DAILY_FEEDS)).values(role="daily"))


def downgrade() -> None:
    with op.batch_alter_table("payload_fetch") as batch:
        batch.drop_column("final_location")
    with op.batch_alter_table("feed") as batch:
        batch.drop_column("role")
