"""The German demo store (db/demo_profiles.py DE): EUR, prices with VAT included at 19 %
and 7 %, and the VAT shown per rate (net, VAT, gross) on the sale receipt and on the
return receipt and credit note, with its journal verifying as ``counter journal verify``."""

from __future__ import annotations

import csv
import io
import shutil
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from cli.journal import verify_report
from counter.barcodes import CodeKind, ScannedCode, canonical_gtin
from counter.catalog import Item
from counter.documents import TaxSummaryLine
from counter.people.users import PinHasher
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import process_return
from counter.returns.receipt import return_receipt
from counter.returns.refunds import RefundMethod
from counter.sales.sale import receipt_for
from db import schema as s
from db.demo import build_demo
from db.demo_profiles import DE
from db.engine import DB_FILENAME
from devices.escpos.codepages import code_page
from devices.escpos.decode import decode
from devices.escpos.encoder import PrinterProfile, render_receipt
from devices.pdf import render_pdf
from resources.demo.de import make_catalog
from tests.db.support import TestStore

D = Decimal


@pytest.fixture(scope="module")
def de_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("de-demo")
    build_demo(folder, days=2, hasher=PinHasher(time_cost=1, memory_cost=1024), profile="de").dispose()
    return folder


@pytest.fixture
def shop(de_template: Path, tmp_path: Path) -> Iterator[TestStore]:
    shutil.copy2(de_template / DB_FILENAME, tmp_path / DB_FILENAME)
    store = TestStore(tmp_path)
    yield store
    store.close()


def printed(data: bytes, profile: PrinterProfile) -> list[str]:
    """The printed lines, runs of spaces (and no-break spaces) folded to one."""
    decoded = decode(data, page=code_page(profile.codepage))
    assert not decoded.unknown, decoded.unknown
    return [" ".join(line.split()) for line in decoded.text().splitlines() if line.strip()]


def pdf_text(data: bytes) -> str:
    """The PDF's text, whitespace folded to single spaces (as tests/db/test_documents_content.py)."""
    assert data.startswith(b"%PDF")
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)


def add_item(shop: TestStore, sku: str, name: str, category: str, price: str) -> Item:
    """An item at a round gross price, so that the VAT in it is easy to check by hand."""
    with shop.db.write.begin() as conn:
        tax = conn.execute(select(s.categories.c.tax_code).where(s.categories.c.id == category)).scalar_one()
        conn.execute(
            s.items.insert(),
            {
                "id": f"item-{sku}",
                "sku": sku,
                "barcode": None,
                "name": name,
                "category_id": category,
                "price_minor": shop.cfg.currency.to_minor(D(price)),
                "tax_code": tax,
                "active": True,
            },
        )
    item = shop.catalog.by_code(ScannedCode(CodeKind.SKU, sku, sku))
    assert item is not None
    return item


#: the return receipt's head and total, as the German catalogue has them
RETURN_HEAD = "RÜCKGABE"
REFUNDED = "ERSTATTUNG 22,60 €"


def vat_rows(lines: list[str]) -> list[str]:
    """The VAT table: its heading and the rows under it (up to the rule after it)."""
    start = lines.index("Satz Netto MwSt. Brutto")
    end = next(i for i in range(start, len(lines)) if set(lines[i]) == {"-"})
    return lines[start:end]


def test_the_german_store_is_eur_de_de_with_prices_including_vat(shop: TestStore) -> None:
    cfg = shop.cfg
    assert (cfg.currency.code, cfg.locale, str(cfg.zone), cfg.prices_include_tax) == (
        "EUR",
        "de_DE",
        "Europe/Berlin",
        True,
    )
    assert cfg.header.name == "Hafen & Markt Kaufhaus" and cfg.header.tax_id == "DE 123 456 789"
    assert "Vielen Dank für Ihren Einkauf!" in cfg.header.footer_lines
    with shop.db.read.connect() as conn:
        rates = dict(conn.execute(select(s.tax_classes.c.code, s.tax_classes.c.rate)).all())
        phones = [p for (p,) in conn.execute(select(s.customers.c.phone)) if p]
        sales = conn.execute(select(s.sales.c.id)).all()
    assert {k: D(v) for k, v in rates.items()} == {"A": D("0.19"), "B": D("0.07"), "N": D(0)}
    assert len(phones) == 4 and all(p.startswith("+49") for p in phones)
    assert sales  # two days of past sales in EUR, each shift counted in euro notes and coins
    assert set(shop.users) == {"Lena", "Jonas", "Sabine", "Thomas", "Katrin"}
    ok, lines = verify_report(shop.db)
    assert ok, lines


