"""items without the category index: nothing on a lane reads items by category (look-ups are
by barcode, SKU, id and name search), and categories are never deleted nor re-keyed here
(a deleted one stays: past sales and items name it), so the index only cost every item
written: 0.55 s of 4.5 s for a million items (raw sqlite3, docs/benchmarks.md), which a
first catalog load pays on the lane's one writer (issue #22, the first pull).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_items_category")


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_items_category ON items (category_id)")
