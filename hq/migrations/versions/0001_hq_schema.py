"""hq schema: access, journal and projections, catalog with change cursor

Revision ID: 0001
Revises:
Create Date: 2026-11-25 04:15:35.751414
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("change_seq")))
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=True),
        sa.Column("terminal_id", sa.String(length=16), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("tax_code", sa.String(length=4), nullable=False),
        sa.Column("return_days", sa.Integer(), nullable=False),
        sa.Column("final_sale", sa.Boolean(), nullable=False),
        sa.Column("receipt_required", sa.Boolean(), nullable=False),
        sa.Column("restocking_fee_percent", sa.String(length=8), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
    )
    op.create_index(op.f("ix_categories_version"), "categories", ["version"], unique=False)
    op.create_table(
        "enrol_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_enrol_codes")),
    )
    op.create_table(
        "exceptions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("sale_line_id", sa.String(length=36), nullable=False),
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exceptions")),
        sa.UniqueConstraint("return_id", "sale_line_id", name=op.f("uq_exceptions_return_id_sale_line_id")),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=48), nullable=False),
        sa.Column("barcode", sa.String(length=14), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.String(length=36), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_code", sa.String(length=4), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("barcode", name=op.f("uq_items_barcode")),
        sa.UniqueConstraint("sku", name=op.f("uq_items_sku")),
    )
    op.create_index(op.f("ix_items_version"), "items", ["version"], unique=False)
    op.create_table(
        "journal",
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "terminal_id", "seq", name=op.f("pk_journal")),
    )
    op.create_table(
        "return_lines",
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sale_line_id", sa.String(length=36), nullable=True),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("return_id", "line_no", name=op.f("pk_return_lines")),
    )
    op.create_index(op.f("ix_return_lines_sale_line_id"), "return_lines", ["sale_line_id"], unique=False)
    op.create_table(
        "return_refunds",
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("original_sale_id", sa.String(length=36), nullable=True),
        sa.Column("original_tender_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("return_id", "seq", name=op.f("pk_return_refunds")),
    )
    op.create_index(op.f("ix_return_refunds_original_sale_id"), "return_refunds", ["original_sale_id"], unique=False)
    op.create_table(
        "return_reservations",
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("sale_line_id", sa.String(length=36), nullable=False),
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("return_id", "sale_line_id", name=op.f("pk_return_reservations")),
    )
    op.create_index(op.f("ix_return_reservations_sale_line_id"), "return_reservations", ["sale_line_id"], unique=False)
    op.create_table(
        "returns",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("return_number", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("original_sale_id", sa.String(length=36), nullable=True),
        sa.Column("original_receipt", sa.String(length=32), nullable=True),
        sa.Column("completed_at", sa.String(length=32), nullable=False),
        sa.Column("refund_minor", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
    )
    op.create_index(op.f("ix_returns_original_sale_id"), "returns", ["original_sale_id"], unique=False)
    op.create_table(
        "sale_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("line_discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("order_discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_code", sa.String(length=4), nullable=False),
        sa.Column("tax_rate", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_lines")),
    )
    op.create_index(op.f("ix_sale_lines_sale_id"), "sale_lines", ["sale_id"], unique=False)
    op.create_table(
        "sale_tenders",
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tendered_minor", sa.BigInteger(), nullable=False),
        sa.Column("card_brand", sa.String(length=32), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("approval_code", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("sale_id", "seq", name=op.f("pk_sale_tenders")),
    )
    op.create_table(
        "sales",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("receipt_number", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("cashier_id", sa.String(length=36), nullable=False),
        sa.Column("completed_at", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("rounding_minor", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales")),
        sa.UniqueConstraint("receipt_number", name=op.f("uq_sales_receipt_number")),
    )
    op.create_index("ix_sales_original_lookup", "sales", ["store_id", "terminal_id", "seq"], unique=False)
    op.create_table(
        "tax_classes",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("rate", sa.String(length=16), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_tax_classes")),
    )
    op.create_index(op.f("ix_tax_classes_version"), "tax_classes", ["version"], unique=False)
    op.create_table(
        "terminals",
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("last_push_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("store_id", "terminal_id", name=op.f("pk_terminals")),
    )
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=True),
        sa.Column("terminal_id", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_tokens")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("pin_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index(op.f("ix_users_version"), "users", ["version"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_users_version"), table_name="users")
    op.drop_table("users")
    op.drop_table("tokens")
    op.drop_table("terminals")
    op.drop_index(op.f("ix_tax_classes_version"), table_name="tax_classes")
    op.drop_table("tax_classes")
    op.drop_index("ix_sales_original_lookup", table_name="sales")
    op.drop_table("sales")
    op.drop_table("sale_tenders")
    op.drop_index(op.f("ix_sale_lines_sale_id"), table_name="sale_lines")
    op.drop_table("sale_lines")
    op.drop_index(op.f("ix_returns_original_sale_id"), table_name="returns")
    op.drop_table("returns")
    op.drop_index(op.f("ix_return_reservations_sale_line_id"), table_name="return_reservations")
    op.drop_table("return_reservations")
    op.drop_index(op.f("ix_return_refunds_original_sale_id"), table_name="return_refunds")
    op.drop_table("return_refunds")
    op.drop_index(op.f("ix_return_lines_sale_line_id"), table_name="return_lines")
    op.drop_table("return_lines")
    op.drop_table("journal")
    op.drop_index(op.f("ix_items_version"), table_name="items")
    op.drop_table("items")
    op.drop_table("exceptions")
    op.drop_table("enrol_codes")
    op.drop_index(op.f("ix_categories_version"), table_name="categories")
    op.drop_table("categories")
    op.drop_table("alerts")
    op.execute(sa.schema.DropSequence(sa.Sequence("change_seq")))
