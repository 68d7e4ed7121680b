"""The simulated card terminal's journal: what it charged, refunded and reversed.

Tests read it to assert "charged at most once". Trace and receipt numbers go up by one for
every transaction the terminal starts (declined ones too, like real terminals); the
batch is what the next end of day settles. With a ``state_path`` the journal and counters
are written to a JSON file after every change, so a restarted simulator remembers them.

Rules the simulator enforces, like a terminal that checks its journal:

* a refund must name (receipt number and trace) an approved, not reversed sale, and the
  refunds of one sale may not add up to more than it;
* a reversal must name a transaction of the open batch that is approved and not yet
  reversed (result ``B4`` already reversed, ``B5`` not possible otherwise).

Thread-safe: the simulator's connection threads and the test's thread share it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from counter.payments.terminal import BrandTotal

log = logging.getLogger(__name__)

REFUND_REFUSED = 0xB7  # "amount wrong" for the original: unknown original, or over-refunded
ALREADY_REVERSED = 0xB4
REVERSAL_NOT_POSSIBLE = 0xB5


@dataclass
class SimTransaction:
    kind: str  # "sale", "refund", "reversal"
    amount_minor: int
    receipt_no: int
    trace: int
    approved: bool
    result_code: int = 0
    reversed: bool = False
    brand: str = "Visa"
    pan_last4: str = "4242"
    batch: int = 1
    original_receipt: int | None = None  # refunds and reversals: what they name
    original_trace: int | None = None
    at: str = ""  # YYMMDDhhmmss

    @property
    def reference(self) -> str:
        return f"{self.receipt_no:04d}/{self.trace:06d}"


@dataclass
class _State:
    trace: int = 0
    receipt_no: int = 0
    batch: int = 1
    transactions: list[SimTransaction] = field(default_factory=list)


class SimLedger:
    def __init__(self, state_path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(state_path) if state_path else None
        self._lock = threading.RLock()
        self._state = self._load()

    @property
    def transactions(self) -> list[SimTransaction]:
        with self._lock:
            return list(self._state.transactions)

    @property
    def batch(self) -> int:
        return self._state.batch

    def last(self) -> SimTransaction | None:
        with self._lock:
            return self._state.transactions[-1] if self._state.transactions else None

    def record(self, kind: str, amount_minor: int, *, result_code: int, **extra: object) -> SimTransaction:
        with self._lock:
            s = self._state
            s.trace = s.trace % 999_999 + 1
            s.receipt_no = s.receipt_no % 9_999 + 1
            tx = SimTransaction(
                kind=kind,
                amount_minor=amount_minor,
                receipt_no=s.receipt_no,
                trace=s.trace,
                approved=result_code == 0,
                result_code=result_code,
                batch=s.batch,
                **extra,  # type: ignore[arg-type]
            )
            s.transactions.append(tx)
            self._save()
            return tx

    def find(self, receipt_no: int, trace: int | None = None) -> SimTransaction | None:
        with self._lock:
            for tx in reversed(self._state.transactions):
                if tx.receipt_no == receipt_no and (trace is None or tx.trace == trace):
                    return tx
            return None

    def refund_check(self, receipt_no: int | None, trace: int | None, amount_minor: int) -> tuple[int, str]:
        """(result code, additional text): 0 when the refund may go ahead."""
        with self._lock:
            if receipt_no is None:
                return 0, ""  # an unreferenced refund: the simulator allows it
            original = self.find(receipt_no, trace)
            if original is None or original.kind != "sale" or not original.approved or original.reversed:
                return REFUND_REFUSED, "Original payment not found"
            refunded = sum(
                tx.amount_minor
                for tx in self._state.transactions
                if tx.kind == "refund" and tx.approved and not tx.reversed and tx.original_receipt == receipt_no
            )
            if refunded + amount_minor > original.amount_minor:
                return REFUND_REFUSED, "Refund exceeds the original payment"
            return 0, ""

    def reverse(self, receipt_no: int) -> tuple[int, SimTransaction | None]:
        """Mark the transaction reversed; (result code, the original)."""
        with self._lock:
            original = self.find(receipt_no)
            if original is None or original.kind == "reversal" or not original.approved:
                return REVERSAL_NOT_POSSIBLE, original
            if original.reversed:
                return ALREADY_REVERSED, original
            if original.batch != self._state.batch:
                return REVERSAL_NOT_POSSIBLE, original
            original.reversed = True
            self._save()
            return 0, original

    def batch_totals(self) -> tuple[int, int, dict[str, BrandTotal], int]:
        """(first receipt, last receipt, totals by brand, net amount) of the open batch:
        approved, not reversed sales less refunds (a brand's net is floored at zero, as BCD
        has no sign)."""
        with self._lock:
            txs = [
                t
                for t in self._state.transactions
                if t.batch == self._state.batch and t.approved and not t.reversed and t.kind != "reversal"
            ]
            counts: dict[str, int] = {}
            amounts: dict[str, int] = {}
            for t in txs:
                sign = 1 if t.kind == "sale" else -1
                counts[t.brand] = counts.get(t.brand, 0) + 1
                amounts[t.brand] = amounts.get(t.brand, 0) + sign * t.amount_minor
            totals = {b: BrandTotal(counts[b], max(0, amounts[b])) for b in counts}
            receipts = [t.receipt_no for t in txs]
            net = max(0, sum(amounts.values()))
            return (min(receipts, default=0), max(receipts, default=0), totals, net)

    def close_batch(self) -> None:
        with self._lock:
            self._state.batch += 1
            self._save()

    # --- persistence ---

    def _load(self) -> _State:
        if self.path is None or not self.path.exists():
            return _State()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            txs = [SimTransaction(**t) for t in data.get("transactions", [])]
            return _State(trace=data["trace"], receipt_no=data["receipt_no"], batch=data["batch"], transactions=txs)
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("The simulated terminal's journal %s is unreadable; starting an empty one.", self.path)
            return _State()

    def _save(self) -> None:
        if self.path is None:
            return
        s = self._state
        data = {
            "trace": s.trace,
            "receipt_no": s.receipt_no,
            "batch": s.batch,
            "transactions": [asdict(t) for t in s.transactions],
        }
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)
