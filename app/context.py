"""The composition root: the one place that builds the concrete objects and wires them.

Nothing else constructs engines, printers or simulators; screens receive an
``AppContext`` and use its services. There is no module-level singleton.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from app.config import Settings, load_settings
from app.events import AfterCommit
from app.reads import Reads
from counter.errors import StoreError
from counter.i18n import _
from counter.payments.terminal import PaymentTerminal
from counter.people.users import PinHasher
from counter.ports import UnitOfWork
from counter.returns.policy import ReturnRules
from counter.store import StoreConfig, TerminalIdentity
from db.demo import build_demo
from db.engine import DB_FILENAME, Database, IntegrityCheck, badge_key, open_database, pin_key
from db.queries import SqlCatalog, read_settings, return_rules, store_config, terminal_identity
from db.remote_approvals import RemoteApprovals
from db.reservations import HqReservations
from db.spool import settle_interrupted
from db.sync import Syncer, offline_caps, sync_config
from db.uow import SqlUnitOfWork

log = logging.getLogger(__name__)


R = TypeVar("R")


@functools.cache
def _dependencies(handler: Callable[..., object]) -> frozenset[str]:
    """The keyword-only parameters of ``handler`` that the context provides."""
    parameters = inspect.signature(handler).parameters.values()
    return frozenset(
        p.name
        for p in parameters
        if p.kind is p.KEYWORD_ONLY
        and p.name in _PROVIDERS
        # "rules" is the return rules; the cash office's CashRules are given by the caller
        and (p.name != "rules" or "ReturnRules" in str(p.annotation))
    )


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class AppContext:
    data_dir: Path
    db: Database
    settings: Settings
    store: StoreConfig
    terminal: TerminalIdentity
    catalog: SqlCatalog
    clock: SystemClock
    hasher: PinHasher  # keyed with the installation's PIN key (db/keys.py)
    badge_key: bytes
    closers: list[Callable[[], None]] = field(default_factory=list)
    #: set by connect_sync when this store is enrolled with HQ
    syncer: Syncer | None = None
    upstream: HqReservations | None = None
    #: remote approval through HQ (db/remote_approvals.py); set by connect_sync too
    remote_approvals: RemoteApprovals | None = None
    card_terminal: PaymentTerminal | None = None  # set by the UI's device bridge (ui/devices/device_bridge.py)
    #: set when the integrity check behind the sign-in screen found the file damaged
    #: (ui/trust/startup_check.py): from then on nothing is recorded, what was recorded is kept
    damage: StoreError | None = None
    #: what runs after a commit (app/events.py): receipts, drawer, display, sync nudge
    after_commit: AfterCommit = field(default_factory=AfterCommit)
    _reads: Reads | None = field(default=None, repr=False)

    @property
    def reads(self) -> Reads:
        """The screens' reads (app/reads.py), bound to the read engine once."""
        if self._reads is None:
            self._reads = Reads(self.db.read)
        return self._reads

    def integrity_check(self) -> IntegrityCheck:
        """``PRAGMA quick_check`` of the store file, on a connection of its own."""
        return IntegrityCheck(self.db.path)

    def settle_interrupted(self, job_ids: list[str]) -> int:
        """Mark print jobs a crash interrupted, once offered, as settled (db/spool.py)."""
        return settle_interrupted(self.db.write, job_ids, self.clock.now())

    def handle(self, handler: Callable[..., R], /, *args: Any, **given: Any) -> R:
        """Run a command handler with the dependencies it names bound here once (Cosmic
        Python's bootstrap): ``uow_factory``, ``read_uow_factory``, ``clock``, ``store``,
        ``terminal``, ``terminal_id``, ``currency``, ``zone``, ``rules``, ``upstream``.
        What the caller gives is passed as given; a dependency the handler does not name
        is not passed."""
        wanted = _dependencies(handler)
        provided = {name: _PROVIDERS[name](self) for name in wanted if name not in given}
        return handler(*args, **provided, **given)

    def uow(self) -> UnitOfWork:
        if self.damage is not None:
            raise StoreError(self.damage.message, self.damage.hint)
        return SqlUnitOfWork(self.db.write, self.terminal, self.store.currency)

    def read_uow(self) -> UnitOfWork:
        """The same repositories over the read engine, for screens that only look
        (a deferred transaction that is rolled back at the end)."""
        return SqlUnitOfWork(self.db.read, self.terminal, self.store.currency)

    @property
    def rules(self) -> ReturnRules:
        return return_rules(read_settings(self.db.read))

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:  # closing must go on for the others
                log.exception("error while closing")
        self.catalog.close()
        self.db.dispose()


#: What ``AppContext.handle`` gives a handler, by the name of its keyword-only parameter.
_PROVIDERS: dict[str, Callable[[AppContext], object]] = {
    "uow_factory": lambda c: c.uow,
    "read_uow_factory": lambda c: c.read_uow,
    "clock": lambda c: c.clock,
    "store": lambda c: c.store,
    "terminal": lambda c: c.terminal,
    "terminal_id": lambda c: c.terminal.terminal_id,
    "currency": lambda c: c.store.currency,
    "zone": lambda c: c.store.zone,
    "rules": lambda c: c.rules,
    "upstream": lambda c: c.upstream,
    "card_terminal": lambda c: c.card_terminal,
}


def build_context(
    data_dir: Path,
    *,
    demo: bool = True,
    overrides: dict[str, object] | None = None,
    hasher: PinHasher | None = None,
) -> AppContext:
    """Open the store in ``data_dir`` (building the demo store there if it is empty and
    ``demo`` is true) and wire the services. Raises counter.errors.StoreError.

    ``PRAGMA quick_check`` is not run here (on a store of 10 GB it reads the whole file,
    ~18 s): the window runs it behind the sign-in screen (ui/trust/startup_check.py)."""
    if demo and not (data_dir / DB_FILENAME).exists():
        db = build_demo(data_dir, profile=os.environ.get("COUNTER_DEMO_PROFILE", "us"))
    else:
        db = open_database(data_dir, create=False, check=False)
    raw = read_settings(db.read)
    settings = load_settings(data_dir, overrides)
    try:
        store, terminal = store_config(raw), terminal_identity(raw)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        db.dispose()
        raise StoreError(
            _("The database in {folder} is not a Counter store (its store settings are missing: {reason}).").format(
                folder=data_dir, reason=exc
            ),
            _("Choose the right --data-dir, or see 'Recovering a damaged store' in the README."),
        ) from None
    return AppContext(
        data_dir=data_dir,
        db=db,
        settings=settings,
        store=store,
        terminal=terminal,
        catalog=SqlCatalog(db.read, store.currency),
        clock=SystemClock(),
        hasher=(hasher or PinHasher()).keyed(pin_key(db.require_secret())),
        badge_key=badge_key(db.require_secret()),
    )


def connect_sync(ctx: AppContext) -> None:
    """Wire the sync client and the return reservations when this store is enrolled with
    HQ (``counter sync enrol``); a store that is not stays local only."""
    config = sync_config(ctx.db.read)
    if config is None:
        return
    client = config.client(timeout=4.0)
    ctx.closers.append(client.close)
    ctx.syncer = Syncer(ctx.db.write, ctx.db.read, client, config)
    ctx.upstream = HqReservations(client, ctx.syncer, ctx.db.read, ctx.store, ctx.terminal, offline_caps(ctx.db.read))
    ctx.remote_approvals = RemoteApprovals(client, ctx.store.currency)
