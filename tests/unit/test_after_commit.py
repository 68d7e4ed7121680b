"""After a commit, one mechanism (app/events.py): the reactions subscribed to a kind of
commit run in the order they were wired, a failing one is logged and said while the others
still run, and an unsubscribed one no longer runs."""

from __future__ import annotations

from typing import Any

from app.events import AfterCommit, ReturnCommitted, SaleCommitted


class Told(list[tuple[str, str]]):
    def __call__(self, text: str, kind: str) -> None:
        self.append((text, kind))


def test_reactions_run_in_order_for_their_kind_only() -> None:
    bus, ran = AfterCommit(), []
    sale: Any = object()
    record: Any = object()
    bus.subscribe(SaleCommitted, lambda e: ran.append(("receipt", e.sale)))
    bus.subscribe(ReturnCommitted, lambda e: ran.append(("credit note", e.record)))
    bus.subscribe(SaleCommitted, lambda e: ran.append(("drawer", e.sale)))
    told = Told()
    bus.publish(SaleCommitted(sale, told))
    assert ran == [("receipt", sale), ("drawer", sale)]
    bus.publish(ReturnCommitted(record, told))
    assert ran[-1] == ("credit note", record) and len(ran) == 3
    assert told == []


def test_a_failing_reaction_is_said_and_the_next_still_runs() -> None:
    bus, ran = AfterCommit(), []

    def broken(_e: SaleCommitted) -> None:
        raise RuntimeError("printer driver bug")

    bus.subscribe(SaleCommitted, broken)
    bus.subscribe(SaleCommitted, lambda e: ran.append("display"))
    told = Told()
    bus.publish(SaleCommitted(object(), told))  # type: ignore[arg-type]
    assert ran == ["display"]
    assert told == [("Recorded, but something that follows it went wrong (details are in the log).", "error")]


def test_an_unsubscribed_reaction_no_longer_runs() -> None:
    bus, ran = AfterCommit(), []
    stop = bus.subscribe(SaleCommitted, lambda e: ran.append("nudge"))
    bus.publish(SaleCommitted(object(), Told()))  # type: ignore[arg-type]
    stop()
    bus.publish(SaleCommitted(object(), Told()))  # type: ignore[arg-type]
    assert ran == ["nudge"]
