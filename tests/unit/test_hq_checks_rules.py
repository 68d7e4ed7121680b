"""hq.checks at its edges: what HQ reads from its own tables to check a pushed batch (the
sales a batch's returns name, what earlier returns took of each line, HQ's reservations),
the refusal it sends (422 ``entry_refused``, naming the entry, the rule and what to do),
and how a unique key HQ already holds becomes the same refusal.

HQ's tables are made from ``hq.schema`` in an in-memory SQLite database: the look-ups are
plain SQLAlchemy Core, the same on PostgreSQL (tests/hq runs them there, end to end). The
sale is the one of tests/unit/test_entry_rules_rules.py: 2 kettles (amount 1850, tax 153,
gross 2003) and 1 mug (500, untaxed), paid 2000 cash and 500 card."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, insert
from sqlalchemy.exc import IntegrityError

from counter.journal import GENESIS, JournalEntry, make_entry
from counter.trust.entry_rules import HeldSale, LineLedger, Reserved, SaleLedger, SoldLine
from hq import checks, schema as s
from hq.chain import PushRefused
from tests.unit.test_entry_rules_rules import L1, L2, RET, SALE, held, return_body, sale_body

WHAT_TO_DO = (
    "Nothing of this push was stored and HQ raised an alert. The lane keeps the entry and "
    "retries; call support to look at this lane's journal."
)
OTHER_SALE = "5a1e0000-0000-4000-8000-000000000002"
OL1 = "33333333-0000-4000-8000-000000000003"


@pytest.fixture
def conn() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    s.metadata.create_all(engine, tables=[s.sales, s.sale_lines, s.return_lines, s.return_reservations])
    # the tenders without their primary key: rows come back in the order written unless the
    # query orders them (as from PostgreSQL's heap)
    columns = ", ".join(c.name for c in s.sale_tenders.columns)
    with engine.begin() as c:
        c.exec_driver_sql(f"CREATE TABLE sale_tenders ({columns})")
    with engine.begin() as c:
        yield c
    engine.dispose()


def hold_sale(
    conn: Connection, sale_id: str = SALE, receipt: str = "S01-T01-000042", store: str = "S01", inclusive: bool = False
) -> None:
    """The sale as HQ stores it; its tenders and lines written out of their order."""
    conn.execute(
        insert(s.sales).values(
            id=sale_id, receipt_number=receipt, store_id=store, terminal_id="T01", seq=3, cashier_id="u-1",
            completed_at="2026-12-01T10:00:00.000000Z", currency="USD", prices_include_tax=inclusive,
            total_minor=2503, rounding_minor=-3, body="{}",
        )
    )  # fmt: skip
    if sale_id != SALE:
        return
    line = {"sale_id": sale_id, "item_id": "item", "unit_price_minor": 0, "line_discount_minor": 0}
    line |= {"order_discount_minor": 0, "tax_code": "A", "tax_rate": "0"}
    conn.execute(
        insert(s.sale_lines),
        [
            {**line, "id": L2, "line_no": 2, "sku": "MUG-01", "name": "Mug", "quantity": 1, "amount_minor": 500,
             "tax_minor": 0, "gross_minor": 500},
            {**line, "id": L1, "line_no": 1, "sku": "KET-01", "name": "Kettle", "quantity": 2, "amount_minor": 1850,
             "tax_minor": 153, "gross_minor": 2003},
        ],
    )  # fmt: skip
    conn.execute(
        insert(s.sale_tenders),
        [
            {"sale_id": sale_id, "seq": 2, "kind": "card", "amount_minor": 500, "tendered_minor": 500},
            {"sale_id": sale_id, "seq": 1, "kind": "cash", "amount_minor": 2000, "tendered_minor": 2000},
        ],
    )


def returned(conn: Connection, return_id: str, line_id: str, qty: int, amount: int, tax: int, gross: int) -> None:
    """A return HQ already recorded: one line of it."""
    conn.execute(
        insert(s.return_lines).values(
            return_id=return_id, line_no=1, sale_line_id=line_id, item_id="item", quantity=qty,
            amount_minor=amount, tax_minor=tax, gross_minor=gross, fee_minor=0,
        )
    )  # fmt: skip


def reserve(conn: Connection, return_id: str, line_id: str, qty: int, amount: int, tax: int, gross: int) -> None:
    conn.execute(
        insert(s.return_reservations).values(
            return_id=return_id, sale_line_id=line_id, sale_id=SALE, store_id="S01", terminal_id="T01",
            quantity=qty, amount_minor=amount, tax_minor=tax, gross_minor=gross, state="reserved",
            created_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
    )  # fmt: skip


def entries(*items: tuple[str, dict[str, Any]], first: int = 1) -> tuple[list[JournalEntry], list[Any]]:
    """A lane's batch, chained, from sequence number ``first``; and the bodies HQ parsed."""
    out, prev = [], GENESIS
    for n, (kind, body) in enumerate(items):
        e = make_entry("T01", first + n, f"e-{first + n}", kind, datetime(2026, 12, 1, tzinfo=UTC), body, prev)
        out.append(e)
        prev = e.hash
    return out, [json.loads(e.body) for e in out]


