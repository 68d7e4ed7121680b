"""Remote approval: a lane asks through HQ, a manager answers at their own station.

Three steps, each on its own terminal and its own journal:

1. The lane sends a ``RemoteAsk`` (bound, as at the counter, to one request id, its
   kinds and one amount) and waits; nothing is recorded yet.
2. At the manager's station, ``verify_station_approver`` checks what the station can
   without the PIN (the same rules as at the counter, ``counter.trust.approvals.approver_refusal``:
   not the asker, may approve, may let a cash refund above the limit through); a refusal
   is journaled there (ApprovalRefused) and nothing is sent. The approver's PIN goes to
   HQ with the answer, and **HQ** checks it against the verifier it holds, counting
   wrong PINs toward a lockout (hq/approvals.py): no terminal, neither the station nor
   the asking lane, ever vouches for who approved. Once HQ has taken the answer (the
   first answer wins), ``record_station_answer`` journals it on the station
   (ApprovalGranted, or ApprovalRefused with ``declined``); a refusal from HQ (wrong
   PIN, locked, no right) is journaled by ``record_station_refusal``.
3. Back at the lane, ``record_remote_approval`` records HQ's answer only if it carries
   HQ's proof: ``answer_auth`` ("pin@hq", how the approver proved who they are), signed
   by HQ with a key derived from this lane's own token (``answer_mac``; HQ keeps only
   the token's SHA-256, which is the key, so only the HQ that enrolled this lane can
   sign it, and a copy of the answer made for another lane does not verify here). It
   must also be an approval of exactly what was asked (same request, kinds and amount),
   by someone other than the asker, known here and with the rights. It is recorded
   through the same write path as a PIN typed at the counter: one approval row per kind
   and one ApprovalGranted entry, marked ``remote: true`` with HQ's request id and
   ``auth: "pin@hq"``. The return's handler then finds it exactly as it finds a local
   approval, so its checks are unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from counter.i18n import N_, _
from counter.journal import EventType
from counter.people.users import User, UserId, check_pin_format
from counter.ports import Clock, UnitOfWork
from counter.returns.policy import ApprovalKind
from counter.trust.approvals import Approval, ApprovalError, approver_refusal, why_refused
from counter.trust.carddata import refuse_card_data

PENDING, APPROVED, DECLINED, CANCELLED, EXPIRED = "pending", "approved", "declined", "cancelled", "expired"
#: How an approver proved who they are for a remote answer: their PIN, checked by HQ.
PIN_AT_HQ = "pin@hq"


@dataclass(frozen=True)
class RemoteAsk:
    """What a lane asks HQ to have approved. ``id`` is minted by the lane (a UUID), so a
    re-sent ask is the same request at HQ."""

    id: str
    request_id: str
    kinds: frozenset[ApprovalKind]
    amount: Decimal
    requester: User
    what: str


@dataclass(frozen=True)
class RemoteRequest:
    """An approval request as HQ holds it. Times are HQ's; ``hq_now`` is HQ's clock at
    the answer, so ages and time left do not depend on this machine's clock."""

    id: str
    terminal: str
    request_id: str
    kinds: frozenset[ApprovalKind]
    amount_minor: int
    currency: str
    what: str
    requester_id: str
    requester_name: str
    created_at: datetime
    expires_at: datetime
    state: str
    answered_by_id: str | None
    answered_by_name: str | None
    answer_note: str
    answered_at: datetime | None
    answered_terminal: str | None
    hq_now: datetime
    #: how the approver proved who they are ("pin@hq"), only when HQ's signature over the
    #: answer verified with this terminal's key; None otherwise (no proof: never recorded)
    answer_auth: str | None = None

    @property
    def age(self) -> timedelta:
        return max(self.hq_now - self.created_at, timedelta(0))


