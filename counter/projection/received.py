"""Another lane's desk event, pulled from HQ (``DeskEventReceived``, db/desk_feed.py): the
rows it puts in this lane's desk tables, by the same projection function its own lane
used, so that any lane of the store can continue what another began (pay a layaway opened
elsewhere, close a case referred elsewhere).

The received entry's body is the original entry (``terminal``, ``seq``, ``type``, ``at``,
``body``); the rows are derived from it with the original's ``EntryRef``, so they carry
the original lane's time, and ``journal verify`` derives them here as from any entry.
What changes on the way:

* only the desk's own tables are written: store credit (vouchers, their movements and
  links) reaches the lane by its own feed (``VouchersReceived``, db/sync_people.py);
* a reference to a sale of another lane (a pick-up's sale, an adjustment's sale line, a
  refund's original sale) is dropped: the sale is not in this lane's file;
* a case's status is its latest status change by time, as at HQ: a status change that
  comes after a later one of the same case (two lanes offline) is marked ``superseded``
  by the lane that takes it, and adds its event to the case's history without changing
  its status;
* every received event leaves a ``desk_received`` row (its lane and seq), the mark that
  it is here, so it is never applied twice.

Typed text (notes, words, outcomes) travels beside the event, as on its own lane.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from counter.projection.base import EntryRef, Insert, Op, ProjectionError, TableSpec, Update, _int
from counter.projection.cases import CASE_PROJECTIONS
from counter.projection.desk import DESK_PROJECTIONS

#: The events another lane's desk work is made of (``counter.trust.desk_rules.DESK_KINDS``):
#: every desk and case event but a sale's, a return's and a customer's own.
DESK_EVENT_TYPES: Final = (frozenset(DESK_PROJECTIONS) - {"SaleCompleted", "ReturnProcessed"}) | (
    frozenset(CASE_PROJECTIONS) - {"CustomerCreated", "CustomerUpdated", "CustomerReceived", "CustomerLinksReceived"}
)

#: The desk's own tables: what a received event may write.
RECEIVED_INTO: Final = frozenset(
    {
        "cases",
        "case_events",
        "contacts",
        "contact_links",
        "referrals",
        "referral_notes",
        "orders",
        "order_lines",
        "accounts",
        "account_entries",
        "desk_payments",
        "desk_tenders",
        "adjustments",
        "customer_links",
    }
)
#: Customer links a received event keeps: its own records (store credit's come by its feed).
_LINK_KINDS: Final = frozenset({"order", "payment", "adjustment"})
#: Columns that name a sale (or its line) of the lane that made the event.
_SALE_COLUMNS: Final = {
    "orders": ("sale_id",),
    "desk_payments": ("original_sale_id",),
    "adjustments": ("sale_id", "sale_line_id"),
}

RECEIVED_TABLES: Final = (TableSpec("desk_received", ("terminal_id", "seq"), ("terminal_id", "seq", "type", "at")),)


def _own(op: Op) -> Op | None:
    """The operation as this lane takes it, or None when it is not the desk's to write."""
    if op.table not in RECEIVED_INTO:
        return None
    values = op.row if isinstance(op, Insert) else op.values
    if op.table == "customer_links" and values.get("kind") not in _LINK_KINDS:
        return None
    dropped = [c for c in _SALE_COLUMNS.get(op.table, ()) if c in values and values[c] is not None]
    if not dropped:
        return op
    stripped = {**values, **dict.fromkeys(dropped)}
    return Insert(op.table, stripped) if isinstance(op, Insert) else Update(op.table, op.key, stripped)


def received_ref(body: Mapping[str, Any]) -> EntryRef:
    """The original entry's reference (its lane, seq, type and time)."""
    kind = str(body["type"])
    if kind not in DESK_EVENT_TYPES:
        raise ProjectionError(f"a {kind} is not a desk event another lane's work is made of")
    return EntryRef(str(body["terminal"]), _int(body["seq"], "a received entry's seq"), kind, str(body["at"]))


def inner_ops(body: Mapping[str, Any]) -> list[Op]:
    """The original event's rows on this lane (without the ``desk_received`` mark)."""
    ref = received_ref(body)
    inner = body["body"]
    if not isinstance(inner, Mapping):
        raise ProjectionError(f"{ref}: the received body is not an object")
    projections = {**DESK_PROJECTIONS, **CASE_PROJECTIONS}
    superseded = body.get("superseded") is True
    out: list[Op] = []
    for op in projections[ref.type](inner, ref):
        if superseded and isinstance(op, Update) and op.table == "cases" and "status" in op.values:
            continue  # a later status change of the case is here already, and stands
        own = _own(op)
        if own is not None:
            out.append(own)
    return out


def desk_event_received_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    original = received_ref(body)
    mark = Insert(
        "desk_received",
        {"terminal_id": original.terminal, "seq": original.seq, "type": original.type, "at": original.at},
    )
    return [mark, *inner_ops(body)]


RECEIVED_PROJECTIONS: Final[dict[str, Callable[[Mapping[str, Any], EntryRef], list[Op]]]] = {
    "DeskEventReceived": desk_event_received_ops,
}
