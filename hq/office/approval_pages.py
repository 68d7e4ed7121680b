"""Approvals from anywhere (issue #18, point 3): the requests lanes raised that wait for a
manager (``approval_requests``, hq/approvals.py), and one request's page where a store
manager or an administrator approves or declines it by typing **their own PIN**.

The answer goes through HQ's one path for answers (``hq.approvals.answer_request``, the
JSON answer route's): still pending and not expired, the first answer wins, the approver
is active staff of the store with the right to approve (and to let a cash refund above the
limit through), not the person who asked, and their PIN is checked against HQ's verifier
with its lockout. The back office answers as the station ``office`` with ``answer_auth``
"pin@hq": the proof is the same PIN checked at HQ, and it is what the asking lane accepts
before it records an approval (``counter.trust.remote_approval.record_remote_approval``);
``answered_terminal`` "office" says where it was typed.

Who sees what is ``Office.sees_store``: a store manager their store, HQ staff and
administrators every store; department agents none. HQ staff see but do not answer."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, Engine, select

from counter.i18n import N_, _
from counter.money import Currency
from counter.returns.policy import ApprovalKind
from hq import schema as s
from hq.access import Caller
from hq.approvals import APPROVED, DECLINED, PENDING, answer_request, view
from hq.office.auth import Office, record
from hq.office.web import (
    PageRefusal,
    field,
    form_of,
    known_stores,
    not_found,
    not_yours,
    page,
    signed_in,
    store_scope,
)
from hq.store import utcnow
from hq.web import Refusal

OFFICE_STATION = "office"  # answered_terminal of an answer typed in the back office
PIN = re.compile(r"^[0-9]{4,8}$")
MAX_NOTE = 500
STATES = {  # shown with _() where the page is made
    PENDING: N_("Waiting for an answer"),
    APPROVED: N_("Approved"),
    DECLINED: N_("Declined"),
    "cancelled": N_("Withdrawn by the lane"),
    "expired": N_("Expired before anyone answered"),
}


def money(minor: int, currency: str) -> str:
    """Minor units in the request's currency, e.g. 1234 USD -> $12.34."""
    try:
        cur = Currency.of(currency)
        return cur.format(cur.from_minor(minor))
    except Exception:  # an unknown currency code: the number and the code, never an error page
        return f"{Decimal(minor) / 100:,.2f} {currency}"


def kinds_in_words(kinds: list[str]) -> list[str]:
    words = []
    for k in kinds:
        try:
            words.append(ApprovalKind(k).label)
        except ValueError:
            words.append(k)
    return words


def duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return _("{seconds} s").format(seconds=seconds)
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=f"{seconds:02d}")
    hours, minutes = divmod(minutes, 60)
    return _("{hours} h {minutes} min").format(hours=hours, minutes=f"{minutes:02d}")


def described(row: Any, now: datetime) -> dict[str, Any]:
    """A request as the pages show it: HQ's view of it plus words for people."""
    data = view(row, now)
    data.update(
        money=money(int(row["amount_minor"]), str(row["currency"])),
        reasons=kinds_in_words(data["kinds"]),
        lane=f"{row['store_id']}-{row['terminal_id']}",
        waited=duration(now - row["created_at"]),
        expires_in=duration(row["expires_at"] - now),
        state_label=_(STATES[data["state"]]) if data["state"] in STATES else data["state"],
        answered_at_text=row["answered_at"].strftime("%Y-%m-%d %H:%M:%S UTC") if row["answered_at"] else "",
        answered_where=_("the back office") if row["answered_terminal"] == OFFICE_STATION else row["answered_terminal"],
    )
    return data


def pending_rows(conn: Connection, scope: str | None, now: datetime) -> list[dict[str, Any]]:
    """The requests waiting in one store (``scope``), or in every store when it is None."""
    t = s.approval_requests
    stmt = select(t).where(t.c.state == PENDING, t.c.expires_at > now)
    if scope is not None:
        stmt = stmt.where(t.c.store_id == scope)
    rows = conn.execute(stmt.order_by(t.c.created_at.desc()).limit(500)).mappings().all()
    return [described(r, now) for r in rows]


def _no_agents(who: Office) -> None:
    if who.role == "agent":
        raise not_yours(who, _("Approvals is not in what your role lets you see; nothing is shown."))


