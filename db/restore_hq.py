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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from counter.i18n import _, ngettext
from counter.journal import EventType, parse_stamp
from counter.returns.policy import ReturnRules
from counter.store import TerminalIdentity
from counter.sync.upstream import UpstreamUnavailable
from db import schema as s
from db.audit import audit_store
from db.credentials import write_token
from db.desk import SERIES
from db.engine import DB_FILENAME, KEY_SETTING, Database, open_database
from db.hq_client import HqClient
from db.hq_tls import pin_at_enrolment
from db.queries import rules_to_json, store_config, write_settings
from db.restore_pages import PAGE, Redemption, RestoreRefused, rebuild_journal, still_at_head
from db.sync import CURSOR_KEY, FIRST_LOAD_KEY, SYNC_KEY, SyncConfig, Syncer
from db.uow import SqlJournal
from db.upgrade import VERSION_KEY

log = logging.getLogger(__name__)

STAGE = ".restore-incomplete"
#: Settings a store-settings file may not bring: this install's own.
NOT_COPIED = frozenset({SYNC_KEY, "terminal", KEY_SETTING, CURSOR_KEY, FIRST_LOAD_KEY, "people_pushed", VERSION_KEY})
#: Document number prefixes (after ``S01-T01-``) and the counter each one runs on.
_SERIES_OF_PREFIX = {"": "receipt", "R": "return", "V": "void", "C": "case", **{p: n for n, p in SERIES.items()}}
_NUMBER_COLUMNS = ("receipt_number", "return_number", "void_number", "number")


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
    profile_from: str  # the sentence saying where the store's details come from
    pushed: bool
    push_problem: str
    staff_without_pin: tuple[str, ...] = ()
    push_refused: bool = False  # HQ answered, and refused (not merely away)

    @property
    def new_chain(self) -> bool:
        return self.terminal != self.source

    def lines(self) -> list[str]:
        old = f"{self.store}-{self.source}"
        values = {
            "old": old,
            "folder": self.folder,
            "entries": self.restored_seq,
            "sales": self.sales,
            "last": self.last_receipt,
            "pulled": self.pulled,
            "new": f"{self.store}-{self.terminal}",
            "next": self.restored_seq + 1,
            "written": _moment(self.last_at) if self.last_at else "",
        }
        first = (
            _(
                "Restored {old} from HQ into {folder}: {entries} journal entries, {sales} sales (the last {last}); "
                "{pulled} changes pulled (catalog, staff, customers, other lanes' desk work)."
            )
            if self.last_receipt
            else _(
                "Restored {old} from HQ into {folder}: {entries} journal entries, {sales} sales; "
                "{pulled} changes pulled (catalog, staff, customers, other lanes' desk work)."
            )
        )
        lost = (
            _(
                "HQ had {old}'s journal up to entry {entries}, written {written}. Whatever the old terminal recorded "
                "after that (sales, returns, cash) never reached HQ and is LOST: find those paper receipts."
            )
            if self.last_at
            else _(
                "HQ had {old}'s journal up to entry {entries}. Whatever the old terminal recorded "
                "after that (sales, returns, cash) never reached HQ and is LOST: find those paper receipts."
            )
        )
        if self.new_chain:
            chain = _(
                "This install is the new chain {new}: its first entry (LaneRestored) links "
                "it to {old} at entry {entries}; {old} is closed at HQ."
            )
        elif self.last_receipt:
            chain = _(
                "The chain continues: the next entry is {next} (LaneRestored), linked to HQ's head. Receipt numbers "
                "continue after {last}, so numbers the old terminal used for lost sales are used again."
            )
        else:
            chain = _(
                "The chain continues: the next entry is {next} (LaneRestored), linked to HQ's head. Receipt numbers "
                "continue after the first, so numbers the old terminal used for lost sales are used again."
            )
        out = [first.format(**values), lost.format(**values), chain.format(**values), self.profile_from]
        if self.staff_without_pin:
            out.append(
                _(
                    "Staff added at this terminal alone are back without a PIN (HQ never had them): "
                    "{names}. An administrator sets their PINs on the staff screen."
                ).format(names=", ".join(self.staff_without_pin))
            )
        if self.pushed:
            out.append(_("HQ took the LaneRestored entry: the chain at HQ goes on from here."))
        elif self.push_refused:
            out.append(
                _(
                    "HQ REFUSED the LaneRestored entry ({problem}): its copy of the chain moved on after "
                    "the restore was checked, so something else still sends as this terminal. Do not sell here; "
                    "call support."
                ).format(problem=self.push_problem)
            )
        else:
            out.append(
                _("HQ has not taken the LaneRestored entry yet ({problem}); it goes with the next sync.").format(
                    problem=self.push_problem
                )
            )
        return out


