"""The service desk's configuration: departments, chargeable services and the rules that
govern bill adjustments, layaways, special orders and follow-ups.

All of it is data (the ``service_desk`` key of the store's settings), so a store edits
its own list of departments and services without a release. The departments are HQ's
once the lane has synced (hq/departments.py, pulled on the change feed): then the lane's
list is HQ's, each with whether it takes new referrals, its referral days and where HQ
escalates an overdue referral; the settings' list is the fallback of a lane that never
synced. ``DeskConfig.referable`` is where a referral to a department that does not
exist, or that HQ closed to new referrals, is refused, in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from counter.errors import CounterError
from counter.i18n import _


class DeskError(CounterError):
    """A service-desk step that cannot be taken as asked."""


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    #: False: HQ closed it to new referrals (its queue stays, to be worked off)
    active: bool = True
    #: a referral's default due date, in days (None: the desk's ``ServiceRules.referral_days``)
    referral_days: int | None = None
    #: where HQ escalates a referral past its due date ("": nowhere, e.g. the store manager)
    escalate_to: str = ""


@dataclass(frozen=True)
class ServiceType:
    """A service the desk charges for (repair, alteration, delivery, installation)."""

    code: str
    name: str
    kind: str
    price: Decimal  # the usual price; the desk may charge another (e.g. a quoted repair)
    tax_code: str


@dataclass(frozen=True)
class ServiceRules:
    #: a price drop is refunded within this many days of the purchase
    price_adjustment_days: int = 14
    #: price adjustments above this need a supervisor (0: always)
    adjustment_approval_over: Decimal = Decimal("0.00")
    layaway_min_deposit_percent: Decimal = Decimal("20")
    layaway_days: int = 60
    #: a cancelled layaway keeps this percent of its total (at least the minimum), never more than was paid
    layaway_cancel_fee_percent: Decimal = Decimal("10")
    layaway_cancel_fee_min: Decimal = Decimal("5.00")
    special_order_deposit_percent: Decimal = Decimal("50")
    special_order_days: int = 30
    #: a special order's deposit is kept on cancellation unless this is true
    special_order_deposit_refundable: bool = False
    #: default due date of a referral and of a follow-up, in days
    referral_days: int = 5
    follow_up_days: int = 3


#: The store manager: where an overdue referral goes (HQ's default escalation target).
MANAGER = "manager"
DEFAULT_DEPARTMENTS = (
    Department("warranty", "Warranty and repair", escalate_to=MANAGER),
    Department("billing", "Billing", escalate_to=MANAGER),
    Department(MANAGER, "Store manager"),
    Department("online", "Online orders", escalate_to=MANAGER),
)
DEFAULT_SERVICES = (
    ServiceType("repair", "Repair", "repair", Decimal("45.00"), "A"),
    ServiceType("alteration", "Alteration", "alteration", Decimal("15.00"), "A"),
    ServiceType("delivery", "Home delivery", "delivery", Decimal("39.00"), "N"),
    ServiceType("install", "Installation", "installation", Decimal("79.00"), "A"),
)


@dataclass(frozen=True)
class DeskConfig:
    departments: tuple[Department, ...] = DEFAULT_DEPARTMENTS
    services: tuple[ServiceType, ...] = DEFAULT_SERVICES
    rules: ServiceRules = field(default_factory=ServiceRules)

    def department(self, code: str) -> Department:
        wanted = code.strip().lower()
        for dept in self.departments:
            if dept.code == wanted or dept.name.lower() == wanted:
                return dept
        # Translators: in "Pick one of: {names}." when no department exists
        names = ", ".join(d.name for d in self.departments) or _("none is set up")
        raise DeskError(
            _("There is no department “{code}” to refer to.").format(code=code.strip()),
            _("Pick one of: {names}. Departments are set up at HQ (counter hq department).").format(names=names),
        )

    def referable(self, code: str) -> Department:
        """The department a new referral goes to; refused, in words, when it does not exist
        or HQ closed it to new referrals."""
        dept = self.department(code)
        if not dept.active:
            # Translators: in "Refer the case to another department ({names})" when none is open
            names = ", ".join(d.name for d in self.departments if d.active) or _("none is open")
            raise DeskError(
                _("{name} takes no new referrals: HQ closed it.").format(name=dept.name),
                _("Refer the case to another department ({names}), or ask HQ to open {name} again.").format(
                    names=names, name=dept.name
                ),
            )
        return dept

    def referral_days(self, dept: Department) -> int:
        """Days until a new referral to ``dept`` is due, by default."""
        return self.rules.referral_days if dept.referral_days is None else dept.referral_days

    def service(self, code: str) -> ServiceType:
        for svc in self.services:
            if svc.code == code:
                return svc
        raise DeskError(_("There is no service “{code}”.").format(code=code), _("Pick a service from the list."))


def config_from_json(data: dict[str, Any] | None) -> DeskConfig:
    if not data:
        return DeskConfig()
    defaults = ServiceRules()
    values: dict[str, Any] = {}
    for f in fields(ServiceRules):
        default = getattr(defaults, f.name)
        raw = data.get("rules", {}).get(f.name, default)
        if isinstance(default, bool):
            values[f.name] = bool(raw)
        elif isinstance(default, Decimal):
            values[f.name] = Decimal(str(raw))
        else:
            values[f.name] = int(raw)
    departments = tuple(department_from_json(d) for d in data.get("departments", ()))
    services = tuple(
        ServiceType(s["code"], s["name"], s["kind"], Decimal(s["price"]), s["tax_code"])
        for s in data.get("services", ())
    )
    return DeskConfig(departments or DEFAULT_DEPARTMENTS, services or DEFAULT_SERVICES, ServiceRules(**values))


def department_from_json(d: dict[str, Any]) -> Department:
    """A department as the settings or HQ's change feed hold it (only code and name needed)."""
    days = d.get("referral_days")
    return Department(
        str(d["code"]),
        str(d["name"]),
        bool(d.get("active", True)),
        None if days is None else int(days),
        str(d.get("escalate_to") or ""),
    )
