"""Another lane of the same store, in a test: a copy of the demo template that records under
its own terminal id, and the desk feed HQ would hand the first lane of its entries (the
rows ``hq.catalog.changes`` sends: ``desk_event`` with the entry and its typed text, and a
``customer`` row for a customer registered there)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from counter.desk.customers import Address, ContactDetails, Customer, create_customer
from counter.trust.desk_rules import DESK_KINDS
from db import schema as s
from db.engine import DB_FILENAME, open_database
from db.queries import read_settings, write_settings
from tests.db.support import TestStore


def other_lane(template: Path, folder: Path, terminal: str = "T02") -> TestStore:
    """A store file of the same store as the template's copies, recording as ``terminal``."""
    folder.mkdir(parents=True)
    shutil.copy2(template / DB_FILENAME, folder / DB_FILENAME)
    db = open_database(folder)
    settings = read_settings(db.read)
    write_settings(db.write, {"terminal": {**settings.get("terminal", {}), "id": terminal}})
    db.dispose()
    lane = TestStore(folder)
    assert lane.terminal.terminal_id == terminal
    return lane


def registered_there(lane: TestStore, name: str = "Ines Moreau", phone: str = "(217) 555-0142") -> Customer:
    details = ContactDetails.checked(name, phone, "", address=Address("4 Mill Road", "", "Riverton", "IL", "62704"))
    return create_customer(lane.user("Sam"), details, uow_factory=lane.uow, clock=lane.clock)


def customer_row(lane: TestStore, customer_id: str, version: int = 1) -> dict[str, Any]:
    """The customer as HQ's feed carries it (hq/people.py) once the lane sent the details."""
    c = s.customers
    with lane.db.read.connect() as conn:
        r = conn.execute(select(c).where(c.c.id == customer_id)).mappings().one()
    data = {k: r[k] for k in ("id", "name", "phone", "email", "loyalty_card", "email_consent", "created_at")}
    data.update(created_by=r["created_by"], updated_at=r["updated_at"], address=None, store_id="S01")
    return {"kind": "customer", "version": version, "deleted": False, "data": data}


def desk_feed(lane: TestStore, after_seq: int = 0, version: int = 100) -> list[dict[str, Any]]:
    """The lane's desk entries after ``after_seq``, as HQ's feed rows, with their texts."""
    j, t = s.journal, s.desk_texts
    terminal = lane.terminal.terminal_id
    with lane.db.read.connect() as conn:
        entries = conn.execute(
            select(j.c.seq, j.c.type, j.c.at, j.c.body)
            .where(j.c.terminal_id == terminal, j.c.seq > after_seq, j.c.type.in_(sorted(DESK_KINDS)))
            .order_by(j.c.seq)
        ).all()
        texts = dict(conn.execute(select(t.c.seq, t.c.private).where(t.c.terminal_id == terminal)).all())
    return [
        {
            "kind": "desk_event",
            "version": version + n,
            "deleted": False,
            "data": {
                "id": f"S01:{terminal}:{e.seq}",
                "store_id": "S01",
                "origin_terminal": terminal,
                "seq": e.seq,
                "type": e.type,
                "at": e.at,
                "body": e.body,
                "private": texts.get(e.seq) and json.dumps(json.loads(texts[e.seq]), sort_keys=True),
            },
        }
        for n, e in enumerate(entries)
    ]


def last_seq(lane: TestStore) -> int:
    j = s.journal
    with lane.db.read.connect() as conn:
        return int(
            conn.execute(select(j.c.seq).where(j.c.terminal_id == lane.terminal.terminal_id).order_by(j.c.seq.desc()))
            .scalars()
            .first()
            or 0
        )
