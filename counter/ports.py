"""The ports: small protocols the outer packages implement for the domain.

``db/`` implements the unit of work, repositories and queries; ``devices/`` the printer;
``ui/`` composes them. The domain and its services see only these shapes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from counter.barcodes import ScannedCode
from counter.cash.drawer import DrawerOpening
from counter.catalog import Item
from counter.documents import Receipt
from counter.journal import JournalEntry
from counter.payments.ports import CardRequests
from counter.people.users import User, UserId
from counter.sales.sale import Sale
from counter.sales.tenders import TakenBefore, Tender
from counter.trust.outbox import Due, DueDocument, DueDrawer, DueState

if TYPE_CHECKING:  # the modules below import ports themselves
    from counter.cash.reports import GrandTotals
    from counter.cash.shifts import Shift
    from counter.desk.ports import CasesRepository, CustomersRepository, DeskRepository
    from counter.returns.model import Returned
    from counter.returns.policy import ApprovalKind, ReturnPolicy


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware (UTC)."""
        ...


class CatalogQueries(Protocol):
    def by_code(self, code: ScannedCode) -> Item | None: ...

    def search(self, text: str, limit: int = 50) -> Sequence[Item]: ...


class SalesRepository(Protocol):
    # No add: a sale's rows are its SaleCompleted entry's projection (counter.projection).
    def get_by_number(self, receipt_number: str) -> Sale | None: ...

    def part_payments(self, sale_id: str) -> list[Tender]:
        """The part payments journaled for this sale id, in the order taken."""
        ...

    def sale_state(self, sale_id: str) -> str:
        """One of "completed", "voided" (its payments were given back) or "open"."""
        ...

    def interrupted(self, terminal_id: str) -> list[TakenBefore]:
        """The terminal's sales with part payments, neither completed nor voided, oldest first."""
        ...


class UsersRepository(Protocol):
    def get(self, user_id: UserId) -> User | None: ...

    def save_sign_in_state(self, user: User) -> None:
        """Failed attempts, lock, and the PIN verifier (keyed on a right PIN if it was not)."""
        ...

    def by_badge(self, badge_hash: str) -> User | None: ...

    def all(self) -> Sequence[User]:
        """Everyone, active or not, by name."""
        ...

    def add(self, user: User) -> None: ...

    def save(self, user: User) -> None:
        """Name, role, active, PIN verifier, badge and sign-in state as given."""
        ...


class JournalWriter(Protocol):
    def append(
        self,
        type_: str,
        body: Mapping[str, Any],
        at: datetime,
        private: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    ) -> JournalEntry:
        """Append the entry and write its projection (counter.projection). ``private``:
        per table, in order, the values of the columns the projection leaves UNKNOWN
        because the journal must never hold them (personal data, free text); they are
        written to the rows, never to the journal."""
        ...


class ReceiptNumbers(Protocol):
    def next(self, series: str = "receipt") -> str:
        """The next number of a series ("receipt", "return") of this terminal; gap-free
        because it commits with the record that uses it."""
        ...


class VoucherRepository(Protocol):
    def balance(self, code: str) -> Decimal | None:
        """None when no voucher has this code."""
        ...

    def check_redeem(self, code: str, amount: Decimal) -> None:
        """VoucherError unless the voucher holds ``amount``. The movement itself is the
        journal entry's projection (counter.projection), written with it."""
        ...


class ReturnsRepository(Protocol):
    def differences_from_journal(self, sale_id: str) -> list[str]:
        """The sale's rows and its earlier returns' rows against the sealed journal entries
        they come from: [] when they match (what a refund is decided from is verified)."""
        ...

    def returned_for(self, sale_id: str) -> Mapping[str, Returned]:
        """The ledger: what has been returned of each line of a sale, by sale line id."""
        ...

    def refunded_per_tender(self, sale_id: str) -> Mapping[int, Decimal]: ...

    def categories_of(self, item_ids: Sequence[str]) -> Mapping[str, str]: ...

    def policies(self, category_ids: set[str]) -> Mapping[str, ReturnPolicy]: ...

    def no_receipt_refunds(self, customer_key: str, now: datetime, days: int) -> Mapping[str, Decimal]:
        """What this store file's returns without a receipt for that customer key refunded
        in the last ``days`` days, by return id (counter.returns.customer_limit adds HQ's)."""
        ...

    def lowest_unit_amount(self, item_id: str, since: datetime) -> int | None:
        """The lowest amount per unit (minor units, after discounts, before tax) the item
        sold for since ``since``; None when it did not sell."""
        ...


class ShiftsRepository(Protocol):
    def current(self, terminal_id: str) -> Shift | None: ...

    def shifts_since(self, terminal_id: str, after: str) -> list[Shift]:
        """The terminal's shifts opened at or after ``after`` (an ISO time; "" for all)."""
        ...

    def get(self, shift_id: str) -> Shift | None: ...

    def expected_cash(self, shift: Shift) -> Decimal: ...

    def in_z_report(self, shift_id: str) -> bool: ...

    def last_z(self, terminal_id: str) -> tuple[int, int, GrandTotals, str]: ...

    def journal_after(self, terminal_id: str, after_seq: int) -> Iterator[JournalEntry]: ...

    def user_names(self) -> dict[str, str]: ...


class ApprovalsRepository(Protocol):
    def granted(self, request_id: str, requester_id: str) -> dict[ApprovalKind, Decimal]:
        """Approvals given for a request by people other than the requester: kind → amount."""
        ...

    def approver_of(self, request_id: str, requester_id: str, kind: ApprovalKind) -> str | None:
        """Who gave the latest approval of ``kind`` for the request (None: nobody)."""
        ...


class PrintJobs(Protocol):
    """Print jobs are persisted before they are sent, so a printer fault loses nothing."""

    def add(self, job_id: str, kind: str, reference: str, payload: bytes, copy_number: int, at: datetime) -> None: ...

    def mark(self, job_id: str, state: str, error: str | None, at: datetime) -> None: ...

    def last_copy_number(self, reference: str) -> int:
        """The highest copy number printed of ``reference`` (0: only the original, or none)."""
        ...


class OutboxRepository(Protocol):
    """Documents due after a commit, written in the commit's transaction (counter.trust.outbox)."""

    def add(self, due: Due, reference: str, document: Receipt, at: datetime) -> str: ...

    def add_drawer(self, reference: str, opening: DrawerOpening, at: datetime) -> str:
        """A drawer opening due (``Due.DRAWER``), with the commit that moved the cash."""
        ...

    def pending(self, references: Sequence[str] | None = None) -> list[DueDocument]:
        """Pending documents, oldest first (of the given references only, when given)."""
        ...

    def pending_drawers(self, references: Sequence[str] | None = None) -> list[DueDrawer]:
        """Pending drawer openings, oldest first (of the given references only, when given)."""
        ...

    def settle(self, item_id: str, state: DueState, at: datetime, by: str | None = None) -> bool:
        """Mark a pending item done or declined; False when it was no longer pending."""
        ...


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

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def vouchers(self) -> VoucherRepository: ...

    @property
    def returns(self) -> ReturnsRepository: ...

    @property
    def approvals(self) -> ApprovalsRepository: ...

    @property
    def shifts(self) -> ShiftsRepository: ...

    @property
    def customers(self) -> CustomersRepository: ...

    @property
    def cases(self) -> CasesRepository: ...

    @property
    def desk(self) -> DeskRepository: ...

    @property
    def cards(self) -> CardRequests: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...
