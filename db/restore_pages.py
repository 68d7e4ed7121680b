"""The old chain coming down from HQ, page by page, into the store being rebuilt
(db/restore_hq.py runs the whole restore; HQ's side is hq/restore.py).

Each page must continue the chain verified so far (``counter.journal.verify``: sequence,
links, hashes) and carry the head HQ named when the code was spent; each entry is written
as it was through the journal's triggers (which seal it with this installation's key)
and its rows are its projection (``counter.projection`` through ``db.projector``), with
what the journal never holds taken from beside it (``beside``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from counter.errors import CounterError
from counter.i18n import _
from counter.journal import GENESIS, JournalEntry, verify
from counter.projection import EntryRef, Op, private_needs, project
from counter.trust.desk_rules import DESK_KINDS
from db import projector, schema as s
from db.hq_client import HqClient

PAGE = 500  # entries per page
_APPEND_SQL = (
    "INSERT INTO journal (terminal_id, seq, id, type, at, body, prev_hash, hash, seal) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, counter_seal(?1, ?2, ?8))"
)
_TEXTS_SQL = "INSERT INTO desk_texts (terminal_id, seq, private) VALUES (?, ?, ?)"


class RestoreRefused(CounterError):
    """The restore stopped: what happened and what to do; no store was left behind."""


@dataclass(frozen=True)
class Redemption:
    """What HQ answered when the restore code was spent."""

    store: str
    terminal: str
    source: str
    token: str
    head_seq: int
    head_hash: str
    head_at: str | None

    @classmethod
    def of(cls, answer: Mapping[str, Any]) -> Redemption:
        try:
            head_at = answer.get("head_at")
            return cls(
                str(answer["store"]),
                str(answer["terminal"]),
                str(answer["source_terminal"]),
                str(answer["token"]),
                int(answer["head_seq"]),
                str(answer["head_hash"]),
                str(head_at) if head_at else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RestoreRefused(
                _("HQ's answer to the restore code cannot be read ({error}).").format(error=repr(exc)),
                _("Check that HQ runs this version."),
            ) from None

    @property
    def new_chain(self) -> bool:
        return self.terminal != self.source


def rebuild_journal(
    engine: Engine,
    client: HqClient,
    got: Redemption,
    page: int,
    say: Callable[[str], None],
    after_page: Callable[[int], None] | None,
) -> None:
    old = f"{got.store}-{got.source}"
    after, prev = 0, GENESIS
    while after < got.head_seq:
        answer = client.restore_journal(after, page)
        _same_head(answer, got)
        try:
            rows = list(answer["entries"])
            entries = [
                JournalEntry(
                    got.source,
                    int(e["seq"]),
                    str(e["id"]),
                    str(e["type"]),
                    str(e["at"]),
                    str(e["body"]),
                    str(e["prev_hash"]),
                    str(e["hash"]),
                )  # fmt: skip
                for e in rows
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise RestoreRefused(
                _("HQ sent a page of {lane}'s journal after entry {seq} that cannot be read ({error}).").format(
                    lane=old, seq=after, error=repr(exc)
                ),
                _("Nothing was restored. Check that HQ runs this version."),
            ) from None
        if not entries:
            raise RestoreRefused(
                _("HQ stopped sending {lane}'s journal at entry {seq}, short of its head {head}.").format(
                    lane=old, seq=after, head=got.head_seq
                ),
                _("Nothing was restored. Run the restore again with a new code; call support if it happens again."),
            )
        check = verify(entries, after_seq=after, after_hash=prev)
        if not check.ok or entries[-1].seq > got.head_seq:
            bad = check.first_bad_seq if not check.ok else entries[-1].seq
            raise RestoreRefused(
                _bad_entry(check.reason if not check.ok else None).format(
                    seq=bad, lane=old, reason=check.reason, head=got.head_seq, after=after
                ),
                _("HQ's copy of this lane's journal may be damaged: call support before you sell on this terminal."),
            )
        _write_page(engine, entries, rows)
        after, prev = entries[-1].seq, entries[-1].hash
        said = _("entries {first}-{last} of {head} written and sealed")
        say("  " + said.format(first=entries[0].seq, last=after, head=got.head_seq))
        if after_page is not None:
            after_page(after)
    if (after, prev) != (got.head_seq, got.head_hash):
        raise RestoreRefused(
            _(
                "The journal HQ sent ends at entry {seq} with hash {hash}…, not at the head HQ named "
                "(entry {head}, {head_hash}…). Nothing was restored."
            ).format(seq=after, hash=prev[:12], head=got.head_seq, head_hash=got.head_hash[:12]),
            _("Call support: HQ's copy of this lane's journal and its head disagree."),
        )


def _bad_entry(reason: str | None) -> str:
    """The sentence for an entry of a page that does not continue the chain, for verify's
    ``reason`` (None: the entry goes past HQ's head); placeholders seq, lane, reason, head, after."""
    if reason is None:
        return _(
            "HQ sent entry {seq} of {lane}'s journal, and it goes past HQ's head ({head}): the page does not "
            "continue the chain verified up to entry {after}. Nothing was restored."
        )
    if reason.startswith(("does ", "goes ")):
        # Translators: {reason} is the journal check's own words, e.g. "does not link to the entry before it"
        return _(
            "HQ sent entry {seq} of {lane}'s journal, and it {reason}: the page does not continue "
            "the chain verified up to entry {after}. Nothing was restored."
        )
    if reason.startswith("expected"):
        return _(
            "HQ sent entry {seq} of {lane}'s journal, and it is out of order ({reason}): the page does not "
            "continue the chain verified up to entry {after}. Nothing was restored."
        )
    return _(
        "HQ sent entry {seq} of {lane}'s journal, and it fails the check: {reason}: the page does not continue "
        "the chain verified up to entry {after}. Nothing was restored."
    )


def _same_head(answer: Mapping[str, Any], got: Redemption) -> None:
    try:
        head = (int(answer["head_seq"]), str(answer["head_hash"]))
    except (KeyError, TypeError, ValueError):
        head = (-1, "")
    if head != (got.head_seq, got.head_hash):
        old = f"{got.store}-{got.source}"
        raise RestoreRefused(
            _(
                "{lane}'s journal at HQ moved during the restore (it ended at entry {head} when the restore "
                "began, now at entry {now}): something is still pushing as {lane}. Nothing was restored, so that "
                "the chain does not fork."
            ).format(lane=old, head=got.head_seq, now=head[0]),
            _(
                "Find what still runs as {lane} (the old machine, another install) and stop it; then ask HQ for a "
                "new restore code and run the restore again."
            ).format(lane=old),
        )


def still_at_head(client: HqClient, got: Redemption) -> None:
    _same_head(client.restore_journal(got.head_seq, 1), got)


def _write_page(engine: Engine, entries: Sequence[JournalEntry], rows: Sequence[Mapping[str, Any]]) -> None:
    """One page in one transaction: each entry as it was (the triggers check its place and
    seal), then its rows. The rows may name staff, items and customers the first pull
    brings later, so references are checked after that pull (``_check_references``)
    rather than row by row here."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys = OFF")  # outside a transaction, as SQLite requires
        try:
            with conn.begin():
                for entry, row in zip(entries, rows, strict=True):
                    _write_entry(conn, entry, row)
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


def _write_entry(conn: Connection, e: JournalEntry, row: Mapping[str, Any]) -> None:
    run = conn.exec_driver_sql
    run(_APPEND_SQL, (e.terminal, e.seq, e.id, e.type, e.at, e.body, e.prev_hash, e.hash))
    ops = project(e.type, json.loads(e.body), EntryRef(e.terminal, e.seq, e.type, e.at))
    if not ops:
        return
    private = beside(ops, row.get("private"), row.get("customer"))
    projector.apply(conn, ops, private or None)
    if private and e.type in DESK_KINDS:  # as the journal writer keeps them (db/uow.py)
        run(_TEXTS_SQL, (e.terminal, e.seq, json.dumps(private, sort_keys=True)))


def beside(ops: Sequence[Op], sent: Any, customer: Any) -> dict[str, list[dict[str, Any]]]:
    """The values the journal does not hold that ``ops`` need, per table, one row per
    operation: the typed text HQ kept for the entry (``sent``), a customer's details as HQ
    holds them now (``customer``); what HQ does not have is left empty ("" or NULL, as the
    column takes). ``journal verify`` never compares these columns."""
    given = sent if isinstance(sent, dict) else {}
    details = customer if isinstance(customer, dict) else {}
    out: dict[str, list[dict[str, Any]]] = {}
    for table, needs in private_needs(ops).items():
        rows = given.get(table)
        if not isinstance(rows, list) or len(rows) != len(needs) or not all(isinstance(r, dict) for r in rows):
            rows = [{} for _unused in needs]
        filled = []
        for row, cols in zip(rows, needs, strict=True):
            source = {**_customer_values(table, details), **row}
            filled.append({c: _cell(table, c, source.get(c)) for c in cols})
        out[table] = filled
    return out


def _customer_values(table: str, details: Mapping[str, Any]) -> dict[str, Any]:
    if not details:
        return {}
    if table == "customers":
        return {k: details.get(k) for k in ("name", "phone", "email", "loyalty_card")}
    if table == "customer_addresses":
        raw = details.get("address")
        try:
            address = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            address = None
        return dict(address) if isinstance(address, dict) else {}
    return {}


def _cell(table: str, column: str, value: Any) -> Any:
    if value is None:
        return None if s.metadata.tables[table].c[column].nullable else ""
    return value if isinstance(value, str) else str(value)
