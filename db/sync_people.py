"""Customers and store credit between the lanes of a store, through HQ (``hq/people.py``).

Up: the journal says *that* a customer was created or changed, never who they are, so
``push_customers`` sends the current contact details of customers changed here since
the last time (``settings['people_pushed']``, the newest ``updated_at`` HQ acknowledged)
to ``POST /v1/customers``. HQ keeps per customer the details with the newest
``updated_at``.

Down: ``apply_people`` runs inside the pull's page transaction (``db.sync_apply.apply_changes``):

* a customer HQ sends is added, or replaces the local one **only if HQ's change is newer**
  (``updated_at``): a change made here and not yet sent is never overwritten by an older
  version; it goes up with the next push and wins there. Each field a pull changes is a
  ``customer_changes`` row ("from HQ"), a new address a new ``customer_addresses`` row,
  as for a change made at the desk. A phone, e-mail or card that another local customer
  already holds (two lanes registered one person offline) is left off the pulled copy and
  logged, so look-ups stay unambiguous and the page still applies;
* a link (sale, return, voucher of that customer) is added once;
* a voucher is added once (its row is never changed), and each movement of it made at
  another lane is added once, matched by (voucher, reference, amount): the balance here is
  the sum of the movements, so it is HQ's balance plus this lane's own not yet synced.
  A voucher over-spent offline at two lanes shows a negative balance here (nothing more
  can be taken from it) and is on HQ's exception report.

Threads: ``push_customers`` on the sync worker; ``apply_people`` in the pull's transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, select

from counter.desk.customers import Address
from counter.journal import EventType, parse_stamp, utc_stamp
from db import schema as s
from db.customers import current_address
from db.hq_client import HqRefused
from db.queries import read_settings, write_settings
from db.uow import SqlJournal

if TYPE_CHECKING:
    from db.sync import Syncer

log = logging.getLogger(__name__)

PUSHED_KEY = "people_pushed"
BATCH = 200
UNIQUE_FIELDS = ("phone", "email", "loyalty_card")
DETAIL_FIELDS = ("name", *UNIQUE_FIELDS)
FROM_HQ = "from HQ"
HQ_USER = "hq"


# ---------------------------------------------------------------------------- down


def apply_people(conn: Connection, page: Mapping[str, Iterable[dict[str, Any]]], terminal: str) -> None:
    """Apply the customer and voucher rows of one pulled page, given by kind (other kinds
    are skipped; so are tombstones: customers and vouchers are never deleted here).

    Store credit that is new here is journaled on this lane's chain as ``VouchersReceived``
    and written as that entry's projection (counter.projection), so a voucher balance is
    only ever summed from rows that ``journal verify`` derives from a sealed entry."""
    by_kind = {
        kind: [row["data"] for row in page.get(kind, ()) if not row["deleted"]]
        for kind in ("customer", "customer_link", "voucher", "voucher_movement")
    }
    journal = SqlJournal(conn, terminal)
    for d in by_kind.get("customer", []):
        _apply_customer(conn, journal, d)
    links: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for d in by_kind.get("customer_link", []):
        _apply_link(conn, d, links, seen)
    if links:
        journal.append(EventType.CUSTOMER_LINKS_RECEIVED, {"links": links}, datetime.now(UTC))
    vouchers = {str(d["code"]): d for d in by_kind.get("voucher", [])}
    new_vouchers: dict[str, dict[str, Any]] = {}
    for d in vouchers.values():
        _ensure_voucher(conn, str(d["code"]), d, new_vouchers)
    movements: list[dict[str, Any]] = []
    for d in by_kind.get("voucher_movement", []):
        _apply_movement(conn, d, vouchers.get(str(d["voucher_code"])), new_vouchers, movements)
    if new_vouchers or movements:
        body = {"vouchers": list(new_vouchers.values()), "movements": movements}
        journal.append(EventType.VOUCHERS_RECEIVED, body, datetime.now(UTC))


def _apply_customer(conn: Connection, journal: SqlJournal, d: dict[str, Any]) -> None:
    """A customer from HQ, journaled here as ``CustomerReceived`` and written as that entry's
    projection (counter.projection.cases): the entry says which fields changed, when and by
    whom; the personal details go beside it (``private``), never into the journal."""
    if not d.get("name"):
        return  # HQ knows of them from the journal only; the details have not reached it yet
    c = s.customers
    cid = str(d["id"])
    local = conn.execute(select(c).where(c.c.id == cid)).mappings().first()
    if local is not None and str(local["updated_at"]) >= str(d["updated_at"]):
        return  # ours is as new or newer (not yet sent): HQ gets it with the next push
    values: dict[str, Any] = {
        "name": str(d["name"]),
        "email_consent": bool(d["email_consent"]),
        "updated_at": str(d["updated_at"]),
        "language": str(d.get("language") or ""),  # an HQ before 0017 sends none
    }
    for field in UNIQUE_FIELDS:
        value = d.get(field) or None
        if value is not None:
            holder = conn.execute(select(c.c.id).where(c.c[field] == value, c.c.id != cid)).scalar()
            if holder is not None:
                log.warning("sync: customer %s from HQ has the %s of local customer %s; left off", cid, field, holder)
                value = None
        values[field] = value
    address = _address(d.get("address"))
    at = parse_stamp(str(values["updated_at"]))
    changes: list[str] = []
    private_changes: list[dict[str, str]] = []
    if local is not None:
        for field in (*DETAIL_FIELDS, "email_consent", "language"):
            before, after = local[field], values[field]
            if field == "email_consent":
                before, after = _yes(bool(before)), _yes(bool(after))
            if (before or "") != (after or ""):
                changes.append(field)
                if field != "email_consent":  # its yes/no and the reason are in the entry
                    private_changes.append({"old_value": before or "", "new_value": after or ""})
        if address is not None and address == current_address(conn, cid):
            address = None
    body = {
        "customer_id": cid,
        "new": local is None,
        "created_at": str(d["created_at"]) if local is None else None,
        "created_by": str(d["created_by"]) if local is None else None,
        "updated_at": str(values["updated_at"]),
        "email_consent": bool(values["email_consent"]),
        "language": values["language"],
        "has_phone": values["phone"] is not None,
        "has_email": values["email"] is not None,
        "has_card": values["loyalty_card"] is not None,
        "fields": changes + (["address"] if address is not None else []),
        "user": HQ_USER,
        "reason": FROM_HQ,
        "at": utc_stamp(at),
    }
    addresses = [] if address is None else [{f: getattr(address, f) for f in Address.__dataclass_fields__}]
    private = {
        "customers": [{f: values[f] for f in DETAIL_FIELDS}],
        "customer_changes": private_changes,
        "customer_addresses": addresses,
    }
    journal.append(EventType.CUSTOMER_RECEIVED, body, datetime.now(UTC), private)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _address(raw: Any) -> Address | None:
    if not raw:
        return None
    data = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return Address(**{k: str(data.get(k, "")) for k in Address.__dataclass_fields__})


def _apply_link(
    conn: Connection, d: dict[str, Any], new: list[dict[str, Any]], seen: set[tuple[str, str, str]]
) -> None:
    """A customer's sale or return at another lane: added to ``new`` (journaled as
    ``CustomerLinksReceived``, written as its projection) unless it is here already."""
    links = s.customer_links
    cid = str(d["customer_id"])
    if conn.execute(select(s.customers.c.id).where(s.customers.c.id == cid)).first() is None:
        return  # its customer's details have not come yet; the link comes again with the next change
    key = (cid, str(d["kind"]), str(d["ref_id"]))
    known = conn.execute(
        select(links.c.id).where(links.c.customer_id == cid, links.c.kind == d["kind"], links.c.ref_id == d["ref_id"])
    ).first()
    if known is None and key not in seen:
        seen.add(key)
        new.append(
            {
                "customer_id": cid,
                "kind": key[1],
                "ref_id": key[2],
                "ref_number": str(d["ref_number"]),
                "at": str(d["at"]),
                "amount_minor": None if d.get("amount_minor") is None else int(d["amount_minor"]),
                "summary": d.get("summary") or "",
            }
        )


def _ensure_voucher(conn: Connection, code: str, d: dict[str, Any] | None, new: dict[str, dict[str, Any]]) -> None:
    if code in new or conn.execute(select(s.vouchers.c.code).where(s.vouchers.c.code == code)).first() is not None:
        return
    new[code] = {
        "code": code,
        "issued_at": str(d["issued_at"]) if d else "",
        "issued_by": str(d["issued_by"] or HQ_USER) if d else HQ_USER,
        "return_id": (str(d["reference"]) if d.get("reference") else None) if d else None,
        "initial_minor": int(d["initial_minor"]) if d else 0,
    }


def _apply_movement(
    conn: Connection,
    d: dict[str, Any],
    voucher: dict[str, Any] | None,
    new: dict[str, dict[str, Any]],
    movements: list[dict[str, Any]],
) -> None:
    vm = s.voucher_movements
    code = str(d["voucher_code"])
    _ensure_voucher(conn, code, voucher, new)
    amount = int(d["amount_minor"])
    row = {"voucher_code": code, "at": str(d["at"]), "amount_minor": amount, "reference": str(d["reference"])}
    if any(
        m["voucher_code"] == code and m["reference"] == row["reference"] and m["amount_minor"] == amount
        for m in movements
    ):
        return
    known = conn.execute(
        select(vm.c.id).where(
            and_(vm.c.voucher_code == code, vm.c.reference == row["reference"], vm.c.amount_minor == amount)
        )
    ).first()
    if known is None:
        movements.append(row)


# ------------------------------------------------------------------------------ up


def push_customers(syncer: Syncer) -> int:
    """Send the details of customers changed here since the last acknowledged send;
    returns how many were sent. HQ away raises UpstreamUnavailable (the cycle handles it);
    an HQ without this endpoint (404) is logged and skipped."""
    sent = 0
    while True:
        pushed = str(read_settings(syncer.read).get(PUSHED_KEY, ""))
        c = s.customers
        with syncer.read.connect() as conn:
            rows = (
                conn.execute(select(c).where(c.c.updated_at > pushed).order_by(c.c.updated_at, c.c.id).limit(BATCH))
                .mappings()
                .all()
            )
            payload = [_wire(conn, r) for r in rows]
        if not payload:
            return sent
        try:
            syncer.client._call("POST", "/customers", json={"customers": payload})
        except HqRefused as exc:
            if exc.status == 404:
                log.warning("sync: HQ takes no customer details (%s)", exc.message)
                return sent
            raise
        sent += len(payload)
        write_settings(syncer.write, {PUSHED_KEY: str(rows[-1]["updated_at"])})
        if len(rows) < BATCH:
            return sent


def _wire(conn: Connection, r: Any) -> dict[str, Any]:
    address = current_address(conn, r["id"])
    return {
        "id": r["id"],
        "name": r["name"],
        "phone": r["phone"],
        "email": r["email"],
        "loyalty_card": r["loyalty_card"],
        "email_consent": bool(r["email_consent"]),
        "language": r["language"] or "",
        "address": None if address is None else {k: getattr(address, k) for k in Address.__dataclass_fields__},
        "created_at": r["created_at"],
        "created_by": r["created_by"],
        "updated_at": r["updated_at"],
    }
