"""Department work in the back office (issue #18, point 2): the queue of referrals by due
date and priority with the overdue ones marked, and a case's page (the customer, every
contact with its words, the receipts and returns it is about, its history, its referrals
with their notes), where the department adds a note or records the outcome, and escalates
a referral to the store manager.

What is recorded is an entry on HQ's own chain of the store (hq/office/hq_chain.py): the
lanes take it on the desk feed, so an outcome raises "tell the customer" at every lane.
Who may see what is ``Office.sees_store`` and ``sees_department``: an agent sees the cases
referred to their department only, in their store (or every store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, Engine, case, func, insert, select

from counter.desk.referrals import Priority
from counter.i18n import _
from counter.journal import EventType, utc_stamp
from hq import schema as s
from hq.office.auth import Office, record
from hq.office.hq_chain import append
from hq.office.web import PageRefusal, field, form_of, not_found, not_yours, page, signed_in
from hq.store import lock_downstream, utcnow

PRIORITY_RANK = {p.value: p.rank for p in Priority}
QUEUE_LIMIT = 200  # referrals on a queue page: the most pressing first, the next on the next page


def _departments(conn: Connection) -> dict[str, str]:
    d = s.departments
    return {str(c): str(n) for c, n in conn.execute(select(d.c.code, d.c.name))}


def queue_rows(
    conn: Connection, who: Office, department: str | None, include_answered: bool, page_no: int = 0
) -> list[dict[str, Any]]:
    """The referrals waiting in the queue, most pressing first: page ``page_no`` of
    ``QUEUE_LIMIT``, chosen by that order among the referrals before their cases and
    customers are joined."""
    r, c, cu = s.DESK["referrals"], s.DESK["cases"], s.customers
    waiting = select(
        r.c.store_id, r.c.id, r.c.case_id, r.c.department, r.c.department_name, r.c.priority, r.c.due_on,
        r.c.hq_due_on, r.c.status, r.c.referred_at, r.c.note,
    ).where(r.c.status.in_(["open", "answered"] if include_answered else ["open"]))  # fmt: skip
    if who.store_id is not None:
        waiting = waiting.where(r.c.store_id == who.store_id)
    if who.role == "agent":
        waiting = waiting.where(r.c.department == who.department)
    elif department:
        waiting = waiting.where(r.c.department == department)
    due_on = func.coalesce(func.nullif(r.c.hq_due_on, ""), r.c.due_on)
    rank = case(*((r.c.priority == p, n) for p, n in PRIORITY_RANK.items()), else_=9)
    first = (
        waiting.order_by(case((r.c.status == "open", 0), else_=1), due_on, rank, r.c.referred_at, r.c.store_id, r.c.id)
        .offset(page_no * QUEUE_LIMIT)
        .limit(QUEUE_LIMIT)
        .subquery()
    )
    stmt = (
        select(first, c.c.number, c.c.category, c.c.status.label("case_status"), cu.c.name.label("customer"))
        .join(c, (c.c.store_id == first.c.store_id) & (c.c.id == first.c.case_id))
        .join(cu, cu.c.id == c.c.customer_id, isouter=True)
    )
    today = datetime.now(UTC).date().isoformat()
    rows = [dict(x) for x in conn.execute(stmt).mappings()]
    for x in rows:
        due = x["hq_due_on"] or x["due_on"]
        x["due"] = due
        x["overdue"] = x["status"] == "open" and due is not None and str(due) < today
    rows.sort(key=lambda x: (x["status"] != "open", str(x["due"] or "9999"), PRIORITY_RANK.get(x["priority"], 9)))
    return rows


def _case(conn: Connection, store_id: str, case_id: str) -> Any:
    c = s.DESK["cases"]
    return conn.execute(select(c).where(c.c.store_id == store_id, c.c.id == case_id)).mappings().first()


def _may_see_case(conn: Connection, who: Office, store_id: str, case_id: str) -> bool:
    if not who.sees_store(store_id):
        return False
    if who.role != "agent":
        return True
    r = s.DESK["referrals"]
    return (
        conn.execute(
            select(r.c.id).where(r.c.store_id == store_id, r.c.case_id == case_id, r.c.department == who.department)
        ).first()
        is not None
    )


def case_view(conn: Connection, store_id: str, case_id: str) -> dict[str, Any]:
    d = s.DESK
    case = _case(conn, store_id, case_id)
    customer = conn.execute(select(s.customers).where(s.customers.c.id == case["customer_id"])).mappings().first()
    names = {str(i): str(n) for i, n in conn.execute(select(s.users.c.id, s.users.c.name))}
    contacts = [
        dict(x)
        for x in conn.execute(
            select(d["contacts"]).where(d["contacts"].c.store_id == store_id, d["contacts"].c.case_id == case_id)
            .order_by(d["contacts"].c.at)
        ).mappings()
    ]  # fmt: skip
    links = conn.execute(
        select(d["contact_links"].c.kind, d["contact_links"].c.number).where(
            d["contact_links"].c.store_id == store_id,
            d["contact_links"].c.contact_id.in_([x["id"] for x in contacts] or [""]),
        )
    ).all()
    ce = d["case_events"]
    events = [
        dict(x)
        for x in conn.execute(
            select(ce)
            .where(ce.c.store_id == store_id, ce.c.case_id == case_id)
            .order_by(ce.c.at, ce.c.origin_seq, ce.c.n)
        ).mappings()
    ]
    referrals = [
        dict(x)
        for x in conn.execute(
            select(d["referrals"]).where(d["referrals"].c.store_id == store_id, d["referrals"].c.case_id == case_id)
            .order_by(d["referrals"].c.referred_at)
        ).mappings()
    ]  # fmt: skip
    rn = d["referral_notes"]
    ids = [x["id"] for x in referrals] or [""]
    notes = (
        conn.execute(select(rn).where(rn.c.store_id == store_id, rn.c.referral_id.in_(ids)).order_by(rn.c.at))
        .mappings()
        .all()
    )
    for ref in referrals:
        ref["notes"] = [dict(n) for n in notes if n["referral_id"] == ref["id"]]
    return {
        "case": dict(case),
        "customer": dict(customer) if customer else None,
        "contacts": contacts,
        "links": sorted({(str(k), str(n)) for k, n in links}),
        "events": events,
        "referrals": referrals,
        "names": names,
        "store_id": store_id,
    }


def router(engine: Engine) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/office/queue")
    async def queue(
        request: Request, department: str = "", answered: str = "1", said: str = "", page_no: int = 0
    ) -> Response:
        who = await signed_in(engine, request)
        page_no = max(0, min(page_no, 10_000))
        with engine.connect() as conn:
            departments = _departments(conn)
            rows = queue_rows(conn, who, department[:32] or None, answered != "0", page_no)
        title = departments.get(who.department or "", who.department) if who.role == "agent" else (
            departments.get(department, department) if department else _("Every department")
        )  # fmt: skip
        return page(
            request, "queue.html", who, rows=rows, departments=departments, department=department, title=title,
            answered=answered != "0", today=datetime.now(UTC).date().isoformat(), said=said[:200],
            page_no=page_no, more=len(rows) == QUEUE_LIMIT, per_page=QUEUE_LIMIT,
        )  # fmt: skip

    @api.get("/office/cases/{store_id}/{case_id}")
    async def case_page(request: Request, store_id: str, case_id: str, said: str = "") -> Response:
        who = await signed_in(engine, request)
        with engine.connect() as conn:
            if _case(conn, store_id[:16], case_id[:36]) is None:
                raise not_found(who, _("There is no such case."))
            if not _may_see_case(conn, who, store_id, case_id):
                raise not_yours(who, _("This case is not in what your role lets you see; nothing is shown."))
            view = case_view(conn, store_id, case_id)
            departments = _departments(conn)
        return page(request, "case.html", who, said=said[:200], departments=departments, **view)

    @api.post("/office/cases/{store_id}/{case_id}/referrals/{referral_id}")
    async def work_referral(request: Request, store_id: str, case_id: str, referral_id: str) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        action = field(form, "action")
        note = field(form, "note")
        with engine.begin() as conn:
            if _case(conn, store_id[:16], case_id[:36]) is None:
                raise not_found(who, _("There is no such case."))
            if not _may_see_case(conn, who, store_id, case_id):
                raise not_yours(who, _("This case is not in what your role lets you see; nothing is shown."))
            r = s.DESK["referrals"]
            mine = (r.c.store_id == store_id) & (r.c.id == referral_id[:36]) & (r.c.case_id == case_id)
            ref = conn.execute(select(r).where(mine).with_for_update()).mappings().first()
            if ref is None:
                raise not_found(who, _("There is no such referral on this case."))
            if not who.sees_department(str(ref["department"])):
                raise not_yours(
                    who,
                    _("The referral to {department} is not in what your role lets you see; nothing is shown.").format(
                        department=ref["department_name"]
                    ),
                )
            if action == "escalate":
                said = _escalate(conn, who, store_id, ref)
            elif action == "reassign":
                said = _reassign(conn, who, store_id, ref, field(form, "department"), note)
            else:
                said = _note(conn, who, store_id, ref, note, outcome=action == "outcome")
        record(engine, who, f"referral_{action or 'note'}", f"{store_id}:{referral_id}", note[:500], store_id)
        if action == "reassign" and who.role == "agent":  # the case is another department's now
            return RedirectResponse(f"/office/queue?said={quote(said)}", status_code=303)
        return RedirectResponse(f"/office/cases/{quote(store_id)}/{quote(case_id)}?said={quote(said)}", status_code=303)

    return api


def _note(conn: Connection, who: Office, store_id: str, ref: Any, note: str, *, outcome: bool) -> str:
    if not note:
        raise PageRefusal(
            422, _("Nothing written"), _("Write the department's note (or the outcome) first; nothing was recorded."),
            _("Go back, write it and send it again."), who,
        )  # fmt: skip
    if ref["status"] != "open":
        raise PageRefusal(
            409, _("Already answered"),
            _("{department} has already answered this referral; nothing was recorded.").format(
                department=ref["department_name"]
            ),
            _("The lanes tell the customer; refer the case again from a lane if more is needed."), who,
        )  # fmt: skip
    case = _case(conn, store_id, str(ref["case_id"]))
    body = {
        "referral_id": str(ref["id"]),
        "case_id": str(case["id"]),
        "case_number": str(case["number"]),
        "department": str(ref["department"]),
        "user": who.user_id,
        "case_status": str(case["status"]),
    }
    private = {
        "referral_notes": [{"text": note}],
        "referrals": [{"outcome": note}] if outcome else [],
        "case_events": [{"text": f"{ref['department_name']}: {note}"}],
    }
    kind = EventType.REFERRAL_ANSWERED if outcome else EventType.REFERRAL_NOTED
    append(conn, store_id, kind, body, private)
    return _("Outcome recorded: the lanes will tell the customer.") if outcome else _("Note added.")


def _reassign(conn: Connection, who: Office, store_id: str, ref: Any, department: str, note: str) -> str:
    d = s.departments
    target = conn.execute(
        select(d.c.code, d.c.name, d.c.active, d.c.referral_days).where(d.c.code == department)
    ).first()
    if target is None or not target.active or department == ref["department"]:
        raise PageRefusal(
            422,
            _("Pick a department"),
            _("Pick another department that takes referrals; nothing was changed."),
            "",
            who,
        )
    if not note:
        raise PageRefusal(
            422, _("Say why"), _("Say why the case goes to another department; nothing was changed."), "", who
        )
    if ref["status"] != "open":
        raise PageRefusal(
            409, _("Already answered"), _("An answered referral is not reassigned; nothing was changed."), "", who
        )
    case = _case(conn, store_id, str(ref["case_id"]))
    due = (datetime.now(UTC).date() + timedelta(days=int(target.referral_days))).isoformat()
    body = {
        "referral_id": str(ref["id"]),
        "case_id": str(case["id"]),
        "case_number": str(case["number"]),
        "department": str(target.code),
        "department_name": str(target.name),
        "due": due,
        "user": who.user_id,
    }
    text = f"Reassigned from {ref['department_name']} to {target.name}: {note}"
    private = {"referral_notes": [{"text": text}], "case_events": [{"text": text}]}
    append(conn, store_id, EventType.REFERRAL_REASSIGNED, body, private)
    return _("Case {number} is with {department} now, due {due}.").format(
        number=case["number"], department=target.name, due=due
    )


def _escalate(conn: Connection, who: Office, store_id: str, ref: Any) -> str:
    e, c, dep = s.referral_escalations, s.DESK["cases"], s.departments
    if ref["status"] != "open":
        raise PageRefusal(
            409, _("Already answered"), _("An answered referral is not escalated; nothing was changed."), "", who
        )
    if conn.execute(select(e.c.id).where(e.c.store_id == store_id, e.c.referral_id == ref["id"])).first():
        raise PageRefusal(
            409, _("Escalated already"), _("This referral is escalated already; nothing was changed."), "", who
        )
    case = conn.execute(select(c).where(c.c.store_id == store_id, c.c.id == ref["case_id"])).mappings().one()
    manager = conn.execute(select(dep.c.name).where(dep.c.code == "manager")).scalar() or "Store manager"
    lock_downstream(conn)
    now = utcnow()
    due = str(ref["hq_due_on"] or ref["due_on"])
    days = max(0, (now.date() - datetime.fromisoformat(due).date()).days) if due else 0
    conn.execute(
        insert(e).values(
            id=f"{store_id}:{ref['id']}", store_id=store_id, referral_id=ref["id"], case_id=ref["case_id"],
            case_number=case["number"], origin_terminal=ref["origin_terminal"], customer_id=case["customer_id"],
            department=ref["department"], department_name=ref["department_name"], priority=ref["priority"],
            referred_at=ref["referred_at"], lane_due_on=ref["due_on"], hq_due_on=due, escalated_to="manager",
            escalated_to_name=manager, escalated_at=utc_stamp(now), days_overdue=days, settled_at=None,
            version=s.change_seq.next_value(), deleted=False,
        )
    )  # fmt: skip
    return _("Escalated to {department}.").format(department=manager)
