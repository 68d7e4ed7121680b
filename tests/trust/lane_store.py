"""A store opened for a subprocess the way ``tests.db.support.TestStore`` opens it, without
importing ``tests.conftest`` (which would give the subprocess an installation key of its own)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from counter.barcodes import CodeKind, ScannedCode
from counter.catalog import Item
from counter.people.users import User
from db import schema as s
from db.engine import open_database
from db.queries import SqlCatalog, list_users, read_settings, return_rules, store_config, terminal_identity
from db.uow import SqlUnitOfWork


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class LaneStore:
    def __init__(self, folder: Path) -> None:
        self.db = open_database(folder)
        raw = read_settings(self.db.read)
        self.cfg, self.terminal, self.rules = store_config(raw), terminal_identity(raw), return_rules(raw)
        self.catalog = SqlCatalog(self.db.read, self.cfg.currency)
        self.clock = WallClock()
        self.users = {u.name.split()[0]: u for u in list_users(self.db.read)}

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.db.write, self.terminal, self.cfg.currency)

    def user(self, first_name: str) -> User:
        return self.users[first_name]

    def item_in(self, category: str) -> Item:
        with self.db.read.connect() as conn:
            sku = conn.execute(
                select(s.items.c.sku).where(s.items.c.category_id == category).order_by(s.items.c.sku).limit(1)
            ).scalar_one()
        item = self.catalog.by_code(ScannedCode(CodeKind.SKU, sku, sku))
        assert item is not None
        return item
