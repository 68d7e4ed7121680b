"""Rebuild a dead lane from the journal HQ holds (issue #19, point 4; the lane's side is
db/restore_hq.py, `counter restore --from-hq`).

* **A restore code** (``counter hq restore-code --store S01 --terminal T01 [--new-terminal
  T05]``): one use, valid a day, kept hashed in ``restore_codes``. It names the dead lane,
  and, for a declared new chain, the terminal id the new install takes. The code's hash
  is bound to its purpose (``restore:`` + code), so it is no enrolment code, nor the other
  way round.
* **Redemption** (``POST /v1/restore``, no token: the dead lane lost its own), in one
  transaction with the lane's row locked as a push locks it: the code is spent, *every*
  token of the dead terminal is revoked (the old machine, if it still runs, can push
  nothing more: a push checks its token in the transaction that locks the lane), a new
  token is issued to the terminal the new install is (the same, or the new one, enrolled
  here with an empty chain), and HQ's head of the old chain is kept with the code and
  answered: the lane checks every page against it. A code for a new chain must be
  redeemed as one (``new_chain``), and the other way round: nobody forks a chain without
  saying so.
* **The journal** (``GET /v1/restore/journal?after=N``, the new token): the old chain's
  entries verbatim, in pages, each entry with what the journal must not hold but the
  lane's tables do: the desk texts the lane sent (``desk_texts``), the texts of another
  lane's desk event it had received (``desk_feed``), and a customer's details as HQ holds
  them now (``customers``). Every page carries HQ's head now, so a head that moved since
  the redemption (something still pushing as that terminal) is seen by the lane.
"""

# No "from __future__ import annotations": FastAPI reads the handlers' annotations at run
# time, and they name a dependency defined inside ``router``.

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine, insert, select, update

from counter.i18n import _
from counter.journal import GENESIS
from hq import access, schema as s
from hq.store import utcnow
from hq.web import Refusal

PURPOSE = "restore:"
CODE_VALID = timedelta(hours=24)
PAGE = 500  # entries per page by default
MAX_PAGE = 2000
LANE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
#: The customer's details HQ holds, and the entries whose rows take them (their projection
#: leaves a customer's name, phone, e-mail, card and address to the lane): no other entry
#: is sent anyone's details.
CUSTOMER_FIELDS = ("name", "phone", "email", "loyalty_card", "address")
CUSTOMER_TYPES = frozenset({"CustomerCreated", "CustomerUpdated", "CustomerReceived"})
DESK_EVENT_RECEIVED = "DeskEventReceived"


class RestoreError(Refusal):
    """A restore refused; ``status``, ``error`` and ``message`` as HQ answers them."""


@dataclass(frozen=True)
class Redeemed:
    store: str
    terminal: str  # the terminal the new install is
    source: str  # the terminal whose chain it rebuilds
    token: str
    head_seq: int
    head_hash: str
    head_at: str | None  # the ``at`` of the last entry HQ holds (None: it holds none)
    head_received_at: str | None
    revoked: int  # tokens of the old terminal revoked now

    def answer(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "terminal": self.terminal,
            "source_terminal": self.source,
            "token": self.token,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "head_at": self.head_at,
            "head_received_at": self.head_received_at,
            "revoked": self.revoked,
        }


def _code_hash(code: str) -> str:
    return access.digest(PURPOSE + access.normalise_code(code))


def _terminal_known(conn: Connection, store_id: str, terminal_id: str) -> bool:
    t = s.terminals
    found = conn.execute(select(t.c.head_seq).where(t.c.store_id == store_id, t.c.terminal_id == terminal_id))
    return found.first() is not None


