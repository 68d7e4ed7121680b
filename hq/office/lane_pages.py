"""Lanes and stores in the back office (issue #18, point 6): every lane a person may see,
with its enrolment, its last push and journal head (``terminals``), and what it reported of
itself after its last sync (``lane_status``: backlog, app version, printer, desk events
waiting), marked stale when that report is older than ``STALE_MINUTES``.

A store manager sees their store's lanes; HQ staff and administrators every store's; a
department agent is refused. Only an administrator issues an enrolment code (shown once)
or revokes a lane's tokens (typing its terminal id to confirm); anyone else who posts is
refused and nothing changes. Each is an office action (``auth.record``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection, Engine, and_, func, select

from counter.i18n import _, ngettext
from hq import access, schema as s
from hq.office.auth import Office, record
from hq.office.hq_chain import HQ_TERMINAL
from hq.office.web import STORE_ID, PageRefusal, field, form_of, known_stores, page, signed_in, store_scope
from hq.store import utcnow

STALE_MINUTES = 15


def ago(then: datetime | None, now: datetime) -> str:
    """``then`` in words from ``now``: "just now", "5 minutes ago", "3 hours ago", "never"."""
    if then is None:
        return "never"
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"
    for size, unit, upto in ((60, "minute", 60), (3600, "hour", 48), (86400, "day", 10**9)):
        n = int(seconds // size)
        if n < upto:
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "long ago"  # pragma: no cover - the last unit has no upper bound


def lane_rows(conn: Connection, scope: str | None, now: datetime) -> list[dict[str, Any]]:
    t, ls, tk = s.terminals, s.lane_status, s.tokens
    live = (
        select(func.count())
        .where(tk.c.store_id == t.c.store_id, tk.c.terminal_id == t.c.terminal_id, tk.c.revoked_at.is_(None))
        .scalar_subquery()
    )
    stmt = (
        select(
            t.c.store_id, t.c.terminal_id, t.c.enrolled_at, t.c.head_seq, t.c.last_push_at, ls.c.reported_at,
            ls.c.backlog, ls.c.app_version, ls.c.printer, ls.c.desk_waiting, live.label("live_tokens"),
        )
        .join(ls, and_(ls.c.store_id == t.c.store_id, ls.c.terminal_id == t.c.terminal_id), isouter=True)
        .where(t.c.terminal_id != HQ_TERMINAL)  # HQ's own chain of the store (hq/office/hq_chain.py) is no lane
        .order_by(t.c.store_id, t.c.terminal_id)
    )  # fmt: skip
    if scope is not None:
        stmt = stmt.where(t.c.store_id == scope)
    rows = [dict(r) for r in conn.execute(stmt.limit(5000)).mappings()]
    for r in rows:
        r["pushed_ago"] = ago(r["last_push_at"], now)
        r["reported_ago"] = ago(r["reported_at"], now)
        r["stale"] = r["reported_at"] is not None and now - r["reported_at"] > timedelta(minutes=STALE_MINUTES)
        r["revoked"] = not r["live_tokens"]
    return rows


def _may_see_lanes(who: Office) -> None:
    if who.role == "agent":
        raise PageRefusal(
            403, _("Not for your role"),
            _("The lanes page is for store managers, HQ staff and administrators; nothing is shown."),
            _("Your department's work is in the queue."), who,
        )  # fmt: skip


def _admin_only(who: Office) -> None:
    if who.role != "admin":
        raise PageRefusal(
            403, _("Administrators only"),
            _("Only an administrator may issue enrolment codes or revoke a lane; nothing was changed."),
            _("Ask an administrator."), who,
        )  # fmt: skip


def _lane_ids(who: Office, store: str, terminal: str) -> None:
    for what, value, example in (("store", store, "S01"), ("terminal", terminal, "T03")):
        if not STORE_ID.fullmatch(value):
            if what == "store":
                title = _("Not a store id")
                message = _("A store id is 1 to 16 letters, digits, dashes or underscores; nothing was changed.")
            else:
                title = _("Not a terminal id")
                message = _("A terminal id is 1 to 16 letters, digits, dashes or underscores; nothing was changed.")
            hint = _("For example: {example}. Go back and correct it.").format(example=example)
            raise PageRefusal(422, title, message, hint, who)


def router(engine: Engine) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    def show(request: Request, who: Office, status: int = 200, scope: str | None = None, **said: Any) -> Response:
        now = utcnow()
        with engine.connect() as conn:
            rows = lane_rows(conn, scope if who.store_id is None else who.store_id, now)
            stores = known_stores(conn) if who.store_id is None else []
        return page(
            request, "lanes.html", who, status, rows=rows, stores=stores, store=scope or "",
            stale_minutes=STALE_MINUTES, now=now, **said,
        )  # fmt: skip

    @api.get("/office/lanes")
    async def lanes(request: Request, store: str = "") -> Response:
        who = await signed_in(engine, request)
        _may_see_lanes(who)
        return show(request, who, scope=store_scope(who, store))

    @api.post("/office/lanes/enrol-code")
    async def enrol_code(request: Request) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        _admin_only(who)
        store, terminal = field(form, "store"), field(form, "terminal")
        _lane_ids(who, store, terminal)
        code = access.new_enrol_code(engine, store, terminal)
        record(engine, who, "enrol_code", f"{store}-{terminal}", "one-time code issued, valid 24 hours", store)
        return show(request, who, code=code, code_for=f"{store}-{terminal}")

    @api.post("/office/lanes/revoke")
    async def revoke(request: Request) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        _admin_only(who)
        store, terminal = field(form, "store"), field(form, "terminal")
        _lane_ids(who, store, terminal)
        t = s.terminals
        with engine.connect() as conn:
            known = conn.execute(select(t.c.terminal_id).where(t.c.store_id == store, t.c.terminal_id == terminal))
            if known.first() is None:
                raise PageRefusal(
                    404, _("No such lane"),
                    _("No lane {lane} is enrolled; nothing was changed.").format(lane=f"{store}-{terminal}"),
                    _("Go back to the lanes page."), who,
                )  # fmt: skip
        if field(form, "confirm") != terminal:
            return show(
                request, who, 422,
                error=_("To revoke {lane}, type its terminal id ({terminal}) in the box; nothing was changed.").format(
                    lane=f"{store}-{terminal}", terminal=terminal
                ),
            )  # fmt: skip
        n = access.revoke(engine, terminal, store)
        record(engine, who, "lane_revoked", f"{store}-{terminal}", f"{n} token(s) revoked", store)
        said = ngettext(
            "{lane} is revoked ({n} token): it can no longer reach HQ, and its sales stay on the lane. "
            "Issue a new enrolment code to bring it back.",
            "{lane} is revoked ({n} tokens): it can no longer reach HQ, and its sales stay on the lane. "
            "Issue a new enrolment code to bring it back.",
            n,
        ).format(lane=f"{store}-{terminal}", n=n)
        return show(request, who, said=said)

    return api
