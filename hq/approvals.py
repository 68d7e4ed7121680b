"""Remote approval through HQ: a lane asks, a manager's station of the same store answers.

    POST   /v1/approvals               a lane asks (idempotent by the id it minted)
    GET    /v1/approvals               the store's pending requests (a manager's station polls)
    GET    /v1/approvals/{id}          one request's state (the asking lane polls)
    POST   /v1/approvals/{id}/answer   approve or decline (a manager's station)
    POST   /v1/approvals/{id}/cancel   the asking lane withdraws it

Every call is a terminal's and sees only its own store's requests (another store's id
answers 404, as an unknown one does). A terminal's token alone never approves anything:
an answer carries the approver's id **and PIN**, and HQ itself checks them, at that
moment, against its ``users`` table: active staff of this store, the right to approve
(and to let a cash refund above the limit through, when that is asked), not the person
who asked (the request's stored ``requester_id``), and the PIN against their argon2id
verifier. Wrong PINs count toward a lockout kept here (``approver_pins``: the counter's
rules, ``counter.people.users.attempt_sign_in``; a lock raises an alert). The lane that asked
cannot answer its own request (at that counter a supervisor types their PIN locally).

Every request HQ returns carries, once answered, ``answer_auth`` ("pin@hq") and
``proof``: an HMAC over the answer under the SHA-256 of the *reading* terminal's token
(``counter.trust.remote_approval.answer_mac``), which the asking lane checks before it records
anything. The requester named by a lane must be active staff of its store.

The first answer wins: the answer is one conditional ``UPDATE ... WHERE state = 'pending'
AND expires_at > now``; PostgreSQL makes a second concurrent UPDATE wait for the first and
then re-check its WHERE on the new row, so exactly one station gets 200 and the other
409 "already answered by …". A request past ``expires_at`` (5 minutes unless the lane
asks for less or more, at most an hour; ``COUNTER_HQ_APPROVAL_SECONDS`` sets the default)
reads as expired and is never answered; a cancelled one neither. HQ's clock stamps
everything, so a lane's clock does not decide expiry.
"""

# No "from __future__ import annotations": FastAPI reads the handlers' annotations at run
# time, and they name the auth dependency passed into ``router``.

import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine, and_, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from counter.errors import SignInError
from counter.i18n import _
from counter.people.users import (
    MAX_FAILED_ATTEMPTS,
    PERMISSIONS,
    Permission,
    PinHasher,
    Role,
    User,
    UserId,
    attempt_sign_in,
)
from counter.returns.policy import ApprovalKind
from counter.trust.carddata import has_card_data
from counter.trust.remote_approval import PIN_AT_HQ, answer_mac
from hq import access, schema as s
from hq.store import utcnow
from hq.web import Refusal, refusal

log = logging.getLogger("hq.approvals")

TTL_ENV = "COUNTER_HQ_APPROVAL_SECONDS"
DEFAULT_TTL_SECONDS = 300
MAX_TTL_SECONDS = 3600
PENDING, APPROVED, DECLINED, CANCELLED, EXPIRED = "pending", "approved", "declined", "cancelled", "expired"
KIND_VALUES = frozenset(k.value for k in ApprovalKind)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateApproval(Strict):
    id: str = Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")
    request_id: str = Field(min_length=1, max_length=36)
    kinds: list[str] = Field(min_length=1, max_length=len(ApprovalKind))
    amount_minor: int = Field(ge=0, le=10**12)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    what: str = Field(min_length=1, max_length=500)
    requester_id: str = Field(min_length=1, max_length=36)
    requester_name: str = Field(min_length=1, max_length=120)
    expires_in_seconds: int | None = Field(default=None, ge=1, le=MAX_TTL_SECONDS)


class AnswerApproval(Strict):
    decision: Literal["approve", "decline"]
    approver_id: str = Field(min_length=1, max_length=36)
    pin: str = Field(pattern=r"^[0-9]{4,8}$")  # the approver's, checked here (never stored)
    note: str = Field(default="", max_length=500)


def default_ttl() -> int:
    raw = os.environ.get(TTL_ENV, "")
    if raw.isdigit() and 1 <= int(raw) <= MAX_TTL_SECONDS:
        return int(raw)
    return DEFAULT_TTL_SECONDS


