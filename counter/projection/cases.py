"""Customers, cases, contacts and referrals as the projection of their journal entries (see
counter.projection and counter.projection.desk, which lists their tables).

Personal data and typed text never enter the journal: those columns are ``UNKNOWN`` here
and the command that appends the entry passes them beside it (``private``), in the order
the operations below need them. Fixed texts (an "opened" event's "Complaint: Billing and
price", a letter's event) are derived and checked like any other column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from counter.projection.base import UNKNOWN, EntryRef, Insert, Op, Update, _get

#: The canonical order of a customer's changed fields (their history rows come in this order).
CHANGE_ORDER: Final = ("name", "phone", "email", "loyalty_card", "email_consent", "language")
#: A case event's fixed texts, by the event.
LETTER_TEXT: Final = {"letter": "outcome letter (PDF)", "slip": "case slip with its barcode"}
DEFAULT_FOLLOW_UP: Final = "Were the changes made?"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _typed(body: Mapping[str, Any], flag: str) -> Any:
    """A typed text the journal does not hold: UNKNOWN when the body says there is one (or
    does not say), empty when it says there is none."""
    has = body.get(flag)
    return "" if has is False else UNKNOWN


def _event(case_id: Any, ref: EntryRef, user: Any, event: str, text: Any, frm: Any = "", to: Any = "") -> Insert:
    return Insert(
        "case_events",
        {
            "case_id": str(case_id),
            "at": ref.at,
            "user_id": str(user),
            "event": event,
            "status_from": frm,
            "status_to": to,
            "text": text,
        },
    )


# --------------------------------------------------------------------------- customers


def _optional(body: Mapping[str, Any], flag: str) -> Any:
    """A personal column that may be empty: null when the body says the customer has none."""
    has = body.get(flag)
    return None if has is False else UNKNOWN


def customer_created_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    cid = str(body["customer_id"])
    user = str(body["user"])
    ops: list[Op] = [
        Insert(
            "customers",
            {
                "id": cid,
                "name": UNKNOWN,
                "phone": _optional(body, "has_phone"),
                "email": _optional(body, "has_email"),
                "loyalty_card": _optional(body, "has_card"),
                "email_consent": bool(body["email_consent"]),
                "language": str(body.get("language", "")),  # entries before 0015 have none
                "created_at": ref.at,
                "created_by": user,
                "updated_at": ref.at,
            },
        )
    ]
    if body.get("has_address"):
        ops.append(_address(cid, user, ref.at, "new customer"))
    return ops


def _address(cid: str, user: str, at: str, reason: Any) -> Insert:
    return Insert(
        "customer_addresses",
        {
            "customer_id": cid,
            "line1": UNKNOWN,
            "line2": UNKNOWN,
            "city": UNKNOWN,
            "region": UNKNOWN,
            "postal_code": UNKNOWN,
            "country": UNKNOWN,
            "reason": reason,
            "user_id": user,
            "valid_from": at,
        },
    )


def customer_updated_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    cid = str(body["customer_id"])
    user = str(body["user"])
    fields = set(body["fields"])
    consent = _get(body, "email_consent")
    values: dict[str, Any] = {}
    for name, flag in (("name", ""), ("phone", "has_phone"), ("email", "has_email"), ("loyalty_card", "has_card")):
        if name in fields:
            values[name] = _optional(body, flag) if flag else UNKNOWN
    if consent is not UNKNOWN:
        values["email_consent"] = bool(consent)
    elif "email_consent" in fields:
        values["email_consent"] = UNKNOWN
    if "language" in fields:
        values["language"] = str(body["language"]) if "language" in body else UNKNOWN
    values["updated_at"] = ref.at
    ops: list[Op] = [Update("customers", (cid,), values)]
    for name in CHANGE_ORDER:
        if name not in fields:
            continue
        old: Any = UNKNOWN
        new: Any = UNKNOWN
        if name == "email_consent" and consent is not UNKNOWN:
            old, new = _yes(not consent), _yes(bool(consent))
        ops.append(
            Insert(
                "customer_changes",
                {
                    "customer_id": cid,
                    "field": name,
                    "old_value": old,
                    "new_value": new,
                    "reason": UNKNOWN,
                    "user_id": user,
                    "at": ref.at,
                },
            )
        )
    if "address" in fields:
        ops.append(_address(cid, user, ref.at, UNKNOWN))
    return ops


def customer_received_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    """A customer new or changed at another lane, as pulled from HQ (db.sync_people): its
    row (every personal column from ``private``), a history row per changed field and its
    new address, stamped with HQ's time and user."""
    cid = str(body["customer_id"])
    user, at, reason = str(body["user"]), str(body["at"]), str(body["reason"])
    consent = bool(body["email_consent"])
    row = {
        "name": UNKNOWN,
        "phone": _optional(body, "has_phone"),
        "email": _optional(body, "has_email"),
        "loyalty_card": _optional(body, "has_card"),
        "email_consent": consent,
        "updated_at": str(body["updated_at"]),
    }
    if "language" in body:
        row["language"] = str(body["language"])
    ops: list[Op]
    if body["new"]:
        created = {"id": cid, "created_at": str(body["created_at"]), "created_by": str(body["created_by"])}
        ops = [Insert("customers", {**created, **row})]
    else:
        ops = [Update("customers", (cid,), row)]
    fields = list(body["fields"])
    for name in CHANGE_ORDER:
        if name in fields:
            old, new = (_yes(not consent), _yes(consent)) if name == "email_consent" else (UNKNOWN, UNKNOWN)
            change = {"customer_id": cid, "field": name, "old_value": old, "new_value": new, "reason": reason}
            ops.append(Insert("customer_changes", {**change, "user_id": user, "at": at}))
    if "address" in fields:
        ops.append(_address(cid, user, at, reason))
    return ops


