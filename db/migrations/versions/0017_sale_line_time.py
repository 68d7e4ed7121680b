"""sale line time: each sale line carries its sale's completed_at (written by the write path,
counter.projection, and compared by ``counter journal verify`` like every other column), and
the index (item_id, completed_at, amount_minor, quantity) replaces (item_id) of 0007, so the
lowest recent price of an item (a no-receipt return) is one range of one index instead of a
look-up of every line's sale (issue #22 point 3)

Revision ID: 0017
Revises: 0016

The upgrade fills the column of every existing line from its sale (the append-only trigger
of sale_lines is lifted for that one UPDATE, in the migration's transaction, and put back).
On the benchmark store (10,020,878 lines, 11.2 GB) it took 55 s in the transaction and 7 s
to checkpoint the WAL, once, at the first start after the upgrade (plus the copy the app
takes before any migration, db/upgrade.py); the file grew by ~1 GB. The downgrade drops
the index and the column and restores 0007's index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

INDEX = "ix_sale_lines_item_time_amount"
OLD_INDEX = "ix_sale_lines_item_id"
NO_UPDATE = (
    "CREATE TRIGGER sale_lines_no_update BEFORE UPDATE ON sale_lines BEGIN "
    "SELECT RAISE(ABORT, 'sale_lines is append-only: record a correction instead'); END"
)


def upgrade() -> None:
    have = sa.inspect(op.get_bind())
    # a store made at this head and then set back (the tests' way of making a store
    # behind) has the column and the index already
    if "completed_at" not in {c["name"] for c in have.get_columns("sale_lines")}:
        # NOT NULL needs a default for ADD COLUMN; every row gets its sale's time below
        op.add_column("sale_lines", sa.Column("completed_at", sa.String(length=32), nullable=False, server_default=""))
        op.execute("DROP TRIGGER IF EXISTS sale_lines_no_update")
        op.execute(
            "UPDATE sale_lines SET completed_at = "
            "(SELECT sales.completed_at FROM sales WHERE sales.id = sale_lines.sale_id)"
        )
        op.execute(NO_UPDATE)
    indexes = {i["name"] for i in have.get_indexes("sale_lines")}
    if INDEX not in indexes:
        op.create_index(INDEX, "sale_lines", ["item_id", "completed_at", "amount_minor", "quantity"])
    if OLD_INDEX in indexes:
        op.drop_index(OLD_INDEX, table_name="sale_lines")


def downgrade() -> None:
    op.create_index(OLD_INDEX, "sale_lines", ["item_id"])
    op.drop_index(INDEX, table_name="sale_lines")
    # ALTER TABLE DROP COLUMN (SQLite 3.35): rewrites the rows in place, no copy of the
    # table that return_lines and adjustments refer to
    op.drop_column("sale_lines", "completed_at")