def refusal_of(conn: Any, store: str, batch: tuple[list[JournalEntry], list[Any]]) -> PushRefused:
    with pytest.raises(PushRefused) as info:
        checks.check_batch(conn, store, *batch)
    return info.value


# ------------------------------------------------------------------ what HQ reads


def test_a_held_sale_is_read_with_its_lines_and_its_tenders_in_tender_order(conn: Connection) -> None:
    hold_sale(conn)
    sales, ledgers = checks._held(conn, [SALE])
    assert sales == {SALE: held()}
    assert list(sales[SALE].lines) == [L1, L2]  # in line id order
    assert ledgers == {SALE: SaleLedger()}


def test_an_inclusive_sale_is_held_as_inclusive(conn: Connection) -> None:
    hold_sale(conn, inclusive=True)
    sales, _ = checks._held(conn, [SALE])
    assert sales[SALE].prices_include_tax is True


def test_what_earlier_returns_took_is_summed_per_line_with_the_visits_counted(conn: Connection) -> None:
    hold_sale(conn)
    returned(conn, "r1", L1, 1, 925, 77, 1002)
    returned(conn, "r2", L1, 1, 924, 76, 1000)
    returned(conn, "r3", L2, 1, 500, 0, 500)
    returned(conn, "r4", "a-line-of-another-sale", 7, 7, 7, 7)
    _, ledgers = checks._held(conn, [SALE])
    assert ledgers == {SALE: SaleLedger({L1: LineLedger(2, 1849, 153, 2002, 2), L2: LineLedger(1, 500, 0, 500, 1)})}
    assert all(type(v) is int for v in vars(ledgers[SALE].lines[L1]).values())


def test_a_sale_hq_does_not_hold_is_not_known(conn: Connection) -> None:
    hold_sale(conn)
    assert checks._held(conn, ["no-such-sale"]) == ({}, {})


def test_a_held_sale_without_lines_has_an_empty_ledger(conn: Connection) -> None:
    hold_sale(conn, OTHER_SALE, "S01-T01-000043")
    returned(conn, "r1", L1, 1, 925, 77, 1002)  # a line of a sale not asked for
    sales, ledgers = checks._held(conn, [OTHER_SALE])
    assert sales == {OTHER_SALE: HeldSale(OTHER_SALE, "S01-T01-000043", "S01", False, {}, ())}
    assert ledgers == {OTHER_SALE: SaleLedger()}


