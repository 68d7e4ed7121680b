"""the service desk: customers (contact changes and addresses kept as history), customer
links to their transactions, contacts and cases with their events, referrals and the
departments' notes, special orders and layaways, house accounts, desk payments and their
tenders, bill adjustments.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: Never updated nor deleted: corrections are new rows.
APPEND_ONLY = (
    "customer_changes",
    "customer_addresses",
    "customer_links",
    "case_events",
    "contacts",
    "contact_links",
    "referral_notes",
    "order_lines",
    "account_entries",
    "desk_payments",
    "desk_tenders",
    "adjustments",
)
#: Mutable rows whose every change is also a history row (above) and a journal entry;
#: they are never deleted.
NEVER_DELETED = ("customers", "cases", "referrals", "orders", "accounts")


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("loyalty_card", sa.String(length=13), nullable=True),
        sa.Column("email_consent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("email", name=op.f("uq_customers_email")),
        sa.UniqueConstraint("loyalty_card", name=op.f("uq_customers_loyalty_card")),
        sa.UniqueConstraint("phone", name=op.f("uq_customers_phone")),
    )
    op.create_index("ix_customers_name", "customers", ["name"], unique=False)
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("credit_limit_minor", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.String(length=32), nullable=False),
        sa.Column("opened_by", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_accounts_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_accounts_customer_id")),
        sa.UniqueConstraint("number", name=op.f("uq_accounts_number")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.String(length=32), nullable=False),
        sa.Column("opened_by", sa.String(length=36), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("follow_up_on", sa.String(length=10), nullable=True),
        sa.Column("follow_up_note", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_cases_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_cases_number")),
    )
    op.create_index(op.f("ix_cases_customer_id"), "cases", ["customer_id"], unique=False)
    op.create_index(op.f("ix_cases_follow_up_on"), "cases", ["follow_up_on"], unique=False)
    op.create_table(
        "customer_addresses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("line1", sa.String(length=120), nullable=False),
        sa.Column("line2", sa.String(length=120), nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("postal_code", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("valid_from", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_addresses_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_addresses")),
    )
    op.create_index(op.f("ix_customer_addresses_customer_id"), "customer_addresses", ["customer_id"], unique=False)
    op.create_table(
        "customer_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=False),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_changes_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_changes")),
    )
    op.create_index(op.f("ix_customer_changes_customer_id"), "customer_changes", ["customer_id"], unique=False)
    op.create_table(
        "customer_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.String(length=36), nullable=False),
        sa.Column("ref_number", sa.String(length=32), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_links_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_links")),
    )
    op.create_index(op.f("ix_customer_links_customer_id"), "customer_links", ["customer_id"], unique=False)
    op.create_index("ix_customer_links_kind_ref", "customer_links", ["kind", "ref_number"], unique=False)
    op.create_table(
        "account_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_account_entries_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_entries")),
    )
    op.create_index(op.f("ix_account_entries_account_id"), "account_entries", ["account_id"], unique=False)
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("status_from", sa.String(length=16), nullable=False),
        sa.Column("status_to", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index(op.f("ix_case_events_case_id"), "case_events", ["case_id"], unique=False)
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("handled_by", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_contacts_case_id_cases")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_contacts_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_at"), "contacts", ["at"], unique=False)
    op.create_index(op.f("ix_contacts_case_id"), "contacts", ["case_id"], unique=False)
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("tax_minor", sa.Integer(), nullable=False),
        sa.Column("min_deposit_minor", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.String(length=10), nullable=False),
        sa.Column("cancel_fee_minor", sa.Integer(), nullable=False),
        sa.Column("deposit_refundable", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.String(length=32), nullable=True),
        sa.Column("sale_id", sa.String(length=36), nullable=True),
        sa.Column("kept_minor", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name=op.f("fk_orders_sale_id_sales")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    op.create_index(op.f("ix_orders_customer_id"), "orders", ["customer_id"], unique=False)
    op.create_table(
        "referrals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("department_name", sa.String(length=80), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("due_on", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("referred_at", sa.String(length=32), nullable=False),
        sa.Column("referred_by", sa.String(length=36), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.String(length=32), nullable=True),
        sa.Column("told_at", sa.String(length=32), nullable=True),
        sa.Column("told_how", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_case_id"), "referrals", ["case_id"], unique=False)
    op.create_index("ix_referrals_department_status", "referrals", ["department", "status"], unique=False)
    op.create_table(
        "contact_links",
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_contact_links_contact_id_contacts")),
        sa.PrimaryKeyConstraint("contact_id", "seq", name=op.f("pk_contact_links")),
    )
    op.create_table(
        "desk_payments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("account_id", sa.String(length=36), nullable=True),
        sa.Column("original_sale_id", sa.String(length=36), nullable=True),
        sa.Column("voucher_code", sa.String(length=16), nullable=True),
        sa.Column("reference", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_desk_payments_account_id_accounts")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_desk_payments_customer_id_customers")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_desk_payments_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["original_sale_id"], ["sales.id"], name=op.f("fk_desk_payments_original_sale_id_sales")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_payments")),
        sa.UniqueConstraint("number", name=op.f("uq_desk_payments_number")),
    )
    op.create_index(op.f("ix_desk_payments_customer_id"), "desk_payments", ["customer_id"], unique=False)
    op.create_index(op.f("ix_desk_payments_order_id"), "desk_payments", ["order_id"], unique=False)
    op.create_index(op.f("ix_desk_payments_original_sale_id"), "desk_payments", ["original_sale_id"], unique=False)
    op.create_index("ix_desk_payments_terminal_at", "desk_payments", ["terminal_id", "at"], unique=False)
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.Column("tax_code", sa.String(length=4), nullable=False),
        sa.Column("tax_label", sa.String(length=64), nullable=False),
        sa.Column("tax_rate", sa.String(length=16), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_order_quantity_positive")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")),
        sa.PrimaryKeyConstraint("order_id", "line_no", name=op.f("pk_order_lines")),
    )
    op.create_table(
        "referral_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_referral_notes_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_notes")),
    )
    op.create_index(op.f("ix_referral_notes_referral_id"), "referral_notes", ["referral_id"], unique=False)
    op.create_table(
        "adjustments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payment_id", sa.String(length=36), nullable=False),
        sa.Column("sale_id", sa.String(length=36), nullable=True),
        sa.Column("sale_line_id", sa.String(length=36), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("tax_minor", sa.Integer(), nullable=False),
        sa.Column("gross_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("competitor", sa.String(length=120), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_adjustments_customer_id_customers")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["desk_payments.id"], name=op.f("fk_adjustments_payment_id_desk_payments")
        ),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name=op.f("fk_adjustments_sale_id_sales")),
        sa.ForeignKeyConstraint(
            ["sale_line_id"], ["sale_lines.id"], name=op.f("fk_adjustments_sale_line_id_sale_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjustments")),
        sa.UniqueConstraint("number", name=op.f("uq_adjustments_number")),
    )
    op.create_index(op.f("ix_adjustments_sale_id"), "adjustments", ["sale_id"], unique=False)
    op.create_table(
        "desk_tenders",
        sa.Column("payment_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("tendered_minor", sa.Integer(), nullable=False),
        sa.Column("card_brand", sa.String(length=32), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("approval_code", sa.String(length=12), nullable=True),
        sa.Column("voucher_code", sa.String(length=16), nullable=True),
        sa.Column("original_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["desk_payments.id"], name=op.f("fk_desk_tenders_payment_id_desk_payments")
        ),
        sa.PrimaryKeyConstraint("payment_id", "seq", name=op.f("pk_desk_tenders")),
    )
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, '{table} is append-only: record a correction instead'); END"
            )
    for table in NEVER_DELETED:
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN "
            f"SELECT RAISE(ABORT, '{table} are never deleted: their history must stay'); END"
        )
    # A closed order (picked up or cancelled) is never edited again.
    op.execute(
        "CREATE TRIGGER orders_closed_no_update BEFORE UPDATE ON orders WHEN OLD.status != 'open' BEGIN "
        "SELECT RAISE(ABORT, 'a picked-up or cancelled order can never be edited'); END"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS orders_closed_no_update")
    for table in NEVER_DELETED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    for table in APPEND_ONLY:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    op.drop_table("desk_tenders")
    op.drop_index(op.f("ix_adjustments_sale_id"), table_name="adjustments")
    op.drop_table("adjustments")
    op.drop_index(op.f("ix_referral_notes_referral_id"), table_name="referral_notes")
    op.drop_table("referral_notes")
    op.drop_table("order_lines")
    op.drop_index("ix_desk_payments_terminal_at", table_name="desk_payments")
    op.drop_index(op.f("ix_desk_payments_original_sale_id"), table_name="desk_payments")
    op.drop_index(op.f("ix_desk_payments_order_id"), table_name="desk_payments")
    op.drop_index(op.f("ix_desk_payments_customer_id"), table_name="desk_payments")
    op.drop_table("desk_payments")
    op.drop_table("contact_links")
    op.drop_index("ix_referrals_department_status", table_name="referrals")
    op.drop_index(op.f("ix_referrals_case_id"), table_name="referrals")
    op.drop_table("referrals")
    op.drop_index(op.f("ix_orders_customer_id"), table_name="orders")
    op.drop_table("orders")
    op.drop_index(op.f("ix_contacts_case_id"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_at"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_index(op.f("ix_case_events_case_id"), table_name="case_events")
    op.drop_table("case_events")
    op.drop_index(op.f("ix_account_entries_account_id"), table_name="account_entries")
    op.drop_table("account_entries")
    op.drop_index("ix_customer_links_kind_ref", table_name="customer_links")
    op.drop_index(op.f("ix_customer_links_customer_id"), table_name="customer_links")
    op.drop_table("customer_links")
    op.drop_index(op.f("ix_customer_changes_customer_id"), table_name="customer_changes")
    op.drop_table("customer_changes")
    op.drop_index(op.f("ix_customer_addresses_customer_id"), table_name="customer_addresses")
    op.drop_table("customer_addresses")
    op.drop_index(op.f("ix_cases_follow_up_on"), table_name="cases")
    op.drop_index(op.f("ix_cases_customer_id"), table_name="cases")
    op.drop_table("cases")
    op.drop_table("accounts")
    op.drop_index("ix_customers_name", table_name="customers")
    op.drop_table("customers")
