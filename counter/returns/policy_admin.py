"""Changing the return policies: a manager's command, journaled (PolicyChanged), and a
refusal journaled for anyone else (counter.people.access). The policies themselves are written
by ``save`` (db.queries.save_policies) in the same unit of work."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from counter.errors import CounterError
from counter.i18n import _
from counter.journal import EventType
from counter.people.access import authorize
from counter.people.users import Permission, User
from counter.ports import Clock, UnitOfWork
from counter.returns.policy import ReturnPolicy, ReturnRules

SavePolicies = Callable[[UnitOfWork, Sequence[ReturnPolicy], ReturnRules], None]


class PolicyError(CounterError):
    """A policy change that cannot be made."""


def change_policies(
    user: User,
    changed: Sequence[ReturnPolicy],
    rules: ReturnRules,
    rules_json: dict[str, Any],
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    save: SavePolicies,
) -> None:
    authorize(
        user,
        Permission.EDIT_POLICIES,
        "change the return policies",
        uow_factory=uow_factory,
        clock=clock,
        error=PolicyError,
        message=_("{name} may not change the return policies.").format(name=user.name),
        hint=_("A manager can change them."),
    )
    with uow_factory() as uow:
        save(uow, changed, rules)
        uow.journal.append(
            EventType.POLICY_CHANGED,
            {
                "user": user.id,
                "categories": [
                    {
                        "category": p.category_id,
                        "days": p.return_days,
                        "final_sale": p.final_sale,
                        "receipt_required": p.receipt_required,
                        "fee": str(p.restocking_fee_percent),
                    }
                    for p in changed
                ],
                "rules": rules_json,
            },
            clock.now(),
        )
        uow.commit()
