"""The store and terminal this counter belongs to, and how it prices and rounds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from counter.documents import StoreHeader
from counter.money import Currency


@dataclass(frozen=True)
class StoreConfig:
    store_id: str  # short code printed in receipt numbers, e.g. "S01"
    name: str
    currency: Currency
    locale: str  # CLDR locale for money and dates, e.g. "en_US"
    timezone: str  # IANA name, e.g. "America/Chicago"
    prices_include_tax: bool
    smallest_coin: Decimal  # 0.01, or 0.05 where one-cent coins are out of use
    address_lines: tuple[str, ...] = ()
    phone: str = ""
    tax_id: str = ""
    footer_lines: tuple[str, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def header(self) -> StoreHeader:
        return StoreHeader(self.name, self.address_lines, self.phone, self.tax_id, self.footer_lines)


@dataclass(frozen=True)
class TerminalIdentity:
    store_id: str
    terminal_id: str  # "T01"; unique within the store

    @property
    def code(self) -> str:
        return f"{self.store_id}-{self.terminal_id}"

    def receipt_number(self, n: int) -> str:
        return f"{self.code}-{n:06d}"


def receipt_store(number: str) -> str | None:
    """The store id a receipt number names (``S01`` of ``S01-T01-000123``: everything before
    the terminal and the running number), or None when the text does not have that shape (a
    number mistyped or cut short). Return numbers (``S01-T01-R000001``) name theirs too."""
    store, sep, rest = number.rpartition("-")
    store, sep2, terminal = store.rpartition("-")
    running = rest[1:] if rest[:1] == "R" else rest
    if not (sep and sep2 and store and terminal and running.isdigit()):
        return None
    return store
