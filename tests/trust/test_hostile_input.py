"""Hostile input: property-based fuzzing of everything that reads what a person, a scanner,
a file or HQ hands over. The rule each time: no crash (only the module's own clear error,
a CounterError with a message for the screen), no partial write, and the result, when
there is one, is well formed."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from app.config import Settings, load_settings
from counter.barcodes import CodeKind, read_code
from counter.errors import CounterError
from counter.money import MAX_AMOUNT, Currency
from counter.returns.lookup import load_context
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import quote
from counter.returns.refunds import RefundMethod
from counter.sales.cart import MAX_QUANTITY, parse_quantity
from counter.trust.carddata import has_card_data, mask_card_data
from db import schema as s
from db.engine import DB_FILENAME
from devices.barcodes import CodeType, decode_scan
from devices.scanner import WedgeConfig, WedgeDecoder, WedgeKind
from tests.db.support import TestStore
from ui.dialogs import parse_discount

USD = Currency.of("USD")
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Text a scanner or a keyboard can produce, with the awkward parts over-represented.
awkward = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from("0123456789]%^;=?*-.,$€ \t\r\n\x1d\x00\x7f"),
    ),
    max_size=80,
)
digits = st.text(alphabet="0123456789", min_size=1, max_size=24)


# ------------------------------------------------------------------------ barcodes


@FUZZ
@given(st.one_of(awkward, digits))
@example("4111111111111111")
@example("%B4111111111111111^DOE/JOHN^2512?")
@example("²³⁴⁵⁶⁷⁸⁹")
@example("٤٠٠٦٣٨١٣٣٣٩٣١")
def test_read_code_returns_a_code_or_a_clear_error(text: str) -> None:
    try:
        code = read_code(text)
    except CounterError as exc:
        assert exc.message and not has_card_data(exc.message + exc.hint)
        return
    assert not has_card_data(code.value)
    if code.kind is CodeKind.GTIN:
        assert len(code.value) == 14 and code.value.isascii() and code.value.isdigit()
    else:
        assert 0 < len(code.value) <= 48


@FUZZ
@given(st.one_of(awkward, digits, st.builds(lambda a, b: f"]{a}{b}", st.sampled_from("CEQde"), awkward)))
@example("]C1" + "01095060001343521" + "\x1d" + "10ABC")
@example("]E0" + "4111111111111111")
@example("]00")
@example(";4111111111111111=25121010000000000000?")
def test_decode_scan_never_raises_and_never_passes_a_card_on(raw: str) -> None:
    scan = decode_scan(raw)
    assert scan.kind in CodeType
    if scan.kind is CodeType.INVALID:
        assert scan.error
    assert not has_card_data(scan.text) and not has_card_data(scan.raw)
    if scan.gtin is not None:
        assert len(scan.gtin) == 14 and scan.gtin.isdigit()


# -------------------------------------------------------------------------- wedge

keys = st.lists(
    st.tuples(st.sampled_from("0123456789ABC]\r\n\t\x1d\x02"), st.floats(min_value=0, max_value=400)),
    max_size=60,
)


@FUZZ
@given(keys, st.sampled_from(["", "]", "\x02"]), st.booleans())
def test_the_wedge_state_machine_loses_and_invents_no_key(
    presses: list[tuple[str, float]], prefix: str, term: bool
) -> None:
    """Every key fed comes out exactly once: in a scan (its code, plus its prefix and the
    terminator it swallowed) or as typing; nothing is held once time has passed."""
    config = WedgeConfig(prefix=prefix, require_terminator=term)
    decoder = WedgeDecoder(config)
    now = 1_000.0
    results = []
    for char, gap in presses:
        now += gap
        results += decoder.feed(char, now)
    results += decoder.poll(now + 10 * config.prefix_timeout_ms + 1)
    assert not decoder.holding
    out = "".join(r.scanned for r in results)  # a scan's AIM id is kept beside its code
    swallowed = 0
    k = 0
    for char, _gap in presses:  # the output is the input, in order, less swallowed keys
        if k < len(out) and out[k] == char:
            k += 1
        else:
            assert char in config.terminators or char in prefix, (char, out)
            swallowed += 1
    assert k == len(out)  # nothing invented
    scans = sum(r.kind is WedgeKind.SCAN for r in results)
    assert swallowed <= scans * (1 + len(prefix))  # only a scan swallows keys: its end, its prefix


# ------------------------------------------------------------- amounts, quantities


@FUZZ
@given(st.one_of(awkward, st.decimals(allow_nan=True, allow_infinity=True).map(str), st.floats().map(str)))
@example("1e999999999")
@example("-0")
@example("1,2,3.4.5")
@example("٣")
@example("9" * 4000)
def test_amounts_parse_to_a_valid_amount_or_a_clear_error(text: str) -> None:
    try:
        amount = USD.parse(text)
    except CounterError as exc:
        assert exc.message
        return
    assert Decimal(0) <= amount <= MAX_AMOUNT and amount == amount.quantize(Decimal("0.01"))


@FUZZ
@given(st.one_of(awkward, st.integers().map(str)))
@example("²")
@example("٣")
@example("0007")
def test_quantities_parse_to_a_valid_quantity_or_a_clear_error(text: str) -> None:
    try:
        quantity = parse_quantity(text)
    except CounterError as exc:
        assert exc.message
        return
    assert 1 <= quantity <= MAX_QUANTITY


@FUZZ
@given(st.one_of(awkward, st.builds(lambda d: f"{d}%", st.decimals(allow_nan=True).map(str))))
@example("NaN%")
@example("1e5%")
@example("-5")
def test_discounts_parse_to_a_valid_discount_or_a_clear_error(text: str) -> None:
    try:
        discount = parse_discount(text, USD)
    except CounterError as exc:
        assert exc.message
        return
    assert discount.value > 0
    assert discount.value <= 100 if discount.is_percent else discount.value <= MAX_AMOUNT


@FUZZ
@given(awkward)
def test_masking_leaves_no_card_number(text: str) -> None:
    assert not has_card_data(mask_card_data(text))


# ---------------------------------------------------------------- the return engine


@pytest.fixture(scope="module")
def returns_shop(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestStore, Any]]:
    folder = tmp_path_factory.mktemp("fuzz-returns")
    shutil.copy2(demo_template / DB_FILENAME, folder / DB_FILENAME)
    shop = TestStore(folder)
    sale = shop.sell([(shop.item_in("apparel"), 3), (shop.item_in("footwear"), 1)], card=Decimal("20.00"))
    yield shop, sale
    shop.close()


line_requests = st.lists(
    st.tuples(
        st.integers(min_value=-5, max_value=12),
        st.sampled_from(list(Reason)),
        st.sampled_from(list(Condition)),
        st.integers(min_value=-1, max_value=3),
    ),
    max_size=5,
)


@FUZZ
@given(line_requests, st.sampled_from(list(RefundMethod)), st.booleans(), st.booleans())
def test_the_return_engine_quotes_or_refuses_clearly_and_writes_nothing(
    returns_shop: tuple[TestStore, Any],
    lines: list[tuple[int, Reason, Condition, int]],
    method: RefundMethod,
    waive: bool,
    receipt: bool,
) -> None:
    shop, sale = returns_shop
    requests = tuple(
        ReturnLineRequest(qty, reason, condition, sale.lines[i].id if 0 <= i < len(sale.lines) else str(uuid.uuid4()))
        for qty, reason, condition, i in lines
    )
    cmd = ProcessReturn(
        str(uuid.uuid4()),
        shop.user("Maria"),
        requests,
        method,
        sale.receipt_number if receipt else None,
        waive_fees=waive,
    )
    now = datetime.now(UTC)
    with shop.uow() as uow:
        before = uow.connection.execute(s.journal.select().with_only_columns(s.journal.c.seq)).all()
        try:
            ctx = load_context(uow, cmd, shop.cfg, shop.terminal, shop.rules, now)
            q = quote(cmd, ctx, store=shop.cfg, rules=shop.rules, now=now)
        except CounterError as exc:
            assert exc.message
            return
        finally:
            assert uow.connection.execute(s.journal.select().with_only_columns(s.journal.c.seq)).all() == before
    assert q.refund_total >= 0 and q.fee_total >= 0
    assert q.refund_total <= sale.total
    assert sum((p.amount for p in q.allocation.parts), Decimal(0)) <= q.refund_total


# ------------------------------------------------------------------- settings file


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(str.encode),
        st.dictionaries(
            st.sampled_from([f.name for f in Settings.__dataclass_fields__.values()] + ["bogus", "counter"]),
            st.one_of(st.integers(), st.booleans(), st.text(max_size=20), st.floats(allow_nan=True), st.none()),
            max_size=8,
        ).map(lambda d: _toml(d).encode()),
    )
)
def test_any_settings_file_gives_usable_settings_and_says_what_was_wrong(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    folder = tmp_path_factory.mktemp("settings")
    (folder / "counter.toml").write_bytes(data)
    loaded = load_settings(folder)
    defaults = Settings()
    for name in Settings.__dataclass_fields__:
        if name == "problems":
            continue
        assert type(getattr(loaded, name)) is type(getattr(defaults, name)), name
    assert all(isinstance(p, str) and p for p in loaded.problems)


def _toml(values: dict[str, Any]) -> str:
    lines = []
    for key, value in values.items():
        if value is None:
            lines.append(f"{key} = ")  # broken on purpose
        elif isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, float):
            lines.append(f"{key} = {value!r}".replace("nan", "nan").replace("inf", "inf"))
        elif isinstance(value, int):
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------ the sync pull parser

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12), st.floats(allow_nan=True))
item_data = st.fixed_dictionaries(
    {
        "id": st.one_of(st.just("item-000001"), st.text(max_size=8)),
        "sku": st.one_of(st.just("APP-00004"), st.text(max_size=8)),
        "barcode": st.one_of(st.none(), st.text(alphabet="0123456789", max_size=14)),
        "name": st.one_of(st.text(max_size=20), st.just("Card 4111111111111111")),
        "category_id": st.one_of(st.just("apparel"), st.text(max_size=6)),
        "price_minor": st.one_of(st.integers(min_value=-5, max_value=10**20), scalars),
        "tax_code": st.one_of(st.just("A"), scalars),
        "active": scalars,
    },
    optional={"extra": scalars},
)
change_rows = st.lists(
    st.one_of(
        st.fixed_dictionaries({"kind": st.just("item"), "data": item_data, "deleted": st.booleans()}),
        st.fixed_dictionaries(
            {
                "kind": st.sampled_from(["user", "category", "tax_class", "nonsense"]),
                "data": st.dictionaries(st.text(max_size=8), scalars, max_size=5),
                "deleted": scalars,
            }
        ),
        st.dictionaries(st.text(max_size=6), scalars, max_size=3),
    ),
    max_size=6,
)
pages = st.one_of(
    st.fixed_dictionaries(
        {"changes": change_rows, "cursor": st.one_of(st.integers(0, 10**6), scalars), "more": scalars}
    ),
    st.dictionaries(st.text(max_size=8), scalars, max_size=4),
)


class _Pages:
    def __init__(self, page: Any) -> None:
        self.page = page

    def changes(self, after: int, limit: int) -> Any:
        return self.page


def _snapshot(db: Any) -> tuple[Any, ...]:
    with db.read.connect() as conn:
        return tuple(
            conn.execute(table.select().order_by(*table.primary_key.columns)).all()
            for table in (s.items, s.users, s.categories, s.tax_classes, s.settings)
        )


@pytest.fixture(scope="module")
def sync_shop(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestStore]:
    folder = tmp_path_factory.mktemp("fuzz-sync")
    shutil.copy2(demo_template / DB_FILENAME, folder / DB_FILENAME)
    shop = TestStore(folder)
    yield shop
    shop.close()


@FUZZ
@given(pages)
def test_a_pulled_page_applies_whole_or_is_refused_clearly_and_applies_nothing(sync_shop: TestStore, page: Any) -> None:
    from db.hq_client import HqRefused
    from db.sync import SyncConfig, Syncer

    syncer = Syncer(sync_shop.db.write, sync_shop.db.read, _Pages(page), SyncConfig("http://hq", "t", "S01", "T01"))  # type: ignore[arg-type]
    before = _snapshot(sync_shop.db)
    try:
        syncer.pull_page()
    except HqRefused as exc:
        assert exc.error == "unreadable_changes" and exc.message
        assert _snapshot(sync_shop.db) == before  # nothing of it was applied
        return
    names = [r[3] for r in _snapshot(sync_shop.db)[0]]
    assert not any(has_card_data(n) for n in names)
