"""HQ's tables of the service desk (migration 0006), projected at ingest from every lane's
desk events by the lanes' own projection (``counter.projection``, hq/desk.py): cases with
their events, contacts and referrals, orders with their lines, house accounts with their
entries, desk payments with their tenders, and bill adjustments.

Each table and column is the lane's (``counter.projection.desk`` ``DESK_TABLES``), plus
where the row came from: ``store_id`` (the pushing lane's, never the body's),
``origin_terminal`` and ``origin_seq`` (the lane and journal entry that made the row).
A row with an id of its own is keyed by (store, id), so a later entry of any lane of the
store changes it by id as the lane's projector does; numbers are unique per (store,
number, origin terminal), so two lanes' numbers never collide. Rows the lane numbers in
order (case events, referral notes, account entries) are keyed by the entry that made
them and their place in it. Children name their parent by (store, id) with a foreign key.

The journal never holds a customer's words, notes or outcomes (``PRIVATE_COLUMNS``):
those columns are null at HQ. Money is BIGINT minor units. No balance is stored: what an
order was paid and what an account owes are summed from the payment and entry rows.

Defined by ``define`` on ``hq.schema``'s metadata (hq/schema.py re-exports them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

#: The lane's tables HQ holds (in the order a parent comes before its children).
DESK_TABLE_NAMES = (
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
#: Tables whose rows the lane numbers in order within their parent: at HQ they are keyed by
#: the entry that made them (``origin_terminal``, ``origin_seq``) and their place in it (``n``).
ORDINAL_TABLES = frozenset({"case_events", "referral_notes", "account_entries"})


def _origin() -> list[Column[object]]:
    return [
        Column("store_id", String(16), nullable=False),
        Column("origin_terminal", String(16), nullable=False),
        Column("origin_seq", BigInteger, nullable=False),
    ]


def _parent(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["store_id", column], [f"{table}.store_id", f"{table}.id"])


def _ordinal() -> list[Column[object]]:
    return [Column("n", Integer, nullable=False)]


def define(metadata: MetaData) -> dict[str, Table]:
    """The desk's tables on ``metadata``, by name."""
    t: dict[str, Table] = {}
    t["cases"] = Table(
        "cases",
        metadata,
        *_origin(),
        Column("id", String(36), nullable=False),
        Column("number", String(32), nullable=False),
        Column("customer_id", String(36), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("category", String(64), nullable=False),
        Column("subject", String(120), nullable=True),  # typed: not in the journal
        Column("status", String(16), nullable=False),
        Column("opened_at", String(32), nullable=False),
        Column("opened_by", String(36), nullable=False),
        Column("updated_at", String(32), nullable=False),
        Column("follow_up_on", String(10), nullable=True),
        Column("follow_up_note", Text, nullable=True),
        Column("resolution", Text, nullable=True),
        PrimaryKeyConstraint("store_id", "id"),
        UniqueConstraint("store_id", "number", "origin_terminal"),
    )
    t["contacts"] = Table(
        "contacts",
        metadata,
        *_origin(),
        Column("id", String(36), nullable=False),
        Column("case_id", String(36), nullable=False),
        Column("customer_id", String(36), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("category", String(64), nullable=False),
        Column("words", Text, nullable=True),
        Column("actions", Text, nullable=True),
        Column("handled_by", String(36), nullable=False),
        Column("at", String(32), nullable=False),
        PrimaryKeyConstraint("store_id", "id"),
        _parent("case_id", "cases"),
    )
    t["contact_links"] = Table(
        "contact_links",
        metadata,
        *_origin(),
        Column("contact_id", String(36), nullable=False),
        Column("seq", Integer, nullable=False, autoincrement=False),
        Column("kind", String(16), nullable=False),
        Column("number", String(32), nullable=False),
        PrimaryKeyConstraint("store_id", "contact_id", "seq"),
        _parent("contact_id", "contacts"),
    )
    t["case_events"] = Table(
        "case_events",
        metadata,
        *_origin(),
        *_ordinal(),
        Column("case_id", String(36), nullable=False),
        Column("at", String(32), nullable=False),
        Column("user_id", String(36), nullable=False),
        Column("event", String(24), nullable=False),
        Column("status_from", String(16), nullable=True),
        Column("status_to", String(16), nullable=True),
        Column("text", Text, nullable=True),
        PrimaryKeyConstraint("store_id", "origin_terminal", "origin_seq", "n"),
        _parent("case_id", "cases"),
    )
    t["referrals"] = Table(
        "referrals",
        metadata,
        *_origin(),
        Column("id", String(36), nullable=False),
        Column("case_id", String(36), nullable=False),
        Column("department", String(32), nullable=False),
        Column("department_name", String(80), nullable=True),
        Column("priority", String(8), nullable=False),
        Column("due_on", String(10), nullable=False),
        Column("status", String(16), nullable=False),
        Column("referred_at", String(32), nullable=False),
        Column("referred_by", String(36), nullable=False),
        Column("note", Text, nullable=True),
        Column("outcome", Text, nullable=True),
        Column("answered_at", String(32), nullable=True),
        Column("told_at", String(32), nullable=True),
        Column("told_how", String(16), nullable=True),
        # HQ's own due date (migration 0007): the referral's day in its store's zone plus
        # the department's days at HQ, when it was projected (hq/escalation.py)
        Column("hq_due_on", String(10), nullable=True),
        PrimaryKeyConstraint("store_id", "id"),
        _parent("case_id", "cases"),
    )
    t["referral_notes"] = Table(
        "referral_notes",
        metadata,
        *_origin(),
        *_ordinal(),
        Column("referral_id", String(36), nullable=False),
        Column("at", String(32), nullable=False),
        Column("user_id", String(36), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("text", Text, nullable=True),
        PrimaryKeyConstraint("store_id", "origin_terminal", "origin_seq", "n"),
        _parent("referral_id", "referrals"),
    )
    t["orders"] = Table(
        "orders",
        metadata,
        *_origin(),
        Column("id", String(36), nullable=False),
        Column("number", String(32), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("customer_id", String(36), nullable=False),
        Column("status", String(16), nullable=False),
        Column("created_at", String(32), nullable=False),
        Column("created_by", String(36), nullable=False),
        Column("currency", String(3), nullable=True),
        Column("total_minor", BigInteger, nullable=False),
        Column("tax_minor", BigInteger, nullable=False),
        Column("min_deposit_minor", BigInteger, nullable=True),
        Column("due_on", String(10), nullable=False),
        Column("cancel_fee_minor", BigInteger, nullable=False),
        Column("deposit_refundable", Boolean, nullable=False),
        Column("closed_at", String(32), nullable=True),
        Column("sale_id", String(36), nullable=True),
        Column("kept_minor", BigInteger, nullable=True),  # HQ's sum of the payment rows, at cancellation
        PrimaryKeyConstraint("store_id", "id"),
        UniqueConstraint("store_id", "number", "origin_terminal"),
    )
    t["order_lines"] = Table(
        "order_lines",
        metadata,
        *_origin(),
        Column("order_id", String(36), nullable=False),
        Column("line_no", Integer, nullable=False, autoincrement=False),
        Column("item_id", String(36), nullable=False),
        Column("sku", String(48), nullable=False),
        Column("name", String(200), nullable=True),
        Column("category_id", String(36), nullable=True),
        Column("quantity", Integer, nullable=False),
        Column("unit_price_minor", BigInteger, nullable=False),
        Column("tax_code", String(4), nullable=True),
        Column("tax_label", String(64), nullable=True),
        Column("tax_rate", String(16), nullable=True),
        PrimaryKeyConstraint("store_id", "order_id", "line_no"),
        _parent("order_id", "orders"),
    )
    t["accounts"] = Table(
        "accounts",
        metadata,
        *_origin(),
        Column("id", String(36), nullable=False),
        Column("number", String(32), nullable=False),
        Column("customer_id", String(36), nullable=False),
        Column("credit_limit_minor", BigInteger, nullable=False),
        Column("opened_at", String(32), nullable=False),
        Column("opened_by", String(36), nullable=False),
        PrimaryKeyConstraint("store_id", "id"),
        UniqueConstraint("store_id", "number", "origin_terminal"),
    )
    t["desk_payments"] = Table(
        "desk_payments",
        metadata,
        *_origin(),
        Column("id", String(36), nullable=False),
        Column("number", String(32), nullable=False),
        Column("terminal_id", String(16), nullable=True),
        Column("purpose", String(24), nullable=False),
        Column("amount_minor", BigInteger, nullable=False),  # + money in, − money out
        Column("currency", String(3), nullable=True),
        Column("customer_id", String(36), nullable=True),
        Column("order_id", String(36), nullable=True),
        Column("account_id", String(36), nullable=True),
        Column("original_sale_id", String(36), nullable=True),
        Column("voucher_code", String(16), nullable=True),
        Column("reference", String(36), nullable=True),
        Column("user_id", String(36), nullable=True),
        Column("at", String(32), nullable=False),
        PrimaryKeyConstraint("store_id", "id"),
        UniqueConstraint("store_id", "number", "origin_terminal"),
        _parent("order_id", "orders"),
        _parent("account_id", "accounts"),
    )
    t["desk_tenders"] = Table(
        "desk_tenders",
        metadata,
        *_origin(),
        Column("payment_id", String(36), nullable=False),
        Column("seq", Integer, nullable=False, autoincrement=False),
        Column("kind", String(16), nullable=False),
        Column("amount_minor", BigInteger, nullable=False),  # + taken, − refunded
        Column("tendered_minor", BigInteger, nullable=False),
        Column("card_brand", String(32), nullable=True),
        Column("card_last4", String(4), nullable=True),
        Column("approval_code", String(12), nullable=True),
        Column("voucher_code", String(16), nullable=True),
        Column("original_seq", Integer, nullable=True),
        PrimaryKeyConstraint("store_id", "payment_id", "seq"),
        _parent("payment_id", "desk_payments"),
    )
    t["account_entries"] = Table(
        "account_entries",
        metadata,
        *_origin(),
        *_ordinal(),
        Column("account_id", String(36), nullable=False),
        Column("kind", String(16), nullable=False),  # charge (+), payment (−)
        Column("amount_minor", BigInteger, nullable=False),
        Column("reference", String(32), nullable=False),
        Column("user_id", String(36), nullable=False),
        Column("at", String(32), nullable=False),
        PrimaryKeyConstraint("store_id", "origin_terminal", "origin_seq", "n"),
        _parent("account_id", "accounts"),
    )
    t["adjustments"] = Table(
        "adjustments",
        metadata,
        *_origin(),
        Column("id", String(36), nullable=False),
        Column("number", String(32), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("payment_id", String(36), nullable=False),
        Column("sale_id", String(36), nullable=True),
        Column("sale_line_id", String(36), nullable=True),
        Column("quantity", Integer, nullable=False),
        Column("amount_minor", BigInteger, nullable=False),
        Column("tax_minor", BigInteger, nullable=False),
        Column("gross_minor", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("reason", Text, nullable=True),
        Column("competitor", String(120), nullable=True),
        Column("customer_id", String(36), nullable=True),
        Column("user_id", String(36), nullable=False),
        Column("at", String(32), nullable=False),
        PrimaryKeyConstraint("store_id", "id"),
        UniqueConstraint("store_id", "number", "origin_terminal"),
        _parent("payment_id", "desk_payments"),
    )
    for table, columns in (
        ("contacts", ("case_id",)),
        ("case_events", ("case_id",)),
        ("referrals", ("case_id",)),
        ("referral_notes", ("referral_id",)),
        ("orders", ("status",)),
        ("desk_payments", ("order_id",)),
        ("desk_payments", ("account_id",)),
        ("account_entries", ("account_id",)),
    ):
        Index(None, t[table].c.store_id, *(t[table].c[c] for c in columns))
    # the back office's reads by period and the open queue (migration 0012)
    Index("ix_contacts_store_at", t["contacts"].c.store_id, t["contacts"].c.at)
    Index("ix_cases_store_opened", t["cases"].c.store_id, t["cases"].c.opened_at)
    r = t["referrals"]
    Index(
        "ix_referrals_open_by_department",
        r.c.store_id,
        r.c.department,
        postgresql_where=r.c.status.in_(["open", "answered"]),
    )
    return t
