"""customer links from HQ: what the linked sale or return came to and a line about it, so a
customer's history at this lane also lists the purchases and returns made at other lanes
(their documents stay at HQ; this store file holds only its own)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns added in place (SQLite's ADD COLUMN): the append-only triggers stay.
    # A column already there (a store whose version was set back by hand) is left as it is.
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("customer_links")}
    if "amount_minor" not in have:
        op.add_column("customer_links", sa.Column("amount_minor", sa.Integer(), nullable=True))
    if "summary" not in have:
        op.add_column("customer_links", sa.Column("summary", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("customer_links", "summary")
    op.drop_column("customer_links", "amount_minor")
