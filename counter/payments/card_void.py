"""A void's card payments given back on the integrated terminal, before the void is journaled.

``counter.sales.voids`` gives each payment back by its own tender. A card payment that went
through the terminal (it has the terminal's reference) is reversed there first, as a card
request of its own (``counter.payments.requests``, for ``void``): a reversal while the
terminal's batch is open, else a referenced refund of the same amount. Only when every such
payment is back on its card is the void journaled; a card the terminal does not give back
keeps the sale open, and says so. Giving money back needs the void's approval first (the
person's right, or a supervisor's VOID_PAID approval bound to the void's request).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from decimal import Decimal

from counter.errors import CartError
from counter.i18n import _
from counter.payments.requests import CardNotApproved, CardRequest, Purpose, money_of, send
from counter.payments.terminal import PaymentTerminal
from counter.people.users import User
from counter.ports import Clock, UnitOfWork
from counter.returns.policy import ApprovalKind
from counter.sales.tenders import Tender, TenderKind
from counter.sales.voids import needs_void_approval
from counter.store import StoreConfig, TerminalIdentity


def reverse_card_payments(
    sale_id: str,
    tenders: Sequence[Tender],
    user: User,
    request_id: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    card_terminal: PaymentTerminal | None,
) -> list[str]:
    """Give back on the terminal each card payment of ``sale_id`` it made; what was done,
    one sentence each. Raises CardNotApproved (the sale stays open) or CartError."""
    money = money_of(store)
    todo: list[tuple[int, Tender, str]] = []
    with uow_factory() as uow:
        if needs_void_approval(user) and ApprovalKind.VOID_PAID not in uow.approvals.granted(request_id, user.id):
            raise CartError(_("A supervisor must approve giving the payments back first."), _("Press Shift+F6 again."))
        done = {r.seq for r in uow.cards.for_purpose("void", sale_id) if r.approved}
        for seq, t in enumerate(tenders, start=1):
            if t.kind is not TenderKind.CARD or seq in done:
                continue
            reference = uow.cards.payment_reference(sale_id, seq)
            if reference is not None:
                todo.append((seq, t, reference))
    if todo and card_terminal is None:
        raise CartError(_("The card terminal is not set up, so the card payments cannot be given back."),
                        _("Set it up in Devices (Ctrl+Shift+D), then void again."))  # fmt: skip
    said: list[str] = []
    for seq, t, reference in todo:
        assert card_terminal is not None
        give_back = functools.partial(
            _give_back, t.amount, Purpose("void", sale_id, seq), reference, user, uow_factory=uow_factory,
            clock=clock, store=store, terminal=terminal, card_terminal=card_terminal,
        )  # fmt: skip
        try:
            give_back("reversal")
        except CardNotApproved as reversal:
            try:  # the batch is closed (after end of day): a referenced refund gives it back instead
                give_back("refund")
            except CardNotApproved as refund:
                raise CardNotApproved(
                    (
                        _("The terminal did not give back {amount} to {card}: {message}")
                        if t.card
                        else _("The terminal did not give back {amount} to the card: {message}")
                    ).format(amount=money(t.amount), card=t.card.label if t.card else "", message=refund.message),
                    _("The sale stays open. Try Shift+F6 again, or call a manager."),
                    refund.outcome,
                ) from reversal
        said.append(
            (
                _("{amount} went back to {card} on the terminal.")
                if t.card
                else _("{amount} went back to the card on the terminal.")
            ).format(amount=money(t.amount), card=t.card.label if t.card else "")
        )
    return said


def _give_back(
    amount: Decimal,
    purpose: Purpose,
    reference: str,
    user: User,
    op: str,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    store: StoreConfig,
    terminal: TerminalIdentity,
    card_terminal: PaymentTerminal,
) -> None:
    req = CardRequest(op, amount, purpose, original=reference)
    send(req, user, uow_factory=uow_factory, clock=clock, store=store, terminal=terminal, card_terminal=card_terminal)
