"""The ports: small protocols the outer packages implement for the domain.

``db/`` implements the unit of work, repositories and queries; ``devices/`` the printer;
``ui/`` composes them. The domain and its services see only these shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from counter.barcodes import ScannedCode
from counter.catalog import Item
from counter.journal import JournalEntry
from counter.sales import Sale
from counter.users import User, UserId


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware (UTC)."""
        ...


class CatalogQueries(Protocol):
    def by_code(self, code: ScannedCode) -> Item | None: ...

    def search(self, text: str, limit: int = 50) -> Sequence[Item]: ...


class SalesRepository(Protocol):
    def add(self, sale: Sale) -> None: ...

    def get_by_number(self, receipt_number: str) -> Sale | None: ...


class UsersRepository(Protocol):
    def get(self, user_id: UserId) -> User | None: ...

    def save_sign_in_state(self, user: User) -> None: ...


class JournalWriter(Protocol):
    def append(self, type_: str, body: Mapping[str, Any], at: datetime) -> JournalEntry: ...


class ReceiptNumbers(Protocol):
    def next(self) -> str:
        """The next receipt number of this terminal; gap-free because it commits with the sale."""
        ...


class PrintJobs(Protocol):
    """Print jobs are persisted before they are sent, so a printer fault loses nothing."""

    def add(self, job_id: str, kind: str, reference: str, payload: bytes, copy_number: int, at: datetime) -> None: ...

    def mark(self, job_id: str, state: str, error: str | None, at: datetime) -> None: ...


class UnitOfWork(Protocol):
    """One person's action: everything written inside commits together or not at all.

    Leaving the ``with`` block without ``commit()`` rolls everything back.
    """

    @property
    def sales(self) -> SalesRepository: ...

    @property
    def users(self) -> UsersRepository: ...

    @property
    def journal(self) -> JournalWriter: ...

    @property
    def receipt_numbers(self) -> ReceiptNumbers: ...

    @property
    def print_jobs(self) -> PrintJobs: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...
