"""Exceptions and alerts in the back office (issue #18, point 4): what HQ flagged for a person
(``exceptions``: over-returns, over-spent vouchers, no-receipt limits passed, two lanes'
offline desk work; ``alerts``: a lane's chain or clock, a locked approver, a referral to
an unknown department...), each in one line of words, newest first with the ones nobody
acknowledged yet on top, and an "Acknowledge" form with a note that is required.

An acknowledgement is set once (``acknowledged_at``/``_by``/``ack_note``, migration 0010)
by one conditional UPDATE: a second one says who acknowledged it first and changes
nothing. Who sees what is ``Office.sees_store``; an alert of no store is for those who see
every store; department agents see none of this."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, Engine, Table, select, true, update

from counter.i18n import N_, _
from hq import schema as s
from hq.exception_words import describe_exception
from hq.office.auth import Office, record
from hq.office.web import PageRefusal, field, form_of, known_stores, not_found, not_yours, page, signed_in, store_scope
from hq.store import utcnow

MAX_NOTE = 2000
SOURCES: dict[str, Table] = {"exception": s.exceptions, "alert": s.alerts}
ALERT_WORDS = {
    "seq_conflict": N_("Two entries with one number"),
    "chain_broken": N_("A lane's chain does not link"),
    "gap": N_("Entries missing in a lane's chain"),
    "clock_skew": N_("A lane's clock is off"),
    "forbidden": N_("A refused call"),
    "approver_locked": N_("An approver locked after wrong pins"),
    "desk_backfill": N_("Desk records filled in late"),
    "desk_texts": N_("Desk texts missing"),
    "referral_department": N_("A referral to an unknown department"),
    "referral_escalated": N_("A referral escalated"),
}


def _scoped(table: Table, scope: str | None) -> Any:
    return table.c.store_id == scope if scope is not None else true()


def _names(conn: Connection) -> dict[str, str]:
    lg, u = s.office_logins, s.users
    rows = conn.execute(select(lg.c.login, u.c.name).join(u, u.c.id == lg.c.user_id))
    return {str(login): str(name) for login, name in rows}


def _stamp(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def alert_words(a: Any) -> str:
    kind = str(a["kind"])
    lane = "-".join(str(p) for p in (a["store_id"], a["terminal_id"]) if p) or "HQ"
    what = _(ALERT_WORDS[kind]) if kind in ALERT_WORDS else kind.replace("_", " ").capitalize()
    # the detail is stored text (in English): shown as it is
    if a["seq"] is not None:
        return _("{what} ({kind}) at {lane}, entry {seq}: {detail}").format(
            what=what, kind=kind, lane=lane, seq=a["seq"], detail=a["detail"]
        )
    return _("{what} ({kind}) at {lane}: {detail}").format(what=what, kind=kind, lane=lane, detail=a["detail"])


def rows_for(conn: Connection, scope: str | None, include_acknowledged: bool) -> list[dict[str, Any]]:
    names = _names(conn)
    found: list[dict[str, Any]] = []
    for source, table in SOURCES.items():
        stmt = select(table).where(_scoped(table, scope))
        if not include_acknowledged:
            stmt = stmt.where(table.c.acknowledged_at.is_(None))
        for x in conn.execute(stmt.order_by(table.c.at.desc(), table.c.id.desc()).limit(1000)).mappings():
            words = describe_exception(dict(x)) if source == "exception" else alert_words(x)
            found.append(
                {
                    "source": source,
                    "id": x["id"],
                    "at": x["at"],
                    "at_text": _stamp(x["at"]),
                    "kind": x["kind"],
                    "lane": "-".join(str(p) for p in (x["store_id"], x["terminal_id"]) if p) or "HQ",
                    "words": words,
                    "acknowledged": x["acknowledged_at"] is not None,
                    "acknowledged_text": _stamp(x["acknowledged_at"]),
                    "acknowledged_by": names.get(str(x["acknowledged_by"]), x["acknowledged_by"]),
                    "ack_note": x["ack_note"],
                }
            )
    found.sort(key=lambda r: (r["acknowledged"], -r["at"].timestamp(), r["source"], -r["id"]))
    return found


def acknowledge(conn: Connection, who: Office, source: str, item_id: int, note: str) -> Any:
    """Set the acknowledgement once; the row acknowledged. A PageRefusal, and nothing
    changed, for another store's, an unknown, or an already acknowledged one."""
    table = SOURCES[source]
    done = conn.execute(
        update(table)
        .where(table.c.id == item_id, table.c.acknowledged_at.is_(None), _scoped(table, who.store_id))
        .values(acknowledged_at=utcnow(), acknowledged_by=who.login, ack_note=note)
        .returning(*table.c)
    ).mappings().first()  # fmt: skip
    if done is not None:
        return done
    row = conn.execute(select(table).where(table.c.id == item_id)).mappings().first()
    if row is None:
        raise not_found(
            who, _("There is no such exception.") if source == "exception" else _("There is no such alert.")
        )
    if not who.sees_store(str(row["store_id"])):  # an alert of no store: only for every store
        raise not_yours(
            who,
            _("This exception is not in what your role lets you see; nothing is shown.")
            if source == "exception"
            else _("This alert is not in what your role lets you see; nothing is shown."),
        )
    by = _names(conn).get(str(row["acknowledged_by"]), row["acknowledged_by"])
    raise PageRefusal(
        409, _("Acknowledged already"),
        (
            _("{name} acknowledged this exception first, at {time}: “{note}”. Nothing was changed.")
            if source == "exception"
            else _("{name} acknowledged this alert first, at {time}: “{note}”. Nothing was changed.")
        ).format(name=by, time=_stamp(row["acknowledged_at"]), note=row["ack_note"]),
        _("Go back to the list."), who,
    )  # fmt: skip


