"""The store-scale fast paths (docs/benchmarks.md, "What misses its target"): they must
behave exactly like the slow paths they replaced.

* the head revision read from the migration files equals Alembic's, and a store already at
  the head opens without importing Alembic;
* migration 0007's indexes exist and the look-ups use them;
* ``canonical_gtin`` (the GS1 check digit alone for 12-14 digits) answers as ``biip.parse`` did;
* ``SqlCatalog.by_code`` on its kept connection sees what is committed after it was opened,
  holds no read snapshot between look-ups, and other threads still get answers;
* search says when it ranked only part of the matches;
* the write engine never checkpoints inside a commit, the idle checkpoint resets the WAL,
  and a checkpoint is forced when commits never pause.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from uuid import uuid4

import biip
import pytest
from biip.checksums import gs1_standard_check_digit
from hypothesis import given, settings, strategies as st
from sqlalchemy import select

from counter.barcodes import canonical_gtin, read_code
from counter.errors import BarcodeError
from counter.trust.carddata import contains_card_data
from db import schema as s
from db.engine import DB_FILENAME, Checkpointer, head_revision, may_hold_card_data, open_database, script_head
from db.queries import SEARCH_CANDIDATES, SqlCatalog, read_settings, store_config
from tests.db.support import add_zebra_notebooks

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(store_dir: Path):  # type: ignore[no-untyped-def]
    database = open_database(store_dir)
    yield database
    database.dispose()


def catalog_of(database) -> SqlCatalog:  # type: ignore[no-untyped-def]
    return SqlCatalog(database.read, store_config(read_settings(database.read)).currency)


# --------------------------------------------------------------------------- migrations


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    assert script_head() == head_revision()
    assert script_head() == max(p.name[:4] for p in (ROOT / "db" / "migrations" / "versions").glob("0*.py"))


def test_a_store_at_the_head_opens_without_alembic(store_dir: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from db.engine import open_database; "
        f"db = open_database(Path({str(store_dir)!r}), check=False); db.dispose(); "
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_a_store_behind_the_head_is_migrated(store_dir: Path) -> None:
    path = store_dir / DB_FILENAME
    with sqlite3.connect(path) as conn:  # as a 0006 store was: the old indexes, no new ones
        conn.execute("DROP INDEX ix_tenders_card_last4")
        conn.execute("DROP INDEX ix_sale_lines_item_time_amount")  # 0017's, with its column
        conn.execute("ALTER TABLE sale_lines DROP COLUMN completed_at")
        conn.execute("DROP INDEX ix_sales_total_completed")
        conn.execute("CREATE INDEX ix_sales_total_minor ON sales (total_minor)")
        conn.execute("CREATE INDEX ix_sale_lines_sale_id ON sale_lines (sale_id)")
        conn.execute("DROP TABLE outbox")  # 0010's (its triggers go with it)
        conn.execute("DROP TABLE part_payments")  # 0011's
        conn.execute("DROP TABLE voided_payments")
        conn.execute("DROP TABLE departments")  # 0012's
        conn.execute("DROP TABLE referral_escalations")
        conn.execute("DROP TABLE desk_received")  # 0013's
        conn.execute("DROP TABLE desk_inbox")
        conn.execute("DROP TABLE desk_texts")
        for table in ("card_requests", "card_answers", "card_refunds_closed", "card_days"):  # 0014's
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE alembic_version SET version_num = '0006'")
    conn.close()
    open_database(store_dir).dispose()
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    conn.close()
    assert version == script_head()
    assert {"ix_tenders_card_last4", "ix_sale_lines_item_time_amount", "ix_sales_total_completed"} <= names
    # 0007's (item_id) made and then replaced by 0017's covering index
    assert not {"ix_sales_total_minor", "ix_sale_lines_sale_id", "ix_sale_lines_item_id"} & names
    assert "ix_outbox_pending" in names  # and the outbox is back, with its index
    assert "ix_part_payments_terminal_taken" in names  # and the part payments
    assert "ix_referral_escalations_escalated_to" in names  # and HQ's departments and escalations
    assert "ix_desk_inbox_version" in names  # and other lanes' desk work


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        ("SELECT sale_id FROM tenders WHERE card_last4 = '4242'", "ix_tenders_card_last4"),
        (
            "SELECT min(amount_minor / quantity) FROM sale_lines WHERE item_id = 'x' AND completed_at >= '2026-09-01'",
            "COVERING INDEX ix_sale_lines_item_time_amount",
        ),
        (
            "SELECT id FROM sales WHERE total_minor = 1234 AND completed_at >= '2026-11-01' "
            "AND completed_at < '2026-11-02' ORDER BY completed_at DESC",
            "ix_sales_total_completed",
        ),
        ("SELECT count(*) FROM sale_lines WHERE sale_id = 'x'", "sqlite_autoindex_sale_lines"),
    ],
)
def test_the_lookups_use_their_index(db, sql: str, index: str) -> None:  # type: ignore[no-untyped-def]
    with db.read.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert index in plan, plan


# ----------------------------------------------------------------------------- barcodes


def _old_canonical(digits: str) -> str:
    """What canonical_gtin answered before, through biip.parse."""
    result = biip.parse(digits)
    if result.gtin is None:
        raise BarcodeError("check digit" if "check digit" in (result.gtin_error or "") else "invalid")
    return str(result.gtin.as_gtin_14())


def test_the_check_digit_path_answers_as_biip_parse_did() -> None:
    rng = random.Random(9)
    seen = {"ok": 0, "check digit": 0, "invalid": 0}
    for _ in range(3000):
        length = rng.choice((12, 13, 14))
        digits = "".join(rng.choice("0123456789") for _ in range(length))
        if rng.random() < 0.5:
            digits = digits[:-1] + str(gs1_standard_check_digit(digits[:-1]))
        if rng.random() < 0.1:
            digits = "0" * (length - 3) + digits[-3:]
        try:
            expected = _old_canonical(digits)
        except BarcodeError as exc:
            with pytest.raises(BarcodeError) as err:
                canonical_gtin(digits)
            kind = "check digit" if "check digit" in err.value.message else "invalid"
            assert kind == str(exc), digits
            seen[kind] += 1
        else:
            assert canonical_gtin(digits) == expected
            seen["ok"] += 1
    assert seen["ok"] > 1000 and seen["check digit"] > 1000, seen  # both outcomes exercised
    for short in ("0425261", "04252614", "96385074"):  # UPC-E and EAN-8 still through biip.parse
        assert canonical_gtin(short) == _old_canonical(short)
    assert canonical_gtin("0425261") == "00042100005264"


# ------------------------------------------------------------------------ catalog reads


def _new_item(database, barcode: str, price_minor: int) -> None:  # type: ignore[no-untyped-def]
    with database.write.begin() as conn:
        category = conn.execute(select(s.categories.c.id).limit(1)).scalar_one()
        tax = conn.execute(select(s.tax_classes.c.code).limit(1)).scalar_one()
        conn.execute(
            s.items.insert().values(
                id=str(uuid4()),
                sku=f"NEW-{barcode[-6:]}",
                barcode=barcode,
                name="Brand new thing",
                category_id=category,
                price_minor=price_minor,
                tax_code=tax,
                active=True,
            )
        )


def test_by_code_sees_commits_made_after_its_connection_opened(db) -> None:  # type: ignore[no-untyped-def]
    catalog = catalog_of(db)
    body = "0" + "".join(random.Random(3).choice("0123456789") for _ in range(11))
    gtin = body + str(gs1_standard_check_digit(body))  # 13 digits: an EAN-13
    code = read_code(gtin)
    assert catalog.by_code(code) is None  # the kept connection is open from here on
    _new_item(db, code.value, 1234)
    item = catalog.by_code(code)
    assert item is not None and item.name == "Brand new thing" and item.price == catalog._currency.from_minor(1234)
    with db.write.begin() as conn:
        conn.execute(s.items.update().where(s.items.c.barcode == code.value).values(price_minor=999))
    again = catalog.by_code(code)
    assert again is not None and again.price == catalog._currency.from_minor(999)
    assert catalog.by_code(read_code(again.sku)) == again  # by SKU on the same connection
    # between look-ups it holds no read snapshot: a checkpoint copies the whole WAL
    busy, frames, copied = db.checkpointer.checkpoint()  # type: ignore[misc]
    assert busy == 0 and copied == frames
    catalog.close()


def test_by_code_from_another_thread_goes_through_the_engine(db) -> None:  # type: ignore[no-untyped-def]
    catalog = catalog_of(db)
    with db.read.connect() as conn:
        gtin = conn.execute(select(s.items.c.barcode).where(s.items.c.barcode.is_not(None)).limit(1)).scalar_one()
    here = catalog.by_code(read_code(gtin))  # this thread owns the kept connection
    there: list[object] = []
    worker = threading.Thread(target=lambda: there.append(catalog.by_code(read_code(gtin))))
    worker.start()
    worker.join()
    assert here is not None and there == [here]
    catalog.close()


def test_search_says_when_it_ranked_only_part_of_the_matches(db) -> None:  # type: ignore[no-untyped-def]
    catalog = catalog_of(db)
    few = catalog.search("bat")
    assert few and not few.capped
    add_zebra_notebooks(db, SEARCH_CANDIDATES + 10)  # more items named "Zebra ..." than search ranks
    many = catalog.search("zebra", 50)
    assert len(many) == 50 and many.capped
    assert all("Zebra" in item.name for item in many)
    assert not catalog.search("zebra notebook 2001").capped


# --------------------------------------------------------------------------- the WAL


def _commit(database, n: int) -> None:  # type: ignore[no-untyped-def]
    with database.write.begin() as conn:
        conn.execute(s.settings.delete().where(s.settings.c.key == f"perf_test_{n % 50}"))
        conn.execute(s.settings.insert().values(key=f"perf_test_{n % 50}", value='"' + "x" * 3000 + '"'))


def _wal_frames(path: Path) -> int:
    """Frames in the WAL now (a PASSIVE checkpoint reports them; it changes no data)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        conn.close()


