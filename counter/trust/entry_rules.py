"""The domain rules a journal entry must meet before anybody projects it: a received
``SaleCompleted`` must add up, a received ``ReturnProcessed`` must follow from the sale it
names and from what was returned of it before, a part payment and a void that gave payments
back must be well formed (``counter.trust.void_rules``), and no body may carry a card number.
The field checks they are made of are in ``counter.trust.entry_fields``.

HQ runs them on every pushed entry (``hq/ingest.py``), feeding in what it holds of the
sales the batch's returns name (``HeldSale``), the returns recorded before (``SaleLedger``)
and its own reservations (``Reserved``); a lane can run them on what it receives the same
way. Pure functions and plain values: no I/O. A broken rule raises ``EntryRefused``
naming the entry, the rule and what the sender should do.

What is refused and what is only flagged. A rule is a refusal when no honest lane can
break it: a negative or out-of-range amount, lines that do not add up, a line of another
sale, one visit refunding more than the share of the units it takes back (plus
``SLACK`` minor units for rounding), more than one tender paid, more than HQ reserved. An
over-return (two lanes offline returning the same receipt, each within what it knew) is
*not* refused: both refunds were really paid out, refusing would block the lane's
journal forever, so HQ keeps both and lists the later one in its exception report.
Cross-store returns are refused: a lane returns only its own store's sales.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from counter.returns.customer_limit import MAX_WINDOW_DAYS
from counter.returns.policy import Condition, Disposition, allowed_dispositions
from counter.trust.carddata import contains_card_data, has_card_data
from counter.trust.entry_fields import (
    MAX_MINOR as MAX_MINOR,  # re-exported: the tests and HQ name it here
    Broken as _Broken,
    check_tender,
    dict_field as _dict,
    int_field as _int,
    list_field as _list,
    str_field as _str,
    where_at as _where,
)
from counter.trust.void_rules import PART_PAYMENT_TAKEN, SALE_VOIDED, check_part_payment, check_void

#: Units of one line.
MAX_QTY = 100_000
MAX_LINES = 2_000
MAX_TENDERS = 100
#: Cash rounding of one sale, in minor units (half the largest smallest coin in use).
MAX_ROUNDING = 500
#: Minor units one visit's line may refund above its proportional share: the cumulative
#: proration of a lane that did not yet know of another lane's return rounds twice.
SLACK = 2

SALE_COMPLETED = "SaleCompleted"
RETURN_PROCESSED = "ReturnProcessed"


class EntryRefused(Exception):
    """An entry that breaks a rule: ``rule`` is a short code, ``message`` says what."""

    def __init__(self, seq: int, rule: str, message: str) -> None:
        super().__init__(f"Entry {seq}: {message}")
        self.seq = seq
        self.rule = rule
        self.message = f"Entry {seq} breaks the rule '{rule}': {message}"


@dataclass(frozen=True)
class SoldLine:
    line_id: str
    sku: str
    name: str
    quantity: int
    amount: int
    tax: int
    gross: int


@dataclass(frozen=True)
class HeldSale:
    """A sale as the checker knows it (from HQ's tables, or earlier in the same batch)."""

    sale_id: str
    receipt_number: str
    store_id: str
    prices_include_tax: bool
    lines: Mapping[str, SoldLine]
    tenders: tuple[int, ...]  # each tender's amount, in tender order (seq 1, 2, ...)


@dataclass
class LineLedger:
    quantity: int = 0
    amount: int = 0
    tax: int = 0
    gross: int = 0
    visits: int = 0  # how many returns took from the line


@dataclass
class SaleLedger:
    """What the recorded returns of one sale took back, per line and per original tender."""

    lines: dict[str, LineLedger] = field(default_factory=dict)
    refunded: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reserved:
    """What HQ reserved (and computed) for one line of one return."""

    quantity: int
    amount: int
    tax: int
    gross: int


# ------------------------------------------------------------------------- helpers


def _rate(value: Any, where: str, at: str | None = None) -> None:
    where = _where(where, at)
    _str(value, where, 16)
    try:
        rate = Decimal(value)
    except InvalidOperation:
        raise _Broken("bad_number", f"{where} is not a decimal number") from None
    if not rate.is_finite() or not Decimal(0) <= rate < Decimal(10):
        raise _Broken("out_of_range", f"{where} must be a rate from 0 up to 10")


def _share(total: int, k: int, q: int) -> int:
    """The proportional share of k of q units of ``total``, rounded up."""
    return -((-total * k) // q)


def body_has_card_data(raw: str, body: Any) -> bool:
    """True when any text in the entry's body holds a card number or stripe track.
    Fast path: the body's JSON text is searched once; only when it holds an escape, or
    seems to hold card data (a number of card length, say), is every string looked at."""
    if "\\" not in raw and not has_card_data(raw):
        return False
    return contains_card_data(body)


# ---------------------------------------------------------------------------- sales


def check_sale(body: Any, store_id: str) -> HeldSale:
    """A SaleCompleted body that adds up, as a ``HeldSale``; ``_Broken`` otherwise."""
    b = _dict(body, "the body")
    sale_id = _str(b.get("sale_id"), "sale_id", 36)
    receipt = _str(b.get("receipt_number"), "receipt_number", 32)
    if b.get("store") != store_id:
        raise _Broken("another_store", f"the sale names store {b.get('store')!r}, not this lane's store {store_id}")
    _str(b.get("cashier"), "cashier", 36)
    _str(b.get("currency"), "currency", 3)
    inclusive = b.get("prices_include_tax")
    if type(inclusive) is not bool:
        raise _Broken("bad_shape", "prices_include_tax must be true or false")
    _str(b.get("customer_id"), "customer_id", 36, optional=True)
    _str(b.get("exchange_id"), "exchange_id", 36, optional=True)
    lines: dict[str, SoldLine] = {}
    tax_by_code: dict[str, int] = {}
    amount_by_code: dict[str, int] = {}
    for n, raw_line in enumerate(_list(b.get("lines"), "lines", MAX_LINES), start=1):
        ln = _dict(raw_line, f"line {n}")
        at = f"line {n}"
        line_id = _str(ln.get("line_id"), "line_id", 36, at=at)
        assert line_id is not None
        if line_id in lines:
            raise _Broken("duplicate_id", f"{at} repeats the line id {line_id}")
        _str(ln.get("item_id"), "item_id", 36, at=at)
        sku = _str(ln.get("sku"), "sku", 48, at=at)
        name = _str(ln.get("name"), "name", 200, at=at)
        qty = _int(ln.get("qty"), "qty", low=1, high=MAX_QTY, at=at)
        unit = _int(ln.get("unit_price"), "unit_price", at=at)
        line_off = _int(ln.get("line_discount"), "line_discount", at=at)
        order_off = _int(ln.get("order_discount"), "order_discount", at=at)
        amount = _int(ln.get("amount"), "amount", at=at)
        tax = _int(ln.get("tax"), "tax", at=at)
        gross = _int(ln.get("gross"), "gross", at=at)
        code = _str(ln.get("tax_code"), "tax_code", 4, at=at)
        assert code is not None
        _rate(ln.get("tax_rate"), "tax_rate", at=at)
        if unit * qty - line_off - order_off != amount:
            raise _Broken(
                "line_total",
                f"{at}: {qty} × {unit} less discounts {line_off} and {order_off} is not its amount {amount}",
            )
        expected = amount if inclusive else amount + tax
        if gross != expected or (inclusive and tax > amount):
            mode = "amount (prices include tax)" if inclusive else "amount + tax (prices exclude tax)"
            raise _Broken("line_total", f"{at}: gross {gross} is not its {mode}")
        lines[line_id] = SoldLine(line_id, sku or "", name or "", qty, amount, tax, gross)
        tax_by_code[code] = tax_by_code.get(code, 0) + tax
        amount_by_code[code] = amount_by_code.get(code, 0) + amount
    _check_taxes(b.get("taxes"), tax_by_code, amount_by_code, inclusive)
    total = _int(b.get("total"), "total")
    gross_sum = sum(ln.gross for ln in lines.values())
    if total != gross_sum:
        raise _Broken("sale_total", f"the total {total} is not the sum of the lines' gross {gross_sum}")
    rounding = _int(b.get("rounding"), "rounding", low=-MAX_ROUNDING, high=MAX_ROUNDING)
    tenders = _check_tenders(b.get("tenders"), total + rounding)
    _int(b.get("part_payments", 0), "part_payments", high=len(tenders))  # journaled as taken (void_rules)
    assert sale_id is not None and receipt is not None
    return HeldSale(sale_id, receipt, store_id, inclusive, lines, tenders)


def _check_taxes(value: Any, tax_by_code: dict[str, int], amount_by_code: dict[str, int], inclusive: bool) -> None:
    seen: set[str] = set()
    for n, raw in enumerate(_list(value, "taxes", MAX_LINES, empty=True), start=1):
        t = _dict(raw, f"tax {n}")
        code = _str(t.get("code"), f"tax {n} code", 4)
        assert code is not None
        _rate(t.get("rate"), f"tax {n} rate")
        base = _int(t.get("base"), f"tax {n} base")
        tax = _int(t.get("tax"), f"tax {n} tax")
        if code in seen or code not in tax_by_code:
            raise _Broken("sale_taxes", f"tax {n} (code {code}) is repeated or matches no line")
        seen.add(code)
        expected_base = amount_by_code[code] - tax if inclusive else amount_by_code[code]
        if tax != tax_by_code[code] or base != expected_base:
            raise _Broken(
                "sale_taxes",
                f"tax {code}: {tax} on {base} does not match its lines ({tax_by_code[code]} on {expected_base})",
            )
    if seen != set(tax_by_code):
        raise _Broken(
            "sale_taxes", f"the tax summary leaves out the code(s) {', '.join(sorted(set(tax_by_code) - seen))}"
        )


def _check_tenders(value: Any, due: int) -> tuple[int, ...]:
    amounts: list[int] = []
    for n, raw in enumerate(_list(value, "tenders", MAX_TENDERS), start=1):
        amounts.append(check_tender(raw, f"tender {n}"))
    if sum(amounts) != due:
        raise _Broken("settlement", f"the tenders pay {sum(amounts)}, the total with rounding is {due}")
    return tuple(amounts)


# -------------------------------------------------------------------------- returns


def check_return(
    body: Any,
    store_id: str,
    sale: HeldSale | None,
    ledger: SaleLedger | None,
    reserved: Mapping[str, Reserved] | None,
) -> None:
    """A ReturnProcessed body that follows from ``sale`` (None: a return without receipt,
    or of a sale the checker does not hold yet) and the ``ledger`` of what was returned of
    it before; ``reserved``: what HQ reserved for this return, if it did. ``ledger`` is
    advanced by this return when the rules hold."""
    b = _dict(body, "the body")
    _str(b.get("return_id"), "return_id", 36)
    _str(b.get("return_number"), "return_number", 32)
    sale_id = _str(b.get("original_sale_id"), "original_sale_id", 36, optional=True)
    _str(b.get("original_receipt"), "original_receipt", 32, optional=True)
    _str(b.get("customer_id"), "customer_id", 36, optional=True)
    _str(b.get("voucher"), "voucher", 16, optional=True)
    _check_customer_key(b)
    if sale is not None and sale.store_id != store_id:
        raise _Broken(
            "another_store", f"the return names a sale of store {sale.store_id}; a lane returns its own store's sales"
        )
    lines = _list(b.get("lines"), "lines", MAX_LINES)
    taken: dict[str, LineLedger] = {}
    value, fees = 0, 0
    for n, raw in enumerate(lines, start=1):
        ln = _dict(raw, f"line {n}")
        at = f"line {n}"
        line_id = _str(ln.get("sale_line_id"), "sale_line_id", 36, optional=True, at=at)
        _str(ln.get("item_id"), "item_id", 36, at=at)
        qty = _int(ln.get("qty"), "qty", low=1, high=MAX_QTY, at=at)
        amount = _int(ln.get("amount"), "amount", at=at)
        tax = _int(ln.get("tax"), "tax", at=at)
        gross = _int(ln.get("gross"), "gross", at=at)
        fee = _int(ln.get("fee", 0), "fee", at=at)
        if fee > gross:
            raise _Broken("return_line", f"{at}: the fee {fee} is larger than the refund {gross}")
        _check_disposition(ln.get("condition"), ln.get("disposition"), at)
        inclusive = sale.prices_include_tax if sale is not None else gross == amount
        if gross != (amount if inclusive else amount + tax) or tax > gross:
            raise _Broken("return_line", f"{at}: gross {gross} does not follow from amount {amount} and tax {tax}")
        value += gross - fee
        fees += fee
        if line_id is None:
            continue
        if sale_id is None:
            raise _Broken("unknown_line", f"{at} names a sale line but the return names no sale")
        acc = taken.setdefault(line_id, LineLedger())
        acc.quantity += qty
        acc.amount += amount
        acc.tax += tax
        acc.gross += gross
    if sale is not None:
        _check_against_sale(sale, taken, ledger or SaleLedger(), reserved)
    refund_total = _int(b.get("refund_total"), "refund_total")
    if refund_total != value:
        raise _Broken("refund_total", f"refund_total {refund_total} is not the lines' refunds less fees ({value})")
    if _int(b.get("fee_total", 0), "fee_total") != fees:
        raise _Broken("refund_total", f"fee_total is not the sum of the lines' fees ({fees})")
    credit = _int(b.get("exchange_credit", 0), "exchange_credit")
    refunds = _list(b.get("refunds", []), "refunds", MAX_TENDERS, empty=True)
    to_tender: dict[int, int] = {}
    paid_out = 0
    for n, raw in enumerate(refunds, start=1):
        p = _dict(raw, f"refund {n}")
        _str(p.get("kind"), f"refund {n} kind", 16)
        amount = _int(p.get("amount"), f"refund {n} amount")
        _str(p.get("reference"), f"refund {n} reference", 64, optional=True, empty=True)
        paid_out += amount
        original = p.get("original_tender")
        if original is None:
            continue
        seq = _int(original, f"refund {n} original_tender", low=1, high=MAX_TENDERS)
        if sale is None or sale_id is None:
            if sale_id is None:
                raise _Broken("refunds", f"refund {n} names an original tender but the return names no sale")
            continue
        if seq > len(sale.tenders):
            raise _Broken("refunds", f"refund {n} names tender {seq}; the sale has {len(sale.tenders)}")
        to_tender[seq] = to_tender.get(seq, 0) + amount
        if to_tender[seq] > sale.tenders[seq - 1]:
            raise _Broken(
                "refunds", f"tender {seq} is refunded {to_tender[seq]}, more than the {sale.tenders[seq - 1]} it paid"
            )
    if paid_out + credit != refund_total:
        raise _Broken(
            "refunds",
            f"the refunds ({paid_out}) and exchange credit ({credit}) do not make refund_total {refund_total}",
        )
    if ledger is not None:
        for line_id, t in taken.items():
            acc = ledger.lines.setdefault(line_id, LineLedger())
            acc.quantity += t.quantity
            acc.amount += t.amount
            acc.tax += t.tax
            acc.gross += t.gross
            acc.visits += 1
        for seq, amount in to_tender.items():
            ledger.refunded[seq] = ledger.refunded.get(seq, 0) + amount


def _check_customer_key(b: dict[str, Any]) -> None:
    """The ID document's key is a SHA-256 (never the ID's number), and a return without a
    receipt states the limit it was taken under (``counter.returns.customer_limit.limit_note``)."""
    key = _str(b.get("customer_key"), "customer_key", 64, optional=True)
    if key is not None and not (len(key) == 64 and all(c in "0123456789abcdef" for c in key)):
        raise _Broken("customer_key", "customer_key must be the ID document's key (64 hex digits), never the ID")
    note = b.get("no_receipt_limit")
    if note is not None:
        n = _dict(note, "no_receipt_limit")
        _int(n.get("limit"), "no_receipt_limit limit")
        _int(n.get("window_days"), "no_receipt_limit window_days", high=MAX_WINDOW_DAYS)
        _int(n.get("before"), "no_receipt_limit before")


def _check_disposition(condition: Any, disposition: Any, at: str) -> None:
    """A returned unit goes where its condition allows: a defective or damaged one never
    back to stock as new. ("damaged" is what lanes recorded for a damaged unit before "scrap".)"""
    try:
        cond, goes = Condition(condition), Disposition(disposition)
    except ValueError:
        raise _Broken(
            "return_line", f"{at}: condition {condition!r} or disposition {disposition!r} is not one Counter knows"
        ) from None
    if goes not in allowed_dispositions(cond) and (cond, goes) != (Condition.DAMAGED, Disposition.DAMAGED):
        article = "an" if str(cond)[0] in "aeiou" else "a"
        raise _Broken("return_line", f"{at}: {article} {cond} unit cannot go to {goes}")


def _check_against_sale(
    sale: HeldSale, taken: Mapping[str, LineLedger], ledger: SaleLedger, reserved: Mapping[str, Reserved] | None
) -> None:
    for line_id, t in taken.items():
        sold = sale.lines.get(line_id)
        if sold is None:
            raise _Broken("unknown_line", f"sale line {line_id} is not on receipt {sale.receipt_number}")
        item = f"{sold.name} ({sold.sku}) on receipt {sale.receipt_number}"
        if t.quantity > sold.quantity:
            raise _Broken("over_return", f"{t.quantity} of {item} returned in one visit; {sold.quantity} were sold")
        for what, got, total in (
            ("amount", t.amount, sold.amount),
            ("tax", t.tax, sold.tax),
            ("gross", t.gross, sold.gross),
        ):
            cap = _share(total, t.quantity, sold.quantity) + SLACK
            if got > min(cap, total):
                raise _Broken(
                    "over_refund",
                    f"{t.quantity} of {item} refund {what} {got}; their share of what was paid is {min(cap, total)}",
                )
        before = ledger.lines.get(line_id, LineLedger())
        upto = before.quantity + t.quantity
        if upto <= sold.quantity:
            # Within what was sold, the line's refunds so far stay within the share of the
            # units back, up to a rounding per visit (a lane that did not know of another
            # lane's return prorates from its own ledger). Beyond it: an over-return, kept
            # and reported (see the module's docstring).
            visits = before.visits + 1
            for what, done, got, total in (
                ("amount", before.amount, t.amount, sold.amount),
                ("tax", before.tax, t.tax, sold.tax),
                ("gross", before.gross, t.gross, sold.gross),
            ):
                cap = _share(total, upto, sold.quantity) + SLACK * visits
                if done + got > cap:
                    raise _Broken(
                        "over_refund",
                        f"{item}: {upto} of {sold.quantity} back would have refunded {what} {done + got}; "
                        f"their share of what was paid is {_share(total, upto, sold.quantity)}",
                    )
        if reserved:
            r = reserved.get(line_id)
            if r is None or t.quantity > r.quantity or t.gross > r.gross:
                raise _Broken("not_reserved", f"{item}: the return takes more than HQ reserved for it")


# ------------------------------------------------------------------ other projected


def check_people_fields(kind: str, body: Any) -> None:
    """The fields HQ's people projection reads from the other events (customers,
    store-credit issues and redemptions): right type, bounded."""
    b = _dict(body, "the body")
    if kind == "CustomerCreated":
        _str(b.get("customer_id"), "customer_id", 36)
        _str(b.get("user", ""), "user", 36, empty=True)
        return
    _str(b.get("customer_id"), "customer_id", 36, optional=True)
    if kind == "BillAdjusted":
        _str(b.get("number"), "number", 32)
        _str(b.get("adjustment_id"), "adjustment_id", 36)
        _str(b.get("voucher"), "voucher", 16, optional=True)
        for n, p in enumerate(_list(b.get("refunds", []), "refunds", MAX_TENDERS, empty=True), start=1):
            _int(_dict(p, f"refund {n}").get("amount"), f"refund {n} amount", low=-(MAX_MINOR - 1))
    elif kind == "OrderCancelled":
        _str(b.get("number"), "number", 32)
        _str(b.get("order_id"), "order_id", 36)
        refund = b.get("refund")
        if refund:
            for n, p in enumerate(
                _list(_dict(refund, "refund").get("tenders", []), "refund tenders", MAX_TENDERS, empty=True), start=1
            ):
                p = _dict(p, f"refund tender {n}")
                _int(p.get("amount"), f"refund tender {n} amount", low=-(MAX_MINOR - 1))
                _str(p.get("reference"), f"refund tender {n} reference", 64, optional=True, empty=True)
    _check_payments(b, 0)


def _check_payments(node: Any, depth: int) -> None:
    """Every desk payment (a dict with ``payment_id``) and store-credit tender in the body."""
    if depth > 32:
        raise _Broken("bad_shape", "the body is nested too deeply")
    if type(node) is dict:
        if "payment_id" in node:
            _str(node["payment_id"], "payment_id", 36)
            _str(node.get("number") or node.get("payment_number") or "", "payment number", 32, empty=True)
        if node.get("kind") == "store_credit" and node.get("voucher"):
            _str(node["voucher"], "voucher", 16)
            _int(node.get("amount", 0), "store-credit amount", low=-(MAX_MINOR - 1))
        for value in node.values():
            if type(value) in (dict, list):
                _check_payments(value, depth + 1)
    elif type(node) is list:
        for value in node:
            _check_payments(value, depth + 1)


PEOPLE_KINDS = frozenset(
    {
        "CustomerCreated",
        "BillAdjusted",
        "OrderOpened",
        "OrderPaymentTaken",
        "OrderPickedUp",
        "OrderCancelled",
        "AccountPaymentTaken",
    }
)


# ---------------------------------------------------------------------------- batch


class BatchRules:
    """The rules over one lane's batch, in order: each sale is checked and then known to
    the returns after it; each return advances its sale's ledger for the next.

    ``held``: the sales HQ holds that the batch's returns name; ``ledgers``: what their
    recorded returns took back; ``reserved``: HQ's reservations by return id;
    ``taken_ids``: sale ids, receipt numbers and return ids HQ already holds."""

    def __init__(
        self,
        store_id: str,
        held: Mapping[str, HeldSale] | None = None,
        ledgers: Mapping[str, SaleLedger] | None = None,
        reserved: Mapping[str, Mapping[str, Reserved]] | None = None,
    ) -> None:
        self.store_id = store_id
        self.sales: dict[str, HeldSale] = dict(held or {})
        self.ledgers: dict[str, SaleLedger] = dict(ledgers or {})
        self.reserved = reserved or {}
        self._ids: set[str] = set()

    def check(self, seq: int, kind: str, raw: str, body: Any) -> None:
        try:
            if body_has_card_data(raw, body):
                raise _Broken("card_data", "it holds what looks like a payment card number")
            if kind == SALE_COMPLETED:
                sold = check_sale(body, self.store_id)
                self._fresh(
                    f"sale {sold.sale_id}", f"receipt {sold.receipt_number}", *(f"line {i}" for i in sold.lines)
                )
                self.sales[sold.sale_id] = sold
                self.ledgers.setdefault(sold.sale_id, SaleLedger())
            elif kind == RETURN_PROCESSED:
                b = _dict(body, "the body")
                sale_id, return_id = b.get("original_sale_id"), b.get("return_id")
                sale = self.sales.get(sale_id) if type(sale_id) is str else None
                ledger = self.ledgers.setdefault(sale.sale_id, SaleLedger()) if sale is not None else None
                reserved = self.reserved.get(return_id) if type(return_id) is str and b.get("hq_reserved") else None
                check_return(b, self.store_id, sale, ledger, reserved)
                self._fresh(f"return {return_id}")
            elif kind in PEOPLE_KINDS:
                check_people_fields(kind, body)
            elif kind == PART_PAYMENT_TAKEN:
                check_part_payment(body)
            elif kind == SALE_VOIDED:
                check_void(body)
        except _Broken as exc:
            raise EntryRefused(seq, exc.rule, exc.message) from None
        except RecursionError:
            raise EntryRefused(seq, "bad_shape", "the body is nested too deeply") from None

    def _fresh(self, *ids: str) -> None:
        for key in ids:
            if key in self._ids:
                raise _Broken("duplicate_id", f"{key} appears twice in this batch")
            self._ids.add(key)


def return_sale_ids(kinds: Sequence[str], bodies: Sequence[Any]) -> set[str]:
    """The sale ids the batch's returns name (to load what the checker needs)."""
    out: set[str] = set()
    for kind, body in zip(kinds, bodies, strict=True):
        if kind == RETURN_PROCESSED and type(body) is dict and type(body.get("original_sale_id")) is str:
            out.add(body["original_sale_id"])
    return out
