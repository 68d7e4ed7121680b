"""The cash drawer's rules at their edges, with their words (issue #14: the survivors of
`scripts/mutate.py counter/cash/drawer.py`): when the drawer may open, what a refusal says
and leaves on the record, what the DrawerOpened entry holds."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.context import AppContext, build_context
from counter.cash.drawer import MIN_NOTE, DrawerError, DrawerReason, OpenDrawer, open_drawer, takes_cash
from counter.sales.tenders import CardDetails, Payment, Tender, TenderKind
from db.queries import journal_entries, list_users


@pytest.fixture
def ctx(store_dir: Path):  # type: ignore[no-untyped-def]
    context = build_context(store_dir, demo=False)
    yield context
    context.close()


def user(ctx: AppContext, name: str):  # type: ignore[no-untyped-def]
    return next(u for u in list_users(ctx.db.read) if u.name.startswith(name))


def entries(ctx: AppContext, kind: str) -> list[dict[str, Any]]:
    return [e.body_data() for e in journal_entries(ctx.db.read, ctx.terminal.terminal_id) if e.type == kind]


def refusal(ctx: AppContext, cmd: OpenDrawer) -> tuple[str, str]:
    with pytest.raises(DrawerError) as err:
        open_drawer(cmd, uow_factory=ctx.uow, clock=ctx.clock)
    return err.value.message, err.value.hint


def test_a_no_sale_reason_of_min_note_characters_is_enough_one_fewer_is_not(ctx: AppContext) -> None:
    dana = user(ctx, "Dana")
    assert MIN_NOTE == 3
    short = OpenDrawer(dana, DrawerReason.NO_SALE, note="  ab  ")  # spaces do not count
    assert refusal(ctx, short) == (
        "Say why the drawer is opened without a sale.",
        "Type a short reason, for example “change for the float”.",
    )
    assert entries(ctx, "DrawerOpened") == [] and entries(ctx, "AccessRefused") == []
    body = open_drawer(OpenDrawer(dana, DrawerReason.NO_SALE, note=" abc "), uow_factory=ctx.uow, clock=ctx.clock)
    assert body["note"] == "abc"  # kept as typed, without the spaces around it


def test_a_sale_or_refund_opening_needs_its_reference(ctx: AppContext) -> None:
    maria = user(ctx, "Maria")
    for reason in (DrawerReason.CASH_SALE, DrawerReason.CASH_REFUND):
        for reference in (None, ""):
            assert refusal(ctx, OpenDrawer(maria, reason, reference=reference)) == (
                "The drawer opens for a recorded sale or return only.",
                "This is a bug in the app.",
            )
    assert entries(ctx, "DrawerOpened") == []


def test_a_cash_sale_opening_is_journaled_with_every_field_and_no_approval(ctx: AppContext) -> None:
    """A cashier opens the drawer for change without anyone's approval (it is not a
    no-sale), and the entry says what, who, for which receipt, and that nobody approved."""
    maria = user(ctx, "Maria")
    cmd = OpenDrawer(maria, DrawerReason.CASH_SALE, reference="S01-T01-000123", note="  ")
    body = open_drawer(cmd, uow_factory=ctx.uow, clock=ctx.clock)
    assert body == {
        "request_id": cmd.request_id,
        "reason": "cash_sale",
        "user": maria.id,
        "reference": "S01-T01-000123",
        "note": "",
        "approved": False,
    }
    assert entries(ctx, "DrawerOpened") == [body]


def test_a_supervisors_no_sale_needs_no_approval_and_says_so(ctx: AppContext) -> None:
    dana = user(ctx, "Dana")
    cmd = OpenDrawer(dana, DrawerReason.NO_SALE, note="change for the float")
    body = open_drawer(cmd, uow_factory=ctx.uow, clock=ctx.clock)
    assert body["approved"] is False and body["reason"] == "no_sale" and body["reference"] is None
    assert entries(ctx, "AccessRefused") == []


def test_a_cashiers_refused_no_sale_is_on_the_record_with_who_and_why(ctx: AppContext) -> None:
    maria = user(ctx, "Maria")
    cmd = OpenDrawer(maria, DrawerReason.NO_SALE, note="float")
    assert refusal(ctx, cmd) == (
        f"{maria.name} may not open the drawer without a sale.",
        "A supervisor must approve it with their PIN.",
    )
    assert entries(ctx, "DrawerOpened") == []
    assert entries(ctx, "AccessRefused") == [
        {
            "user": maria.id,
            "role": "cashier",
            "active": True,
            "action": "open the drawer without a sale",
            "permission": "open_drawer",
            "detail": {"request_id": cmd.request_id},
        }
    ]


def test_the_drawer_opens_for_change_only_when_cash_was_handed_over(ctx: AppContext) -> None:
    currency, coin = ctx.store.currency, ctx.store.smallest_coin
    cash = Payment(Decimal("10.00"), currency, coin)
    cash.add_cash(Decimal("20.00"))
    card = Payment(Decimal("10.00"), currency, coin)
    card.add_card(Decimal("10.00"), CardDetails("Visa", "4242", "A1"))
    assert takes_cash(cash.tenders) is True
    assert takes_cash(card.tenders) is False
    assert takes_cash([]) is False
    assert takes_cash([*card.tenders, *cash.tenders]) is True
    # a dollar in cash opens it; a cash line of nothing handed over (an exchange settled
    # even) does not
    assert takes_cash([Tender(TenderKind.CASH, Decimal("1.00"), Decimal("1.00"))]) is True
    assert takes_cash([Tender(TenderKind.CASH, Decimal("0.00"), Decimal("0.00"))]) is False


@pytest.mark.parametrize(
    ("reason", "label"),
    [
        (DrawerReason.CASH_SALE, "cash sale"),
        (DrawerReason.CASH_REFUND, "cash refund"),
        (DrawerReason.NO_SALE, "no sale"),
    ],
)
def test_each_reason_has_its_words(reason: DrawerReason, label: str) -> None:
    assert reason.label == label
