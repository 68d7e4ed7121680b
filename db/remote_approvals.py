"""Remote approval, the terminal's side of HQ's ``/v1/approvals`` (hq/approvals.py).

``RemoteApprovals`` turns HQ's answers into ``counter.trust.remote_approval.RemoteRequest``
values. Every way of not getting an answer is ``UpstreamUnavailable`` (the counter says
"HQ cannot be reached" and offers the PIN at the counter); a refusal is ``HqRefused``
with HQ's code and message, and for an answer that lost the race (409) or came too late
(410), the request as HQ holds it in ``RemoteRefused.request``.

Threads: every method makes one HTTP call and must run off the GUI thread (the dialog
and the manager station run them on a worker, ``ui/runner.py``). The client is
httpx's, which is safe to share between threads.
"""

from __future__ import annotations

from typing import Any

from counter.i18n import _
from counter.money import Currency
from counter.sync.upstream import UpstreamUnavailable
from counter.trust.remote_approval import RemoteAsk, RemoteRequest, remote_request_from_wire
from db.hq_client import HqClient, HqRefused


class RemoteRefused(HqRefused):
    """HQ refused an answer or a cancel; ``request`` is the request as HQ holds it now
    (who answered first, or that it expired), when HQ said."""

    def __init__(self, refused: HqRefused, request: RemoteRequest | None) -> None:
        super().__init__(refused.status, refused.error, refused.message, refused.data)
        self.request = request


def _parse(data: dict[str, Any], key: bytes | None) -> RemoteRequest:
    try:
        return remote_request_from_wire(data, key)
    except ValueError as exc:
        raise UpstreamUnavailable(_("HQ's answer about the approval could not be read."), _("Try again.")) from exc


def _refused(exc: HqRefused, key: bytes | None) -> RemoteRefused:
    raw = exc.data.get("approval")
    request = None
    if isinstance(raw, dict):
        try:
            request = remote_request_from_wire(raw, key)
        except ValueError:
            request = None
    return RemoteRefused(exc, request)


class RemoteApprovals:
    def __init__(self, client: HqClient, currency: Currency, *, expires_in_seconds: int | None = None) -> None:
        self.client = client
        self.currency = currency
        self.expires_in_seconds = expires_in_seconds  # None: HQ's default (5 minutes)

    def ask(self, ask: RemoteAsk) -> RemoteRequest:
        payload: dict[str, Any] = {
            "id": ask.id,
            "request_id": ask.request_id,
            "kinds": sorted(str(k) for k in ask.kinds),
            "amount_minor": self.currency.to_minor(ask.amount),
            "currency": self.currency.code,
            "what": ask.what[:500],
            "requester_id": ask.requester.id,
            "requester_name": ask.requester.name,
        }
        if self.expires_in_seconds is not None:
            payload["expires_in_seconds"] = self.expires_in_seconds
        return _parse(self.client.ask_approval(payload), self.client.answer_key)

    def state(self, approval_id: str) -> RemoteRequest:
        return _parse(self.client.approval(approval_id), self.client.answer_key)

    def pending(self) -> list[RemoteRequest]:
        return [_parse(row, self.client.answer_key) for row in self.client.pending_approvals()]

    def answer(self, approval_id: str, *, approve: bool, approver_id: str, pin: str, note: str) -> RemoteRequest:
        """Answer at a manager's station: the approver's PIN goes to HQ, which checks it
        (and counts a wrong one toward their lockout); this terminal never vouches for it."""
        payload = {
            "decision": "approve" if approve else "decline",
            "approver_id": approver_id,
            "pin": pin,
            "note": note,
        }
        try:
            return _parse(self.client.answer_approval(approval_id, payload), self.client.answer_key)
        except RemoteRefused:
            raise
        except HqRefused as exc:
            raise _refused(exc, self.client.answer_key) from exc

    def cancel(self, approval_id: str) -> RemoteRequest:
        try:
            return _parse(self.client.cancel_approval(approval_id), self.client.answer_key)
        except HqRefused as exc:
            raise _refused(exc, self.client.answer_key) from exc