Say = Callable[[str], None]


def _moment(stamp: str) -> str:
    """A journal stamp as a person reads it: ``2026-12-07 16:42:10 UTC``."""
    try:
        return parse_stamp(stamp).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return stamp


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
            _("{folder} already holds a store.").format(folder=data_dir),
            _("Restore into an empty folder, or move that store away first."),
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
            _("HQ cannot be reached at {url} ({reason}); nothing was restored and the code is not spent.").format(
                url=hq_url, reason=exc.message
            ),
            _("Check HQ's address and the network, then run the restore again."),
        ) from None
    finally:
        client.close()
    got = Redemption.of(answer)
    say(
        _(
            "HQ holds {lane}'s journal up to entry {seq}; the old terminal's tokens are revoked. "
            "Rebuilding in {folder} ..."
        ).format(lane=f"{got.store}-{got.source}", seq=got.head_seq, folder=stage)
    )
    config = SyncConfig(hq_url.rstrip("/"), got.token, got.store, got.terminal, trust)
    try:
        stage.mkdir(parents=True)
        built = _build(stage, config, got, profile, transport, page, say, after_page)
    except UpstreamUnavailable as exc:
        _remove(stage)
        raise RestoreRefused(
            _("HQ could not be reached during the restore ({reason}): nothing was restored in {folder}.").format(
                reason=exc.message, folder=data_dir
            ),
            _(
                "The code is spent and the old terminal's tokens stay revoked: ask HQ for a new restore code "
                "(`counter hq restore-code`), then run the restore again."
            ),
        ) from None
    except BaseException:
        _remove(stage)
        raise
    _move_into_place(stage, data_dir)
    pushed, problem, refused = _first_push(data_dir, say)
    return RestoreReport(
        data_dir,
        got.store,
        got.terminal,
        got.source,
        got.head_seq,
        got.head_hash,
        got.head_at,
        built.sales,
        built.last_receipt,
        built.pulled,
        profile_from,
        pushed,
        problem,
        built.staff,
        refused,
    )


@dataclass(frozen=True)
class _Built:
    sales: int
    last_receipt: str | None
    pulled: int
    staff: tuple[str, ...]


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
            rebuild_journal(db.write, client, got, page, say, after_page)
            with db.write.begin() as conn:
                _continue_counters(conn, TerminalIdentity(got.store, got.source))
                if not got.new_chain:  # HQ holds every entry restored: none is to be pushed again
                    conn.execute(insert(s.sync_state).values(terminal_id=got.terminal, acked_seq=got.head_seq))
                _record_restore(conn, got, db)
            say(_("Journal rebuilt and verified link by link; pulling the catalog, staff and customers ..."))
            syncer = Syncer(db.write, db.read, client, config)
            pulled = syncer.pull_all()
            with db.write.begin() as conn:
                staff = _lane_only_staff(conn, got.source)
            _check_references(db.read)
            _check_verify(db, got)
            still_at_head(client, got)
        finally:
            client.close()
        with db.read.connect() as conn:
            ours = (s.sales.c.store_id == got.store) & (s.sales.c.terminal_id == got.source)
            sales = int(conn.execute(select(func.count()).select_from(s.sales).where(ours)).scalar_one())
            last = conn.execute(
                select(s.sales.c.receipt_number).where(ours).order_by(s.sales.c.receipt_number.desc()).limit(1)
            ).scalar()
        return _Built(sales, str(last) if last else None, pulled, tuple(staff))
    finally:
        db.dispose()


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


#: A PIN verifier no PIN matches (counter.people.users.PinHasher.matches: not argon2).
NO_PIN = "!restored-without-pin"
_STAFF_TYPES = (
    EventType.USER_ADDED,
    EventType.USER_ROLE_CHANGED,
    EventType.USER_DEACTIVATED,
    EventType.USER_REACTIVATED,
)