def view(row: Any, now: datetime, key: bytes | None = None) -> dict[str, Any]:
    """A request as the wire carries it; ``state`` is what it is *now* (a pending request
    past its time reads as expired) and ``now`` is HQ's clock, so "sent 0:12 ago" and
    "expires in 4:48" do not depend on the reader's clock. With ``key`` (the reading
    terminal's token hash), an answered request carries ``proof`` (``answer_mac``)."""
    state = row["state"]
    if state == PENDING and row["expires_at"] <= now:
        state = EXPIRED

    def stamp(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    data = {
        "id": row["id"],
        "store": row["store_id"],
        "terminal": row["terminal_id"],
        "request_id": row["request_id"],
        "kinds": row["kinds"].split(","),
        "amount_minor": int(row["amount_minor"]),
        "currency": row["currency"],
        "what": row["what"],
        "requester_id": row["requester_id"],
        "requester_name": row["requester_name"],
        "created_at": stamp(row["created_at"]),
        "expires_at": stamp(row["expires_at"]),
        "state": state,
        "answered_by_id": row["answered_by_id"],
        "answered_by_name": row["answered_by_name"],
        "answer_note": row["answer_note"],
        "answered_at": stamp(row["answered_at"]),
        "answered_terminal": row["answered_terminal"],
        "answer_auth": row["answer_auth"],
        "now": now.isoformat(),
    }
    if key is not None and row["answer_auth"] and state in (APPROVED, DECLINED):
        data["proof"] = answer_mac(key, data)
    return data


def _key(who: access.Caller) -> bytes | None:
    try:
        return bytes.fromhex(who.token_hash) if who.token_hash else None
    except ValueError:
        return None


def _find(conn: Connection, store_id: str, approval_id: str, *, lock: bool = False) -> Any:
    stmt = select(s.approval_requests).where(
        s.approval_requests.c.id == approval_id, s.approval_requests.c.store_id == store_id
    )
    if lock:
        stmt = stmt.with_for_update()
    return conn.execute(stmt).mappings().first()


def _why_closed(row: Any, now: datetime, **extra: Any) -> Refusal:
    """Why a request can no longer be answered (its message also in English: the back office
    stores it in its audit trail)."""
    state = view(row, now)["state"]
    if state in (APPROVED, DECLINED):
        at = row["answered_at"].strftime("%H:%M:%S UTC") if row["answered_at"] else ""
        by, where = row["answered_by_name"], row["answered_terminal"]
        if state == APPROVED:
            words = _("Already approved by {name} at {station} ({time}); the first answer counts.")
        else:
            words = _("Already declined by {name} at {station} ({time}); the first answer counts.")
        english = f"Already {state} by {by} at {where} ({at}); the first answer counts."
        return Refusal(409, "already_answered", words.format(name=by, station=where, time=at), english=english, **extra)
    if state == CANCELLED:
        lane = row["terminal_id"]
        return refusal(
            409,
            "cancelled",
            lambda: _("{lane} withdrew this request; there is nothing to answer.").format(lane=lane),
            **extra,
        )
    return refusal(
        410,
        "expired",
        lambda: _("This request expired before anyone answered it; the lane can send it again."),
        **extra,
    )


def router(engine: Engine, terminal: Callable[..., access.Caller]) -> APIRouter:
    """The approval endpoints, mounted by ``hq.app.create_app`` with its terminal-token
    dependency (so a refused token answers exactly as everywhere else)."""
    # Imported here, not at the top: hq.app imports this module to mount the router.

    api = APIRouter(prefix="/v1/approvals", tags=["approvals"])
    ttl = default_ttl()
    Terminal = Annotated[access.Caller, Depends(terminal)]  # noqa: N806 - a type alias

    def no_card_data(text: str) -> None:
        if has_card_data(text):
            raise Refusal(
                422, "card_data", _("The description looks like it holds a card number; leave card numbers out.")
            )

    @api.post("", status_code=201)
    def create(req: CreateApproval, who: Terminal) -> dict[str, Any]:
        assert who.store_id and who.terminal_id
        bad = [k for k in req.kinds if k not in KIND_VALUES]
        if bad:
            raise Refusal(422, "malformed", _("Unknown approval kind {kind}.").format(kind=repr(bad[0])))
        no_card_data(req.what)
        with engine.connect() as conn:
            if _approver(conn, who.store_id, req.requester_id) is None:
                raise Refusal(
                    422,
                    "unknown_requester",
                    _("The person asking is not active staff of this store at HQ; sign in as yourself and ask again."),
                )
        kinds = ",".join(sorted(set(req.kinds)))
        now = utcnow()
        values = {
            "id": req.id,
            "store_id": who.store_id,
            "terminal_id": who.terminal_id,
            "request_id": req.request_id,
            "kinds": kinds,
            "amount_minor": req.amount_minor,
            "currency": req.currency,
            "what": req.what.strip(),
            "requester_id": req.requester_id,
            "requester_name": req.requester_name,
            "created_at": now,
            "expires_at": now + timedelta(seconds=req.expires_in_seconds or ttl),
            "state": PENDING,
        }
        with engine.begin() as conn:
            conn.execute(pg_insert(s.approval_requests).values(values).on_conflict_do_nothing(index_elements=["id"]))
            row = conn.execute(select(s.approval_requests).where(s.approval_requests.c.id == req.id)).mappings().one()
        same = all(row[k] == values[k] for k in ("store_id", "terminal_id", "request_id", "kinds", "amount_minor"))
        if not same:  # the id was already used for something else (or by someone else)
            raise Refusal(409, "id_conflict", _("This approval request id is already used for another request."))
        log.info("approval %s asked by %s-%s: %s", req.id, who.store_id, who.terminal_id, kinds)
        return view(row, utcnow(), _key(who))

    @api.get("")
    def pending(who: Terminal) -> dict[str, Any]:
        assert who.store_id
        now = utcnow()
        table = s.approval_requests
        with engine.connect() as conn:
            rows = (
                conn.execute(
                    select(table)
                    .where(table.c.store_id == who.store_id, table.c.state == PENDING, table.c.expires_at > now)
                    .order_by(table.c.created_at)
                    .limit(200)
                )
                .mappings()
                .all()
            )
        return {"approvals": [view(r, now) for r in rows], "now": now.isoformat()}

    @api.get("/{approval_id}")
    def get_one(approval_id: str, who: Terminal) -> dict[str, Any]:
        assert who.store_id
        with engine.connect() as conn:
            row = _find(conn, who.store_id, approval_id[:64])
        if row is None:
            raise Refusal(404, "unknown_approval", _("No such approval request in this store."))
        return view(row, utcnow(), _key(who))

    @api.post("/{approval_id}/answer")
    def answer(approval_id: str, req: AnswerApproval, who: Terminal) -> dict[str, Any]:
        assert who.store_id and who.terminal_id
        key = _key(who)
        done = answer_request(
            engine, who.store_id, approval_id, decision=req.decision, approver_id=req.approver_id, pin=req.pin,
            note=req.note, station=who, key=key,
        )  # fmt: skip
        return view(done, done["answered_at"], key)

    @api.post("/{approval_id}/cancel")
    def cancel(approval_id: str, who: Terminal) -> dict[str, Any]:
        assert who.store_id and who.terminal_id
        table = s.approval_requests
        with engine.begin() as conn:
            row = _find(conn, who.store_id, approval_id[:64], lock=True)
            if row is None:
                raise Refusal(404, "unknown_approval", _("No such approval request in this store."))
            if row["terminal_id"] != who.terminal_id:
                raise Refusal(403, "forbidden", _("Only the lane that asked may withdraw a request."))
            now = utcnow()
            if row["state"] == PENDING:
                conn.execute(update(table).where(table.c.id == row["id"]).values(state=CANCELLED))
                row = _find(conn, who.store_id, row["id"])
            elif row["state"] != CANCELLED:
                raise _why_closed(row, now, approval=view(row, now, _key(who)))
        return view(row, now, _key(who))

    return api


def answer_request(
    engine: Engine,
    store_id: str,
    approval_id: str,
    *,
    decision: str,
    approver_id: str,
    pin: str,
    note: str,
    station: access.Caller,
    key: bytes | None = None,
    auth: str = PIN_AT_HQ,
) -> Any:
    """Approve (``decision == "approve"``) or decline a pending request of ``store_id`` by
    HQ's rules, for the JSON route and the back office alike: the request is this store's;
    the asking lane does not answer its own; it is still pending; the approver is active
    staff of the store, not the requester, with the right to approve (and to let a cash
    refund above the limit through); their PIN is right (``check_pin``: it counts toward a
    lockout); the first answer wins. ``station`` is who answers (a terminal, or the back
    office as ``terminal_id`` "office"). Returns the answered row; a Refusal otherwise."""
    if has_card_data(note):
        raise refusal(
            422, "card_data", lambda: _("The note looks like it holds a card number; leave card numbers out.")
        )
    table = s.approval_requests
    with engine.connect() as conn:
        row = _find(conn, store_id, approval_id[:64])
        if row is None:
            raise refusal(404, "unknown_approval", lambda: _("No such approval request in this store."))
        if row["terminal_id"] == station.terminal_id:
            raise refusal(
                403,
                "own_lane",
                lambda: _(
                    "The lane that asked cannot answer its own request: a manager answers at another station, "
                    "or a supervisor types their PIN at this counter."
                ),
            )
        now = utcnow()
        if view(row, now)["state"] != PENDING:
            raise _why_closed(row, now, approval=view(row, now, key))
        approver = _approver(conn, store_id, approver_id)
        if approver is None:
            raise refusal(403, "unknown_approver", lambda: _("That person is not active staff of this store at HQ."))
        name = approver["name"]
        if approver["id"] == row["requester_id"]:
            raise refusal(
                403,
                "self_approval",
                lambda: _("{name} asked for this approval and cannot answer it; another manager must.").format(
                    name=name
                ),
            )
        rights = _rights(approver["role"])
        if Permission.APPROVE not in rights:
            raise refusal(403, "no_right", lambda: _("{name} may not approve or decline requests.").format(name=name))
        cash = ApprovalKind.CASH_REFUND_OVER_LIMIT.value in row["kinds"].split(",")
        if cash and Permission.REFUND_CASH not in rights:
            raise refusal(
                403,
                "no_right",
                lambda: _("{name} may not let a cash refund above the limit go through.").format(name=name),
            )
    check_pin(engine, approver, pin, station)  # its own transaction: a wrong PIN counts even though refused
    with engine.begin() as conn:
        now = utcnow()
        done = (
            conn.execute(
                update(table)
                .where(and_(table.c.id == row["id"], table.c.state == PENDING, table.c.expires_at > now))
                .values(
                    state=APPROVED if decision == "approve" else DECLINED,
                    answered_by_id=approver["id"],
                    answered_by_name=approver["name"],
                    answer_note=note.strip(),
                    answered_at=now,
                    answered_terminal=station.terminal_id,
                    answer_auth=auth,
                )
                .returning(*table.c)
            )
            .mappings()
            .first()
        )
        if done is None:
            latest = _find(conn, store_id, row["id"])
            raise _why_closed(latest, now, approval=view(latest, now, key))
    log.info("approval %s %s by %s (PIN at HQ) at %s", row["id"], done["state"], approver["id"], station.terminal_id)
    return done


#: Plain argon2id, as HQ stores verifiers (the parameters are read from each verifier).
_HASHER = PinHasher()


def check_pin(engine: Engine, approver: Any, pin: str, who: access.Caller) -> None:
    """Is ``pin`` this approver's, by HQ's own verifier? The attempt counts toward their
    lockout (``approver_pins``, the counter's rules); a wrong PIN or a lock is a Refusal
    (403 wrong_pin, 423 locked) and the count is kept. Reaching a lock raises an alert."""

    table = s.approver_pins
    with engine.begin() as conn:
        conn.execute(
            pg_insert(table)
            .values(user_id=approver["id"], failed_attempts=0, locked_until=None)
            .on_conflict_do_nothing(index_elements=["user_id"])
        )
        state = conn.execute(select(table).where(table.c.user_id == approver["id"]).with_for_update()).mappings().one()
        pin_hash = conn.execute(select(s.users.c.pin_hash).where(s.users.c.id == approver["id"])).scalar_one()
        user = User(
            UserId(approver["id"]),
            approver["name"],
            Role(approver["role"]),
            pin_hash,
            failed_attempts=int(state["failed_attempts"]),
            locked_until=state["locked_until"],
        )
        now = utcnow()
        try:
            outcome = attempt_sign_in(user, pin, _HASHER, now)
        except SignInError as exc:
            raise Refusal(423, "locked", f"{exc.message} {exc.hint}".strip()) from exc
        after = outcome.user
        conn.execute(
            update(table)
            .where(table.c.user_id == user.id)
            .values(failed_attempts=after.failed_attempts, locked_until=after.locked_until)
        )
        if after.locked_until is not None and not outcome.ok:
            conn.execute(
                insert(s.alerts).values(
                    at=now,
                    kind="approver_locked",
                    store_id=who.store_id,
                    terminal_id=who.terminal_id,
                    seq=None,
                    detail=f"{user.name} ({user.id}) locked at HQ after {after.failed_attempts} wrong approver PINs "
                    f"typed at {who.store_id}-{who.terminal_id}",
                )
            )
    if not outcome.ok:
        left = MAX_FAILED_ATTEMPTS - after.failed_attempts % MAX_FAILED_ATTEMPTS
        if after.locked_until is not None:
            raise refusal(
                423,
                "locked",
                lambda: _(
                    "That PIN is not right, and {name} is now locked after {count} wrong PINs; "
                    "another manager may answer."
                ).format(name=user.name, count=MAX_FAILED_ATTEMPTS),
            )
        raise refusal(
            403,
            "wrong_pin",
            lambda: _("That PIN is not right for {name} ({left} more tries before a lock); type it again.").format(
                name=user.name, left=left
            ),
            tries_left=left,
        )


def _rights(role: str) -> frozenset[Permission]:
    try:
        return PERMISSIONS[Role(role)]
    except (ValueError, KeyError):
        return frozenset()


def _approver(conn: Connection, store_id: str, user_id: str) -> Any:
    u = s.users
    return (
        conn.execute(
            select(u.c.id, u.c.name, u.c.role).where(
                u.c.id == user_id,
                u.c.active.is_(True),
                u.c.deleted.is_(False),
                (u.c.store_id.is_(None)) | (u.c.store_id == store_id),
            )
        )
        .mappings()
        .first()
    )
