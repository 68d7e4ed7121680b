"""hq schema: exceptions name what a person needs to act (receipt, returns, lanes, item, amount)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    ("receipt_number", sa.String(length=32)),
    ("return_numbers", sa.Text()),
    ("lanes", sa.Text()),
    ("sku", sa.String(length=48)),
    ("item_name", sa.String(length=200)),
    ("amount_minor", sa.BigInteger()),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("exceptions", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for name, _kind in reversed(COLUMNS):
        op.drop_column("exceptions", name)