def customer_links_received_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    """Customers' sales and returns at other lanes, as pulled from HQ (with their amount and
    the items they were about, for the customer's history)."""
    return [
        Insert(
            "customer_links",
            {
                "customer_id": str(ln["customer_id"]),
                "kind": str(ln["kind"]),
                "ref_id": str(ln["ref_id"]),
                "ref_number": str(ln["ref_number"]),
                "at": str(ln["at"]),
                "amount_minor": ln.get("amount_minor"),
                "summary": ln.get("summary"),
            },
        )
        for ln in body["links"]
    ]


# --------------------------------------------------------------------------- cases


def contact_logged_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    case_id = str(body["case_id"])
    user = str(body["handled_by"])
    kind, category = str(body["kind"]), str(body["category"])
    ops: list[Op] = []
    if body["new_case"]:
        follow_up = _get(body, "follow_up_on")
        ops.append(
            Insert(
                "cases",
                {
                    "id": case_id,
                    "number": str(body["case_number"]),
                    "customer_id": str(body["customer_id"]),
                    "kind": kind,
                    "category": category,
                    "subject": UNKNOWN,
                    "status": "open",
                    "opened_at": ref.at,
                    "opened_by": user,
                    "updated_at": ref.at,
                    "follow_up_on": follow_up,
                    "follow_up_note": UNKNOWN if follow_up is UNKNOWN else (DEFAULT_FOLLOW_UP if follow_up else ""),
                    "resolution": "",
                },
            )
        )
        ops.append(_event(case_id, ref, user, "opened", f"{kind.capitalize()}: {category}", "", "open"))
    contact_id = str(body["contact_id"])
    actions = _typed(body, "has_actions")
    ops.append(
        Insert(
            "contacts",
            {
                "id": contact_id,
                "case_id": case_id,
                "customer_id": str(body["customer_id"]),
                "kind": kind,
                "category": category,
                "words": UNKNOWN,
                "actions": actions,
                "handled_by": user,
                "at": ref.at,
            },
        )
    )
    for n, ln in enumerate(body["links"], start=1):
        row = {"contact_id": contact_id, "seq": n, "kind": str(ln["kind"]), "number": str(ln["number"])}
        ops.append(Insert("contact_links", row))
    ops.append(_event(case_id, ref, user, "contact", UNKNOWN))
    if body.get("has_actions"):
        ops.append(_event(case_id, ref, user, "action", UNKNOWN))
    return ops


_STATUS_EVENT: Final = {
    "CaseStatusChanged": "status",
    "CaseResolved": "resolved",
    "CaseClosed": "closed",
    "CaseReopened": "reopened",
}


def case_status_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    event = _STATUS_EVENT[ref.type]
    values: dict[str, Any] = {"status": str(body["to"]), "updated_at": ref.at}
    if event == "resolved":
        values["resolution"] = UNKNOWN
    elif event == "reopened":
        values["resolution"] = ""
    text = _typed(body, "has_note")
    return [
        Update("cases", (str(body["case_id"]),), values),
        _event(body["case_id"], ref, body["user"], event, text, str(body["from"]), str(body["to"])),
    ]


