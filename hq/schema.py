"""HQ's tables (SQLAlchemy Core over PostgreSQL; SQLite only for a one-machine demo).

Alembic migrations in hq/migrations create them. Money is BIGINT minor units, as on the
terminals. ``store_id`` + ``terminal_id`` name a lane: terminal ids ("T01") are unique
within a store, and a terminal's journal entries carry only its terminal id.

Three groups:

* access: ``terminals`` (one row per lane, holding its chain head), ``tokens`` (hashed,
  revocable), ``enrol_codes`` (hashed, one use), ``restore_codes`` (hq/restore.py);
* upstream: ``journal`` (every terminal's entries, verbatim), its projections ``sales``,
  ``sale_lines``, ``sale_tenders``, ``returns``, ``return_lines``, ``return_refunds``, the
  online-return ledger ``return_reservations``, the no-receipt returns by customer key
  ``no_receipt_returns`` with their ``no_receipt_holds``, and the reports ``alerts`` and
  ``exceptions``;
* downstream: ``tax_classes``, ``categories`` (with their return policy), ``items``,
  ``users``, ``customers``, ``customer_links``, ``vouchers``, ``voucher_movements``;
  every row carries ``version`` from the ``change_seq`` sequence and a
  ``deleted`` flag (a tombstone), which is the change cursor terminals pull by;
* the service desk (hq/schema_desk.py, projected by hq/desk.py): ``cases``,
  ``case_events``, ``contacts``, ``contact_links``, ``referrals``, ``referral_notes``,
  ``orders``, ``order_lines``, ``accounts``, ``account_entries``, ``desk_payments``,
  ``desk_tenders``, ``adjustments``;
* departments and escalations (hq/schema_departments.py): ``departments`` and
  ``referral_escalations`` (downstream, versioned), ``stores`` (each store's time zone).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Sequence,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hq import schema_departments, schema_desk, schema_feed
from hq.office import schema as schema_office, schema_analysis, schema_lanes

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: One sequence for every downstream row, so one integer cursor orders all kinds.
change_seq = Sequence("change_seq", metadata=metadata)

Stamp = DateTime(timezone=True)

# ----------------------------------------------------------------------------- access

terminals = Table(
    "terminals",
    metadata,
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("enrolled_at", Stamp, nullable=False),
    Column("head_seq", BigInteger, nullable=False, default=0),
    Column("head_hash", String(64), nullable=False),
    Column("last_push_at", Stamp, nullable=True),
    PrimaryKeyConstraint("store_id", "terminal_id"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of a 256-bit random token
    Column("kind", String(16), nullable=False),  # terminal | admin
    Column("store_id", String(16), nullable=True),
    Column("terminal_id", String(16), nullable=True),
    Column("name", String(64), nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("revoked_at", Stamp, nullable=True),
)

enrol_codes = Table(
    "enrol_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("expires_at", Stamp, nullable=False),
    Column("used_at", Stamp, nullable=True),
)

#: One-time codes to rebuild a dead lane from HQ (migration 0016, hq/restore.py): for the
#: terminal ``terminal_id`` (whose tokens the redemption revokes), continued as the same
#: chain, or as the declared new chain ``new_terminal_id``; when spent, HQ's head of the old
#: chain then (``head_seq``, ``head_hash``) and the terminal that was given the new token.
restore_codes = Table(
    "restore_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("new_terminal_id", String(16), nullable=True),
    Column("created_at", Stamp, nullable=False),
    Column("expires_at", Stamp, nullable=False),
    Column("used_at", Stamp, nullable=True),
    Column("head_seq", BigInteger, nullable=True),
    Column("head_hash", String(64), nullable=True),
)

# --------------------------------------------------------------------------- upstream

journal = Table(
    "journal",
    metadata,
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False, autoincrement=False),
    Column("id", String(36), nullable=False),
    Column("type", String(48), nullable=False),
    Column("at", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("received_at", Stamp, nullable=False),
    PrimaryKeyConstraint("store_id", "terminal_id", "seq"),
)

sales = Table(
    "sales",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("receipt_number", String(32), nullable=False, unique=True),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("cashier_id", String(36), nullable=False),
    Column("completed_at", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("prices_include_tax", Boolean, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("rounding_minor", BigInteger, nullable=False),
    Column("body", Text, nullable=False),  # the SaleCompleted body, as journaled (look-ups send it)
)

sale_lines = Table(
    "sale_lines",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("sale_id", String(36), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("item_id", String(36), nullable=False),
    Column("sku", String(48), nullable=False),
    Column("name", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("line_discount_minor", BigInteger, nullable=False),
    Column("order_discount_minor", BigInteger, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("tax_minor", BigInteger, nullable=False),
    Column("gross_minor", BigInteger, nullable=False),
    Column("tax_code", String(4), nullable=False),
    Column("tax_rate", String(16), nullable=False),
)

sale_tenders = Table(
    "sale_tenders",
    metadata,
    Column("sale_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("tendered_minor", BigInteger, nullable=False),
    Column("card_brand", String(32), nullable=True),
    Column("card_last4", String(4), nullable=True),
    Column("approval_code", String(12), nullable=True),
    PrimaryKeyConstraint("sale_id", "seq"),
)

returns = Table(
    "returns",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("return_number", String(32), nullable=False),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("original_sale_id", String(36), nullable=True, index=True),
    Column("original_receipt", String(32), nullable=True),
    Column("completed_at", String(32), nullable=False),
    Column("refund_minor", BigInteger, nullable=False),
    Column("reserved", Boolean, nullable=False),  # reserved online at HQ before it was taken
)

return_lines = Table(
    "return_lines",
    metadata,
    Column("return_id", String(36), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sale_line_id", String(36), nullable=True, index=True),
    Column("item_id", String(36), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("tax_minor", BigInteger, nullable=False),
    Column("gross_minor", BigInteger, nullable=False),
    Column("fee_minor", BigInteger, nullable=False),
    PrimaryKeyConstraint("return_id", "line_no"),
)

return_refunds = Table(
    "return_refunds",
    metadata,
    Column("return_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("original_sale_id", String(36), nullable=True, index=True),
    Column("original_tender_seq", Integer, nullable=True),
    PrimaryKeyConstraint("return_id", "seq"),
)

#: The online-return ledger. A reservation holds quantities of a sale line for a return
#: that a lane is about to record; when that return's journal entry arrives it is
#: ``confirmed`` (and from then on counted through ``return_lines`` instead).
return_reservations = Table(
    "return_reservations",
    metadata,
    Column("return_id", String(36), nullable=False),
    Column("sale_line_id", String(36), nullable=False, index=True),
    Column("sale_id", String(36), nullable=False),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("tax_minor", BigInteger, nullable=False),
    Column("gross_minor", BigInteger, nullable=False),
    Column("state", String(12), nullable=False),  # reserved | confirmed | released
    Column("created_at", Stamp, nullable=False),
    PrimaryKeyConstraint("return_id", "sale_line_id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", Stamp, nullable=False),
    Column("kind", String(32), nullable=False),  # seq_conflict, chain_broken, gap, clock_skew, forbidden
    Column("store_id", String(16), nullable=True),
    Column("terminal_id", String(16), nullable=True),
    Column("seq", BigInteger, nullable=True),
    Column("detail", Text, nullable=False),
    # acknowledged in the back office (migration 0010, hq/office/): by whom, when, with a note
    Column("acknowledged_at", Stamp, nullable=True),
    Column("acknowledged_by", String(40), nullable=True),
    Column("ack_note", Text, nullable=True),
)

#: The exception report: every return that took a sale line past what was sold (two
#: offline lanes returning one receipt). Both returns stay recorded.
exceptions = Table(
    "exceptions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", Stamp, nullable=False),
    Column("kind", String(32), nullable=False),  # over_return
    Column("sale_id", String(36), nullable=False),
    Column("sale_line_id", String(36), nullable=False),
    Column("return_id", String(36), nullable=False),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("sold", Integer, nullable=False),
    Column("returned", Integer, nullable=False),
    Column("detail", Text, nullable=False),
    # What a person needs to act (migration 0005): the receipt, every return of the line
    # (or voucher) in order, the lanes that took them, the item and the amount at stake.
    Column("receipt_number", String(32), nullable=True),
    Column("return_numbers", Text, nullable=True),  # "S01-T01-R000001, S01-T02-R000001"
    Column("lanes", Text, nullable=True),  # "S01-T01, S01-T02"
    Column("sku", String(48), nullable=True),
    Column("item_name", String(200), nullable=True),
    Column("amount_minor", BigInteger, nullable=True),  # refunded (or redeemed) by the flagged one
    # a no-receipt return over the customer's limit (migration 0007, hq/no_receipt.py): the
    # ID document's key, never its number
    Column("customer_key", String(64), nullable=True),
    # acknowledged in the back office (migration 0010, hq/office/): by whom, when, with a note
    Column("acknowledged_at", Stamp, nullable=True),
    Column("acknowledged_by", String(40), nullable=True),
    Column("ack_note", Text, nullable=True),
    UniqueConstraint("return_id", "sale_line_id"),
)

#: Returns without a receipt, by the key of the customer's ID document (migration 0007,
#: projected by hq/no_receipt.py): the chain-wide total a lane asks for, and the limit each
#: return was taken under, as its lane's entry states it (HQ holds no store rules).
no_receipt_returns = Table(
    "no_receipt_returns",
    metadata,
    Column("return_id", String(36), primary_key=True),
    Column("customer_key", String(64), nullable=False, index=True),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("return_number", String(32), nullable=False),
    Column("completed_at", String(32), nullable=False),
    Column("refund_minor", BigInteger, nullable=False),
    Column("limit_minor", BigInteger, nullable=True),  # None: an entry from before the lanes stated it
    Column("window_days", Integer, nullable=True),
    Column("approved", Boolean, nullable=False),  # a supervisor approved it over the limit (customer_limit)
)

#: A no-receipt return's amount held against its customer's total while its lane records it
#: (asked online, hq/no_receipt.py): counted until the return's entry arrives (``confirmed``),
#: its lane gives it back (``released``), or the reservation lifetime passes.
no_receipt_holds = Table(
    "no_receipt_holds",
    metadata,
    Column("return_id", String(36), primary_key=True),
    Column("customer_key", String(64), nullable=False, index=True),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("state", String(12), nullable=False),  # reserved | confirmed | released
    Column("created_at", Stamp, nullable=False),
)

# ------------------------------------------------------------------------- downstream


def _versioned(name: str, *columns: Column[object]) -> Table:
    return Table(
        name,
        metadata,
        *columns,
        Column("version", BigInteger, nullable=False, index=True),
        Column("deleted", Boolean, nullable=False, default=False),
    )


tax_classes = _versioned(
    "tax_classes",
    Column("code", String(4), primary_key=True),
    Column("label", String(64), nullable=False),
    Column("rate", String(16), nullable=False),
)

categories = _versioned(
    "categories",
    Column("id", String(36), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("tax_code", String(4), nullable=False),
    Column("return_days", Integer, nullable=False),
    Column("final_sale", Boolean, nullable=False),
    Column("receipt_required", Boolean, nullable=False),
    Column("restocking_fee_percent", String(8), nullable=False),
)

items = _versioned(
    "items",
    Column("id", String(36), primary_key=True),
    Column("sku", String(48), nullable=False, unique=True),
    Column("barcode", String(14), nullable=True, unique=True),
    Column("name", String(200), nullable=False),
    Column("category_id", String(36), nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("tax_code", String(4), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("vendor", String(80), nullable=True),  # who supplies it (migration 0015): HQ's analysis
)

users = _versioned(
    "users",
    Column("id", String(36), primary_key=True),
    Column("store_id", String(16), nullable=True),  # None: every store
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("pin_hash", Text, nullable=False),  # argon2id verifier, never the PIN
    Column("active", Boolean, nullable=False),
)

#: People and store credit (migration 0003, projected by ``hq/people.py``): customers with
#: their contact details (sent by the lanes apart from the journal, which never holds
#: them), the receipts and returns tied to them, and store-credit vouchers with every
#: movement (issue +, redeem -) from every lane. ``store_id`` scopes them to a store.
customers = _versioned(
    "customers",
    Column("id", String(36), primary_key=True),
    Column("store_id", String(16), nullable=False),
    Column("origin_terminal", String(16), nullable=False),
    Column("name", String(120), nullable=False),  # "" until the lane sent the details
    Column("phone", String(20), nullable=True),
    Column("email", String(254), nullable=True),
    Column("loyalty_card", String(13), nullable=True),
    Column("email_consent", Boolean, nullable=False),
    Column("language", String(8), nullable=False, server_default=""),  # documents' language (0017)
    Column("address", Text, nullable=True),  # JSON of counter.desk.customers.Address, or null
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("updated_at", String(32), nullable=False),  # the lane's stamp of the last change: newest wins
)

customer_links = _versioned(
    "customer_links",
    Column("id", String(80), primary_key=True),  # kind:ref_id
    Column("customer_id", String(36), nullable=False, index=True),
    Column("store_id", String(16), nullable=False),
    Column("kind", String(16), nullable=False),  # sale | return | voucher
    Column("ref_id", String(36), nullable=False),
    Column("ref_number", String(32), nullable=False),
    Column("at", String(32), nullable=False),
    Column("amount_minor", BigInteger, nullable=True),  # what the sale or return came to
    Column("summary", Text, nullable=True),  # the items, for the customer's history at other lanes
)

vouchers = _versioned(
    "vouchers",
    Column("code", String(16), primary_key=True),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),  # where it was issued
    Column("issued_at", String(32), nullable=False),
    Column("issued_by", String(36), nullable=False),
    Column("reference", String(36), nullable=True),  # the return, adjustment or order that issued it
    Column("initial_minor", BigInteger, nullable=False),
    Column("balance_minor", BigInteger, nullable=False),  # sum of its movements HQ holds
)

voucher_movements = _versioned(
    "voucher_movements",
    Column("id", String(80), primary_key=True),  # store-terminal-seq:code (one per journal entry and voucher)
    Column("voucher_code", String(16), nullable=False, index=True),
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", String(32), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("reference", String(36), nullable=False),  # the sale, payment, return ... as on the lane
)

DEPARTMENTS = schema_departments.define(metadata)
departments, stores, referral_escalations = (
    DEPARTMENTS["departments"],
    DEPARTMENTS["stores"],
    DEPARTMENTS["referral_escalations"],
)

FEED = schema_feed.define(metadata)
OFFICE = schema_office.define(metadata)
office_logins, office_roles, office_sessions, office_actions = (
    OFFICE["office_logins"],
    OFFICE["office_roles"],
    OFFICE["office_sessions"],
    OFFICE["office_actions"],
)
office_audit_head = OFFICE["office_audit_head"]  # migration 0014 (hq/office/audit.py)
desk_feed, desk_texts = FEED["desk_feed"], FEED["desk_texts"]
lane_status = schema_lanes.define(metadata)["lane_status"]  # migration 0011 (hq/office/schema_lanes.py)
ANALYSIS = schema_analysis.define(metadata)  # migration 0013 (hq/office/schema_analysis.py)
analysis_days, analysis_chain_days, analysis_dirty, analysis_refreshing = (
    ANALYSIS["analysis_days"],
    ANALYSIS["analysis_chain_days"],
    ANALYSIS["analysis_dirty"],
    ANALYSIS["analysis_refreshing"],
)

DOWNSTREAM = {
    "tax_class": tax_classes,
    "category": categories,
    "item": items,
    "user": users,
    "customer": customers,
    "customer_link": customer_links,
    "voucher": vouchers,
    "voucher_movement": voucher_movements,
    "department": departments,
    "referral_escalation": referral_escalations,
    "desk_event": desk_feed,
}

Index("ix_sales_original_lookup", sales.c.store_id, sales.c.terminal_id, sales.c.seq)
# The back office's reads by period (migration 0012, measured in docs/benchmarks.md, issue #18)
Index("ix_returns_store_completed", returns.c.store_id, returns.c.completed_at)
Index(
    "ix_journal_cash_by_period",
    journal.c.store_id,
    journal.c.at,
    postgresql_where=journal.c.type.in_(["DrawerOpened", "ShiftClosed"]),
)

# ----------------------------------------------------------------- remote approvals

#: An approval asked by one lane and answered at a manager's station of the same store
#: (hq/approvals.py). ``state`` moves once, from ``pending`` to approved, declined or
#: cancelled, by a conditional UPDATE (the first answer wins); a pending request past
#: ``expires_at`` reads as expired and can no longer be answered.
approval_requests = Table(
    "approval_requests",
    metadata,
    Column("id", String(36), primary_key=True),  # minted by the requesting terminal
    Column("store_id", String(16), nullable=False),
    Column("terminal_id", String(16), nullable=False),  # the lane that asks
    Column("request_id", String(36), nullable=False),  # the lane's own request (a return's id)
    Column("kinds", String(400), nullable=False),  # sorted ApprovalKind values, comma-separated
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("what", Text, nullable=False),  # e.g. "Return of S01-T01-000123: cash refund above the limit"
    Column("requester_id", String(36), nullable=False),
    Column("requester_name", String(120), nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("expires_at", Stamp, nullable=False),
    Column("state", String(12), nullable=False),  # pending | approved | declined | cancelled
    Column("answered_by_id", String(36), nullable=True),
    Column("answered_by_name", String(120), nullable=True),
    Column("answer_note", Text, nullable=True),
    Column("answered_at", Stamp, nullable=True),
    Column("answered_terminal", String(16), nullable=True),
    #: how the approver proved who they are (migration 0004): "pin@hq" (their PIN checked
    #: by HQ against ``users.pin_hash``); None for a pending request
    Column("answer_auth", String(16), nullable=True),
)

#: Wrong approver PINs typed at HQ (remote approval answers, hq/approvals.py), per person:
#: the same lockout rules as at a counter (counter.people.users.attempt_sign_in). Migration 0004.
approver_pins = Table(
    "approver_pins",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_until", Stamp, nullable=True),
)

Index("ix_approval_requests_store_state", approval_requests.c.store_id, approval_requests.c.state)

# ------------------------------------------------------------------- the service desk

DESK = schema_desk.define(metadata)
cases, contacts, contact_links, case_events = (
    DESK["cases"],
    DESK["contacts"],
    DESK["contact_links"],
    DESK["case_events"],
)
referrals, referral_notes = DESK["referrals"], DESK["referral_notes"]
orders, order_lines, accounts, account_entries = (
    DESK["orders"],
    DESK["order_lines"],
    DESK["accounts"],
    DESK["account_entries"],
)
desk_payments, desk_tenders, adjustments = DESK["desk_payments"], DESK["desk_tenders"], DESK["adjustments"]
