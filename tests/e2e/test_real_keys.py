"""A cashier's real keystrokes and a scanner's in a real window (issue #16).

A practised typist's "chino" + Enter at 55 ms a key used to be taken for a scan ("No item
has the code chino"); a barcode at 8 ms a key must still be a scan. Both go into one sale,
paid in cash by keyboard, and the store file says what was sold."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from db.engine import DB_FILENAME
from tests.e2e.conftest import App, Screen


def query(data_dir: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{data_dir / DB_FILENAME}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def wait_for(what: str, check, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.2)


def sign_in(screen: Screen, app: App, name: str, pin: str) -> None:
    """Down to the person (the list starts at its first name), then the PIN at 100 ms a key."""
    names = [r[0] for r in query(app.data_dir, "SELECT name FROM users WHERE active = 1 ORDER BY name")]
    row = next(i for i, n in enumerate(names) if n.startswith(name))
    before = len(query(app.data_dir, "SELECT seq FROM journal WHERE type = 'SignedIn'"))
    if row:
        screen.key(*["Down"] * row, delay_ms=120)
    screen.type(pin + "\n", 100)
    wait_for(
        f"{name} to be signed in",
        lambda: len(query(app.data_dir, "SELECT seq FROM journal WHERE type = 'SignedIn'")) > before,
    )
    time.sleep(0.5)  # the sale screen takes the keys


@pytest.mark.parametrize("screen", [(1024, 768), (1920, 1080)], indirect=True, ids=["1024x768", "1920x1080"])
def test_typed_words_search_and_a_scan_adds_in_one_cash_sale(screen: Screen, app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a = app()
    geometry = dict(line.split("=") for line in screen.run("getwindowgeometry", "--shell", a.window).split())
    assert int(geometry["WIDTH"]) <= screen.width and int(geometry["HEIGHT"]) <= screen.height, geometry
    sign_in(screen, a, "Maria", "1111")
    ((sku, barcode),) = query(
        a.data_dir,
        "SELECT sku, substr(barcode, 3) FROM items WHERE active = 1 AND name NOT LIKE '%Chino%' "
        "AND barcode LIKE '00%' AND length(barcode) = 14 ORDER BY sku LIMIT 1",
    )  # stored as GTIN-14: the label's UPC-A is its last 12 digits
    sales_before = query(a.data_dir, "SELECT count(*) FROM sales")[0][0]
    screen.type(f"{barcode}\n", 8)  # a scanner: 8 ms a key, Enter at the end
    time.sleep(0.6)
    screen.type("chino\n", 55)  # a practised typist: 55 ms a key, then Enter takes the first match
    time.sleep(0.6)
    screen.key("F9")
    time.sleep(0.8)  # the cash dialog
    screen.type("200\n", 90)
    rows = wait_for(
        "the sale to be recorded",
        lambda: (
            query(a.data_dir, "SELECT id FROM sales ORDER BY rowid DESC LIMIT 1")
            if query(a.data_dir, "SELECT count(*) FROM sales")[0][0] > sales_before
            else None
        ),
    )
    screen.screenshot(tmp_path / "after-sale.png")
    sale_id = rows[0][0]
    lines = query(a.data_dir, "SELECT sku, name FROM sale_lines WHERE sale_id = ? ORDER BY line_no", sale_id)
    assert lines[0][0] == sku, lines  # the scan added its item
    assert len(lines) == 2 and "Chino" in str(lines[1][1]), lines  # the typed word searched, Enter took a chino
    tenders = query(a.data_dir, "SELECT kind, tendered_minor FROM tenders WHERE sale_id = ?", sale_id)
    assert tenders == [("cash", 20000)], tenders
    assert "Traceback" not in a.log.read_text(errors="replace")
