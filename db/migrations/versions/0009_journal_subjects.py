"""journal subjects: expression indexes that find a sale's own entry and the entries of its
returns, so a return checks the receipt's rows against their sealed entries before any
money is decided (counter.returns.lookup.load_context, db.returns.SqlReturns.differences_from_journal)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_journal_sale_subject ON journal (json_extract(body, '$.sale_id')) "
        "WHERE type IN ('SaleCompleted', 'SaleAdopted')"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_journal_return_subject ON journal (json_extract(body, '$.original_sale_id')) "
        "WHERE type = 'ReturnProcessed'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_journal_sale_subject")
    op.execute("DROP INDEX IF EXISTS ix_journal_return_subject")
