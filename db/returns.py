"""Repositories of returns, refunds, approvals and store-credit vouchers (write side).

They run inside a SqlUnitOfWork's transaction (``BEGIN IMMEDIATE``), so the ledger they
read (what was returned, refunded, or is left on a voucher) cannot change before the
same transaction records the next return or redemption.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, func, select

from counter.desk.adjustments import merge_adjustments
from counter.i18n import _
from counter.journal import utc_stamp
from counter.money import ZERO, Currency
from counter.returns.model import Returned
from counter.returns.policy import ApprovalKind, ReturnPolicy
from counter.sales.vouchers import VoucherError
from db import schema as s
from db.derive import sale_differences
from db.desk import adjusted_lines, refunded_by_desk


class SqlReturns:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def differences_from_journal(self, sale_id: str) -> list[str]:
        return sale_differences(self._conn, sale_id)

    def returned_for(self, sale_id: str) -> Mapping[str, Returned]:
        rl = s.return_lines
        rows = self._conn.execute(
            select(
                rl.c.sale_line_id,
                func.sum(rl.c.quantity),
                func.sum(rl.c.amount_minor),
                func.sum(rl.c.tax_minor),
                func.sum(rl.c.gross_minor),
                s.returns.c.currency,
            )
            .join(s.returns, s.returns.c.id == rl.c.return_id)
            .where(s.returns.c.original_sale_id == sale_id)
            .group_by(rl.c.sale_line_id, s.returns.c.currency)
        ).all()
        out: dict[str, Returned] = {}
        for line_id, qty, amount, tax, gross, code in rows:
            f = Currency.of(code).from_minor
            out[line_id] = Returned(int(qty), f(amount), f(tax), f(gross))
        # price adjustments (counter.desk.adjustments) gave money back on lines too
        return merge_adjustments(out, adjusted_lines(self._conn, sale_id))

    def refunded_per_tender(self, sale_id: str) -> Mapping[int, Decimal]:
        rows = self._conn.execute(
            select(s.refunds.c.original_tender_seq, func.sum(s.refunds.c.amount_minor), s.returns.c.currency)
            .join(s.returns, s.returns.c.id == s.refunds.c.return_id)
            .where(s.refunds.c.original_sale_id == sale_id, s.refunds.c.original_tender_seq.is_not(None))
            .group_by(s.refunds.c.original_tender_seq, s.returns.c.currency)
        ).all()
        out = {int(seq): Currency.of(code).from_minor(total) for seq, total, code in rows}
        desk = refunded_by_desk(self._conn, sale_id)  # bill adjustments paid back to the same tenders
        if desk:
            cur = Currency.of(
                self._conn.execute(select(s.sales.c.currency).where(s.sales.c.id == sale_id)).scalar_one()
            )
            for seq, minor in desk.items():
                out[seq] = out.get(seq, ZERO) + cur.from_minor(minor)
        return out

    def categories_of(self, item_ids: Sequence[str]) -> Mapping[str, str]:
        if not item_ids:
            return {}
        rows = self._conn.execute(
            select(s.items.c.id, s.items.c.category_id).where(s.items.c.id.in_(set(item_ids)))
        ).all()
        return {r[0]: r[1] for r in rows}

    def policies(self, category_ids: set[str]) -> Mapping[str, ReturnPolicy]:
        rows = self._conn.execute(
            select(s.return_policies).where(s.return_policies.c.category_id.in_(category_ids))
        ).mappings()
        return {r["category_id"]: policy_from_row(r) for r in rows}

    def no_receipt_refunds(self, customer_key: str, now: datetime, days: int) -> Mapping[str, Decimal]:
        since = utc_stamp(now - timedelta(days=days))
        r = s.returns.c
        rows = self._conn.execute(
            select(r.id, r.refund_minor, r.currency).where(
                r.customer_key == customer_key, r.original_sale_id.is_(None), r.completed_at >= since
            )
        ).all()
        return {str(i): Currency.of(code).from_minor(int(minor)) for i, minor, code in rows}

    def lowest_unit_amount(self, item_id: str, since: datetime) -> int | None:
        lowest = self._conn.execute(lowest_unit_amount_query(item_id, since)).scalar()
        return None if lowest is None else int(lowest)


def lowest_unit_amount_query(item_id: str, since: datetime) -> Select[Any]:
    """The lowest amount per unit an item sold for since ``since`` (one query for the
    return command and the screens): every line of the item in a sale completed at or after
    ``since``, returned or not. A line carries its sale's ``completed_at`` (migration 0017),
    so this is one range of ``ix_sale_lines_item_time_amount``, read from the index alone;
    the same answer as joining ``sales`` for the time (tests/db/test_lowest_recent_price.py).
    The division is SQLAlchemy's true division (``amount_minor / (quantity + 0.0)``); the
    caller truncates the lowest quotient, which equals the lowest truncated quotient."""
    line = s.sale_lines.c
    return select(func.min(line.amount_minor / line.quantity)).where(
        line.item_id == item_id, line.completed_at >= utc_stamp(since)
    )


def policy_from_row(r: RowMapping) -> ReturnPolicy:
    return ReturnPolicy(
        category_id=str(r["category_id"]),
        return_days=int(r["return_days"]),
        final_sale=bool(r["final_sale"]),
        receipt_required=bool(r["receipt_required"]),
        restocking_fee_percent=Decimal(str(r["restocking_fee_percent"])),
    )


class SqlApprovals:
    def __init__(self, conn: Connection, currency: Currency) -> None:
        self._conn = conn
        self._currency = currency

    def granted(self, request_id: str, requester_id: str) -> dict[ApprovalKind, Decimal]:
        rows = self._conn.execute(
            select(s.approvals.c.kind, s.approvals.c.amount_minor, s.approvals.c.at)
            .where(
                s.approvals.c.request_id == request_id,
                s.approvals.c.requester_id == requester_id,
                s.approvals.c.approver_id != requester_id,
            )
            .order_by(s.approvals.c.at)
        ).all()
        # The latest approval of a kind counts (a re-approval after the amount changed).
        return {ApprovalKind(kind): self._currency.from_minor(amount) for kind, amount, _unused in rows}

    def approver_of(self, request_id: str, requester_id: str, kind: ApprovalKind) -> str | None:
        a = s.approvals.c
        return self._conn.execute(
            select(a.approver_id)
            .where(a.request_id == request_id, a.requester_id == requester_id, a.approver_id != requester_id)
            .where(a.kind == str(kind))
            .order_by(a.at.desc())
            .limit(1)
        ).scalar()


class SqlVouchers:
    def __init__(self, conn: Connection, currency: Currency) -> None:
        self._conn = conn
        self._currency = currency

    def balance(self, code: str) -> Decimal | None:
        exists = self._conn.execute(select(s.vouchers.c.code).where(s.vouchers.c.code == code)).first()
        if exists is None:
            return None
        total = self._conn.execute(
            select(func.coalesce(func.sum(s.voucher_movements.c.amount_minor), 0)).where(
                s.voucher_movements.c.voucher_code == code
            )
        ).scalar_one()
        return self._currency.from_minor(int(total))

    def check_redeem(self, code: str, amount: Decimal) -> None:
        """The movement is the entry's projection (counter.projection), written with it."""
        balance = self.balance(code)
        if balance is None:
            raise VoucherError(
                _("No store-credit voucher has the code {code}.").format(code=code), _("Check the code on the voucher.")
            )
        if amount > balance:
            raise VoucherError(
                _("Voucher {code} holds only {balance}; it cannot pay {amount}.").format(
                    code=code, balance=self._currency.format(balance), amount=self._currency.format(amount)
                ),
                _("Take the balance from it and the rest with another tender."),
            )