def test_several_sales_are_held_each_with_its_own_lines_and_returns(conn: Connection) -> None:
    hold_sale(conn)
    hold_sale(conn, OTHER_SALE, "S02-T01-000001", store="S02")
    conn.execute(
        insert(s.sale_lines).values(
            id=OL1, sale_id=OTHER_SALE, line_no=1, item_id="item", sku="CUP-01", name="Cup", quantity=4,
            unit_price_minor=100, line_discount_minor=0, order_discount_minor=0, amount_minor=400, tax_minor=0,
            gross_minor=400, tax_code="N", tax_rate="0",
        )
    )  # fmt: skip
    conn.execute(
        insert(s.sale_tenders).values(sale_id=OTHER_SALE, seq=1, kind="cash", amount_minor=400, tendered_minor=400)
    )
    returned(conn, "r1", OL1, 3, 300, 0, 300)
    sales, ledgers = checks._held(conn, [SALE, OTHER_SALE])
    assert sales[SALE] == held()
    assert sales[OTHER_SALE] == HeldSale(
        OTHER_SALE, "S02-T01-000001", "S02", False, {OL1: SoldLine(OL1, "CUP-01", "Cup", 4, 400, 0, 400)}, (400,)
    )
    assert ledgers == {SALE: SaleLedger(), OTHER_SALE: SaleLedger({OL1: LineLedger(3, 300, 0, 300, 1)})}


def test_reservations_are_read_per_return_and_line(conn: Connection) -> None:
    reserve(conn, RET, L1, 1, 925, 77, 1002)
    reserve(conn, RET, L2, 1, 500, 0, 500)
    reserve(conn, "another-return", L1, 2, 1, 2, 3)
    assert checks._reserved(conn, [RET]) == {RET: {L1: Reserved(1, 925, 77, 1002), L2: Reserved(1, 500, 0, 500)}}
    assert checks._reserved(conn, ["none-here"]) == {}
    assert type(checks._reserved(conn, [RET])) is dict


def test_no_return_ids_read_nothing() -> None:
    assert checks._reserved(None, []) == {}  # type: ignore[arg-type]  # no connection needed


# ------------------------------------------------------------------ the batch