def answer_mac(key: bytes, data: Mapping[str, Any]) -> str:
    """HQ's signature over an answered request (HMAC-SHA256, hex) under ``key``: the
    SHA-256 of the reading terminal's token (HQ holds it; the terminal computes it from
    its token). It covers everything the lane records: the request, what was asked, the
    state, who answered, where and how they proved it."""
    fields = (
        "id",
        "store",
        "terminal",
        "request_id",
        "kinds",
        "amount_minor",
        "currency",
        "requester_id",
        "state",
        "answered_by_id",
        "answered_terminal",
        "answer_auth",
        "answer_note",
    )
    parts = []
    for name in fields:
        value = data.get(name)
        if isinstance(value, list):
            value = ",".join(sorted(str(v) for v in value))
        parts.append("" if value is None else str(value))
    message = "counter-approval-answer/v1\x1f" + "\x1f".join(parts)
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def _verified_auth(data: Mapping[str, Any], key: bytes | None) -> str | None:
    auth, mac = data.get("answer_auth"), data.get("proof")
    if key is None or not isinstance(auth, str) or not isinstance(mac, str):
        return None
    return auth if hmac.compare_digest(answer_mac(key, data), mac) else None


def remote_request_from_wire(data: Mapping[str, Any], key: bytes | None = None) -> RemoteRequest:
    """HQ's JSON (hq/approvals.py ``view``) as a RemoteRequest; ValueError if it is not one.
    ``answer_auth`` is set only when HQ's ``proof`` verifies under ``key`` (``answer_mac``)."""
    try:

        def stamp(key: str) -> datetime | None:
            raw = data.get(key)
            return datetime.fromisoformat(str(raw)) if raw else None

        created, expires, now = stamp("created_at"), stamp("expires_at"), stamp("now")
        if created is None or expires is None or now is None:
            raise ValueError("a time is missing")
        return RemoteRequest(
            id=str(data["id"]),
            terminal=str(data["terminal"]),
            request_id=str(data["request_id"]),
            kinds=frozenset(ApprovalKind(k) for k in data["kinds"]),
            amount_minor=int(data["amount_minor"]),
            currency=str(data["currency"]),
            what=str(data["what"]),
            requester_id=str(data["requester_id"]),
            requester_name=str(data["requester_name"]),
            created_at=created,
            expires_at=expires,
            state=str(data["state"]),
            answered_by_id=str(data["answered_by_id"]) if data.get("answered_by_id") else None,
            answered_by_name=str(data["answered_by_name"]) if data.get("answered_by_name") else None,
            answer_note=str(data.get("answer_note") or ""),
            answered_at=stamp("answered_at"),
            answered_terminal=str(data["answered_terminal"]) if data.get("answered_terminal") else None,
            hq_now=now,
            answer_auth=_verified_auth(data, key),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not an approval request: {exc}") from exc


def _body(request: RemoteRequest, approver_id: str) -> dict[str, Any]:
    return {
        "request_id": request.request_id,
        "kinds": sorted(str(k) for k in request.kinds),
        "amount": request.amount_minor,
        "requester": request.requester_id,
        "approver": approver_id,
        "remote": True,
        "hq_request": request.id,
        "lane": request.terminal,
    }


def verify_station_approver(
    *,
    request: RemoteRequest,
    approver_id: UserId,
    pin: str,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> User:
    """At the manager's station, before anything is sent to HQ: may this person answer
    this request (not the asker, the rights, by this station's copy of the staff list)?
    A refusal is journaled here and raised. The PIN is only checked for its form here:
    HQ checks it (and counts a wrong one toward the approver's lockout)."""
    check_pin_format(pin)
    with uow_factory() as uow:
        now = clock.now()
        approver = uow.users.get(approver_id)
        if approver is None:
            raise ApprovalError(_("Pick your name from the list."), "")
        refusal = approver_refusal(approver, request.requester_id, request.kinds)
        if refusal is not None:
            uow.journal.append(
                EventType.APPROVAL_REFUSED, {**_body(request, approver.id), "why": why_refused(refusal)}, now
            )
            uow.commit()
            raise refusal
    return approver


def record_station_refusal(
    *,
    request: RemoteRequest,
    approver: User,
    why: str,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> None:
    """HQ refused this station's answer because of the approver (a wrong PIN, locked, no
    right at HQ): journal it here, as a refused PIN at the counter is."""
    with uow_factory() as uow:
        now = clock.now()
        body = {**_body(request, approver.id), "auth": PIN_AT_HQ, "why": why[:500]}
        uow.journal.append(EventType.APPROVAL_REFUSED, body, now)
        uow.commit()


def record_station_answer(
    *,
    request: RemoteRequest,
    approver: User,
    approved: bool,
    note: str,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
) -> None:
    """HQ took this station's answer: journal it here (ApprovalGranted, or ApprovalRefused
    marked ``declined``), with the lane and HQ's request id."""
    with uow_factory() as uow:
        now = clock.now()
        body = {**_body(request, approver.id), "auth": request.answer_auth or PIN_AT_HQ}
        if approved:
            uow.journal.append(EventType.APPROVAL_GRANTED, {**body, "reason": note.strip() or "approved remotely"}, now)
        else:
            why = f"declined at the manager station{': ' + note.strip() if note.strip() else ''}"
            uow.journal.append(EventType.APPROVAL_REFUSED, {**body, "declined": True, "why": why}, now)
        uow.commit()


def check_note(note: str) -> str:
    note = note.strip()
    if len(note) > 500:
        raise ApprovalError(_("The note is too long."), _("Keep it under 500 characters."))
    refuse_card_data(note, N_("in a note"))
    return note


def record_remote_approval(
    *,
    asked: RemoteAsk,
    answer: RemoteRequest,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    currency_minor: Callable[[Decimal], int],
) -> list[Approval]:
    """At the asking lane: HQ says a manager approved. Record it (one approval per kind
    and one ApprovalGranted entry) only if it is an approval of exactly what was asked,
    by someone other than the asker who is known here and has the rights."""
    kinds = sorted(asked.kinds)
    if answer.state != APPROVED:
        # Translators: {state} is the request's state code as HQ sends it (pending, declined, cancelled, expired)
        raise ApprovalError(_("This request is {state}, not approved.").format(state=answer.state), "")
    if answer.answer_auth != PIN_AT_HQ:
        raise ApprovalError(
            _("HQ's answer carries no proof that the approver typed their PIN at HQ."),
            _("Nothing was recorded; ask again, or a supervisor types their PIN here."),
        )
    amount_minor = currency_minor(asked.amount)
    if (
        answer.id != asked.id
        or answer.request_id != asked.request_id
        or answer.kinds != asked.kinds
        or answer.amount_minor != amount_minor
        or answer.requester_id != asked.requester.id
    ):
        raise ApprovalError(
            _("HQ's answer does not match what this counter asked (request, kinds or amount)."),
            _("Nothing was recorded; ask again or type a PIN here."),
        )
    if not answer.answered_by_id:
        raise ApprovalError(_("HQ's answer does not say who approved."), _("Ask again or type a PIN here."))
    approvals: list[Approval] = []
    with uow_factory() as uow:
        now = clock.now()
        approver = uow.users.get(UserId(answer.answered_by_id))
        if approver is None:
            raise ApprovalError(
                _("{name} is not known at this counter yet.").format(name=answer.answered_by_name)
                if answer.answered_by_name
                else _("The approver is not known at this counter yet."),
                _("Let the counter sync its staff list, or ask a supervisor to type their PIN here."),
            )
        body = {
            "request_id": asked.request_id,
            "kinds": [str(k) for k in kinds],
            "amount": amount_minor,
            "requester": asked.requester.id,
            "approver": approver.id,
            "approver_name": approver.name,
            "remote": True,
            "hq_request": answer.id,
            "station": answer.answered_terminal,
            "auth": answer.answer_auth,
        }
        refusal = approver_refusal(approver, asked.requester.id, kinds)
        if refusal is not None:
            uow.journal.append(EventType.APPROVAL_REFUSED, {**body, "why": why_refused(refusal)}, now)
            uow.commit()
            raise refusal
        granted = uow.approvals.granted(asked.request_id, asked.requester.id)
        if all(granted.get(k) == asked.amount for k in kinds):
            return []  # this answer was recorded already (a repeated poll): nothing twice
        reason = (
            answer.answer_note.strip() or f"approved at the manager station {answer.answered_terminal or ''}".strip()
        )
        for kind in kinds:
            approval = Approval(
                _approval_id(answer.id, kind),
                asked.request_id,
                kind,
                asked.amount,
                asked.requester.id,
                approver.id,
                approver.name,
                reason,
            )
            approvals.append(approval)
        # the approval rows are this entry's projection (counter.projection)
        uow.journal.append(
            EventType.APPROVAL_GRANTED, {**body, "reason": reason, "approval_ids": [a.id for a in approvals]}, now
        )
        uow.commit()
    return approvals


def _approval_id(hq_id: str, kind: ApprovalKind) -> str:
    """One approval row per kind, its id derived from HQ's request id (a second recording
    of one answer could never count twice)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"counter-approval:{hq_id}:{kind}"))
