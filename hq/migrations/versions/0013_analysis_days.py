"""hq schema: the analysis kept by store and day (issue #18: the analysis over every store
within 200 ms), the store days a push changed, and those being made again

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "analysis_days",
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("computed_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("store_id", "day", name=op.f("pk_analysis_days")),
    )
    op.create_index("ix_analysis_days_day", "analysis_days", ["day"], unique=False)
    op.create_table(
        "analysis_chain_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stores", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("computed_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_analysis_chain_days")),
    )
    op.create_table(
        "analysis_dirty",
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "day", name=op.f("pk_analysis_dirty")),
    )
    op.create_table(
        "analysis_refreshing",
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("store_id", "day", name=op.f("pk_analysis_refreshing")),
    )


def downgrade() -> None:
    for table in ("analysis_refreshing", "analysis_dirty", "analysis_chain_days", "analysis_days"):
        op.drop_table(table)