class NoQueries:
    def execute(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a batch without returns reads nothing of HQ's tables")


def test_a_batch_of_sales_is_checked_without_reading_hq(conn: Connection) -> None:
    checks.check_batch(NoQueries(), "S01", *entries(("SaleCompleted", sale_body())))  # type: ignore[arg-type]


def test_a_return_of_a_sale_hq_holds_is_checked_against_what_was_returned_before(conn: Connection) -> None:
    hold_sale(conn)
    checks.check_batch(conn, "S01", *entries(("ReturnProcessed", return_body())))
    # another lane already took one kettle back with 80 of tax: both visits may take the
    # line's 153 plus a slack of 2 each (157), so 77 more passes and 78 does not
    returned(conn, "r1", L1, 1, 925, 80, 1005)
    checks.check_batch(conn, "S01", *entries(("ReturnProcessed", return_body())))
    refused = refusal_of(conn, "S01", entries(("ReturnProcessed", return_body(amount=925, tax=78, gross=1003))))
    assert (refused.status, refused.error) == (422, "entry_refused")
    assert refused.extra == {"seq": 1, "rule": "over_refund"}
    assert refused.message == (
        "Entry 1 breaks the rule 'over_refund': Kettle (KET-01) on receipt S01-T01-000042: 2 of 2 back would "
        "have refunded tax 158; their share of what was paid is 153. " + WHAT_TO_DO
    )


def test_the_refusal_names_the_entry_of_the_batch_that_breaks_the_rule(conn: Connection) -> None:
    hold_sale(conn, store="S02")
    sale = sale_body()
    sale["sale_id"], sale["receipt_number"] = OTHER_SALE, "S01-T01-000099"
    for n, line in enumerate(sale["lines"], start=1):
        line["line_id"] = f"99999999-0000-4000-8000-00000000000{n}"
    refused = refusal_of(conn, "S01", entries(("SaleCompleted", sale), ("ReturnProcessed", return_body()), first=41))
    assert refused.extra == {"seq": 42, "rule": "another_store"}
    assert refused.message.startswith("Entry 42 breaks the rule 'another_store': the return names a sale of store S02")
    assert refused.message.endswith(". " + WHAT_TO_DO)


def test_a_reserved_return_is_held_to_what_hq_reserved_for_it(conn: Connection) -> None:
    hold_sale(conn)
    reserve(conn, RET, L1, 1, 925, 77, 1001)  # HQ computed 1 less than the lane sends
    reserve(conn, "another-return", L1, 1, 925, 77, 1002)
    body = return_body() | {"hq_reserved": True}
    refused = refusal_of(conn, "S01", entries(("ReturnProcessed", body)))
    assert refused.extra == {"seq": 1, "rule": "not_reserved"}
    assert "Kettle (KET-01) on receipt S01-T01-000042: the return takes more than HQ reserved for it" in (
        refused.message
    )
    rr = s.return_reservations
    conn.execute(rr.update().values(gross_minor=1002).where(rr.c.return_id == RET))
    checks.check_batch(conn, "S01", *entries(("ReturnProcessed", body)))


def test_a_return_whose_id_is_not_text_looks_up_no_reservation(conn: Connection) -> None:
    hold_sale(conn)
    reserve(conn, RET, L1, 1, 925, 77, 1001)
    body = return_body() | {"hq_reserved": True, "return_id": 7}
    refused = refusal_of(conn, "S01", entries(("ReturnProcessed", body)))
    assert refused.extra == {"seq": 1, "rule": "bad_text"}  # for its id, not for a reservation read by it
    other = entries(("SaleCompleted", sale_body() | {"return_id": RET}), ("ReturnProcessed", return_body()))
    checks.check_batch(conn, "S01", *other)  # the sale in the batch itself; not a return: no reservation


# ------------------------------------------------------------------ a key HQ already holds


def pg_error(sqlstate: str, table: str | None, detail: str | None) -> Exception:
    """psycopg's error as HQ's raw-cursor writes raise it: ``sqlstate`` and ``diag``."""
    error = Exception("duplicate key value violates unique constraint")
    error.sqlstate = sqlstate  # type: ignore[attr-defined]
    error.diag = SimpleNamespace(table_name=table, message_detail=detail)  # type: ignore[attr-defined]
    return error


def batch_of_two() -> list[JournalEntry]:
    sale = sale_body()
    ret = return_body()
    ret["return_id"] = "ret-0042"
    return entries(("SaleCompleted", sale), ("ReturnProcessed", ret), first=8)[0]


@pytest.mark.parametrize(
    ("table", "what"),
    [
        ("sales", "a sale id or receipt number"),
        ("sale_lines", "a sale line id"),
        ("returns", "a return id"),
        ("return_lines", "a return line"),
        ("sale_tenders", "a sale id"),
        ("journal", "an id"),
        (None, "an id"),
    ],
)
def test_a_key_hq_already_holds_is_refused_naming_the_entry_and_the_key(table: str | None, what: str) -> None:
    error = pg_error("23505", table, "Key (return_id)=(ret-0042) already exists.")
    refused = checks.refusal_for_integrity(error, batch_of_two())
    assert (refused.status, refused.error) == (422, "entry_refused")
    assert refused.extra == {"seq": 9, "rule": "duplicate_id"}
    assert refused.message == f"Entry 9 repeats {what} HQ already holds (ret-0042). " + WHAT_TO_DO


def test_the_first_column_of_a_composite_key_names_the_entry() -> None:
    error = pg_error("23505", "sale_tenders", f"Key (sale_id, seq)=({SALE}, 2) already exists.")
    refused = checks.refusal_for_integrity(error, batch_of_two())
    assert refused.extra == {"seq": 8, "rule": "duplicate_id"}
    assert refused.message == f"Entry 8 repeats a sale id HQ already holds ({SALE}). " + WHAT_TO_DO


def test_a_value_that_is_only_part_of_a_text_in_the_batch_names_the_first_entry() -> None:
    # "0042" is inside the return's id and the receipt number, never a whole JSON string
    error = pg_error("23505", "returns", "Key (id)=(0042) already exists.")
    refused = checks.refusal_for_integrity(error, batch_of_two())
    assert refused.extra["seq"] == 8
    assert "(0042)" in refused.message


def test_a_duplicate_without_detail_names_the_first_entry_and_no_value() -> None:
    for error in (pg_error("23505", "sales", None), pg_error("23505", "sales", "no key given")):
        refused = checks.refusal_for_integrity(error, batch_of_two())
        assert refused.extra == {"seq": 8, "rule": "duplicate_id"}
        assert refused.message.startswith("Entry 8 repeats a sale id or receipt number HQ already holds (). ")


def test_sqlalchemys_wrapper_is_read_through_to_the_drivers_error() -> None:
    wrapped = IntegrityError("INSERT ...", {}, pg_error("23505", "returns", "Key (id)=(ret-0042) already exists."))
    refused = checks.refusal_for_integrity(wrapped, batch_of_two())
    assert refused.extra == {"seq": 9, "rule": "duplicate_id"}
    assert refused.message.startswith("Entry 9 repeats a return id HQ already holds (ret-0042). ")


class NumericValueOutOfRange(Exception):
    pass


def test_a_value_no_column_takes_is_refused_as_unstorable() -> None:
    error = NumericValueOutOfRange("integer out of range")
    refused = checks.refusal_for_integrity(error, batch_of_two())
    assert refused.extra == {"seq": 8, "rule": "unstorable"}
    assert refused.message == "Entry 8 holds a value HQ cannot store (NumericValueOutOfRange). " + WHAT_TO_DO
    other = pg_error("22003", "returns", "Key (id)=(ret-0042) is out of range.")
    refused = checks.refusal_for_integrity(other, batch_of_two())
    assert refused.extra == {"seq": 9, "rule": "unstorable"}
    assert refused.message.startswith("Entry 9 holds a value HQ cannot store (Exception). ")


def test_a_hostile_id_holding_the_details_own_marks_is_named_whole() -> None:
    sale = sale_body()
    ret = return_body()
    ret["return_id"] = "ret=(0042"
    batch = entries(("SaleCompleted", sale), ("ReturnProcessed", ret), first=8)[0]
    error = pg_error("23505", "returns", "Key (id)=(ret=(0042) already exists.")
    refused = checks.refusal_for_integrity(error, batch)
    assert refused.extra == {"seq": 9, "rule": "duplicate_id"}
    assert refused.message.startswith("Entry 9 repeats a return id HQ already holds (ret=(0042). ")


def test_a_return_beside_entries_whose_bodies_are_not_objects_refuses_them_not_a_crash(conn: Connection) -> None:
    hold_sale(conn)
    batch, bodies = entries(("ReturnProcessed", return_body()), ("ReturnProcessed", {}), ("CustomerCreated", {}))
    for n in (1, 2):  # what a hostile lane may push: valid JSON that is not an object
        batch[n] = JournalEntry(batch[n].terminal, batch[n].seq, batch[n].id, batch[n].type, batch[n].at, "[1]",
                                batch[n].prev_hash, batch[n].hash)  # fmt: skip
        bodies[n] = [1]
    refused = refusal_of(conn, "S01", (batch, bodies))
    assert refused.extra == {"seq": 2, "rule": "bad_shape"}
    assert refused.message == "Entry 2 breaks the rule 'bad_shape': the body must be an object. " + WHAT_TO_DO
    refused = refusal_of(conn, "S01", ([batch[0], batch[2]], [bodies[0], bodies[2]]))
    assert refused.extra == {"seq": 3, "rule": "bad_shape"}


def test_of_a_key_of_three_columns_the_first_value_is_named() -> None:
    error = pg_error("23505", "journal", "Key (store_id, terminal_id, seq)=(S01, T01, 9) already exists.")
    refused = checks.refusal_for_integrity(error, batch_of_two())
    assert refused.extra == {"seq": 8, "rule": "duplicate_id"}  # "S01" is the sale's store
    assert refused.message.startswith("Entry 8 repeats an id HQ already holds (S01). ")


def test_a_hostile_id_holding_a_closing_parenthesis_is_named_whole() -> None:
    # PostgreSQL writes the value as it is: Key (id)=(ret)0042) already exists.
    ret = return_body()
    ret["return_id"] = "ret)0042"
    batch = entries(("SaleCompleted", sale_body()), ("ReturnProcessed", ret), first=8)[0]
    error = pg_error("23505", "returns", "Key (id)=(ret)0042) already exists.")
    refused = checks.refusal_for_integrity(error, batch)
    assert refused.extra == {"seq": 9, "rule": "duplicate_id"}
    assert refused.message.startswith("Entry 9 repeats a return id HQ already holds (ret)0042). ")
