"""Rebuild a dead lane's store from the journal HQ holds (issue #19, point 4; HQ's side is
hq/restore.py, the command `counter restore --from-hq`, docs/restore.md).

The store is built in ``DATA_DIR/.restore-incomplete`` and moved into place only when it
is whole, so a restore that fails leaves no store behind (the folder is removed; if even
that fails, its name says what it is):

1. the restore code is spent at HQ (``POST /v1/restore``): every token of the dead
   terminal is revoked there, this install gets a new one, and HQ's head of the old chain
   (seq and hash) comes back;
2. a fresh store (same store id; the same terminal id, or the new chain's) takes the
   store's settings (``--store-settings`` or the demo chain's profile);
3. the old chain comes down in pages. Each page must continue the chain verified so far
   (``counter.journal.verify``: sequence, links, hashes) and HQ's head must still be the
   one of step 1 (else something is still pushing as that terminal: refused). Each entry
   is written as it was (same seq, id, body, hashes) through the journal's triggers, and
   its rows are the projection the lane's write path uses (``counter.projection`` through
   ``db.projector``), with the typed text and customer details HQ holds beside it;
4. the per-terminal document counters continue after the highest number restored; a
   ``LaneRestored`` entry is appended: on the old chain at HQ's head + 1 (prev_hash = HQ's
   head hash), or as entry 1 of the declared new chain, naming the old terminal, its last
   seq and hash;
5. the first pull (catalog, users, customers, store credit, other lanes' desk events)
   runs as on any lane (``db.sync.Syncer``); every row the journal refers to must then be
   there (``PRAGMA foreign_key_check``), and the store must pass ``journal verify`` with
   HQ's head as an anchor; then HQ's head must still not have moved;
6. the store moves into place and pushes: HQ takes the ``LaneRestored`` entry only as the
   continuation of the chain it holds (hq/ingest.py checks every push against its head).

**Seals.** Entries are sealed with this installation's key (db/keys.py) as they are
written in step 3, exactly as a new entry is: the journal's trigger refuses an entry that
is not sealed with the key of the connection writing it. The old machine's key is gone
with it, and a seal only ever says "this installation wrote this entry": here, after
checking that it chains to the head HQ holds. The ``LaneRestored`` entry records up to
which entry the seals were made by the restore, and the key's fingerprint (never the
key). ``journal verify`` checks these seals like any others, so a row changed afterwards
is caught as before.

Runs on the command's thread; nothing else uses the new folder until it is in place.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from counter.errors import CounterError
from counter.journal import GENESIS, EventType, JournalEntry, verify
from counter.projection import EntryRef, Op, private_needs, project
from counter.returns.policy import ReturnRules
from counter.store import TerminalIdentity
from counter.sync.upstream import UpstreamUnavailable
from counter.trust.desk_rules import DESK_KINDS
from db import projector, schema as s
from db.audit import audit_store
from db.credentials import write_token
from db.desk import SERIES
from db.engine import DB_FILENAME, KEY_SETTING, Database, open_database
from db.hq_client import HqClient
from db.hq_tls import pin_at_enrolment
from db.queries import rules_to_json, store_config, write_settings
from db.sync import CURSOR_KEY, FIRST_LOAD_KEY, SYNC_KEY, SyncConfig, Syncer
from db.uow import SqlJournal

log = logging.getLogger(__name__)

STAGE = ".restore-incomplete"
PAGE = 500
#: Settings a store-settings file may not bring: this install's own.
NOT_COPIED = frozenset({SYNC_KEY, "terminal", KEY_SETTING, CURSOR_KEY, FIRST_LOAD_KEY, "people_pushed"})
_APPEND_SQL = (
    "INSERT INTO journal (terminal_id, seq, id, type, at, body, prev_hash, hash, seal) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, counter_seal(?1, ?2, ?8))"
)
_TEXTS_SQL = "INSERT INTO desk_texts (terminal_id, seq, private) VALUES (?, ?, ?)"
#: Document number prefixes (after ``S01-T01-``) and the counter each one runs on.
_SERIES_OF_PREFIX = {"": "receipt", "R": "return", "V": "void", "C": "case", **{p: n for n, p in SERIES.items()}}
_NUMBER_COLUMNS = ("receipt_number", "return_number", "void_number", "number")


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
                f"HQ's answer to the restore code cannot be read ({exc!r}).", "Check that HQ runs this version."
            ) from None

    @property
    def new_chain(self) -> bool:
        return self.terminal != self.source


@dataclass(frozen=True)
class RestoreReport:
    folder: Path
    store: str
    terminal: str
    source: str
    restored_seq: int
    restored_hash: str
    last_at: str | None
    sales: int
    last_receipt: str | None
    pulled: int
    profile_from: str
    pushed: bool
    push_problem: str

    @property
    def new_chain(self) -> bool:
        return self.terminal != self.source

    def lines(self) -> list[str]:
        old = f"{self.store}-{self.source}"
        out = [f"Restored {old} from HQ into {self.folder}: {self.restored_seq} journal entries, {self.sales} sales"]
        if self.last_receipt:
            out[0] += f" (the last {self.last_receipt})"
        out[0] += f"; {self.pulled} changes pulled (catalog, staff, customers, other lanes' desk work)."
        when = f", written {self.last_at} UTC" if self.last_at else ""
        out.append(
            f"HQ had {old}'s journal up to entry {self.restored_seq}{when}. Whatever the old terminal recorded "
            "after that (sales, returns, cash) never reached HQ and is LOST: find those paper receipts."
        )
        if self.new_chain:
            out.append(
                f"This install is the new chain {self.store}-{self.terminal}: its first entry (LaneRestored) links "
                f"it to {old} at entry {self.restored_seq}; {old} is closed at HQ."
            )
        else:
            out.append(
                f"The chain continues: the next entry is {self.restored_seq + 1} (LaneRestored), linked to HQ's "
                f"head. Receipt numbers continue after {self.last_receipt or 'the first'}, so numbers the old "
                "terminal used for lost sales are used again."
            )
        out.append(f"The store's details (name, address, currency) are {self.profile_from}.")
        if self.pushed:
            out.append("HQ took the LaneRestored entry: the chain at HQ goes on from here.")
        else:
            out.append(
                f"HQ has not taken the LaneRestored entry yet ({self.push_problem}); it goes with the next sync."
            )
        return out


Say = Callable[[str], None]


def restore_from_hq(
    data_dir: Path,
    hq_url: str,
    code: str,
    *,
    new_chain: bool = False,
    store_settings: Path | None = None,
    fingerprint: str | None = None,
    ca_file: str | None = None,
    transport: Any = None,
    page: int = PAGE,
    say: Say = lambda _line: None,
    after_page: Callable[[int], None] | None = None,
) -> RestoreReport:
    """Rebuild the store in ``data_dir`` (which must not hold one) from HQ; see the module's
    docstring. RestoreRefused (or HqRefused, UpstreamUnavailable, StoreError) otherwise,
    and then ``data_dir`` holds no store. ``after_page`` is called with the last seq of
    each page written (tests use it to act while a restore runs)."""
    if (data_dir / DB_FILENAME).exists():
        raise RestoreRefused(
            f"{data_dir} already holds a store.", "Restore into an empty folder, or move that store away first."
        )
    profile, profile_from = _profile(store_settings)
    trust = pin_at_enrolment(hq_url, fingerprint, ca_file)
    stage = data_dir / STAGE
    if stage.exists():
        _remove(stage)  # what an earlier restore that failed left
    client = HqClient(hq_url, transport=transport, trust=trust)
    try:
        answer = client.restore(code, new_chain)
    except UpstreamUnavailable as exc:
        raise RestoreRefused(
            f"HQ cannot be reached at {hq_url} ({exc.message}); nothing was restored and the code is not spent.",
            "Check HQ's address and the network, then run the restore again.",
        ) from None
    finally:
        client.close()
    got = Redemption.of(answer)
    say(
        f"HQ holds {got.store}-{got.source}'s journal up to entry {got.head_seq}; "
        f"the old terminal's tokens are revoked. Rebuilding in {stage} ..."
    )
    config = SyncConfig(hq_url.rstrip("/"), got.token, got.store, got.terminal, trust)
    try:
        stage.mkdir(parents=True)
        built = _build(stage, config, got, profile, transport, page, say, after_page)
    except UpstreamUnavailable as exc:
        _remove(stage)
        raise RestoreRefused(
            f"HQ could not be reached during the restore ({exc.message}): nothing was restored in {data_dir}.",
            "The code is spent and the old terminal's tokens stay revoked: ask HQ for a new restore code "
            "(`counter hq restore-code`), then run the restore again.",
        ) from None
    except BaseException:
        _remove(stage)
        raise
    _move_into_place(stage, data_dir)
    pushed, problem = _first_push(data_dir, say)
    return RestoreReport(data_dir, got.store, got.terminal, got.source, got.head_seq, got.head_hash, got.head_at,
                         built.sales, built.last_receipt, built.pulled, profile_from, pushed, problem)  # fmt: skip


@dataclass(frozen=True)
class _Built:
    sales: int
    last_receipt: str | None
    pulled: int


def _build(
    stage: Path,
    config: SyncConfig,
    got: Redemption,
    profile: dict[str, Any],
    transport: Any,
    page: int,
    say: Say,
    after_page: Callable[[int], None] | None,
) -> _Built:
    db = open_database(stage)
    try:
        settings = {**profile, "store": {**profile["store"], "id": got.store}, "terminal": {"id": got.terminal}}
        write_settings(db.write, settings)
        write_token(stage, config.token)
        kept: dict[str, Any] = {"hq": config.hq, "store": config.store, "terminal": config.terminal}
        if config.trust is not None:
            kept["trust"] = config.trust.to_json()
        write_settings(db.write, {SYNC_KEY: kept})
        client = config.client(timeout=30.0, transport=transport)
        try:
            _rebuild_journal(db.write, client, got, page, say, after_page)
            with db.write.begin() as conn:
                _continue_counters(conn, TerminalIdentity(got.store, got.source))
                if not got.new_chain:  # HQ holds every entry restored: none is to be pushed again
                    conn.execute(insert(s.sync_state).values(terminal_id=got.terminal, acked_seq=got.head_seq))
                _record_restore(conn, got, db)
            say("Journal rebuilt and verified link by link; pulling the catalog, staff and customers ...")
            syncer = Syncer(db.write, db.read, client, config)
            pulled = syncer.pull_all()
            _check_references(db.read)
            _check_verify(db, got)
            _still_at_head(client, got)
        finally:
            client.close()
        with db.read.connect() as conn:
            ours = (s.sales.c.store_id == got.store) & (s.sales.c.terminal_id == got.source)
            sales = int(conn.execute(select(func.count()).select_from(s.sales).where(ours)).scalar_one())
            last = conn.execute(
                select(s.sales.c.receipt_number).where(ours).order_by(s.sales.c.receipt_number.desc()).limit(1)
            ).scalar()
        return _Built(sales, str(last) if last else None, pulled)
    finally:
        db.dispose()


# ------------------------------------------------------------------------ the journal


def _rebuild_journal(
    engine: Engine, client: HqClient, got: Redemption, page: int, say: Say, after_page: Callable[[int], None] | None
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
                f"HQ sent a page of {old}'s journal after entry {after} that cannot be read ({exc!r}).",
                "Nothing was restored. Check that HQ runs this version.",
            ) from None
        if not entries:
            raise RestoreRefused(
                f"HQ stopped sending {old}'s journal at entry {after}, short of its head {got.head_seq}.",
                "Nothing was restored. Run the restore again with a new code; call support if it happens again.",
            )
        check = verify(entries, after_seq=after, after_hash=prev)
        if not check.ok or entries[-1].seq > got.head_seq:
            why = check.reason if not check.ok else f"goes past HQ's head ({got.head_seq})"
            bad = check.first_bad_seq if not check.ok else entries[-1].seq
            raise RestoreRefused(
                f"HQ sent entry {bad} of {old}'s journal, and it {_as_clause(why)}: the page does not continue "
                f"the chain verified up to entry {after}. Nothing was restored.",
                "HQ's copy of this lane's journal may be damaged: call support before you sell on this terminal.",
            )
        _write_page(engine, entries, rows)
        after, prev = entries[-1].seq, entries[-1].hash
        say(f"  entries {entries[0].seq}-{after} of {got.head_seq} written and sealed")
        if after_page is not None:
            after_page(after)
    if (after, prev) != (got.head_seq, got.head_hash):
        raise RestoreRefused(
            f"The journal HQ sent ends at entry {after} with hash {prev[:12]}…, not at the head HQ named "
            f"(entry {got.head_seq}, {got.head_hash[:12]}…). Nothing was restored.",
            "Call support: HQ's copy of this lane's journal and its head disagree.",
        )


def _as_clause(reason: str) -> str:
    """verify's reason as the end of a sentence ("it does not link to the entry before it")."""
    if reason.startswith(("does ", "goes ")):
        return reason
    if reason.startswith("expected"):
        return f"is out of order ({reason})"
    return f"fails the check: {reason}"


