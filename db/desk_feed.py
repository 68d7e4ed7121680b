"""The desk of the whole store on this lane: other lanes' desk events, pulled from HQ on the
change feed, and this lane's typed text, sent to HQ beside its entries (issue #17).

**Down** (``apply_desk_events``, in the pull's page transaction): HQ's ``desk_event`` rows
are the store's desk entries made at other lanes (hq/desk_feed.py), in the order HQ took
them. Each is journaled here as ``DeskEventReceived`` and written as that entry's
projection (counter.projection.received), with its typed text beside it, so an order,
account or case opened at another lane is here with its payments, contacts, referrals
and notes, found by number, customer or phone as a local one, and continued here as if
it had been opened here. A case's status is its latest status change by time, as at HQ.
An event that cannot be applied yet (its customer has not come,
an earlier event of the same record is missing) waits in ``desk_inbox`` and is tried
again, in HQ's order, with every later page; nothing else waits for it.

**Up** (``texts_between``, sent by ``db.sync.Syncer.push_batch`` before the entries they
belong to): the text the journal must not hold (a customer's words, a note, an outcome),
kept per entry in ``desk_texts`` by the journal writer (db/uow.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from counter.i18n import _, ngettext
from counter.journal import EventType
from counter.projection import ProjectionError, Update, private_needs
from counter.projection.received import inner_ops
from db import schema as s
from db.uow import SqlJournal

log = logging.getLogger(__name__)

#: How a text that never reached HQ reads on the other lanes.
NOT_RECEIVED = ""
#: Pulls an event is tried at before it is left for a person to look at (``waiting_events``).
MAX_TRIES = 20


def texts_between(conn: Connection, terminal: str, first: int, last: int) -> list[dict[str, Any]]:
    """The typed text of this lane's desk entries ``first``..``last``: [{seq, private}]."""
    t = s.desk_texts
    rows = conn.execute(
        select(t.c.seq, t.c.private)
        .where(t.c.terminal_id == terminal, t.c.seq >= first, t.c.seq <= last)
        .order_by(t.c.seq)
    )
    return [{"seq": int(seq), "private": json.loads(private)} for seq, private in rows]


def apply_desk_events(conn: Connection, rows: Iterable[Mapping[str, Any]], terminal: str) -> None:
    """Take one page's desk events (feed rows' ``data``) and apply every waiting event that
    can be applied now, oldest first."""
    inbox = s.desk_inbox
    for d in rows:
        if str(d.get("origin_terminal")) == terminal:
            continue  # our own, as HQ holds it
        stmt = sqlite_insert(inbox).values(
            id=str(d["id"]), version=int(d["version"]), data=json.dumps(dict(d)), tries=0, problem=""
        )
        conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"version": stmt.excluded.version}))
    waiting = conn.execute(
        select(inbox.c.id, inbox.c.data).where(inbox.c.tries < MAX_TRIES).order_by(inbox.c.version)
    ).all()
    if not waiting:
        return
    journal = SqlJournal(conn, terminal)
    for feed_id, data in waiting:
        problem = _apply(conn, journal, json.loads(data))
        if problem is None:
            conn.execute(delete(inbox).where(inbox.c.id == feed_id))
        else:
            log.warning("desk event %s from HQ is not applied yet: %s", feed_id, problem)
            conn.execute(
                update(inbox).where(inbox.c.id == feed_id).values(tries=inbox.c.tries + 1, problem=problem[:500])
            )


def waiting_events(conn: Connection) -> list[tuple[str, int, str]]:
    """The events that wait (feed id, tries, why), oldest first: for the sync status."""
    i = s.desk_inbox
    rows = conn.execute(select(i.c.id, i.c.tries, i.c.problem).order_by(i.c.version))
    return [(str(a), int(b), str(c)) for a, b, c in rows]


#: What a pull's news says of each kind of event (for a count ``n``), in this order.
_NEWS: tuple[tuple[str, Callable[[int], str]], ...] = (
    ("CaseReferred", lambda n: ngettext("{n} referral to a department", "{n} referrals to departments", n)),
    (
        "ReferralAnswered",
        lambda n: ngettext(
            "{n} department answer to tell the customer", "{n} department answers to tell the customers", n
        ),
    ),
    ("ContactLogged", lambda n: ngettext("{n} contact logged", "{n} contacts logged", n)),
    ("OrderOpened", lambda n: ngettext("{n} order opened", "{n} orders opened", n)),
    ("OrderPaymentTaken", lambda n: ngettext("{n} order payment", "{n} order payments", n)),
    ("AccountPaymentTaken", lambda n: ngettext("{n} payment on account", "{n} payments on account", n)),
)


