"""Screenshots of the return policies window, an exchange in progress, the cash office's
open-shift count and paid-out windows, the staff list and the manager station (into
docs/screens/<width>x<height>/), and the X
report PDF (into docs/screens/). Run it like scripts/screenshots.py:

    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python scripts/office_screenshots.py [--out docs/screens]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog  # noqa: E402

from app.context import build_context  # noqa: E402
from counter.people.users import PinHasher  # noqa: E402
from db.demo import build_demo  # noqa: E402
from scripts.screenshots import (  # noqa: E402
    grab,
    open_for_shots,
    pdf_to_png,
    settle,
    shrink,
    type_line,
    when_dialog,
)
from ui.main_window import build_window, load_style  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/screens"))
    parser.add_argument("--size", help="the window's size, e.g. 1024x768 (default: the screen's)")
    args = parser.parse_args(argv)
    docs = args.out
    app = QApplication.instance() or QApplication([])
    load_style(app)  # type: ignore[arg-type]
    tmp = tempfile.mkdtemp()
    build_demo(Path(tmp), days=5, hasher=PinHasher(time_cost=1, memory_cost=1024)).dispose()
    ctx = build_context(Path(tmp), overrides={"printer": "sim://printer", "wedge": False})
    window = build_window(ctx)
    shots = docs / open_for_shots(window, args.size)
    shots.mkdir(parents=True, exist_ok=True)
    users = window.signin.users
    users.setCurrentRow(next(i for i in range(users.count()) if users.item(i).text().startswith("Alex")))
    type_line(window.signin.pin, "4444")

    # An exchange in progress: the receipt's line coming back, a dearer item going out
    from sqlalchemy import select

    from db import schema as s

    with ctx.db.read.connect() as conn:
        number = (
            conn.execute(
                select(s.sales.c.receipt_number)
                .where(s.sales.c.terminal_id == "T01")
                .order_by(s.sales.c.completed_at.desc())
            )
            .scalars()
            .first()
        )
        dear = conn.execute(
            select(s.items.c.barcode)
            .where(s.items.c.barcode.like("00%"))
            .order_by(s.items.c.price_minor.desc())
            .limit(1)
        ).scalar_one()[2:]
    QTest.keyClick(window.sale.input, Qt.Key.Key_F7)
    screen = window.returns
    type_line(screen.input, number)
    QTest.keyClick(screen.table, Qt.Key.Key_Space)
    QTest.keyClicks(screen.table, "1")
    QTest.keyClick(screen.table, Qt.Key.Key_F6)
    type_line(screen.exchange_input, dear)
    settle()
    grab(window, shots / "exchange.png")

    when_dialog(lambda d: (grab(d, shots / "return-policies.png"), d.reject()))
    QTest.keyClick(screen.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(screen.table, Qt.Key.Key_F2)
    QTest.keyClick(screen.input, Qt.Key.Key_Escape)

    # The cash office: paid out, X report, close, then a new shift's count
    QTest.keyClick(window.sale.input, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    office = window.cash_office

    def paid_out(d: QDialog) -> None:
        d.amount.setText("18.75")  # type: ignore[attr-defined]
        d.reason.setText("window cleaner")  # type: ignore[attr-defined]
        grab(d, shots / "paid-out.png")
        QTest.keyClick(d.reason, Qt.Key.Key_Return)  # type: ignore[attr-defined]

    when_dialog(paid_out)
    QTest.keyClick(office, Qt.Key.Key_F4)
    QTest.keyClick(office, Qt.Key.Key_F6)
    settle(800)
    xs = sorted((Path(tmp) / "documents").glob("x-report-*.pdf"))
    if xs:
        pdf_to_png(xs[-1], docs / "x-report.png")

    def count_all(d: QDialog) -> None:
        from decimal import Decimal

        with ctx.read_uow() as uow:
            expected = uow.shifts.expected_cash(uow.shifts.current("T01"))
        d.spins[Decimal("0.01")].setValue(int(expected * 100))  # type: ignore[attr-defined]
        QTest.keyClick(d, Qt.Key.Key_Return)

    when_dialog(count_all)
    QTest.keyClick(office, Qt.Key.Key_F7)

    def open_count(d: QDialog) -> None:
        from decimal import Decimal

        for denom, n in {"20": 5, "10": 5, "5": 4, "1": 20, "0.25": 20}.items():
            d.spins[Decimal(denom)].setValue(n)  # type: ignore[attr-defined]
        grab(d, shots / "open-shift.png")
        QTest.keyClick(d, Qt.Key.Key_Return)

    when_dialog(open_count)
    QTest.keyClick(office, Qt.Key.Key_F2)
    settle()
    grab(window, shots / "cash-office-open.png")
    QTest.keyClick(office, Qt.Key.Key_Escape)
    settle()

    # The staff list (Ctrl+Shift+S) and the manager station (Ctrl+Shift+M; not enrolled here)
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    when_dialog(lambda d: (grab(d, shots / "staff.png"), d.reject()))
    QTest.keyClick(window.sale.input, Qt.Key.Key_S, ctrl_shift)
    settle()
    QTest.keyClick(window.sale.input, Qt.Key.Key_M, ctrl_shift)
    settle(300)
    grab(window, shots / "manager-station.png")
    shrink(shots)
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: only pictures were wanted


if __name__ == "__main__":
    sys.exit(main())
