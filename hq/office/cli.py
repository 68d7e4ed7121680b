"""``counter hq office-users``, ``office-user`` and ``office-reset``: the back office's logins
from HQ's command line (the first admin is made here; later ones on the staff page too)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from sqlalchemy import Engine

from counter.i18n import _

OFFICE_COMMANDS = frozenset({"office-users", "office-user", "office-reset", "analysis-refresh", "office-audit"})


def add_parsers(hsub: Any, parents: list[argparse.ArgumentParser]) -> None:
    hsub.add_parser("office-users", parents=parents, help="list the back office's logins")
    p = hsub.add_parser("office-user", parents=parents, help="give a staff member a back-office login")
    p.add_argument("login", help="the name they sign in with, e.g. dana.w")
    p.add_argument("--user-id", required=True, help="their staff id (a user of the chain)")
    p.add_argument("--role", required=True, choices=["agent", "store_manager", "hq_staff", "admin"])
    p.add_argument("--store", default=None, help="their store (a store manager's; an agent's, or every store)")
    p.add_argument("--department", default=None, help="an agent's department, e.g. warranty")
    p = hsub.add_parser("office-reset", parents=parents, help="set a new one-time password for a login")
    p.add_argument("login")
    p = hsub.add_parser("office-audit", parents=parents, help="check the back office's audit chain; show the newest")
    p.add_argument("--last", type=int, default=20, help="how many of the newest actions to show (0: none)")
    p = hsub.add_parser(
        "analysis-refresh", parents=parents, help="make the analysis's stale days, and the last days of every store"
    )
    p.add_argument("--days", type=int, default=35, help="how many days back to keep made (1..400)")


def run_office_command(args: argparse.Namespace, engine: Engine) -> int:
    from hq.office import analysis_days, auth

    if args.hq_command == "office-audit":
        return _audit(engine, max(0, min(args.last, 10_000)))
    if args.hq_command == "analysis-refresh":
        if not 1 <= args.days <= 400:
            print(_("counter hq: --days is 1 to 400."), file=sys.stderr)
            return 2
        started = time.perf_counter()
        made = analysis_days.refresh(engine, keep_days=args.days)
        seconds = f"{time.perf_counter() - started:.1f}"
        print(_("{count} store day(s) of the analysis made in {seconds} s.").format(count=made, seconds=seconds))
        return 0
    try:
        if args.hq_command == "office-users":
            for r in auth.logins(engine):
                where = r["store_id"] or _("every store")
                dept = f" ({r['department']})" if r["department"] else ""
                state = "" if r["active"] else " — " + _("inactive")
                print(f"{r['login']:<16} {r['name']:<24} {_(auth.ROLE_LABELS[r['role']])}{dept}, {where}{state}")
            return 0
        if args.hq_command == "office-user":
            password = auth.add_login(
                engine, args.login, args.user_id, args.role, store_id=args.store, department=args.department
            )
            print(password)
            print(
                _("One-time password for {login}: to be changed at the first sign-in (/office).").format(
                    login=args.login
                ),
                file=sys.stderr,
            )
            return 0
        password = auth.reset(engine, args.login)
        print(password)
        print(_("New one-time password for {login}; its sessions ended.").format(login=args.login), file=sys.stderr)
        return 0
    except auth.OfficeError as exc:
        print(f"counter hq: {exc.message} {exc.hint}".strip(), file=sys.stderr)
        return 1


def _audit(engine: Engine, last: int) -> int:
    from sqlalchemy import select

    from hq import schema as s
    from hq.office import audit_chain as audit

    a = s.office_actions
    with engine.connect() as conn:
        check = audit.verify(conn)
        rows = conn.execute(select(a).order_by(a.c.id.desc()).limit(last)).mappings().all() if last else []
    for r in reversed(rows):
        where = f" [{r['store_id']}]" if r["store_id"] else ""
        print(f"#{r['id']} {r['at']:%Y-%m-%d %H:%M:%S} {r['login']} {r['action']}{where} {r['target']}: {r['detail']}")
    print(check.words, file=sys.stdout if check.ok else sys.stderr)
    return 0 if check.ok else 1
