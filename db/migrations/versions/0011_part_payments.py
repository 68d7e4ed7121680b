"""part payments: each tender of a sale taken before the sale is paid in full (its
PartPaymentTaken entry's rows), and what a void gave back by tender (a SaleVoided entry with
``given_back``); both append-only (counter.sales.part_payments, counter.sales.voids)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

APPEND_ONLY = ("part_payments", "voided_payments")


def _card_and_voucher() -> list[sa.Column[object]]:
    return [
        sa.Column("card_brand", sa.String(length=32), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("approval_code", sa.String(length=12), nullable=True),
        sa.Column("voucher_code", sa.String(length=16), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "part_payments",
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("taken_at", sa.String(length=32), nullable=False),
        sa.Column("cashier_id", sa.String(length=36), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("tendered_minor", sa.Integer(), nullable=False),
        *_card_and_voucher(),
        sa.PrimaryKeyConstraint("sale_id", "seq", name=op.f("pk_part_payments")),
    )
    op.create_index("ix_part_payments_terminal_taken", "part_payments", ["terminal_id", "taken_at"])
    op.create_table(
        "voided_payments",
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("void_number", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("given_back_at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("approver_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        *_card_and_voucher(),
        sa.Column("recorded_before", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("sale_id", "seq", name=op.f("pk_voided_payments")),
    )
    op.create_index(op.f("ix_voided_payments_void_number"), "voided_payments", ["void_number"])
    op.create_index("ix_voided_payments_terminal_at", "voided_payments", ["terminal_id", "given_back_at"])
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, '{table} is append-only: record a correction instead'); END"
            )


def downgrade() -> None:
    for table in APPEND_ONLY:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    op.drop_index("ix_voided_payments_terminal_at", table_name="voided_payments")
    op.drop_index(op.f("ix_voided_payments_void_number"), table_name="voided_payments")
    op.drop_table("voided_payments")
    op.drop_index("ix_part_payments_terminal_taken", table_name="part_payments")
    op.drop_table("part_payments")
