"""hq schema: returns without a receipt by customer key, with the limit each was taken under,
and the holds of those being taken, so a customer's no-receipt total holds across lanes and
stores (hq/no_receipt.py); exceptions name the customer key of one over the limit. The
no-receipt returns HQ's journal already holds are projected once here (hq.no_receipt.backfill)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "no_receipt_returns",
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("customer_key", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("return_number", sa.String(length=32), nullable=False),
        sa.Column("completed_at", sa.String(length=32), nullable=False),
        sa.Column("refund_minor", sa.BigInteger(), nullable=False),
        sa.Column("limit_minor", sa.BigInteger(), nullable=True),
        sa.Column("window_days", sa.Integer(), nullable=True),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("return_id", name=op.f("pk_no_receipt_returns")),
    )
    op.create_index(op.f("ix_no_receipt_returns_customer_key"), "no_receipt_returns", ["customer_key"], unique=False)
    op.create_table(
        "no_receipt_holds",
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("customer_key", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("return_id", name=op.f("pk_no_receipt_holds")),
    )
    op.create_index(op.f("ix_no_receipt_holds_customer_key"), "no_receipt_holds", ["customer_key"], unique=False)
    op.add_column("exceptions", sa.Column("customer_key", sa.String(length=64), nullable=True))

    from hq.no_receipt import backfill

    backfill(op.get_bind())


def downgrade() -> None:
    op.drop_column("exceptions", "customer_key")
    op.drop_index(op.f("ix_no_receipt_holds_customer_key"), table_name="no_receipt_holds")
    op.drop_table("no_receipt_holds")
    op.drop_index(op.f("ix_no_receipt_returns_customer_key"), table_name="no_receipt_returns")
    op.drop_table("no_receipt_returns")