def _same_head(answer: Mapping[str, Any], got: Redemption) -> None:
    try:
        head = (int(answer["head_seq"]), str(answer["head_hash"]))
    except (KeyError, TypeError, ValueError):
        head = (-1, "")
    if head != (got.head_seq, got.head_hash):
        old = f"{got.store}-{got.source}"
        raise RestoreRefused(
            f"{old}'s journal at HQ moved during the restore (it ended at entry {got.head_seq} when the restore "
            f"began, now at entry {head[0]}): something is still pushing as {old}. Nothing was restored, so that "
            "the chain does not fork.",
            f"Find what still runs as {old} (the old machine, another install) and stop it; then ask HQ for a "
            "new restore code and run the restore again.",
        )


def _still_at_head(client: HqClient, got: Redemption) -> None:
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
            rows = [{} for _ in needs]
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


# ------------------------------------------------------------------------ after it


def _continue_counters(conn: Connection, terminal: TerminalIdentity) -> None:
    """Each document counter of ``terminal`` set to the highest number of its series that
    the restored records hold, so the next receipt, return, void, case, order, payment,
    adjustment or account number follows it."""
    pattern = re.compile(rf"^{re.escape(terminal.code)}-([A-Z]?)(\d+)$")
    top: dict[str, int] = {}
    for table in s.metadata.sorted_tables:
        for column in _NUMBER_COLUMNS:
            if column not in table.c or not _is_text(table.c[column]):
                continue
            found = conn.execute(select(table.c[column]).where(table.c[column].like(f"{terminal.code}-%")))
            for (value,) in found:
                m = pattern.match(str(value))
                series = _SERIES_OF_PREFIX.get(m.group(1)) if m else None
                if m and series:
                    top[series] = max(top.get(series, 0), int(m.group(2)))
    for series, value in sorted(top.items()):
        conn.execute(insert(s.counters).values(terminal_id=terminal.terminal_id, name=series, value=value))


