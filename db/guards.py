"""The database's own protections, listed once, and the check that they are all there.

Triggers make the fiscal tables append-only, keep the journal in order, move the journal
head only forward, and keep numbers, open shifts and print jobs honest (migrations 0001,
0002, 0003 and 0006). Someone with raw SQL access must drop a trigger before changing
what it protects; a missing trigger is therefore evidence in itself: the app refuses to
open such a store and ``counter journal verify`` names what is missing. See
docs/trust.md for what this does and does not stop.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

#: Never updated nor deleted (migrations 0001 to 0003).
APPEND_ONLY = (
    "journal",
    "sales",
    "sale_lines",
    "sale_taxes",
    "tenders",
    "returns",
    "return_lines",
    "refunds",
    "approvals",
    "vouchers",
    "voucher_movements",
    "shift_recounts",
    "cash_movements",
    "z_reports",
    # the service desk (migration 0005)
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
    # part payments and what voids gave back (migration 0011)
    "part_payments",
    "voided_payments",
    # the card terminal's requests, answers, refunds paid another way and ends of day (migration 0014)
    "card_requests",
    "card_answers",
    "card_refunds_closed",
    "card_days",
)
#: Changed over time (each change is a history row and a journal entry) but never deleted.
NEVER_DELETED = ("shifts", "customers", "cases", "referrals", "orders", "accounts")

#: Every trigger that must exist in a store at the head revision.
EXPECTED_TRIGGERS = frozenset(
    {f"{table}_no_{action}" for table in APPEND_ONLY for action in ("update", "delete")}
    | {f"{table}_no_delete" for table in NEVER_DELETED}
    | {
        "shifts_closed_no_update",
        "orders_closed_no_update",
        "journal_insert_in_order",
        "journal_head_advance",
        "journal_head_guard_insert",
        "journal_head_guard_update",
        "journal_head_no_delete",
        "counters_forward_only",
        "counters_no_delete",
        "shifts_open_fixed",
        "users_no_delete",
        "print_jobs_fixed",
        "print_jobs_no_delete",
        "outbox_fixed",
        "outbox_no_delete",
    }
)


def missing_triggers(conn: Connection) -> list[str]:
    present = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
    return sorted(EXPECTED_TRIGGERS - present)
