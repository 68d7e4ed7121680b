"""hq schema: indexes for the back office's reads (issue #18, measured at 100 stores x 1
year in docs/benchmarks.md): returns, contacts and cases by store and time, the cash
entries of the journal by store and time (partial: DrawerOpened and ShiftClosed only), and
the open referrals by store and department. Not the sales by time: one more index on
every sale HQ takes (issue #22 measures ingest)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_returns_store_completed", "returns", ["store_id", "completed_at"], unique=False)
    op.create_index(
        "ix_journal_cash_by_period",
        "journal",
        ["store_id", "at"],
        unique=False,
        postgresql_where=sa.text("type IN ('DrawerOpened', 'ShiftClosed')"),
    )
    op.create_index("ix_contacts_store_at", "contacts", ["store_id", "at"], unique=False)
    op.create_index("ix_cases_store_opened", "cases", ["store_id", "opened_at"], unique=False)
    op.create_index(
        "ix_referrals_open_by_department",
        "referrals",
        ["store_id", "department"],
        unique=False,
        postgresql_where=sa.text("status IN ('open', 'answered')"),
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_open_by_department", table_name="referrals")
    op.drop_index("ix_cases_store_opened", table_name="cases")
    op.drop_index("ix_contacts_store_at", table_name="contacts")
    op.drop_index("ix_journal_cash_by_period", table_name="journal")
    op.drop_index("ix_returns_store_completed", table_name="returns")
