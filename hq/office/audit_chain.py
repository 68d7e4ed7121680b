"""The back office's actions on a hash chain (issue #18, "every action is recorded with who
did it" and "changes are journaled at HQ"): every row of ``office_actions`` (a catalog,
policy, staff or login change with what it was before and after, an approval, an
acknowledgement, an export) carries the SHA-256 of the row before it and of itself, and
``office_audit_head`` holds the newest hash and how many rows the chain has, both written
in the action's own transaction under the head's row lock (one action at a time).

``verify`` walks the chain: a row edited, inserted, reordered or deleted behind HQ's back,
or rows cut off the end, is found and named (the first one that does not fit). The audit
page (admins, hq/office/audit.py) lists the newest actions with the state of the newest
ones and the chain's head, and checks every action when asked (a year of a chain's actions
takes seconds); ``counter hq office-audit`` checks every action and exits 1 when the chain
does not hold.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from counter.i18n import _
from counter.journal import GENESIS, canonical, utc_stamp
from hq import schema as s
from hq.store import utcnow

CHAIN = "office"
_FIELDS = ("login", "user_id", "action", "store_id", "target", "detail")


def row_hash(prev_hash: str, at: datetime, values: dict[str, Any]) -> str:
    """The hash of one action after ``prev_hash``: its time and every field, canonically."""
    doc = {"at": utc_stamp(at), **{k: values.get(k) for k in _FIELDS}}
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(doc)).hexdigest()


def append(
    conn: Connection, login: str, user_id: str, action: str, target: str, detail: str, store: str | None
) -> None:
    """One action on the chain, in the caller's transaction (the head's row locked)."""
    h = s.office_audit_head
    head = conn.execute(select(h.c.hash, h.c.rows).where(h.c.chain == CHAIN).with_for_update()).first()
    if head is None:  # made by migration 0014; a database made from the metadata has none yet
        conn.execute(insert(h).values(chain=CHAIN, hash=GENESIS, rows=0))
        prev, rows = GENESIS, 0
    else:
        prev, rows = str(head.hash), int(head.rows)
    at = utcnow()
    values = {
        "login": login, "user_id": user_id, "action": action, "store_id": store, "target": target[:80],
        "detail": detail,
    }  # fmt: skip
    digest = row_hash(prev, at, values)
    conn.execute(insert(s.office_actions).values(at=at, prev_hash=prev, hash=digest, **values))
    conn.execute(update(h).where(h.c.chain == CHAIN).values(hash=digest, rows=rows + 1))


@dataclass(frozen=True)
class Check:
    rows: int
    ok: bool
    problem: str = ""  # what does not fit, in words, and where
    bad_id: int | None = None

    @property
    def words(self) -> str:
        if self.ok:
            return _("{count} actions; the chain holds: none was changed, added or removed behind HQ's back.").format(
                count=f"{self.rows:,}"
            )
        return _("The chain does not hold: {problem}").format(problem=self.problem)


def verify(conn: Connection, newest: int | None = None) -> Check:
    """Walk every action in order (or only the ``newest`` ones, from the hash the row before
    them holds): each must follow the one before and hash to itself; the head must name the
    last one and the count."""
    a, h = s.office_actions, s.office_audit_head
    prev, n = GENESIS, 0
    stmt = select(a).order_by(a.c.id)
    if newest is not None:
        total = int(conn.execute(select(func.count()).select_from(a)).scalar_one())
        start = conn.execute(select(a.c.id, a.c.hash).order_by(a.c.id.desc()).offset(newest).limit(1)).first()
        if start is not None:  # older rows are taken as they are: the whole walk checks them
            prev, n = str(start.hash), total - newest
            stmt = stmt.where(a.c.id > start.id)
    rows = conn.execute(stmt).mappings()
    for r in rows:
        n += 1
        if r["prev_hash"] != prev:
            return Check(n, False, _("action #{id} does not follow the one before it (one was removed, "
                         "inserted or changed there).").format(id=r["id"]), int(r["id"]))  # fmt: skip
        if row_hash(prev, r["at"], dict(r)) != r["hash"]:
            return Check(n, False, _("action #{id} ({action} by {login}) was changed after it was recorded.").format(
                         id=r["id"], action=r["action"], login=r["login"]), int(r["id"]))  # fmt: skip
        prev = str(r["hash"])
    head = conn.execute(select(h.c.hash, h.c.rows).where(h.c.chain == CHAIN)).first()
    held = (str(head.hash), int(head.rows)) if head is not None else (GENESIS, 0)
    if held != (prev, n):
        return Check(n, False, _("the chain's head names {named} actions but {count} are there: the newest were "
                     "removed, or the head was changed.").format(named=f"{held[1]:,}", count=f"{n:,}"))  # fmt: skip
    return Check(n, True)