def new_restore_code(engine: Engine, store_id: str, terminal_id: str, new_terminal: str | None = None) -> str:
    """A one-time code to rebuild ``store_id``-``terminal_id`` from its journal here,
    continuing its chain, or (``new_terminal``) as a declared new chain of that id."""
    if new_terminal is not None and (not LANE.match(new_terminal) or new_terminal == terminal_id):
        raise RestoreError(
            422,
            "malformed",
            _("The new terminal id must be 1-16 letters, digits, - or _, and not {terminal}.").format(
                terminal=terminal_id
            ),
        )
    with engine.begin() as conn:
        if not _terminal_known(conn, store_id, terminal_id):
            raise RestoreError(
                404,
                "unknown_terminal",
                _("HQ holds no journal of {lane}: it never enrolled here.").format(lane=f"{store_id}-{terminal_id}"),
            )
        if new_terminal is not None and _terminal_known(conn, store_id, new_terminal):
            raise RestoreError(
                409,
                "terminal_exists",
                _("{lane} is already enrolled: choose an unused terminal id.").format(
                    lane=f"{store_id}-{new_terminal}"
                ),
            )
        raw = "".join(secrets.choice(access.CODE_ALPHABET) for _i in range(12))
        now = utcnow()
        conn.execute(
            insert(s.restore_codes).values(
                code_hash=_code_hash(raw),
                store_id=store_id,
                terminal_id=terminal_id,
                new_terminal_id=new_terminal,
                created_at=now,
                expires_at=now + CODE_VALID,
            )
        )
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def redeem(engine: Engine, code: str, *, new_chain: bool) -> Redeemed:
    """Spend a restore code (see the module's docstring); RestoreError when refused, and
    then nothing changed."""
    now = utcnow()
    with engine.begin() as conn:
        row = (
            conn.execute(
                select(s.restore_codes).where(s.restore_codes.c.code_hash == _code_hash(code)).with_for_update()
            )
            .mappings()
            .first()
        )
        if row is None or row["used_at"] is not None or row["expires_at"] < now:
            raise RestoreError(401, "bad_code", _("That restore code is not valid (unknown, used or expired)."))
        store, old, new = str(row["store_id"]), str(row["terminal_id"]), row["new_terminal_id"]
        if (new is not None) != new_chain:
            if new is not None:
                message = _(
                    "That code starts the new chain {new}, linked to {old}: "
                    "restore with --new-chain, or ask HQ for a code that continues the old chain."
                ).format(new=f"{store}-{new}", old=f"{store}-{old}")
            else:
                message = _(
                    "That code continues the chain of {old}: restore without --new-chain, "
                    "or ask HQ for a code with a new terminal id (--new-terminal)."
                ).format(old=f"{store}-{old}")
            raise RestoreError(409, "chain_choice", message)
        t = s.terminals
        head = conn.execute(
            select(t.c.head_seq, t.c.head_hash)
            .where(t.c.store_id == store, t.c.terminal_id == old)
            .with_for_update()  # as a push locks it: no push of the old lane in between
        ).first()
        if head is None:
            raise RestoreError(
                404, "unknown_terminal", _("HQ holds no journal of {lane}.").format(lane=f"{store}-{old}")
            )
        lane = old if new is None else str(new)
        if new is not None:
            if _terminal_known(conn, store, lane):
                raise RestoreError(
                    409,
                    "terminal_exists",
                    _("{lane} was enrolled since the code was made: ask for a new code.").format(
                        lane=f"{store}-{lane}"
                    ),
                )
            conn.execute(
                insert(t).values(store_id=store, terminal_id=lane, enrolled_at=now, head_seq=0, head_hash=GENESIS)
            )
        revoked = access._revoke(conn, store, old, now)
        token = access._new_token(conn, "terminal", f"{store}-{lane}", store, lane)
        head_seq, head_hash = int(head[0]), str(head[1])
        conn.execute(
            update(s.restore_codes)
            .where(s.restore_codes.c.code_hash == row["code_hash"])
            .values(used_at=now, head_seq=head_seq, head_hash=head_hash)
        )
        last = None
        if head_seq:
            j = s.journal
            last = conn.execute(
                select(j.c.at, j.c.received_at).where(
                    j.c.store_id == store, j.c.terminal_id == old, j.c.seq == head_seq
                )
            ).first()
    return Redeemed(
        store,
        lane,
        old,
        token,
        head_seq,
        head_hash,
        str(last[0]) if last else None,
        last[1].isoformat() if last else None,
        revoked,
    )


def source_of(conn: Connection, store_id: str, terminal_id: str) -> str | None:
    """The terminal whose chain ``terminal_id`` was rebuilt from (its own, or the old one
    of a new chain), by the newest restore code spent for it; None if it was never restored."""
    r = s.restore_codes
    found = conn.execute(
        select(r.c.terminal_id, r.c.new_terminal_id)
        .where(r.c.store_id == store_id, r.c.used_at.is_not(None))
        .where(
            (r.c.new_terminal_id == terminal_id) | ((r.c.terminal_id == terminal_id) & r.c.new_terminal_id.is_(None))
        )
        .order_by(r.c.used_at.desc())
        .limit(1)
    ).first()
    return str(found[0]) if found else None


