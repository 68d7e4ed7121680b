"""hq schema: the language a customer reads their documents in (customers.language; "" is the
store's), sent by the lanes with the customer's details (hq/people.py) and pulled by the others

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("language", sa.String(length=8), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("customers", "language")
