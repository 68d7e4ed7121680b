"""The composition root binds a handler's dependencies once (app/context.AppContext.handle):
each named keyword-only dependency is given, what the caller gives wins, nothing else is
passed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.context import build_context
from counter.cash.shifts import CashRules
from counter.returns.policy import ReturnRules
from counter.sales.commands import record_reprint


def test_a_handler_gets_the_dependencies_it_names_and_only_those(store_dir: Path) -> None:
    ctx = build_context(store_dir, demo=False)
    try:

        def everything(
            x: int,
            *,
            uow_factory: Any,
            read_uow_factory: Any,
            clock: Any,
            store: Any,
            terminal: Any,
            terminal_id: Any,
            currency: Any,
            zone: Any,
            rules: ReturnRules,
            upstream: Any,
        ) -> dict[str, Any]:
            return dict(locals())

        got = ctx.handle(everything, 7)
        assert got["x"] == 7 and got["uow_factory"] == ctx.uow and got["read_uow_factory"] == ctx.read_uow
        assert got["clock"] is ctx.clock and got["store"] is ctx.store and got["terminal"] is ctx.terminal
        assert got["terminal_id"] == "T01" and got["currency"] is ctx.store.currency and got["zone"] is ctx.store.zone
        assert got["rules"] == ctx.rules and got["upstream"] is None  # this store is not enrolled

        def few(*, clock: Any, note: str = "") -> tuple[Any, str]:
            return clock, note

        assert ctx.handle(few) == (ctx.clock, "")
        fixed = object()
        assert ctx.handle(few, clock=fixed, note="given") == (fixed, "given")  # what the caller gives wins
    finally:
        ctx.close()


def test_a_real_command_runs_through_it(store_dir: Path) -> None:
    ctx = build_context(store_dir, demo=False)
    try:
        with ctx.read_uow() as uow:
            maria = next(u for u in uow.users.all() if u.name.startswith("Maria"))
        assert ctx.handle(record_reprint, maria, "S01-T01-000001") == 1
        assert ctx.handle(record_reprint, maria, "S01-T01-000001") == 1  # no copy was printed in between
    finally:
        ctx.close()


CASH_RULES = CashRules()


def test_the_cash_offices_rules_are_never_taken_for_the_return_rules(store_dir: Path) -> None:
    ctx = build_context(store_dir, demo=False)
    try:

        def closes(*, rules: CashRules = CASH_RULES, clock: Any) -> object:
            return rules

        assert isinstance(ctx.handle(closes), CashRules)  # its own default, not ReturnRules
    finally:
        ctx.close()
