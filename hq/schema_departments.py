"""HQ's tables of the desk's departments and escalations (migration 0007): the chain's
departments and each store's time zone, edited at HQ (hq/departments.py), and the
escalations HQ records for referrals past HQ's due date (hq/escalation.py).

``departments`` and ``referral_escalations`` are downstream tables: each row carries
``version`` from ``change_seq`` and a ``deleted`` flag, and lanes pull them on the change
feed (``hq.catalog.changes``): departments chain-wide, escalations for their own store.
``stores`` holds what HQ needs to know of a store to reckon its days (its IANA zone).

Defined by ``define`` on ``hq.schema``'s metadata (hq/schema.py re-exports them).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, UniqueConstraint


def _versioned() -> list[Column[object]]:
    return [
        Column("version", BigInteger, nullable=False, index=True),
        Column("deleted", Boolean, nullable=False, default=False),
    ]


def define(metadata: MetaData) -> dict[str, Table]:
    t: dict[str, Table] = {}
    t["departments"] = Table(
        "departments",
        metadata,
        Column("code", String(32), primary_key=True),
        Column("name", String(80), nullable=False),
        Column("active", Boolean, nullable=False),  # false: closed to new referrals
        Column("referral_days", Integer, nullable=False),  # HQ's due date: the referral's day + these
        Column("escalate_to", String(32), nullable=True),  # a department's code; null: nowhere
        *_versioned(),
    )
    t["stores"] = Table(
        "stores",
        metadata,
        Column("store_id", String(16), primary_key=True),
        Column("timezone", String(64), nullable=False),  # IANA, e.g. America/Chicago
    )
    t["referral_escalations"] = Table(
        "referral_escalations",
        metadata,
        Column("id", String(60), primary_key=True),  # store:referral id (one escalation per referral)
        Column("store_id", String(16), nullable=False),
        Column("referral_id", String(36), nullable=False),
        Column("case_id", String(36), nullable=False),
        Column("case_number", String(32), nullable=False),
        Column("origin_terminal", String(16), nullable=False),  # the lane that made the referral
        Column("customer_id", String(36), nullable=False),
        Column("department", String(32), nullable=False),
        Column("department_name", String(80), nullable=False),
        Column("priority", String(8), nullable=False),
        Column("referred_at", String(32), nullable=False),
        Column("lane_due_on", String(10), nullable=False),  # what the lane set
        Column("hq_due_on", String(10), nullable=False),  # what HQ computed, and escalated by
        Column("escalated_to", String(32), nullable=False),
        Column("escalated_to_name", String(80), nullable=False),
        Column("escalated_at", String(32), nullable=False),
        Column("days_overdue", Integer, nullable=False),  # past HQ's due date when escalated
        Column("settled_at", String(32), nullable=True),  # the department answered (or it was closed)
        *_versioned(),
        UniqueConstraint("store_id", "referral_id"),
    )
    Index(None, t["referral_escalations"].c.store_id, t["referral_escalations"].c.escalated_to)
    return t