def desk_mark(engine: Engine) -> int:
    """Where the received events stand now (before a pull): see ``desk_news``."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(text("rowid"))).select_from(s.desk_received)).scalar() or 0)


def desk_news(engine: Engine, mark: int) -> str:
    """What came of other lanes' desk work since ``mark``, in words for the status bar:
    "From other lanes: 1 referral to a department, 2 order payments." ("" when nothing)."""
    r = s.desk_received
    with engine.connect() as conn:
        stmt = select(r.c.type, func.count()).where(text("rowid > :mark")).group_by(r.c.type)
        counts = {str(kind): int(n) for kind, n in conn.execute(stmt, {"mark": mark})}
    said = [words(counts[k]).format(n=counts[k]) for k, words in _NEWS if counts.get(k)]
    return _("From other lanes: {news}.").format(news=", ".join(said)) if said else ""


def _apply(conn: Connection, journal: SqlJournal, d: Mapping[str, Any]) -> str | None:
    """Apply one event; None when it is here (now or before), else why it cannot be yet."""
    try:
        body = {
            "terminal": str(d["origin_terminal"]),
            "seq": int(d["seq"]),
            "type": str(d["type"]),
            "at": str(d["at"]),
            "body": json.loads(str(d["body"])),
        }
    except (KeyError, TypeError, ValueError) as exc:
        return f"HQ sent an event this lane cannot read ({exc!r})"
    r = s.desk_received
    here = conn.execute(select(r.c.seq).where(r.c.terminal_id == body["terminal"], r.c.seq == body["seq"])).first()
    if here is not None or _in_this_file(conn, body["terminal"], body["seq"], str(d["body"])):
        return None
    try:
        ops = inner_ops(body)
        if _superseded(conn, ops, str(body["at"])):
            body["superseded"] = True
            ops = inner_ops(body)
        private = _private(ops, d.get("private"))
        with conn.begin_nested():
            journal.append(EventType.DESK_EVENT_RECEIVED, body, datetime.now(UTC), private=private or None)
    except (ProjectionError, KeyError, TypeError, ValueError) as exc:
        return f"{body['type']} from {body['terminal']} (entry {body['seq']}) cannot be read: {exc}"
    except IntegrityError as exc:
        return f"{body['type']} from {body['terminal']} (entry {body['seq']}) waits for what it refers to: {exc.orig}"
    return None


def _in_this_file(conn: Connection, terminal: str, seq: int, body: str) -> bool:
    """Whether this file holds the other lane's entry itself, in that lane's own chain (a
    store file copied from another, as the demo's two lanes are): its rows are here."""
    j = s.journal
    held = conn.execute(select(j.c.body).where(j.c.terminal_id == terminal, j.c.seq == seq)).scalar()
    return held is not None and str(held) == body


def _superseded(conn: Connection, ops: list[Any], at: str) -> bool:
    """Whether the event's ``ops`` change a case's status and this lane holds a later status
    change of that case than ``at`` (by time): then the later one stands
    (counter.projection.received)."""
    changes = [op for op in ops if isinstance(op, Update) and op.table == "cases" and "status" in op.values]
    if not changes:
        return False
    e = s.case_events
    latest = conn.execute(
        select(func.max(e.c.at)).where(e.c.case_id == str(changes[0].key[0]), e.c.status_to != "")
    ).scalar()
    return latest is not None and str(latest) > at


def _private(ops: list[Any], sent: Any) -> dict[str, list[dict[str, Any]]]:
    """The typed text each operation needs, from what HQ sent beside the event; where HQ has
    none (the lane that typed it never sent it), the columns are left empty."""
    given = json.loads(sent) if isinstance(sent, str) and sent else {}
    out: dict[str, list[dict[str, Any]]] = {}
    for table, needs in private_needs(ops).items():
        rows = given.get(table) if isinstance(given, dict) else None
        if not isinstance(rows, list) or len(rows) != len(needs) or not all(isinstance(x, dict) for x in rows):
            rows = [{} for _unused in needs]
        out[table] = [
            {c: (_text(row.get(c)) if row.get(c) is not None else NOT_RECEIVED) for c in cols}
            for row, cols in zip(rows, needs, strict=True)
        ]
    return out


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)
