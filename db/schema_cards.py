"""The integrated card terminal's tables (migration 0014): each request as journaled before
the terminal was asked, its answer, card refunds paid another way, and the terminal's ends of
day; all append-only projections of their journal entries (counter.projection.card_requests,
counter.payments.requests). Part of the local store's schema (``db.schema`` re-exports them)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text, text

from db.metadata import metadata

card_requests = Table(
    "card_requests",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("terminal_id", String(16), nullable=False),
    Column("sent_at", String(32), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("op", String(16), nullable=False),  # sale | refund | reversal
    Column("amount_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("for_kind", String(16), nullable=False),  # sale | return | void
    Column("for_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("total_minor", Integer, nullable=True),  # a sale's total when its card payment was asked
    Column("original", String(64), nullable=False),
    Column("prior_trace", String(16), nullable=False),
    Column("device", String(64), nullable=False),
    Index("ix_card_requests_for", "for_kind", "for_id", "seq"),
    Index("ix_card_requests_terminal_sent", "terminal_id", "sent_at"),
)

card_answers = Table(
    "card_answers",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("terminal_id", String(16), nullable=False),
    Column("answered_at", String(32), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("approver_id", String(36), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("how", String(16), nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("reference", String(64), nullable=False),
    Column("trace", String(16), nullable=False),
    Column("receipt_no", String(16), nullable=False),
    Column("approval_code", String(16), nullable=False),
    Column("card_brand", String(32), nullable=False),
    Column("card_last4", String(4), nullable=False),
    Column("device_terminal_id", String(16), nullable=False),
    Column("text", Text, nullable=False),
)

card_refunds_closed = Table(
    "card_refunds_closed",
    metadata,
    Column("return_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("terminal_id", String(16), nullable=False),
    Column("closed_at", String(32), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("approver_id", String(36), nullable=False),
    Column("request_id", String(36), nullable=False),
    Column("how", String(16), nullable=False),  # cash | store_credit
    Column("amount_minor", Integer, nullable=False),
    Column("voucher_code", String(16), nullable=True),
    Index("ix_card_refunds_closed_terminal_at", "terminal_id", "closed_at"),
)

card_days = Table(
    "card_days",
    metadata,
    Column("terminal_id", String(16), primary_key=True),
    Column("closed_at", String(32), primary_key=True),
    Column("user_id", String(36), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("count", Integer, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("by_brand", Text, nullable=False),  # JSON: brand -> {"count", "amount"}
    Column("text", Text, nullable=False),
)

#: Which card requests still wait for their answer (migration 0018): a row per request, made
#: with it and settled when its answer is journaled (the projection of both entries). Before
#: every card payment the lane asks which of its requests wait; read as requests without an
#: answer, that looked up every request the lane ever sent (1.1 s at 300,000, issue #22).
#: The partial index holds the waiting ones only.
card_pending = Table(
    "card_pending",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("terminal_id", String(16), nullable=False),
    Column("sent_at", String(32), nullable=False),
    Column("settled", Boolean, nullable=False),
    Index("ix_card_pending_waiting", "terminal_id", "sent_at", sqlite_where=text("settled = 0")),
)

APPEND_ONLY = ("card_requests", "card_answers", "card_refunds_closed", "card_days")
