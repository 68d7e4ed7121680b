"""``counter hq departments | department | store-zone | escalate``: the desk's departments
and escalations at HQ (hq/departments.py, hq/escalation.py), from hq/cli.py."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import Engine

from counter.i18n import _
from hq import departments, escalation


def run_desk_command(args: argparse.Namespace, engine: Engine) -> int:
    cmd = args.hq_command
    try:
        if cmd == "departments":
            with engine.connect() as conn:
                listed = departments.all_departments(conn)
            for d in listed:
                print(describe(d, {x.code: x.name for x in listed}))
        elif cmd == "department":
            saved = departments.save(
                engine,
                args.code,
                name=args.name,
                active=args.active,
                referral_days=args.days,
                escalate_to=args.escalate_to,
                no_escalation=args.no_escalation,
            )
            print(
                _("Saved: {department}. The lanes receive it on their next sync.").format(
                    department=describe(saved, {})
                )
            )
        elif cmd == "store-zone":
            zone = departments.set_zone(engine, args.store, args.zone)
            print(
                _("{store}'s days are reckoned in {zone} from now on (new referrals' due dates).").format(
                    store=args.store, zone=zone
                )
            )
        elif cmd == "escalate":
            run = escalation.escalate(engine)
            print(
                _("{escalated} referral(s) escalated, {settled} escalation(s) settled.").format(
                    escalated=len(run.escalated), settled=run.settled
                )
            )
            for o in run.escalated:
                print("  " + o.describe())
    except departments.DepartmentError as exc:
        print(f"counter hq: {exc.message}", file=sys.stderr)
        return 1
    return 0


def describe(d: departments.HqDepartment, names: dict[str, str]) -> str:
    state = "open" if d.active else "closed to new referrals"
    where = f"escalates to {names.get(d.escalate_to, d.escalate_to)}" if d.escalate_to else "escalates nowhere"
    return f"{d.code:<12} {d.name}: {state}, due in {d.referral_days} days, {where}"
