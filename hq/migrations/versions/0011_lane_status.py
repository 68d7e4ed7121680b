"""hq schema: each lane's report of its state after a sync cycle (backlog, app version,
printer, desk events waiting), shown on the back office's lanes page

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lane_status",
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("reported_at", STAMP, nullable=False),
        sa.Column("backlog", sa.BigInteger(), nullable=False),
        sa.Column("app_version", sa.String(length=40), nullable=False),
        sa.Column("printer", sa.String(length=60), nullable=False),
        sa.Column("desk_waiting", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "terminal_id", name=op.f("pk_lane_status")),
    )


def downgrade() -> None:
    op.drop_table("lane_status")
