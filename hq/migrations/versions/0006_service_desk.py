"""hq schema: the service desk's tables (cases, contacts, referrals, orders, house accounts,
desk payments, bill adjustments), projected from every lane's desk events; the desk events
HQ's journal already holds are projected once by 0007 (hq.desk.backfill), after it changed them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: Parents first (the foreign keys point back to them).
TABLES = (
    "cases",
    "contacts",
    "contact_links",
    "case_events",
    "referrals",
    "referral_notes",
    "orders",
    "order_lines",
    "accounts",
    "desk_payments",
    "desk_tenders",
    "account_entries",
    "adjustments",
)


def _origin() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("origin_terminal", sa.String(length=16), nullable=False),
        sa.Column("origin_seq", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "cases",
        *_origin(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.String(length=32), nullable=False),
        sa.Column("opened_by", sa.String(length=36), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("follow_up_on", sa.String(length=10), nullable=True),
        sa.Column("follow_up_note", sa.Text(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("store_id", "id", name=op.f("pk_cases")),
        sa.UniqueConstraint(
            "store_id", "number", "origin_terminal", name=op.f("uq_cases_store_id_number_origin_terminal")
        ),
    )
    op.create_table(
        "contacts",
        *_origin(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("words", sa.Text(), nullable=True),
        sa.Column("actions", sa.Text(), nullable=True),
        sa.Column("handled_by", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id", "case_id"], ["cases.store_id", "cases.id"], name=op.f("fk_contacts_store_id_cases")
        ),
        sa.PrimaryKeyConstraint("store_id", "id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_store_id_case_id"), "contacts", ["store_id", "case_id"], unique=False)
    op.create_table(
        "contact_links",
        *_origin(),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id", "contact_id"],
            ["contacts.store_id", "contacts.id"],
            name=op.f("fk_contact_links_store_id_contacts"),
        ),
        sa.PrimaryKeyConstraint("store_id", "contact_id", "seq", name=op.f("pk_contact_links")),
    )
    op.create_table(
        "case_events",
        *_origin(),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("status_from", sa.String(length=16), nullable=True),
        sa.Column("status_to", sa.String(length=16), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id", "case_id"], ["cases.store_id", "cases.id"], name=op.f("fk_case_events_store_id_cases")
        ),
        sa.PrimaryKeyConstraint("store_id", "origin_terminal", "origin_seq", "n", name=op.f("pk_case_events")),
    )
    op.create_index(op.f("ix_case_events_store_id_case_id"), "case_events", ["store_id", "case_id"], unique=False)
    op.create_table(
        "referrals",
        *_origin(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("department_name", sa.String(length=80), nullable=True),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("due_on", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("referred_at", sa.String(length=32), nullable=False),
        sa.Column("referred_by", sa.String(length=36), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.String(length=32), nullable=True),
        sa.Column("told_at", sa.String(length=32), nullable=True),
        sa.Column("told_how", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id", "case_id"], ["cases.store_id", "cases.id"], name=op.f("fk_referrals_store_id_cases")
        ),
        sa.PrimaryKeyConstraint("store_id", "id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_store_id_case_id"), "referrals", ["store_id", "case_id"], unique=False)
    op.create_table(
        "referral_notes",
        *_origin(),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id", "referral_id"],
            ["referrals.store_id", "referrals.id"],
            name=op.f("fk_referral_notes_store_id_referrals"),
        ),
        sa.PrimaryKeyConstraint("store_id", "origin_terminal", "origin_seq", "n", name=op.f("pk_referral_notes")),
    )
    op.create_index(
        op.f("ix_referral_notes_store_id_referral_id"), "referral_notes", ["store_id", "referral_id"], unique=False
    )
    op.create_table(
        "orders",
        *_origin(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("min_deposit_minor", sa.BigInteger(), nullable=True),
        sa.Column("due_on", sa.String(length=10), nullable=False),
        sa.Column("cancel_fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("deposit_refundable", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.String(length=32), nullable=True),
        sa.Column("sale_id", sa.String(length=36), nullable=True),
        sa.Column("kept_minor", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("store_id", "id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "store_id", "number", "origin_terminal", name=op.f("uq_orders_store_id_number_origin_terminal")
        ),
    )
    op.create_index(op.f("ix_orders_store_id_status"), "orders", ["store_id", "status"], unique=False)
    op.create_table(
        "order_lines",
        *_origin(),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("category_id", sa.String(length=36), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_code", sa.String(length=4), nullable=True),
        sa.Column("tax_label", sa.String(length=64), nullable=True),
        sa.Column("tax_rate", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id", "order_id"], ["orders.store_id", "orders.id"], name=op.f("fk_order_lines_store_id_orders")
        ),
        sa.PrimaryKeyConstraint("store_id", "order_id", "line_no", name=op.f("pk_order_lines")),
    )
    op.create_table(
        "accounts",
        *_origin(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("credit_limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.String(length=32), nullable=False),
        sa.Column("opened_by", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "id", name=op.f("pk_accounts")),
        sa.UniqueConstraint(
            "store_id", "number", "origin_terminal", name=op.f("uq_accounts_store_id_number_origin_terminal")
        ),
    )
    op.create_table(
        "desk_payments",
        *_origin(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=True),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("account_id", sa.String(length=36), nullable=True),
        sa.Column("original_sale_id", sa.String(length=36), nullable=True),
        sa.Column("voucher_code", sa.String(length=16), nullable=True),
        sa.Column("reference", sa.String(length=36), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id", "account_id"],
            ["accounts.store_id", "accounts.id"],
            name=op.f("fk_desk_payments_store_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id", "order_id"], ["orders.store_id", "orders.id"], name=op.f("fk_desk_payments_store_id_orders")
        ),
        sa.PrimaryKeyConstraint("store_id", "id", name=op.f("pk_desk_payments")),
        sa.UniqueConstraint(
            "store_id", "number", "origin_terminal", name=op.f("uq_desk_payments_store_id_number_origin_terminal")
        ),
    )
    op.create_index(
        op.f("ix_desk_payments_store_id_account_id"), "desk_payments", ["store_id", "account_id"], unique=False
    )
    op.create_index(op.f("ix_desk_payments_store_id_order_id"), "desk_payments", ["store_id", "order_id"], unique=False)
    op.create_table(
        "desk_tenders",
        *_origin(),
        sa.Column("payment_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tendered_minor", sa.BigInteger(), nullable=False),
        sa.Column("card_brand", sa.String(length=32), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("approval_code", sa.String(length=12), nullable=True),
        sa.Column("voucher_code", sa.String(length=16), nullable=True),
        sa.Column("original_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id", "payment_id"],
            ["desk_payments.store_id", "desk_payments.id"],
            name=op.f("fk_desk_tenders_store_id_desk_payments"),
        ),
        sa.PrimaryKeyConstraint("store_id", "payment_id", "seq", name=op.f("pk_desk_tenders")),
    )
    op.create_table(
        "account_entries",
        *_origin(),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id", "account_id"],
            ["accounts.store_id", "accounts.id"],
            name=op.f("fk_account_entries_store_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("store_id", "origin_terminal", "origin_seq", "n", name=op.f("pk_account_entries")),
    )
    op.create_index(
        op.f("ix_account_entries_store_id_account_id"), "account_entries", ["store_id", "account_id"], unique=False
    )
    op.create_table(
        "adjustments",
        *_origin(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payment_id", sa.String(length=36), nullable=False),
        sa.Column("sale_id", sa.String(length=36), nullable=True),
        sa.Column("sale_line_id", sa.String(length=36), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("competitor", sa.String(length=120), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id", "payment_id"],
            ["desk_payments.store_id", "desk_payments.id"],
            name=op.f("fk_adjustments_store_id_desk_payments"),
        ),
        sa.PrimaryKeyConstraint("store_id", "id", name=op.f("pk_adjustments")),
        sa.UniqueConstraint(
            "store_id", "number", "origin_terminal", name=op.f("uq_adjustments_store_id_number_origin_terminal")
        ),
    )
    # The projection of what was pushed before these tables runs in 0007, which changes
    # them (it uses today's code and tables: hq.desk.backfill).


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
