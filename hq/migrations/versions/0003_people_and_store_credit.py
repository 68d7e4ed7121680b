"""hq schema: customers, their links, store-credit vouchers and their movements (downstream)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 07:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _versioned(name: str, *columns: sa.Column, pk: str) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        *columns,
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(pk, name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_version"), name, ["version"], unique=False)


def upgrade() -> None:
    _versioned(
        "customers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("origin_terminal", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("loyalty_card", sa.String(length=13), nullable=True),
        sa.Column("email_consent", sa.Boolean(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        pk="id",
    )
    _versioned(
        "customer_links",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.String(length=36), nullable=False),
        sa.Column("ref_number", sa.String(length=32), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        pk="id",
    )
    op.create_index(op.f("ix_customer_links_customer_id"), "customer_links", ["customer_id"], unique=False)
    _versioned(
        "vouchers",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.String(length=32), nullable=False),
        sa.Column("issued_by", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=36), nullable=True),
        sa.Column("initial_minor", sa.BigInteger(), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        pk="code",
    )
    _versioned(
        "voucher_movements",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("voucher_code", sa.String(length=16), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=36), nullable=False),
        pk="id",
    )
    op.create_index(op.f("ix_voucher_movements_voucher_code"), "voucher_movements", ["voucher_code"], unique=False)


def downgrade() -> None:
    for name in ("voucher_movements", "vouchers", "customer_links", "customers"):
        op.drop_table(name)
