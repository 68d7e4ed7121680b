"""hq schema: an item's vendor (who supplies it), for the return rate by vendor; the kept
analysis days are dropped (they hold no rate by vendor) and made again

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("vendor", sa.String(length=80), nullable=True))
    op.execute("DELETE FROM analysis_chain_days")
    op.execute("DELETE FROM analysis_days")


def downgrade() -> None:
    op.drop_column("items", "vendor")
