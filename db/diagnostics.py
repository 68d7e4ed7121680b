"""What ``counter diagnose`` reads of a store: its schema revision, its rows per table, when
HQ's last acknowledged entry was written, and (only when support asks for them) the
customers' details; also every customer text, so that the bundle can leave them out.

Reads only, each in its own read transaction; any thread but the GUI's.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, select, text

from db import schema as s

#: The columns of the store that hold a customer's details or what they said: taken out of a
#: support bundle unless asked for (counter/trust/redaction.CustomerScrubber). Phones apart:
#: they are found by their digits, whatever their shape.
CUSTOMER_TEXT_COLUMNS = (
    (s.customers, ("name", "email", "loyalty_card")),
    (s.customer_changes, ("old_value", "new_value", "reason")),
    (s.customer_addresses, ("line1", "line2")),
    (s.contacts, ("words", "actions")),
    (s.cases, ("subject", "follow_up_note", "resolution")),
    (s.case_events, ("text",)),
    (s.referrals, ("note", "outcome")),
    (s.referral_notes, ("text",)),
)


def schema_revision(path: Path) -> str | None:
    """The Alembic revision the store file is at, read without opening (or migrating) it;
    None when the file has none or cannot be read."""
    if not path.is_file():
        return None
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in each table of the store (SQLite's own left out), by name."""
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        return {
            name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in names
            if not name.startswith("sqlite_")
        }


def entry_written_at(engine: Engine, terminal: str, seq: int) -> str | None:
    """When a terminal's journal entry was written (UTC stamp), None when there is none."""
    with engine.connect() as conn:
        value = conn.execute(
            select(s.journal.c.at).where(s.journal.c.terminal_id == terminal, s.journal.c.seq == seq)
        ).scalar()
    return None if value is None else str(value)


def customer_texts(engine: Engine) -> tuple[list[str], list[str]]:
    """Every customer text of the store (see ``CUSTOMER_TEXT_COLUMNS``), and every phone."""
    texts: list[str] = []
    with engine.connect() as conn:
        for table, columns in CUSTOMER_TEXT_COLUMNS:
            for row in conn.execute(select(*(table.c[c] for c in columns))):
                texts.extend(str(v) for v in row if v)
        phones = [str(row) for row in conn.execute(select(s.customers.c.phone)).scalars() if row]
    return texts, phones


def customer_records(engine: Engine) -> list[dict[str, Any]]:
    """The customers as support sees them when asked: details, addresses, how many cases."""
    c, a, k = s.customers, s.customer_addresses, s.cases
    with engine.connect() as conn:
        people = [dict(r) for r in conn.execute(select(c).order_by(c.c.name, c.c.id)).mappings()]
        addresses: dict[str, list[dict[str, Any]]] = {}
        for row in conn.execute(select(a).order_by(a.c.id)).mappings():
            addresses.setdefault(row["customer_id"], []).append(
                {key: row[key] for key in ("line1", "line2", "city", "region", "postal_code", "country", "valid_from")}
            )
        per_customer = select(k.c.customer_id, func.count()).group_by(k.c.customer_id)
        cases: dict[str, int] = {str(who): int(n) for who, n in conn.execute(per_customer).tuples()}
    for person in people:
        person["addresses"] = addresses.get(person["id"], [])
        person["cases"] = int(cases.get(person["id"], 0))
    return people