def router(engine: Engine) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    def no_agents(who: Office) -> None:
        if who.role == "agent":
            raise not_yours(
                who, _("The exceptions and alerts is not in what your role lets you see; nothing is shown.")
            )

    @api.get("/office/exceptions")
    async def exceptions(request: Request, all: str = "", said: str = "", store: str = "") -> Response:  # noqa: A002
        who = await signed_in(engine, request)
        no_agents(who)
        scope = store_scope(who, store)
        with engine.connect() as conn:
            rows = rows_for(conn, scope, all == "1")
            stores = known_stores(conn) if who.store_id is None else []
        open_count = sum(1 for r in rows if not r["acknowledged"])
        return page(
            request, "exceptions.html", who, rows=rows, show_all=all == "1", said=said[:300], open_count=open_count,
            store=scope or "", stores=stores,
        )  # fmt: skip

    @api.post("/office/exceptions/{source}/{item_id}/acknowledge")
    async def acknowledge_one(request: Request, source: str, item_id: str) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        no_agents(who)
        if source not in SOURCES or not item_id.isdigit() or len(item_id) > 18:
            raise not_found(who, _("There is no such exception or alert."))
        note = field(form, "note")
        if not note:
            raise PageRefusal(
                422, _("Write a note"),
                _("An acknowledgement needs a note: what was done or why nothing is needed. Nothing was changed."),
                _("Go back, write the note and send it again."), who,
            )  # fmt: skip
        if len(note) > MAX_NOTE:
            raise PageRefusal(
                422, _("Too long"),
                _("The note is longer than {limit} characters; nothing was changed.").format(limit=MAX_NOTE),
                _("Shorten it and send it again."), who,
            )  # fmt: skip
        with engine.begin() as conn:
            done = acknowledge(conn, who, source, int(item_id), note)
        record(engine, who, f"{source}_acknowledged", f"{source}:{item_id}", note[:500], done["store_id"])
        back = "/office/exceptions" + ("?all=1&" if field(form, "all") == "1" else "?")
        said = (
            _("The exception at {time} ({kind}) is acknowledged.")
            if source == "exception"
            else _("The alert at {time} ({kind}) is acknowledged.")
        ).format(time=_stamp(done["at"]), kind=done["kind"])
        return RedirectResponse(back + f"said={quote(said)}", status_code=303)

    return api