def test_no_commit_checkpoints_and_the_idle_checkpoint_resets_the_wal(db) -> None:  # type: ignore[no-untyped-def]
    with db.write.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    db.checkpointer.stop()  # the test's own checkpointer: quick to notice a pause
    db.checkpointer = cp = Checkpointer(db.path, idle=2.0, max_commits=10_000, poll=0.05)
    for n in range(400):
        _commit(db, n)
    assert cp.runs == 0  # 400 commits without a pause: none checkpointed (no autocheckpoint either)
    deadline = time.monotonic() + 10
    while cp.runs == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cp.runs >= 1, "the idle checkpoint did not run"
    before = (db.path.parent / (DB_FILENAME + "-wal")).stat().st_size
    assert before > 400 * 4096  # the WAL held every commit until then
    _commit(db, 1)  # the next write starts the WAL again from its beginning
    assert _wal_frames(db.path) <= 10
    cp.stop()
    db.dispose()
    reopened = open_database(db.path.parent)  # and nothing was lost
    assert read_settings(reopened.read)["perf_test_1"] == "x" * 3000
    reopened.dispose()


def test_commits_that_never_pause_are_checkpointed_anyway(db) -> None:  # type: ignore[no-untyped-def]
    db.checkpointer.stop()
    db.checkpointer = cp = Checkpointer(db.path, idle=60, max_commits=50, poll=0.02)
    for n in range(300):
        _commit(db, n)
        if n % 20 == 0:
            time.sleep(0.03)  # the poll's chance; never the 60 s pause
    assert cp.runs >= 2
    assert _wal_frames(db.path) < 300 * 2  # bounded: far fewer frames than were written
    cp.stop()