def journal_page(conn: Connection, store_id: str, source: str, after: int, limit: int) -> dict[str, Any]:
    """Entries ``after``+1.. of ``source``'s chain (at most ``limit``), each with what the
    lane's tables hold beside it, and HQ's head of that chain now."""
    t, j = s.terminals, s.journal
    head = conn.execute(
        select(t.c.head_seq, t.c.head_hash).where(t.c.store_id == store_id, t.c.terminal_id == source)
    ).first()
    assert head is not None  # a restore code names an enrolled terminal, and terminals stay
    rows = conn.execute(
        select(j.c.seq, j.c.id, j.c.type, j.c.at, j.c.body, j.c.prev_hash, j.c.hash)
        .where(j.c.store_id == store_id, j.c.terminal_id == source, j.c.seq > after)
        .order_by(j.c.seq)
        .limit(limit)
    ).all()
    entries = [
        {
            "seq": int(r.seq),
            "id": r.id,
            "type": r.type,
            "at": r.at,
            "body": r.body,
            "prev_hash": r.prev_hash,
            "hash": r.hash,
        }
        for r in rows
    ]
    if entries:
        _add_beside(conn, store_id, source, entries)
    last = entries[-1]["seq"] if entries else after
    return {
        "store": store_id,
        "terminal": source,
        "entries": entries,
        "head_seq": int(head[0]),
        "head_hash": str(head[1]),
        "more": last < int(head[0]),
    }


def _add_beside(conn: Connection, store_id: str, source: str, entries: list[dict[str, Any]]) -> None:
    """Each entry's ``private`` (the typed text of a desk entry, as the lane sent it, or of
    another lane's desk event it received) and ``customer`` (the details of the customer
    its body names, as HQ holds them now), where there are any."""
    first, last = entries[0]["seq"], entries[-1]["seq"]
    dt = s.desk_texts
    texts = dict(
        conn.execute(
            select(dt.c.seq, dt.c.private).where(
                dt.c.store_id == store_id, dt.c.terminal_id == source, dt.c.seq.between(first, last)
            )
        ).all()
    )
    feed_ids: dict[int, str] = {}
    customer_ids: dict[int, str] = {}
    for e in entries:
        if e["type"] != DESK_EVENT_RECEIVED and e["type"] not in CUSTOMER_TYPES:
            continue
        body = json.loads(e["body"])
        if not isinstance(body, dict):
            continue
        if e["type"] == DESK_EVENT_RECEIVED:
            feed_ids[e["seq"]] = f"{store_id}:{body.get('terminal')}:{body.get('seq')}"
            continue
        cid = body.get("customer_id")
        if isinstance(cid, str):
            customer_ids[e["seq"]] = cid
    feed: dict[str, Any] = {}
    if feed_ids:
        f = s.desk_feed
        feed = dict(conn.execute(select(f.c.id, f.c.private).where(f.c.id.in_(set(feed_ids.values())))).all())
    people: dict[str, dict[str, Any]] = {}
    if customer_ids:
        c = s.customers
        found = conn.execute(
            select(c.c.id, *(c.c[n] for n in CUSTOMER_FIELDS)).where(
                c.c.store_id == store_id, c.c.id.in_(set(customer_ids.values())), c.c.name != ""
            )
        ).mappings()
        people = {str(r["id"]): {n: r[n] for n in CUSTOMER_FIELDS} for r in found}
    for e in entries:
        seq = e["seq"]
        private = texts.get(seq) or feed.get(feed_ids.get(seq, ""))
        e["private"] = json.loads(private) if private else None
        e["customer"] = people.get(customer_ids.get(seq, ""))


class RestoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=4, max_length=32)
    new_chain: bool = False


def router(
    engine: Engine,
    terminal: Callable[..., access.Caller],
    gate: Callable[[Request], str],
    failed: Callable[[str, str], None],
) -> APIRouter:
    """Mounted by ``hq.app.create_app``: ``gate`` refuses an address past the failure
    limit (and gives the address), ``failed`` counts a wrong code against it."""
    api = APIRouter(tags=["restore"])
    Terminal = Annotated[access.Caller, Depends(terminal)]  # noqa: N806 - a type alias

    @api.post("/v1/restore")
    def restore(req: RestoreRequest, request: Request) -> dict[str, Any]:
        address = gate(request)
        try:
            done = redeem(engine, req.code, new_chain=req.new_chain)
        except RestoreError as exc:
            if exc.status == 401:
                failed(address, "wrong restore codes")
            raise
        return done.answer()

    @api.get("/v1/restore/journal")
    def journal(
        who: Terminal,
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE,
    ) -> dict[str, Any]:
        assert who.store_id and who.terminal_id
        with engine.connect() as conn:
            source = source_of(conn, who.store_id, who.terminal_id)
            if source is None:
                raise Refusal(
                    404, "not_restored", _("This terminal was not rebuilt from HQ: there is nothing to serve it.")
                )
            return journal_page(conn, who.store_id, source, after, limit)

    return api
