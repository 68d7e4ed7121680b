"""languages: the screen language a person chose (users.language) and the language a customer
reads their documents in (customers.language); empty is the store's language (counter.i18n)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN: the tables keep their indexes and triggers; a store made at this
    # head and then set back (the tests' way of making a store behind) has them already
    have = sa.inspect(op.get_bind())
    for table in ("users", "customers"):
        if "language" not in {c["name"] for c in have.get_columns(table)}:
            op.add_column(table, sa.Column("language", sa.String(length=8), nullable=False, server_default=""))


def downgrade() -> None:
    # ALTER TABLE DROP COLUMN (SQLite 3.35): no copy of the tables, which others refer to
    op.drop_column("customers", "language")
    op.drop_column("users", "language")