def _is_text(column: Any) -> bool:
    return getattr(column.type, "python_type", None) is str


def _record_restore(conn: Connection, got: Redemption, db: Database) -> None:
    body = {
        "source_terminal": got.source,
        "restored_to_seq": got.head_seq,
        "restored_to_hash": got.head_hash,
        "last_entry_at": got.head_at,
        "new_chain": got.new_chain,
        "resealed_up_to_seq": got.head_seq,
        "sealed_with_key": db.require_secret().key_id,
    }
    SqlJournal(conn, got.terminal).append(EventType.LANE_RESTORED, body, datetime.now(UTC))


def _check_references(engine: Engine) -> None:
    with engine.connect() as conn:
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({f"{r[0]} -> {r[2]}" for r in broken})
        raise RestoreRefused(
            f"{len(broken)} restored records refer to rows HQ did not send ({', '.join(tables[:5])}). "
            "Nothing was restored.",
            "Check HQ's staff and catalog (nothing there is ever deleted), then run the restore again with a new code.",
        )


def _check_verify(db: Database, got: Redemption) -> None:
    audit = audit_store(db.read, db.secret, {got.source: {got.head_seq: got.head_hash}} if got.head_seq else None)
    if not audit.ok:
        lines = "; ".join(audit.lines()[:4])
        raise RestoreRefused(
            f"The rebuilt store does not pass journal verify ({lines}). Nothing was restored.", "Call support."
        )


