"""The desk's screens with HQ's departments and escalations (issue #17, point 6): the
referral dialog offers only the departments HQ keeps open, each with its own days, and
says what to do when a closed one is typed; the queue screen shows what HQ escalated,
and says where a referral held at another lane is answered. Real widgets offscreen, a
real store copied from the demo template, HQ's rows applied as a pull applies them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from counter.desk.cases import ContactKind, LogContact, log_contact
from counter.desk.referrals import Priority, refer_case
from counter.journal import utc_stamp
from db.desk_queries import cases_for, desk_config, referrals_for_case
from db.sync_apply import apply_changes
from tests.ui.conftest import in_dialog, press, sign_in, type_enter
from tests.ui.test_service_desk_flows import maria, on_file

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def desk(app_window):  # type: ignore[no-untyped-def]
    ctx, window = app_window
    sign_in(window, "Maria", "1111")
    press(window.sale.input, Qt.Key.Key_U, CTRL)
    assert window.stack.currentWidget() is window.desk
    return ctx, window, window.desk


def department(code: str, name: str, days: int, *, active: bool = True, to: str | None = "manager") -> dict[str, Any]:
    data = {"code": code, "name": name, "active": active, "referral_days": days, "escalate_to": to}
    return {"kind": "department", "version": 1, "deleted": False, "data": data}


def escalation(referral_id: str, case_number: str, held_at: str, customer_id: str, **kw: Any) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    data = {
        "referral_id": referral_id,
        "case_id": kw.get("case_id", "case-" + referral_id),
        "case_number": case_number,
        "origin_terminal": held_at,
        "customer_id": customer_id,
        "department": "warranty",
        "department_name": "Warranty and repair",
        "priority": "normal",
        "referred_at": utc_stamp(datetime.now(UTC) - timedelta(days=9)),
        "lane_due_on": (today + timedelta(days=10)).isoformat(),
        "hq_due_on": (today - timedelta(days=4)).isoformat(),
        "escalated_to": "manager",
        "escalated_to_name": "Store manager",
        "escalated_at": utc_stamp(datetime.now(UTC)),
        "days_overdue": 4,
        "settled_at": None,
        # what HQ's feed also carries, which the lane does not keep
        "id": f"S01:{referral_id}",
        "store_id": "S01",
    }
    return {"kind": "referral_escalation", "version": 2, "deleted": False, "data": data}


def test_the_referral_dialog_offers_hqs_open_departments_with_their_days_and_refuses_a_closed_one(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    with ctx.db.write.begin() as conn:
        pulled = [
            department("warranty", "Warranty and repair", 5),
            department("billing", "Billing", 10),
            department("manager", "Store manager", 5, to=None),
            department("online", "Online orders", 5, active=False),
        ]
        apply_changes(conn, pulled, ctx.terminal.terminal_id)
    jane = on_file(ctx)
    log_contact(
        maria(ctx),
        LogContact(jane.id, ContactKind.COMPLAINT, "Product quality", "The kettle leaks.", "", ()),
        uow_factory=ctx.uow,
        clock=ctx.clock,
        terminal=ctx.terminal,
    )
    type_enter(screen.input, "555-0175")
    assert screen.customer.id == jane.id
    seen: dict[str, Any] = {}

    def refer(d: QWidget) -> None:
        combo = d.department  # type: ignore[attr-defined]
        seen["offered"] = [combo.itemText(i) for i in range(combo.count())]
        combo.setCurrentIndex(combo.findData("billing"))
        seen["billing days"] = d.days.value()  # type: ignore[attr-defined]
        combo.setEditText("Online orders")
        type_enter(d.note, "Where is the parcel?")  # type: ignore[attr-defined]
        seen["closed"] = d.error.text()  # type: ignore[attr-defined]
        combo.setCurrentIndex(combo.findData("billing"))
        type_enter(d.note, "")  # type: ignore[attr-defined]

    in_dialog(refer)
    press(screen.input, Qt.Key.Key_F6)
    assert seen["offered"] == ["Billing", "Store manager", "Warranty and repair"]
    assert seen["billing days"] == 10
    assert seen["closed"] == (
        "Online orders takes no new referrals: HQ closed it. Refer the case to another department "
        "(Billing, Store manager, Warranty and repair), or ask HQ to open Online orders again."
    )
    (case,) = cases_for(ctx.db.read, jane.id)
    (referral,) = referrals_for_case(ctx.db.read, case.id)
    today = ctx.clock.now().astimezone(ctx.store.zone).date()
    assert (referral.department, referral.due_on) == ("billing", today + timedelta(days=10))
    assert referral.note == "Where is the parcel?"
    assert [d.code for d in desk_config(ctx.db.read).departments if not d.active] == ["online"]


def test_the_queue_shows_hqs_escalations_and_says_where_another_lanes_referral_is_answered(desk) -> None:  # type: ignore[no-untyped-def]
    ctx, window, screen = desk
    jane = on_file(ctx)
    case = log_contact(
        maria(ctx),
        LogContact(jane.id, ContactKind.COMPLAINT, "Product quality", "The toaster burns.", "", ()),
        uow_factory=ctx.uow,
        clock=ctx.clock,
        terminal=ctx.terminal,
    ).case
    here = refer_case(
        maria(ctx), case.id, "warranty", Priority.HIGH, None, "Toaster element", config=desk_config(ctx.db.read),
        uow_factory=ctx.uow, clock=ctx.clock, store=ctx.store,
    )  # fmt: skip
    with ctx.db.write.begin() as conn:
        pulled = [
            escalation(here.id, case.number, ctx.terminal.terminal_id, jane.id, case_id=case.id),
            escalation("ref-at-t02", "S01-T02-C00042", "T02", jane.id),
        ]
        apply_changes(conn, pulled, ctx.terminal.terminal_id)
    hq_due = (datetime.now(UTC).date() - timedelta(days=4)).isoformat()
    seen: dict[str, Any] = {}

    def work(d: QWidget) -> None:
        d.select_department("manager")  # type: ignore[attr-defined]
        items = d.list  # type: ignore[attr-defined]
        seen["manager"] = [items.item(i).text() for i in range(items.count())]
        row = next(i for i in range(items.count()) if "S01-T02-C00042" in items.item(i).text())
        items.setCurrentRow(row)
        d._try_accept()  # type: ignore[attr-defined] # Enter on it
        seen["refused"] = d.error.text()  # type: ignore[attr-defined]
        d.select_department("warranty")  # type: ignore[attr-defined]
        seen["warranty"] = [items.item(i).text() for i in range(items.count())]
        d.reject()  # type: ignore[attr-defined]

    in_dialog(work)
    press(screen.input, Qt.Key.Key_Q, CTRL)
    mine = [t for t in seen["manager"] if case.number in t]
    theirs = [t for t in seen["manager"] if "S01-T02-C00042" in t]
    assert mine and mine[0].startswith(f"ESCALATED from Warranty and repair (4 days past HQ's due {hq_due})")
    assert theirs == [
        f"ESCALATED from Warranty and repair (4 days past HQ's due {hq_due})  Normal  due "
        f"{(datetime.now(UTC).date() + timedelta(days=10)).isoformat()}  S01-T02-C00042  Jane Doe: (note at T02)"
    ]
    assert seen["refused"] == (
        "Case S01-T02-C00042 was referred at lane T02, which holds it: "
        "write Warranty and repair's note or outcome there."
    )
    (own,) = [t for t in seen["warranty"] if case.number in t]
    assert own.startswith(f"ESCALATED to Store manager (4 days past HQ's due {hq_due})  High")
    assert "Toaster element" in own