def _lane_only_staff(conn: Connection, terminal: str) -> list[str]:
    """People added at the dead lane alone (its ``UserAdded`` entries) that HQ's staff list
    does not hold, put back with their role and whether they are active as the journal last
    says, and a PIN verifier no PIN matches (the journal never holds one): their sales and
    approvals name them. Their names, for the report."""
    j = s.journal
    rows = conn.execute(
        select(j.c.type, j.c.body).where(j.c.terminal_id == terminal, j.c.type.in_(_STAFF_TYPES)).order_by(j.c.seq)
    ).all()
    known = set(conn.execute(select(s.users.c.id)).scalars())
    people: dict[str, dict[str, Any]] = {}
    for type_, raw in rows:
        body = json.loads(raw)
        user = str(body.get("user", ""))
        if type_ == EventType.USER_ADDED and user not in known:
            people[user] = {"id": user, "name": str(body["name"]), "role": str(body["role"]), "active": True}
        elif user in people and type_ == EventType.USER_ROLE_CHANGED:
            people[user]["role"] = str(body["to"])
        elif user in people:
            people[user]["active"] = type_ == EventType.USER_REACTIVATED
    for person in people.values():
        conn.execute(insert(s.users).values(**person, pin_hash=NO_PIN, failed_attempts=0))
    return [p["name"] for p in people.values()]


def _check_references(engine: Engine) -> None:
    with engine.connect() as conn:
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({f"{r[0]} -> {r[2]}" for r in broken})
        raise RestoreRefused(
            _("The restored records refer to {n} rows HQ did not send ({tables}). Nothing was restored.").format(
                n=len(broken), tables=", ".join(tables[:5])
            ),
            _(
                "Check HQ's staff and catalog (nothing there is ever deleted), "
                "then run the restore again with a new code."
            ),
        )


def _check_verify(db: Database, got: Redemption) -> None:
    audit = audit_store(db.read, db.secret, {got.source: {got.head_seq: got.head_hash}} if got.head_seq else None)
    if not audit.ok:
        lines = "; ".join(audit.lines()[:4])
        raise RestoreRefused(
            _("The rebuilt store does not pass journal verify ({problems}). Nothing was restored.").format(
                problems=lines
            ),
            _("Call support."),
        )


def _first_push(data_dir: Path, say: Say) -> tuple[bool, str, bool]:
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
        return True, "", False
    problem = status.problem or (
        _("HQ cannot be reached")
        if not status.online
        else ngettext("{n} waiting", "{n} waiting", status.backlog).format(n=status.backlog)
    )
    say(_("The first push did not go through: {problem}.").format(problem=problem))
    return False, problem, bool(status.problem)


# ------------------------------------------------------------------------ files


def _profile(path: Path | None) -> tuple[dict[str, Any], str]:
    """The store's settings: from ``path`` (a JSON object with a ``store`` entry, as in a
    store's settings table), else the demo chain's, the only profile Counter ships."""
    if path is None:
        from db.demo import STORE

        return {"store": dict(STORE), "return_rules": rules_to_json(ReturnRules())}, _(
            "The store's details (name, address, currency) are the demo chain's, as no --store-settings file was "
            "given: receipts show the demo store's name and address (docs/restore.md)."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("store"), dict):
            raise ValueError("it has no 'store' object")
        store_config({**data, "store": {**data["store"], "id": "S00"}})
    except (OSError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise RestoreRefused(
            _("The store settings file {path} cannot be used ({error}).").format(path=path, error=exc),
            _(
                "Give a JSON file with a 'store' object: name, currency, locale, timezone, prices_include_tax, "
                "smallest_coin (see docs/restore.md)."
            ),
        ) from None
    return {k: v for k, v in data.items() if k not in NOT_COPIED}, _(
        "The store's details (name, address, currency) are from {path}."
    ).format(path=path)


def _move_into_place(stage: Path, data_dir: Path) -> None:
    """The whole store and its token into ``data_dir``; the store file last, so that a
    folder with a store in it always has its token."""
    names = sorted(os.listdir(stage), key=lambda n: n == DB_FILENAME)
    try:
        for name in names:
            os.replace(stage / name, data_dir / name)
        stage.rmdir()
    except OSError as exc:
        raise RestoreRefused(
            _("The rebuilt store is whole in {stage}, but it could not be moved into {folder} ({error}).").format(
                stage=stage, folder=data_dir, error=exc.strerror
            ),
            _("Move every file of {stage} into {folder} by hand ({file} last), then start Counter.").format(
                stage=stage, folder=data_dir, file=DB_FILENAME
            ),
        ) from exc


def _remove(stage: Path) -> None:
    try:
        shutil.rmtree(stage)
    except OSError as exc:  # its name still says what it is
        log.warning("could not remove the incomplete restore %s: %s", stage, exc)
