"""The sale commit path made cheaper (docs/benchmarks.md, "The terminal at store scale"):
prebuilt inserts with executemany, one serialisation of the journal body for its hash and
its storage, the receipt counter in one statement, the card-data guard's quick test on the
shape of the text. Each keeps what it replaced: these tests hold the rows, bodies, hashes,
seals, rollback and the guard's answers to the definitions they came from."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from counter.barcodes import CodeKind, ScannedCode, read_code
from counter.journal import GENESIS, EventType, canonical, chain_hash, envelope, make_entry, verify
from counter.sales.cart import Cart, CartLine
from counter.sales.checkout import CompleteSale, complete_sale
from counter.sales.tenders import CardDetails, Payment
from counter.trust.carddata import CardDataRefused, contains_card_data, has_card_data, luhn_ok
from db import schema as s
from db.audit import audit_store
from db.engine import may_hold_card_data, text_may_hold_card_data, texts_that_may_hold_card_data
from db.uow import load_sale
from tests.db.support import TestStore

AT = datetime(2026, 11, 25, 14, 5, 9, 123456, tzinfo=UTC)


def count(shop: TestStore, table: Any) -> int:
    with shop.db.read.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def receipt_counter(shop: TestStore) -> int:
    with shop.db.read.connect() as conn:
        return int(
            conn.execute(
                select(s.counters.c.value).where(
                    s.counters.c.terminal_id == shop.terminal.terminal_id, s.counters.c.name == "receipt"
                )
            ).scalar_one()
        )


def ten_line_sale(shop: TestStore) -> tuple[CompleteSale, Cart]:
    cart = Cart(shop.cfg.currency, shop.cfg.prices_include_tax)
    for n in range(10):
        cart.add(shop.item_in(("apparel", "electronics", "grocery")[n % 3], n), 1 + n % 3)
    payment = Payment(cart.total, shop.cfg.currency, shop.cfg.smallest_coin)
    payment.add_cash(Decimal(int(cart.total) // 2), part_payment=True)
    payment.add_card(payment.remaining, CardDetails.checked("Visa", "4242", "A1B2C3"))
    return CompleteSale(shop.user("Maria"), list(cart.lines), None, list(payment.tenders), payment.rounding), cart


def sell(shop: TestStore, cmd: CompleteSale) -> Any:
    return complete_sale(cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal)


def test_a_sale_writes_the_rows_and_the_entry_its_definitions_give(shop: TestStore) -> None:
    shop.clock.moment = AT
    cmd, _ = ten_line_sale(shop)
    before = receipt_counter(shop)
    sale = sell(shop, cmd)
    m = sale.currency.to_minor
    assert receipt_counter(shop) == before + 1
    assert sale.receipt_number == shop.terminal.receipt_number(before + 1)
    with shop.db.read.connect() as conn:
        # Everything the old SQLAlchemy inserts stored reads back into the same Sale.
        assert load_sale(conn, sale.receipt_number) == sale
        row = conn.execute(select(s.sales).where(s.sales.c.id == sale.id)).mappings().one()
        entry = (
            conn.execute(
                select(s.journal).where(s.journal.c.terminal_id == sale.terminal_id).order_by(s.journal.c.seq.desc())
            )
            .mappings()
            .first()
        )
        prev = conn.execute(
            select(s.journal.c.hash).where(
                s.journal.c.terminal_id == sale.terminal_id, s.journal.c.seq == entry["seq"] - 1
            )
        ).scalar_one()
    assert (row["subtotal_minor"], row["discount_minor"], row["tax_minor"], row["total_minor"]) == (
        m(sale.subtotal),
        m(sale.discount_total),
        m(sale.tax_total),
        m(sale.total),
    )
    assert (row["rounding_minor"], row["change_minor"], row["completed_at"]) == (
        m(sale.rounding),
        m(sale.change),
        "2026-11-25T14:05:09.123456Z",
    )
    assert row["prices_include_tax"] == sale.prices_include_tax
    # The journal entry: the body byte for byte as canonical() writes Sale.journal_body(),
    # the hash as chain_hash() of the whole envelope, the seal as the installation key's.
    assert entry["type"] == "SaleCompleted"
    assert entry["body"] == canonical(sale.journal_body()).decode("utf-8")
    assert entry["prev_hash"] == prev
    env = envelope(entry["terminal_id"], entry["seq"], entry["id"], entry["type"], entry["at"], sale.journal_body())
    assert entry["hash"] == chain_hash(prev, env)
    assert entry["seal"] == shop.db.require_secret().seal(entry["terminal_id"], entry["seq"], entry["hash"])
    assert audit_store(shop.db.read, shop.db.secret).ok


def test_receipt_numbers_count_on_and_a_new_series_starts_at_one(shop: TestStore) -> None:
    with shop.uow() as uow:
        first = uow.receipt_numbers.next("bench-series")
        second = uow.receipt_numbers.next("bench-series")
        uow.commit()
    assert (first, second) == (shop.terminal.receipt_number(1), shop.terminal.receipt_number(2))
    with shop.uow() as uow:
        uow.receipt_numbers.next("bench-series")  # not committed: the number is not used up
    with shop.uow() as uow:
        assert uow.receipt_numbers.next("bench-series") == shop.terminal.receipt_number(3)


@pytest.mark.parametrize("where", ["lines", "tenders"])
def test_a_failure_in_the_middle_of_a_sale_leaves_nothing(shop: TestStore, where: str) -> None:
    cmd, _ = ten_line_sale(shop)
    if where == "lines":  # the same line twice: the second sale_lines row breaks the primary key
        lines = [*cmd.lines, cmd.lines[0]]
        cart = Cart(shop.cfg.currency, shop.cfg.prices_include_tax)
        for ln in lines:
            cart.lines.append(CartLine(ln.item, ln.quantity, ln.id))
        payment = Payment(cart.total, shop.cfg.currency, shop.cfg.smallest_coin)
        payment.add_cash(payment.cash_due)
        cmd = CompleteSale(cmd.cashier, cart.lines, None, list(payment.tenders), payment.rounding)
        expected: type[Exception] = IntegrityError  # SQLAlchemy's, as the unit of work handles (db/driver_sql.py)
    else:  # a card number typed as the approval code: the guard refuses the tenders' insert
        card = cmd.tenders[1]
        bad = type(card)(card.kind, card.amount, card.tendered, CardDetails("Visa", "4242", "4111111111111111"))
        cmd = CompleteSale(cmd.cashier, cmd.lines, None, [cmd.tenders[0], bad], cmd.rounding)
        expected = CardDataRefused
    tables = (s.sales, s.sale_lines, s.sale_taxes, s.tenders, s.journal)
    before = [count(shop, t) for t in tables]
    number = receipt_counter(shop)
    with pytest.raises(expected):
        sell(shop, cmd)
    assert [count(shop, t) for t in tables] == before
    assert receipt_counter(shop) == number
    assert audit_store(shop.db.read, shop.db.secret).ok
    sell(shop, ten_line_sale(shop)[0])  # and the next sale goes through
    assert receipt_counter(shop) == number + 1


# -- the journal entry: one serialisation of the body, the same bytes and hash as before


def reference_entry(terminal: str, seq: int, entry_id: str, type_: str, body: dict[str, Any], prev: str) -> tuple:
    """make_entry as it was: the body serialised alone, then again inside the envelope."""
    env = envelope(terminal, seq, entry_id, type_, "2026-11-25T14:05:09.123456Z", body)
    return canonical(body).decode("utf-8"), chain_hash(prev, env)


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**15), max_value=10**15) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(texts, json_values, max_size=6), terminal=texts, entry_id=texts, seq=st.integers(1, 10**9))
def test_make_entry_gives_the_bytes_and_hash_of_the_two_pass_serialisation(
    body: dict[str, Any], terminal: str, entry_id: str, seq: int
) -> None:
    e = make_entry(terminal, seq, entry_id, EventType.SALE_COMPLETED, AT, body, GENESIS)
    assert (e.body, e.hash) == reference_entry(terminal, seq, entry_id, "SaleCompleted", body, GENESIS)
    assert verify([e], after_seq=seq - 1).ok


def test_make_entry_of_a_sale_body_and_odd_fields() -> None:
    body = {"name": 'Café "Ü" \\ \u2028 😀', "lines": [{"qty": 2, "tax_rate": "0.0825"}], "t": (1, None, True)}
    e = make_entry("T01", 7, "id-7", "SaleCompleted", AT, body, "a" * 64)
    assert (e.body, e.hash) == reference_entry("T01", 7, "id-7", "SaleCompleted", body, "a" * 64)
    # An int subclass or a non-str field goes the long way, with the same answer.
    odd = make_entry("T01", True, "x", "NoteTaken", AT, {"n": 1}, GENESIS)  # bool is JSON true
    assert odd.hash == chain_hash(GENESIS, envelope("T01", True, "x", "NoteTaken", odd.at, {"n": 1}))
    with pytest.raises(TypeError):
        make_entry("T01", 1, "x", "NoteTaken", AT, {"amount": 1.5}, GENESIS)
    with pytest.raises(TypeError):
        make_entry("T01", 1, "x", "NoteTaken", AT, {"amount": [Decimal("1.50")]}, GENESIS)
    with pytest.raises(TypeError):
        make_entry("T01", 1, "x", "NoteTaken", AT, {"nested": {1: "int key"}}, GENESIS)
    with pytest.raises(TypeError):
        make_entry("T01", 1.0, "x", "NoteTaken", AT, {}, GENESIS)  # type: ignore[arg-type]


# -- the card-data guard: the quick test lets through everything the full check would find


def luhn_number(rng: random.Random, size: int) -> str:
    while True:
        digits = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(size - 1))
        if luhn_ok(digits):
            return digits


def grouped(rng: random.Random, digits: str) -> str:
    """The digits in groups: mostly as cards print them (4 4 4 4, 4 6 5), else at random."""
    groups, pos = [], 0
    card_like = rng.random() < 0.6
    while pos < len(digits):
        size = rng.choice((4, 4, 4, 5, 6)) if card_like else rng.choice((2, 3, 4, 4, 5, 6, 7))
        if card_like and len(digits) - pos - size in (1, 2):
            size = len(digits) - pos
        groups.append(digits[pos : pos + size])
        pos += size
    seps = (" ", "-") if card_like else (" ", "-", "  ", "")
    return "".join(g + rng.choice(seps) for g in groups).rstrip(" -")


def test_the_quick_test_lets_every_card_number_through_to_the_full_check() -> None:
    rng = random.Random(9)
    alphabet = string.digits + " -aZ_é٣^=;%B?.\x00"
    found = grouped_found = 0
    for _ in range(60_000):
        noise = lambda k: "".join(rng.choice(alphabet) for _ in range(rng.randrange(k)))  # noqa: E731
        if rng.random() < 0.3:
            text = noise(40)
        else:
            number = luhn_number(rng, rng.randrange(13, 20))
            text = noise(6) + (grouped(rng, number) if rng.random() < 0.7 else number) + noise(6)
        if has_card_data(text):
            found += 1
            grouped_found += any(sep in text.strip(" -") for sep in " -")
            assert text_may_hold_card_data(text), repr(text)
    # the generator really makes card numbers the full check finds, grouped ones too
    assert found > 5_000 and grouped_found > 2_000, (found, grouped_found)


@pytest.mark.parametrize(
    "params",
    [
        ("4111 1111 1111 1111",),
        [("a", 1, None), ("x", "4111-1111-1111-1111")],
        {"k": ["%B4111111111111111^DOE/JOHN^2512101?"]},
        ("note: 4111111111111111 and more", b"4111111111111111"),
        ("7b622017-9085-4672-a7bc-6b0c39739b66", "12345", "2026-11-25T14:05:09.123456Z"),
        ("0077681000612", "4000 1234 5678 9010"),
        [],
    ],
)
def test_the_guard_answers_as_contains_card_data(params: Any) -> None:
    refused = any(has_card_data(t) for t in texts_that_may_hold_card_data(params))
    assert refused == contains_card_data(params)
    assert may_hold_card_data(params) or not contains_card_data(params)


def test_uuids_and_hashes_mostly_skip_the_full_check() -> None:
    import hashlib
    import uuid

    rng = random.Random(4)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(2000)]
    hashes = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(2000)]
    assert sum(text_may_hold_card_data(t) for t in ids) < 10  # 13-digit runs of a UUID's groups were ~2 %
    assert sum(text_may_hold_card_data(t) for t in hashes) < 400  # 13 digits in a row: ~10 % of SHA-256
    assert not any(has_card_data(t) for t in ids + hashes)


# -- barcode look-up: the kept Decimal of a price is the price


def test_a_price_change_is_seen_by_the_next_scan(shop: TestStore) -> None:
    item = shop.item_in("grocery")
    assert item.barcode
    code = read_code(item.barcode)
    assert code.kind is CodeKind.GTIN
    again = shop.catalog.by_code(code)
    assert again == item and again.price == shop.cfg.currency.from_minor(shop.cfg.currency.to_minor(item.price))
    with shop.db.write.begin() as conn:
        conn.execute(update(s.items).where(s.items.c.id == item.id).values(price_minor=123456))
    changed = shop.catalog.by_code(ScannedCode(CodeKind.SKU, item.sku, item.sku))
    assert changed is not None and changed.price == Decimal("1234.56")
    assert changed.price.as_tuple().exponent == -2  # as Currency.from_minor gives it
