"""``counter hq ...``: run and administer HQ (on the HQ machine, against its database).

    counter hq serve [--database-url URL] [--host H] [--port N] [--workers N] [--certfile F --keyfile F]
                     [--refresh-analysis S] [--escalate-every S]   several processes: docs/scaling.md
    counter hq fingerprint --certfile F                  the SHA-256 terminals pin at enrolment
    counter hq migrate [--database-url URL]
    counter hq enrol-code --store S01 --terminal T01     print a one-time enrolment code
    counter hq restore-code --store S01 --terminal T01 [--new-terminal T05]
                                                         a one-time code to rebuild a dead lane (hq/restore.py)
    counter hq revoke T01 [--store S01]                  revoke a terminal's tokens
    counter hq admin-token --name NAME                   print a token for /v1/alerts, /v1/exceptions
    counter hq import-catalog FILE                       validate and load a catalog CSV
    counter hq report                                    alerts and the exception report (over-returns, vouchers,
                                                         no-receipt limits, desk payments and cases)
    counter hq departments                               the desk's departments, as the lanes pull them
    counter hq department CODE [--name N] [--days N] [--escalate-to CODE | --no-escalation] [--open | --close]
                                                         add a department or change one
    counter hq store-zone S01 America/Chicago            the zone a store's days (due dates) are reckoned in
    counter hq escalate                                  escalate the referrals past HQ's due date (cron it)

The database URL comes from ``--database-url``, else ``COUNTER_HQ_DATABASE_URL``, else
``postgresql+psycopg://postgres@127.0.0.1:5432/counter_hq``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from counter.errors import CounterError
from counter.i18n import _
from hq.exception_words import describe_exception
from hq.office.cli import OFFICE_COMMANDS

# The rest (SQLAlchemy over PostgreSQL, uvicorn, FastAPI) is imported when an hq command
# runs, so that building the `counter` command line stays quick.


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    hq = sub.add_parser("hq", help="run and administer the HQ server")
    hsub = hq.add_subparsers(dest="hq_command", required=True)
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--database-url", default=None, help="postgresql+psycopg://user@host:5432/db")
    p = hsub.add_parser("serve", parents=[common, db], help="serve the HQ API (migrates first)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (HQ is stateless; docs/scaling.md)")
    p.add_argument("--certfile", default=None, help="TLS certificate (PEM): HQ serves https and prints its SHA-256")
    p.add_argument("--keyfile", default=None, help="the certificate's private key (PEM)")
    p.add_argument(
        "--refresh-analysis",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="make the back office's stale analysis days this often, in the one leading process "
        "(0: never; `counter hq analysis-refresh`)",
    )
    p.add_argument(
        "--escalate-every",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="escalate overdue referrals this often (0: never, cron `counter hq escalate` instead)",
    )
    p.add_argument(
        "--allow-plain-http",
        action="store_true",
        help="serve plain http on a non-loopback address (only behind a TLS-terminating proxy)",
    )
    p = hsub.add_parser("fingerprint", parents=[common], help="print a certificate's SHA-256 for terminals to pin")
    p.add_argument("--certfile", required=True)
    hsub.add_parser("migrate", parents=[common, db], help="bring HQ's schema to the newest revision")
    p = hsub.add_parser("enrol-code", parents=[common, db], help="print a one-time enrolment code")
    p.add_argument("--store", required=True)
    p.add_argument("--terminal", required=True)
    p = hsub.add_parser(
        "restore-code", parents=[common, db], help="print a one-time code to rebuild a dead lane from HQ's journal"
    )
    p.add_argument("--store", required=True)
    p.add_argument("--terminal", required=True, help="the dead lane")
    p.add_argument("--new-terminal", default=None, help="start a declared new chain of this id, linked to the old")
    p = hsub.add_parser("revoke", parents=[common, db], help="revoke a terminal's tokens")
    p.add_argument("terminal")
    p.add_argument("--store", default=None)
    p = hsub.add_parser("admin-token", parents=[common, db], help="print a new admin token")
    p.add_argument("--name", default="admin")
    p = hsub.add_parser("import-catalog", parents=[common, db], help="validate and load a catalog CSV")
    p.add_argument("file", type=Path)
    hsub.add_parser("report", parents=[common, db], help="print alerts and over-returns")
    hsub.add_parser("seed-demo", parents=[common, db], help="load the demo chain's catalog and staff")
    hsub.add_parser("departments", parents=[common, db], help="list the desk's departments")
    p = hsub.add_parser("department", parents=[common, db], help="add a department or change one")
    p.add_argument("code")
    p.add_argument("--name", default=None)
    p.add_argument("--days", type=int, default=None, help="a referral is due this many days after it is made")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--escalate-to", default=None, help="the department an overdue referral goes to")
    where.add_argument("--no-escalation", action="store_true", help="overdue referrals go nowhere")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--open", dest="active", action="store_const", const=True, default=None)
    state.add_argument("--close", dest="active", action="store_const", const=False, help="no new referrals")
    p = hsub.add_parser("store-zone", parents=[common, db], help="set the time zone of a store's days")
    p.add_argument("store")
    p.add_argument("zone")
    hsub.add_parser("escalate", parents=[common, db], help="escalate the referrals past HQ's due date")
    from hq.office.cli import add_parsers as add_office_parsers

    add_office_parsers(hsub, [common, db])


def run(args: argparse.Namespace) -> int:
    from hq.serve import URL_ENV, serve
    from hq.store import DEFAULT_URL, make_engine, migrate

    if args.hq_command == "fingerprint":
        from hq.serve import tls_fingerprint

        try:
            print(tls_fingerprint(args.certfile))
        except CounterError as exc:
            print(f"counter hq: {exc.message} {exc.hint}".strip(), file=sys.stderr)
            return 1
        return 0
    url = args.database_url or os.environ.get(URL_ENV) or DEFAULT_URL
    if args.hq_command == "serve":
        try:
            serve(
                url,
                args.host,
                args.port,
                args.workers,
                certfile=args.certfile,
                keyfile=args.keyfile,
                allow_plain_http=args.allow_plain_http,
                refresh_analysis=args.refresh_analysis,
                escalate_every=args.escalate_every,
            )
        except CounterError as exc:
            print(f"counter hq: {exc.message} {exc.hint}".strip(), file=sys.stderr)
            return 1
        return 0
    engine = make_engine(url, pool_size=2)
    try:
        migrate(engine)
        return _admin(args, engine)
    except CounterError as exc:
        print(f"counter hq: {exc.message} {exc.hint}".strip(), file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _admin(args: argparse.Namespace, engine: Any) -> int:
    from sqlalchemy import select

    from hq import access, catalog, schema as s

    cmd = args.hq_command
    if cmd == "migrate":
        print(_("HQ schema is up to date."))
    elif cmd == "enrol-code":
        code = access.new_enrol_code(engine, args.store, args.terminal)
        print(code)
        print(
            _("One-time code for {lane}, valid 24 hours.").format(lane=f"{args.store}-{args.terminal}"), file=sys.stderr
        )
    elif cmd == "restore-code":
        from hq.restore import RestoreError, new_restore_code

        try:
            code = new_restore_code(engine, args.store, args.terminal, args.new_terminal)
        except RestoreError as exc:
            print(f"counter hq: {exc.message}", file=sys.stderr)
            return 1
        print(code)
        old = f"{args.store}-{args.terminal}"
        if args.new_terminal:
            said = _(
                "One-time restore code for a new chain {new} linked to {old}, valid 24 hours. "
                "Redeeming it revokes every token of {old}."
            ).format(new=f"{args.store}-{args.new_terminal}", old=old)
        else:
            said = _(
                "One-time restore code for the chain of {old}, continued, valid 24 hours. "
                "Redeeming it revokes every token of {old}."
            ).format(old=old)
        print(said, file=sys.stderr)
    elif cmd == "revoke":
        n = access.revoke(engine, args.terminal, args.store)
        print(_("Revoked {count} token(s) of {terminal}.").format(count=n, terminal=args.terminal))
    elif cmd == "admin-token":
        print(access.new_admin_token(engine, args.name))
    elif cmd == "import-catalog":
        report = catalog.import_catalog(engine, args.file)
        print(report.describe())
        return 1 if report.errors else 0
    elif cmd in OFFICE_COMMANDS:
        from hq.office.cli import run_office_command

        return run_office_command(args, engine)
    elif cmd in DESK_COMMANDS:
        from hq.departments_cli import run_desk_command

        return run_desk_command(args, engine)
    elif cmd == "report":
        with engine.connect() as conn:
            alerts = conn.execute(select(s.alerts).order_by(s.alerts.c.id)).mappings().all()
            over = conn.execute(select(s.exceptions).order_by(s.exceptions.c.id)).mappings().all()
        print(_("{count} alert(s)").format(count=len(alerts)))
        for a in alerts:
            lane = f"{a['store_id']}-{a['terminal_id']}"
            line = _("{time} {kind} {lane} seq {seq}: {detail}").format(
                time=f"{a['at']:%Y-%m-%d %H:%M}", kind=a["kind"], lane=lane, seq=a["seq"], detail=a["detail"]
            )
            print(f"  {line}")
        print(
            _(
                "{count} exception(s): over-returns, over-spent vouchers, no-receipt limits passed, "
                "desk orders over-paid or paid after or missed by a closing, closed cases changed elsewhere"
            ).format(count=len(over))
        )
        for x in over:
            print("  " + describe_exception(x))
    return 0


DESK_COMMANDS = frozenset({"departments", "department", "store-zone", "escalate"})


def seed_reference(database_url: str | None, reference: dict[str, Any]) -> int:
    """``counter hq seed-demo``: load reference data (tax classes, categories with their
    policies, catalog, staff) into HQ. The lane's command line builds the demo chain's
    data and hands it over here, so it never reaches into HQ's store itself."""
    from hq.catalog import seed
    from hq.serve import URL_ENV
    from hq.store import DEFAULT_URL, make_engine, migrate

    url = database_url or os.environ.get(URL_ENV) or DEFAULT_URL
    engine = make_engine(url, pool_size=2)
    try:
        migrate(engine)
        seed(engine, **reference)
    finally:
        engine.dispose()
    print(_("HQ now holds the demo chain's catalog and staff."))
    return 0