def follow_up_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    case_id = str(body["case_id"])
    if body["done"]:
        values: dict[str, Any] = {"follow_up_on": None, "follow_up_note": "", "updated_at": ref.at}
        event = "follow_up_done"
    else:
        values = {"follow_up_on": str(body["due"]), "follow_up_note": UNKNOWN, "updated_at": ref.at}
        event = "follow_up_set"
    return [Update("cases", (case_id,), values), _event(case_id, ref, body["user"], event, UNKNOWN)]


def letter_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    kind = str(body["kind"])
    return [_event(body["case_id"], ref, body["user"], kind, LETTER_TEXT.get(kind, UNKNOWN))]


# --------------------------------------------------------------------------- referrals


def case_referred_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    case_id = str(body["case_id"])
    user = str(body["user"])
    return [
        Insert(
            "referrals",
            {
                "id": str(body["referral_id"]),
                "case_id": case_id,
                "department": str(body["department"]),
                "department_name": _get(body, "department_name"),
                "priority": str(body["priority"]),
                "due_on": str(body["due"]),
                "status": "open",
                "referred_at": ref.at,
                "referred_by": user,
                "note": UNKNOWN,
                "outcome": "",
                "answered_at": None,
                "told_at": None,
                "told_how": None,
            },
        ),
        Update("cases", (case_id,), {"status": "referred", "updated_at": ref.at}),
        _event(case_id, ref, user, "referred", UNKNOWN, _get(body, "from"), "referred"),
    ]


def _note(body: Mapping[str, Any], ref: EntryRef, kind: str) -> Insert:
    return Insert(
        "referral_notes",
        {
            "referral_id": str(body["referral_id"]),
            "at": ref.at,
            "user_id": str(body["user"]),
            "kind": kind,
            "text": UNKNOWN,
        },
    )


def referral_noted_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    status = _get(body, "case_status")
    return [_note(body, ref, "note"), _event(body["case_id"], ref, body["user"], "department_note", UNKNOWN, status)]


def referral_answered_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    status = _get(body, "case_status")
    ops: list[Op] = [
        _note(body, ref, "outcome"),
        Update(
            "referrals",
            (str(body["referral_id"]),),
            {"status": "answered", "outcome": UNKNOWN, "answered_at": ref.at},
        ),
    ]
    reopened: Any = UNKNOWN
    if status is not UNKNOWN:
        reopened = "open" if status == "referred" else ""
        if reopened:
            ops.append(Update("cases", (str(body["case_id"]),), {"status": "open", "updated_at": ref.at}))
    ops.append(_event(body["case_id"], ref, body["user"], "answered", UNKNOWN, status, reopened))
    return ops


def referral_reassigned_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    """A referral given to another department (HQ's back office): it leaves the first
    department's queue for the other's, with the other's due date."""
    department = str(body["department"])
    return [
        _note(body, ref, "reassigned"),
        Update(
            "referrals",
            (str(body["referral_id"]),),
            {"department": department, "department_name": _get(body, "department_name"), "due_on": str(body["due"])},
        ),
        _event(body["case_id"], ref, body["user"], "reassigned", UNKNOWN),
    ]


def customer_informed_ops(body: Mapping[str, Any], ref: EntryRef) -> list[Op]:
    return [
        _note(body, ref, "told"),
        Update(
            "referrals",
            (str(body["referral_id"]),),
            {"status": "closed", "told_how": str(body["how"]), "told_at": ref.at},
        ),
        _event(body["case_id"], ref, body["user"], "told", UNKNOWN),
    ]


CASE_PROJECTIONS: Final[dict[str, Callable[[Mapping[str, Any], EntryRef], list[Op]]]] = {
    "CustomerCreated": customer_created_ops,
    "CustomerUpdated": customer_updated_ops,
    "CustomerReceived": customer_received_ops,
    "CustomerLinksReceived": customer_links_received_ops,
    "ContactLogged": contact_logged_ops,
    **{t: case_status_ops for t in _STATUS_EVENT},
    "FollowUpRecorded": follow_up_ops,
    "LetterIssued": letter_ops,
    "CaseReferred": case_referred_ops,
    "ReferralNoted": referral_noted_ops,
    "ReferralAnswered": referral_answered_ops,
    "ReferralReassigned": referral_reassigned_ops,
    "CustomerInformed": customer_informed_ops,
}