def _first_push(data_dir: Path, say: Say) -> tuple[bool, str]:
    """Push the ``LaneRestored`` entry (and what the first pull journaled): HQ takes it only
    as the next entry of the chain it holds."""
    from db.sync import sync_config

    db = open_database(data_dir, create=False)
    try:
        config = sync_config(db.read)
        assert config is not None
        client = config.client()
        try:
            status = Syncer(db.write, db.read, client, config).cycle()
        finally:
            client.close()
    finally:
        db.dispose()
    if status.online and not status.problem and status.backlog == 0:
        return True, ""
    problem = status.problem or ("HQ cannot be reached" if not status.online else f"{status.backlog} waiting")
    say(f"The first push did not go through: {problem}.")
    return False, problem


# ------------------------------------------------------------------------ files


def _profile(path: Path | None) -> tuple[dict[str, Any], str]:
    """The store's settings: from ``path`` (a JSON object with a ``store`` entry, as in a
    store's settings table), else the demo chain's, the only profile Counter ships."""
    if path is None:
        from db.demo import STORE

        return {"store": dict(STORE), "return_rules": rules_to_json(ReturnRules())}, (
            "the demo chain's (no --store-settings file was given): set yours before you print a receipt"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("store"), dict):
            raise ValueError("it has no 'store' object")
        store_config({**data, "store": {**data["store"], "id": "S00"}})
    except (OSError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise RestoreRefused(
            f"The store settings file {path} cannot be used ({exc}).",
            "Give a JSON file with a 'store' object: name, currency, locale, timezone, prices_include_tax, "
            "smallest_coin (see docs/restore.md).",
        ) from None
    return {k: v for k, v in data.items() if k not in NOT_COPIED}, f"from {path}"


def _move_into_place(stage: Path, data_dir: Path) -> None:
    """The whole store, its WAL folded in, and its token into ``data_dir``; the store file
    last, so that a folder with a store in it always has its token."""
    names = sorted(os.listdir(stage), key=lambda n: n == DB_FILENAME)
    for name in names:
        os.replace(stage / name, data_dir / name)
    stage.rmdir()


def _remove(stage: Path) -> None:
    try:
        shutil.rmtree(stage)
    except OSError as exc:  # its name still says what it is
        log.warning("could not remove the incomplete restore %s: %s", stage, exc)