# ------------------------------------------------------------------------- find_sales


def test_find_sales_summarises_each_sale_as_it_was_recorded(db) -> None:  # type: ignore[no-untyped-def]
    from db.queries import find_sales, sale_by_number

    currency = store_config(read_settings(db.read)).currency
    found = find_sales(db.read, currency, limit=500)
    assert len(found) >= 10
    for summary in found:
        sale = sale_by_number(db.read, summary.receipt_number)
        assert sale is not None
        assert summary.total == sale.total and summary.lines == len(sale.lines)
        expected = ", ".join(f"{t.card.brand} …{t.card.last4}" if t.card else str(t.kind) for t in sale.tenders)
        assert summary.tenders == expected
    card = next(s for s in found if "…" in s.tenders)
    last4 = card.tenders.split("…")[1][:4]
    by_card = find_sales(db.read, currency, card_last4=last4)
    assert card.receipt_number in {s.receipt_number for s in by_card}
    assert all(last4 in s.tenders for s in by_card)


# ------------------------------------------------------------------ the card-data guard

_CARDS = ("4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004", "%B4111111111111111^DOE/JOHN^2512101?")


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(alphabet="0123456789 -=^;%?B/", max_size=40), st.sampled_from(_CARDS), st.text(max_size=20)),
        max_size=6,
    )
)
def test_the_quick_guard_never_lets_card_data_through(parts: list[str]) -> None:
    text = "".join(parts)
    if contains_card_data(text):
        assert may_hold_card_data(text)
        assert may_hold_card_data({"a": 1, "b": [None, ("x", text)]})


def test_the_quick_guard_passes_what_holds_no_long_digit_run() -> None:
    for card in _CARDS:
        assert may_hold_card_data({"note": f"paid with {card}"})
    assert not may_hold_card_data({"id": "3f2a1b4c-9d8e-4f00-8a11-0c0ffee00001", "qty": 3, "name": "Pan, 10 in"})


def test_big_transactions_without_a_pause_are_checkpointed_by_size(db) -> None:  # type: ignore[no-untyped-def]
    db.checkpointer.stop()
    db.checkpointer = cp = Checkpointer(db.path, idle=60, max_commits=10_000, max_wal_bytes=1_000_000, poll=0.02)
    for n in range(40):  # ~100 KB a transaction, a few ms apart: no idle moment, few commits
        with db.write.begin() as conn:
            for k in range(30):
                conn.execute(s.settings.delete().where(s.settings.c.key == f"bulk_{n}_{k}"))
                conn.execute(s.settings.insert().values(key=f"bulk_{n}_{k}", value='"' + "y" * 3000 + '"'))
        time.sleep(0.03)
    assert cp.runs >= 1
    assert _wal_frames(db.path) * 4096 < 40 * 100_000  # restarted on the way, not all 40 transactions
    cp.stop()
