"""The service desk's tables (migration 0005 and later): customers and their changes,
addresses and links, cases with their events, contacts, referrals and notes, orders,
house accounts, desk payments and bill adjustments. Part of the local store's schema
(``db.schema`` re-exports them); same conventions: money in minor units, UTC text stamps."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from db.metadata import metadata

customers = Table(
    "customers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("phone", String(20), nullable=True, unique=True),  # E.164
    Column("email", String(254), nullable=True, unique=True),  # normalised
    Column("loyalty_card", String(13), nullable=True, unique=True),
    Column("email_consent", Boolean, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("language", String(8), nullable=False, default="", server_default=""),  # documents' (0015)
)
Index("ix_customers_name", customers.c.name)

customer_changes = Table(
    "customer_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("field", String(32), nullable=False),
    Column("old_value", Text, nullable=False),
    Column("new_value", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("at", String(32), nullable=False),
)

customer_addresses = Table(
    "customer_addresses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("line1", String(120), nullable=False),
    Column("line2", String(120), nullable=False),
    Column("city", String(80), nullable=False),
    Column("region", String(40), nullable=False),
    Column("postal_code", String(16), nullable=False),
    Column("country", String(2), nullable=False),
    Column("reason", Text, nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("valid_from", String(32), nullable=False),
)

customer_links = Table(
    "customer_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("ref_id", String(36), nullable=False),
    Column("ref_number", String(32), nullable=False),
    Column("at", String(32), nullable=False),
    # A link pulled from HQ (a sale or return at another lane): its amount and a line about
    # it, for the customer's history (migration 0008); null for this lane's own links.
    Column("amount_minor", Integer, nullable=True),
    Column("summary", Text, nullable=True),
)
Index("ix_customer_links_kind_ref", customer_links.c.kind, customer_links.c.ref_number)

cases = Table(
    "cases",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("category", String(64), nullable=False),
    Column("subject", String(120), nullable=False),
    Column("status", String(16), nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("opened_by", String(36), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("follow_up_on", String(10), nullable=True, index=True),
    Column("follow_up_note", Text, nullable=False),
    Column("resolution", Text, nullable=False),
)

case_events = Table(
    "case_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False, index=True),
    Column("at", String(32), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("event", String(24), nullable=False),
    Column("status_from", String(16), nullable=False),
    Column("status_to", String(16), nullable=False),
    Column("text", Text, nullable=False),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False, index=True),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("category", String(64), nullable=False),
    Column("words", Text, nullable=False),
    Column("actions", Text, nullable=False),
    Column("handled_by", String(36), nullable=False),
    Column("at", String(32), nullable=False, index=True),
)

contact_links = Table(
    "contact_links",
    metadata,
    Column("contact_id", String(36), ForeignKey("contacts.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("number", String(32), nullable=False),
)

referrals = Table(
    "referrals",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False, index=True),
    Column("department", String(32), nullable=False),
    Column("department_name", String(80), nullable=False),
    Column("priority", String(8), nullable=False),
    Column("due_on", String(10), nullable=False),
    Column("status", String(16), nullable=False),
    Column("referred_at", String(32), nullable=False),
    Column("referred_by", String(36), nullable=False),
    Column("note", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("answered_at", String(32), nullable=True),
    Column("told_at", String(32), nullable=True),
    Column("told_how", String(16), nullable=True),
)
Index("ix_referrals_department_status", referrals.c.department, referrals.c.status)

referral_notes = Table(
    "referral_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("referral_id", String(36), ForeignKey("referrals.id"), nullable=False, index=True),
    Column("at", String(32), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_minor", Integer, nullable=False),
    Column("tax_minor", Integer, nullable=False),
    Column("min_deposit_minor", Integer, nullable=False),
    Column("due_on", String(10), nullable=False),
    Column("cancel_fee_minor", Integer, nullable=False),
    Column("deposit_refundable", Boolean, nullable=False),
    Column("closed_at", String(32), nullable=True),
    Column("sale_id", String(36), ForeignKey("sales.id"), nullable=True),
    Column("kept_minor", Integer, nullable=True),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", String(36), ForeignKey("orders.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("item_id", String(36), nullable=False),
    Column("sku", String(48), nullable=False),
    Column("name", String(200), nullable=False),
    Column("category_id", String(36), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", Integer, nullable=False),
    Column("tax_code", String(4), nullable=False),
    Column("tax_label", String(64), nullable=False),
    Column("tax_rate", String(16), nullable=False),
    CheckConstraint("quantity > 0", name="order_quantity_positive"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=False, unique=True),
    Column("credit_limit_minor", Integer, nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("opened_by", String(36), nullable=False),
)

account_entries = Table(
    "account_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # charge (+), payment (−)
    Column("amount_minor", Integer, nullable=False),
    Column("reference", String(32), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("at", String(32), nullable=False),
)

desk_payments = Table(
    "desk_payments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("terminal_id", String(16), nullable=False),
    Column("purpose", String(24), nullable=False),
    Column("amount_minor", Integer, nullable=False),  # + money in, − money out
    Column("currency", String(3), nullable=False),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=True, index=True),
    Column("order_id", String(36), ForeignKey("orders.id"), nullable=True, index=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=True),
    Column("original_sale_id", String(36), ForeignKey("sales.id"), nullable=True, index=True),
    Column("voucher_code", String(16), nullable=True),
    Column("reference", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("at", String(32), nullable=False),
)
Index("ix_desk_payments_terminal_at", desk_payments.c.terminal_id, desk_payments.c.at)

desk_tenders = Table(
    "desk_tenders",
    metadata,
    Column("payment_id", String(36), ForeignKey("desk_payments.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("amount_minor", Integer, nullable=False),  # + taken, − refunded
    Column("tendered_minor", Integer, nullable=False),
    Column("card_brand", String(32), nullable=True),
    Column("card_last4", String(4), nullable=True),
    Column("approval_code", String(12), nullable=True),
    Column("voucher_code", String(16), nullable=True),
    Column("original_seq", Integer, nullable=True),  # refunds: the tender (of the sale or order) paid back
)

adjustments = Table(
    "adjustments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("payment_id", String(36), ForeignKey("desk_payments.id"), nullable=False),
    Column("sale_id", String(36), ForeignKey("sales.id"), nullable=True, index=True),
    Column("sale_line_id", String(36), ForeignKey("sale_lines.id"), nullable=True),
    Column("quantity", Integer, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("tax_minor", Integer, nullable=False),
    Column("gross_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", Text, nullable=False),
    Column("competitor", String(120), nullable=False),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=True),
    Column("user_id", String(36), nullable=False),
    Column("at", String(32), nullable=False),
)

# HQ's departments and escalations, pulled on the change feed (migration 0012, db/sync_desk.py).
# Not derived from this lane's journal: they are HQ's data, as the catalog is.
departments = Table(
    "departments",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("active", Boolean, nullable=False),  # false: HQ closed it to new referrals
    Column("referral_days", Integer, nullable=False),
    Column("escalate_to", String(32), nullable=True),
)

referral_escalations = Table(
    "referral_escalations",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False),
    Column("case_number", String(32), nullable=False),
    Column("origin_terminal", String(16), nullable=False),  # the lane that holds the referral
    Column("customer_id", String(36), nullable=False),
    Column("department", String(32), nullable=False),
    Column("department_name", String(80), nullable=False),
    Column("priority", String(8), nullable=False),
    Column("referred_at", String(32), nullable=False),
    Column("lane_due_on", String(10), nullable=False),
    Column("hq_due_on", String(10), nullable=False),
    Column("escalated_to", String(32), nullable=False),
    Column("escalated_to_name", String(80), nullable=False),
    Column("escalated_at", String(32), nullable=False),
    Column("days_overdue", Integer, nullable=False),
    Column("settled_at", String(32), nullable=True),
)
Index("ix_referral_escalations_escalated_to", referral_escalations.c.escalated_to)

# Other lanes' desk work (migration 0013, db/desk_feed.py).
#: Each other lane's desk event this lane holds: the projection's mark (``DeskEventReceived``,
#: counter.projection.received), so an event is never applied twice.
desk_received = Table(
    "desk_received",
    metadata,
    Column("terminal_id", String(16), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("type", String(40), nullable=False),
    Column("at", String(32), nullable=False),
)

#: Events pulled from HQ that could not be applied yet (a customer not here yet, a record
#: whose first event has not come): retried, in HQ's order, with every later pull.
desk_inbox = Table(
    "desk_inbox",
    metadata,
    Column("id", String(60), primary_key=True),  # HQ's feed id: store:terminal:seq
    Column("version", Integer, nullable=False, index=True),
    Column("data", Text, nullable=False),  # the feed row as HQ sent it (JSON)
    Column("tries", Integer, nullable=False),
    Column("problem", Text, nullable=False),
)

#: The typed text (notes, words, outcomes) of this lane's own desk entries: what the journal
#: must not hold, sent to HQ before the entries (db/sync.py), so other lanes get it with them.
desk_texts = Table(
    "desk_texts",
    metadata,
    Column("terminal_id", String(16), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("private", Text, nullable=False),  # JSON: table → rows of column → text
)