def test_a_sale_at_two_rates_shows_the_vat_per_rate_from_the_gross(shop: TestStore) -> None:
    shirt = add_item(shop, "T-19", "Testhemd", "bekleidung", "11.90")
    book = add_item(shop, "T-07", "Testbuch", "buecher", "10.70")
    assert (shirt.tax.rate, book.tax.rate) == (D("0.19"), D("0.07"))
    sale = shop.sell([(shirt, 1), (book, 1)], cashier="Lena")

    assert sale.total == D("22.60")
    taxes = {t.tax.code: (t.base, t.amount) for t in sale.taxes}
    assert taxes == {"A": (D("10.00"), D("1.90")), "B": (D("10.00"), D("0.70"))}
    receipt = receipt_for(sale, shop.cfg)
    assert receipt.vat_table and receipt.taxes == (
        TaxSummaryLine("A", "MwSt. 19 %", D("0.19"), D("10.00"), D("1.90")),
        TaxSummaryLine("B", "MwSt. 7 %", D("0.07"), D("10.00"), D("0.70")),
    )

    for profile in (PrinterProfile(), PrinterProfile.mm58()):
        lines = printed(render_receipt(receipt, profile), profile)
        assert vat_rows(lines) == [
            "Satz Netto MwSt. Brutto",
            "A 19% 10,00 1,90 11,90",
            "B 7% 10,00 0,70 10,70",
            "Summe 20,00 2,60 22,60",
        ], lines
        # the store's language: a German receipt, read back from the printer's bytes
        assert "SUMME 22,60 €" in lines and "Zwischensumme 22,60 €" in lines and "Bar 22,60 €" in lines
        assert any(line.startswith("Kassenbon S01-T01-") for line in lines) and "Hafenstraße 12" in lines
        assert "Enthaltene MwSt.:" not in lines  # the table replaces the tax-included lines

    ok, report = verify_report(shop.db)
    assert ok, report


def test_the_return_receipt_and_credit_note_show_the_vat_reversed_per_rate(shop: TestStore) -> None:
    shirt = add_item(shop, "T-19", "Testhemd", "bekleidung", "11.90")
    book = add_item(shop, "T-07", "Testbuch", "buecher", "10.70")
    sale = shop.sell([(shirt, 2), (book, 1)], cashier="Lena")
    shirts, books = sale.lines
    cmd = ProcessReturn(
        request_id=str(uuid.uuid4()),
        cashier=shop.user("Lena"),
        lines=(
            ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, shirts.id),
            ReturnLineRequest(1, Reason.CHANGED_MIND, Condition.NEW, books.id),
        ),
        refund_method=RefundMethod.ORIGINAL,
        original_receipt=sale.receipt_number,
    )
    record = process_return(
        cmd, uow_factory=shop.uow, clock=shop.clock, store=shop.cfg, terminal=shop.terminal, rules=shop.rules
    )
    assert record.quote.refund_total == D("22.60")
    receipt = return_receipt(record, shop.cfg, "Lena Becker")
    assert receipt.vat_table
    assert {(t.code, t.base, t.tax) for t in receipt.taxes} == {
        ("A", D("10.00"), D("1.90")),
        ("B", D("10.00"), D("0.70")),
    }

    lines = printed(render_receipt(receipt, PrinterProfile()), PrinterProfile())
    assert RETURN_HEAD in lines and REFUNDED in lines, lines
    assert vat_rows(lines) == [
        "Satz Netto MwSt. Brutto",
        "A 19% 10,00 1,90 11,90",
        "B 7% 10,00 0,70 10,70",
        "Summe 20,00 2,60 22,60",
    ], lines

    pdf = pdf_text(render_pdf(receipt))
    assert pdf.startswith("Gutschrift")  # the credit note, in the store's language
    assert "Steuer A (19 %) storniert auf 10,00 € 1,90 €" in pdf, pdf
    assert "Steuer B (7 %) storniert auf 10,00 € 0,70 €" in pdf, pdf

    ok, report = verify_report(shop.db)
    assert ok, report


def test_the_german_catalog_is_valid_and_made_by_its_script(tmp_path: Path) -> None:
    make_catalog.write(tmp_path)
    for name in ("catalog.csv", "categories.csv"):
        assert (tmp_path / name).read_bytes() == (DE.catalog_dir / name).read_bytes(), name
    with DE.categories_csv.open(newline="", encoding="utf-8") as fh:
        categories = {c["id"]: c for c in csv.DictReader(fh)}
    with DE.catalog_csv.open(newline="", encoding="utf-8") as fh:
        items = list(csv.DictReader(fh))
    assert 100 <= len(items) <= 150
    assert len({i["sku"] for i in items}) == len(items)
    assert len({i["barcode"] for i in items}) == len(items)
    for i in items:
        assert canonical_gtin(i["barcode"]) == "0" + i["barcode"]  # valid check digit; GTIN-14 form
        assert 400 <= int(i["barcode"][:3]) <= 440
        assert i["tax_code"] == categories[i["category_id"]]["tax_code"]
        assert D(i["price"]) > 0 and D(i["price"]) == D(i["price"]).quantize(D("0.01"))
    assert {c["tax_code"] for c in categories.values()} == {"A", "B", "N"}