def _request_of(conn: Connection, who: Office, approval_id: str) -> Any:
    """The request, once it is in the person's store(s); else a refusal that shows nothing."""
    _no_agents(who)
    t = s.approval_requests
    row = conn.execute(select(t).where(t.c.id == approval_id[:64])).mappings().first()
    if row is None:
        raise not_found(who, _("There is no such approval request."))
    if not who.sees_store(str(row["store_id"])):
        raise not_yours(who, _("This approval request is not in what your role lets you see; nothing is shown."))
    return row


def _why_not_yours_to_answer(who: Office, row: Any) -> str:
    """Why this person may not answer this request ("" when they may)."""
    if not who.approves:
        return _(
            "As {role} you see the requests but do not answer them: a store manager or an administrator does."
        ).format(role=_(who.role_label))
    if who.user_id == row["requester_id"]:
        return _("{name}, you asked for this approval yourself: another manager must answer it.").format(
            name=row["requester_name"]
        )
    return ""


def router(engine: Engine) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/office/approvals")
    async def approvals(request: Request, said: str = "", store: str = "") -> Response:
        who = await signed_in(engine, request)
        _no_agents(who)
        scope = store_scope(who, store)
        now = utcnow()
        with engine.connect() as conn:
            rows = pending_rows(conn, scope, now)
            stores = known_stores(conn) if who.store_id is None else []
        return page(
            request, "approvals.html", who, rows=rows, said=said[:200], now=now, store=scope or "", stores=stores
        )

    @api.get("/office/approvals/{approval_id}")
    async def approval(request: Request, approval_id: str, said: str = "") -> Response:
        who = await signed_in(engine, request)
        with engine.connect() as conn:
            row = _request_of(conn, who, approval_id)
        return _approval_page(request, who, row, said=said[:200])

    @api.post("/office/approvals/{approval_id}")
    async def answer(request: Request, approval_id: str) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        with engine.connect() as conn:
            row = _request_of(conn, who, approval_id)
        decision, pin, note = field(form, "decision"), field(form, "pin"), field(form, "note")
        why_not = _why_not_yours_to_answer(who, row)
        if why_not:
            raise PageRefusal(
                403, _("Not yours to answer"), _("{reason} Nothing was changed.").format(reason=why_not), "", who
            )
        if decision not in ("approve", "decline"):
            raise PageRefusal(
                422, _("Approve or decline?"),
                _("The form did not say whether to approve or decline; nothing was changed."),
                _("Go back and press Approve or Decline."), who,
            )  # fmt: skip
        if not PIN.match(pin):
            return _approval_page(
                request, who, row, status=422, note=note,
                error=_("Type your own PIN: 4 to 8 digits. Nothing was changed (this did not count as a wrong PIN)."),
            )  # fmt: skip
        if len(note) > MAX_NOTE:
            return _approval_page(
                request, who, row, status=422, note=note[:MAX_NOTE],
                error=_("The note is longer than {limit} characters; shorten it. Nothing was changed.").format(
                    limit=MAX_NOTE
                ),
            )  # fmt: skip
        station = Caller("office", str(row["store_id"]), OFFICE_STATION, who.login)
        target = f"{row['store_id']}:{row['id']}"
        try:
            done = answer_request(
                engine, str(row["store_id"]), str(row["id"]), decision=decision, approver_id=who.user_id, pin=pin,
                note=note, station=station,
            )  # fmt: skip
        except Refusal as refused:
            record(engine, who, "approval_refused", target, f"{refused.error}: {refused.english}", row["store_id"])
            with engine.connect() as conn:
                latest = _request_of(conn, who, approval_id)
            return _approval_page(request, who, latest, status=refused.status, note=note, error=refused.message)
        record(engine, who, f"approval_{decision}", target, note[:500], row["store_id"])
        values = {
            "what": done["what"][:120],
            "amount": money(int(done["amount_minor"]), str(done["currency"])),
            "lane": done["terminal_id"],
        }
        if done["state"] == APPROVED:
            said = _("Approved: {what} ({amount}). The lane {lane} sees it at its next check.").format(**values)
        else:
            said = _("Declined: {what} ({amount}). The lane {lane} sees it at its next check.").format(**values)
        return RedirectResponse(f"/office/approvals?said={quote(said)}", status_code=303)

    def _approval_page(
        request: Request, who: Office, row: Any, *, status: int = 200, said: str = "", error: str = "", note: str = ""
    ) -> Response:
        return page(
            request, "approval.html", who, status, r=described(row, utcnow()), said=said, error=error, note=note,
            why_not=_why_not_yours_to_answer(who, row),
        )  # fmt: skip

    return api
