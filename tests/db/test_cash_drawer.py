"""Opening the drawer is allowed for a recorded cash movement or a no-sale with a reason
and the right (or a supervisor's approval), and is always one DrawerOpened entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.context import AppContext, build_context
from counter.cash.drawer import NO_AMOUNT, DrawerError, DrawerReason, OpenDrawer, open_drawer, takes_cash
from counter.journal import verify
from counter.returns.policy import ApprovalKind
from counter.sales.tenders import CardDetails, Payment
from counter.trust.approvals import grant_approval
from db.queries import journal_entries, list_users


@pytest.fixture
def ctx(store_dir: Path):  # type: ignore[no-untyped-def]
    context = build_context(store_dir, demo=False)
    yield context
    context.close()


def user(ctx: AppContext, name: str):  # type: ignore[no-untyped-def]
    return next(u for u in list_users(ctx.db.read) if u.name.startswith(name))


def opened(ctx: AppContext) -> list[dict]:  # type: ignore[type-arg]
    return [e.body_data() for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id) if e.type == "DrawerOpened"]


def test_a_no_sale_without_a_reason_is_refused_and_nothing_is_written(ctx: AppContext) -> None:
    with pytest.raises(DrawerError, match="Say why"):
        cmd = OpenDrawer(user(ctx, "Dana"), DrawerReason.NO_SALE, note="  ")
        open_drawer(cmd, uow_factory=ctx.uow, clock=ctx.clock)
    assert opened(ctx) == []


def test_a_cashiers_no_sale_needs_an_approval_for_this_very_request(ctx: AppContext) -> None:
    maria, dana = user(ctx, "Maria"), user(ctx, "Dana")
    cmd = OpenDrawer(maria, DrawerReason.NO_SALE, note="float")
    with pytest.raises(DrawerError, match="may not open the drawer"):
        open_drawer(cmd, uow_factory=ctx.uow, clock=ctx.clock)
    grant_approval(
        request_id="another-request",
        kinds=[ApprovalKind.NO_SALE],
        amount=NO_AMOUNT,
        requester=maria,
        approver_id=dana.id,
        pin="3333",
        reason="ok",
        uow_factory=ctx.uow,
        hasher=ctx.hasher,
        clock=ctx.clock,
        currency_minor=ctx.store.currency.to_minor,
    )
    with pytest.raises(DrawerError):  # an approval of another request does not count
        open_drawer(cmd, uow_factory=ctx.uow, clock=ctx.clock)
    grant_approval(
        request_id=cmd.request_id,
        kinds=[ApprovalKind.NO_SALE],
        amount=NO_AMOUNT,
        requester=maria,
        approver_id=dana.id,
        pin="3333",
        reason="ok",
        uow_factory=ctx.uow,
        hasher=ctx.hasher,
        clock=ctx.clock,
        currency_minor=ctx.store.currency.to_minor,
    )
    body = open_drawer(cmd, uow_factory=ctx.uow, clock=ctx.clock)
    assert body["approved"] is True and opened(ctx) == [body]
    assert verify(list(journal_entries(ctx.db.read, ctx.terminal.terminal_id))).ok


def test_a_supervisor_opens_without_approval_and_a_sale_opening_names_its_receipt(ctx: AppContext) -> None:
    dana = user(ctx, "Dana")
    open_drawer(OpenDrawer(dana, DrawerReason.NO_SALE, note="change"), uow_factory=ctx.uow, clock=ctx.clock)
    open_drawer(OpenDrawer(dana, DrawerReason.CASH_SALE, "S01-T01-000001"), uow_factory=ctx.uow, clock=ctx.clock)
    with pytest.raises(DrawerError):
        open_drawer(OpenDrawer(dana, DrawerReason.CASH_REFUND), uow_factory=ctx.uow, clock=ctx.clock)
    assert [(b["reason"], b["reference"], b["approved"]) for b in opened(ctx)] == [
        ("no_sale", None, False),
        ("cash_sale", "S01-T01-000001", False),
    ]
    # the X report counts both openings, and the no-sale as one (it always said 0)
    from counter.cash.shifts import take_x_report

    report = ctx.handle(take_x_report, dana)
    assert (report.drawer_openings, report.no_sales) == (2, 1)


def test_only_cash_taken_opens_the_drawer(ctx: AppContext) -> None:
    from decimal import Decimal

    cash = Payment(Decimal("10.00"), ctx.store.currency, ctx.store.smallest_coin)
    cash.add_cash(Decimal("20.00"))
    card = Payment(Decimal("10.00"), ctx.store.currency, ctx.store.smallest_coin)
    card.add_card(Decimal("10.00"), CardDetails("Visa", "4242", "A1"))
    assert takes_cash(cash.tenders) and not takes_cash(card.tenders)
