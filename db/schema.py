"""The local store's tables (SQLAlchemy Core). Alembic migrations in db/migrations create
them; tests/db/test_store.py checks that the migrations and this metadata agree.

Money is always an INTEGER of minor units (``*_minor``): SQLite's NUMERIC goes through
float. Rates are TEXT decimals. Timestamps are TEXT in UTC (``2026-11-25T03:23:14.000000Z``)
so that they sort and compare as strings.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from db.metadata import metadata as metadata

# The card terminal's tables (migration 0014), on the same metadata.
from db.schema_cards import (
    card_answers as card_answers,
    card_days as card_days,
    card_pending as card_pending,
    card_refunds_closed as card_refunds_closed,
    card_requests as card_requests,
)

# The service desk's tables, on the same metadata (re-exported: ``s.cases`` and the like).
from db.schema_desk import (
    account_entries as account_entries,
    accounts as accounts,
    adjustments as adjustments,
    case_events as case_events,
    cases as cases,
    contact_links as contact_links,
    contacts as contacts,
    customer_addresses as customer_addresses,
    customer_changes as customer_changes,
    customer_links as customer_links,
    customers as customers,
    departments as departments,
    desk_inbox as desk_inbox,
    desk_payments as desk_payments,
    desk_received as desk_received,
    desk_tenders as desk_tenders,
    desk_texts as desk_texts,
    order_lines as order_lines,
    orders as orders,
    referral_escalations as referral_escalations,
    referral_notes as referral_notes,
    referrals as referrals,
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

tax_classes = Table(
    "tax_classes",
    metadata,
    Column("code", String(4), primary_key=True),
    Column("label", String(64), nullable=False),
    Column("rate", String(16), nullable=False),
)

categories = Table(
    "categories",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("tax_code", String(4), ForeignKey("tax_classes.code"), nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("rowid", Integer, primary_key=True),  # stable integer key for the FTS index
    Column("id", String(36), nullable=False, unique=True),
    Column("sku", String(48), nullable=False, unique=True),
    Column("barcode", String(14), nullable=True, unique=True),  # canonical GTIN-14
    Column("name", String(200), nullable=False),
    Column("category_id", String(36), ForeignKey("categories.id"), nullable=False),
    Column("price_minor", Integer, nullable=False),
    Column("tax_code", String(4), ForeignKey("tax_classes.code"), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    CheckConstraint("price_minor >= 0", name="price_not_negative"),
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("pin_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_until", String(32), nullable=True),
    Column("badge_hash", String(64), nullable=True),  # HMAC of the staff badge (migration 0006)
    Column("language", String(8), nullable=False, default="", server_default=""),  # screen language (0015)
)
# A badge signs in one person only.
Index("ux_users_badge_hash", users.c.badge_hash, unique=True, sqlite_where=users.c.badge_hash.isnot(None))

sales = Table(
    "sales",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("receipt_number", String(32), nullable=False, unique=True),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("cashier_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("cashier_name", String(120), nullable=False),
    Column("completed_at", String(32), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("prices_include_tax", Boolean, nullable=False),
    Column("subtotal_minor", Integer, nullable=False),
    Column("discount_minor", Integer, nullable=False),
    Column("tax_minor", Integer, nullable=False),
    Column("total_minor", Integer, nullable=False),
    Column("rounding_minor", Integer, nullable=False),
    Column("change_minor", Integer, nullable=False),
)

sale_lines = Table(
    "sale_lines",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("sale_id", String(36), ForeignKey("sales.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("item_id", String(36), nullable=False),
    Column("sku", String(48), nullable=False),
    Column("name", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", Integer, nullable=False),
    Column("line_discount_minor", Integer, nullable=False),
    Column("order_discount_minor", Integer, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("tax_minor", Integer, nullable=False),
    Column("gross_minor", Integer, nullable=False),
    Column("tax_code", String(4), nullable=False),
    Column("tax_rate", String(16), nullable=False),
    # the sale's completed_at, copied onto each line by the write path (counter.projection,
    # migration 0017) so an item's recent prices are one index range: verify derives and
    # compares it like every other column; '' only as the ADD COLUMN's required default
    Column("completed_at", String(32), nullable=False, server_default=""),
    UniqueConstraint("sale_id", "line_no"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

sale_taxes = Table(
    "sale_taxes",
    metadata,
    Column("sale_id", String(36), ForeignKey("sales.id"), primary_key=True),
    Column("code", String(4), primary_key=True),
    Column("label", String(64), nullable=False),
    Column("rate", String(16), nullable=False),
    Column("base_minor", Integer, nullable=False),
    Column("tax_minor", Integer, nullable=False),
)

tenders = Table(
    "tenders",
    metadata,
    Column("sale_id", String(36), ForeignKey("sales.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("tendered_minor", Integer, nullable=False),
    Column("card_brand", String(32), nullable=True),
    Column("card_last4", String(4), nullable=True),
    Column("approval_code", String(12), nullable=True),
    Column("voucher_code", String(16), nullable=True),
)

#: A tender of a sale taken before the sale is paid in full, as it was taken (the projection of
#: its PartPaymentTaken entry, migration 0011): the sale completes with it, or is voided and
#: it is given back (``voided_payments``). Neither: the sale was interrupted (Counter stopped).
part_payments = Table(
    "part_payments",
    metadata,
    Column("sale_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("terminal_id", String(16), nullable=False),
    Column("taken_at", String(32), nullable=False),
    Column("cashier_id", String(36), nullable=False),
    Column("total_minor", Integer, nullable=False),  # the sale's total when it was taken
    Column("kind", String(16), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("tendered_minor", Integer, nullable=False),
    Column("card_brand", String(32), nullable=True),
    Column("card_last4", String(4), nullable=True),
    Column("approval_code", String(12), nullable=True),
    Column("voucher_code", String(16), nullable=True),
    Index("ix_part_payments_terminal_taken", "terminal_id", "taken_at"),
)

#: What a void gave back, each by its own tender (the projection of a SaleVoided entry with
#: ``given_back``, migration 0011). ``recorded_before``: it was a journaled part payment
#: (its cash was in the drawer's expected cash); else the last tender of a sale whose
#: completion failed, handed back as it was handed over.
voided_payments = Table(
    "voided_payments",
    metadata,
    Column("sale_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("void_number", String(32), nullable=False, index=True),
    Column("terminal_id", String(16), nullable=False),
    Column("given_back_at", String(32), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("approver_id", String(36), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("card_brand", String(32), nullable=True),
    Column("card_last4", String(4), nullable=True),
    Column("approval_code", String(12), nullable=True),
    Column("voucher_code", String(16), nullable=True),
    Column("recorded_before", Boolean, nullable=False),
    Index("ix_voided_payments_terminal_at", "terminal_id", "given_back_at"),
)

counters = Table(
    "counters",
    metadata,
    Column("terminal_id", String(16), primary_key=True),
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)

journal = Table(
    "journal",
    metadata,
    Column("terminal_id", String(16), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("id", String(36), nullable=False, unique=True),
    Column("type", String(48), nullable=False),
    Column("at", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # HMAC of terminal|seq|hash under the installation key (migration 0006, docs/trust.md):
    # an entry written or rewritten outside Counter has no valid seal.
    Column("seal", String(64), nullable=True),
)

# Where each terminal's journal ends, kept by triggers on every append and sealed with the
# installation key (migration 0006, docs/trust.md): evidence of truncation.
journal_head = Table(
    "journal_head",
    metadata,
    Column("terminal_id", String(16), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("seal", String(64), nullable=False),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("terminal_id", String(16), primary_key=True),
    Column("acked_seq", Integer, nullable=False, default=0),
)

print_jobs = Table(
    "print_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("reference", String(64), nullable=False, index=True),
    Column("copy_number", Integer, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("state", String(16), nullable=False),  # queued, sent, done, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Index("ix_print_jobs_created_at", "created_at"),  # the newest jobs, after every sale (0016)
)

#: What is due after a commit, written in the commit's own transaction (counter.trust.outbox):
#: pending until a print job is written (a PDF saved, DrawerOpened journaled) in the
#: transaction that settles it; what a crash left pending is offered at the next sign-in.
outbox = Table(
    "outbox",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("due", String(16), nullable=False),  # print, credit_note, drawer
    Column("reference", String(64), nullable=False, index=True),
    Column("document", Text, nullable=False),  # receipt_to_data (drawer: DrawerOpening.to_data), JSON
    Column("state", String(16), nullable=False),  # pending, done, declined
    Column("created_at", String(32), nullable=False),
    Column("settled_at", String(32), nullable=True),
    Column("settled_by", String(36), nullable=True),  # who declined it (or opened the drawer)
    Index("ix_outbox_pending", "created_at", sqlite_where=text("state = 'pending'")),
)

return_policies = Table(
    "return_policies",
    metadata,
    Column("category_id", String(36), ForeignKey("categories.id"), primary_key=True),
    Column("return_days", Integer, nullable=False),
    Column("final_sale", Boolean, nullable=False),
    Column("receipt_required", Boolean, nullable=False),
    Column("restocking_fee_percent", String(8), nullable=False),
)

returns = Table(
    "returns",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("return_number", String(32), nullable=False, unique=True),
    Column("request_id", String(36), nullable=False),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("original_sale_id", String(36), ForeignKey("sales.id"), nullable=True, index=True),
    Column("original_receipt", String(32), nullable=True),
    Column("cashier_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("completed_at", String(32), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("refund_minor", Integer, nullable=False),
    Column("fee_minor", Integer, nullable=False),
    Column("exchange_credit_minor", Integer, nullable=False),
    Column("exchange_sale_id", String(36), ForeignKey("sales.id"), nullable=True),
    Column("customer_key", String(64), nullable=True, index=True),
    Column("customer_hint", String(64), nullable=True),
    Column("voucher_code", String(16), nullable=True),
)

return_lines = Table(
    "return_lines",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("return_id", String(36), ForeignKey("returns.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("sale_line_id", String(36), ForeignKey("sale_lines.id"), nullable=True, index=True),
    Column("item_id", String(36), nullable=False),
    Column("sku", String(48), nullable=False),
    Column("name", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("tax_minor", Integer, nullable=False),
    Column("gross_minor", Integer, nullable=False),
    Column("fee_minor", Integer, nullable=False),
    Column("tax_code", String(4), nullable=False),
    Column("tax_rate", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("condition", String(16), nullable=False),
    Column("disposition", String(24), nullable=False),
    CheckConstraint("quantity > 0", name="return_quantity_positive"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("return_id", String(36), ForeignKey("returns.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("original_sale_id", String(36), nullable=True, index=True),
    Column("original_tender_seq", Integer, nullable=True),
    Column("reference", String(32), nullable=True),
    Column("card_brand", String(32), nullable=True),
    Column("card_last4", String(4), nullable=True),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("requester_id", String(36), nullable=False),
    Column("approver_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", String(32), nullable=False),
)

vouchers = Table(
    "vouchers",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("issued_at", String(32), nullable=False),
    Column("issued_by", String(36), nullable=False),
    Column("return_id", String(36), nullable=True),
    Column("initial_minor", Integer, nullable=False),
)

voucher_movements = Table(
    "voucher_movements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("voucher_code", String(16), ForeignKey("vouchers.code"), nullable=False, index=True),
    Column("at", String(32), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("reference", String(36), nullable=False),
)

shifts = Table(
    "shifts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("terminal_id", String(16), nullable=False),
    Column("opened_by", String(36), ForeignKey("users.id"), nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("float_minor", Integer, nullable=False),
    Column("float_count", Text, nullable=False),
    Column("closed_at", String(32), nullable=True),
    Column("closed_by", String(36), nullable=True),
    Column("counted_minor", Integer, nullable=True),
    Column("expected_minor", Integer, nullable=True),
    Column("closing_count", Text, nullable=True),
    Column("note", Text, nullable=True),
)
# One drawer, one open shift: a partial unique index the database itself enforces.
Index("ux_shifts_open_per_terminal", shifts.c.terminal_id, unique=True, sqlite_where=shifts.c.closed_at.is_(None))

shift_recounts = Table(
    "shift_recounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shift_id", String(36), ForeignKey("shifts.id"), nullable=False, index=True),
    Column("counted_minor", Integer, nullable=False),
    Column("count", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("at", String(32), nullable=False),
)

cash_movements = Table(
    "cash_movements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shift_id", String(36), ForeignKey("shifts.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("at", String(32), nullable=False),
    CheckConstraint("amount_minor > 0", name="movement_positive"),
)

z_reports = Table(
    "z_reports",
    metadata,
    Column("terminal_id", String(16), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("first_seq", Integer, nullable=False),
    Column("last_seq", Integer, nullable=False),
    Column("taken_at", String(32), nullable=False),
    Column("taken_by", String(36), nullable=False),
    Column("sales_minor", Integer, nullable=False),
    Column("returns_minor", Integer, nullable=False),
    Column("grand_sales_minor", Integer, nullable=False),
    Column("grand_returns_minor", Integer, nullable=False),
    Column("shift_ids", Text, nullable=False),
)


# sale_lines(sale_id) is served by the unique (sale_id, line_no). Migration 0007 (bench/, docs/benchmarks.md):
# a receipt found by its total on a day, by a card's last 4, and an item's recent prices for a no-receipt return.
Index("ix_sales_total_completed", sales.c.total_minor, sales.c.completed_at)
Index("ix_tenders_card_last4", tenders.c.card_last4)
# Migration 0017: an item's lines by time with what a unit sold for (covering: the lowest
# recent price of a no-receipt return reads the index alone); it replaces (item_id) of 0007.
Index(
    "ix_sale_lines_item_time_amount",
    sale_lines.c.item_id,
    sale_lines.c.completed_at,
    sale_lines.c.amount_minor,
    sale_lines.c.quantity,
)
Index("ix_sales_terminal_completed", sales.c.terminal_id, sales.c.completed_at)
Index("ix_returns_terminal_completed", returns.c.terminal_id, returns.c.completed_at)
# items has no index by category (migration 0019): nothing reads items so, and it cost every item written


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic autogenerate filter: the FTS5 index and its shadow tables are made by hand
    in the migration (SQLAlchemy cannot describe virtual tables)."""
    return not (type_ == "table" and name is not None and name.startswith("items_fts"))
