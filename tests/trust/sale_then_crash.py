"""Run by tests/trust/test_receipt_after_crash.py and test_drawer_after_crash.py in a
subprocess: open the real window (offscreen) on a store, sign in, sell one item for exact
cash (or by card), and wait for its receipt. With COUNTER_CRASH_AT set, the process is
SIGKILLed at that moment (app/crashpoints.py); without it, it prints the receipt number and
exits 0.

    python -m tests.trust.sale_then_crash STORE_DIR [cash|card]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.context import build_context  # noqa: E402
from tests.ui.conftest import in_dialog, sign_in, type_enter, upc_codes  # noqa: E402
from ui.main_window import build_window  # noqa: E402


def main(store: Path, tender: str = "cash") -> int:
    app = QApplication.instance() or QApplication([])
    ctx = build_context(store, overrides={"printer": "sim://printer", "wedge": False, "card_terminal": "none"})
    window = build_window(ctx)
    window.resize(1366, 800)
    window.show()
    sign_in(window, "Maria", "1111")
    type_enter(window.sale.input, upc_codes(ctx, 1)[0])
    due = window.sale.cart.total

    def pay(dialog: QWidget) -> None:
        dialog.edit.setText(str(due))  # type: ignore[attr-defined]
        QTest.keyClick(dialog.edit, Qt.Key.Key_Return)  # type: ignore[attr-defined]

    def pay_card(dialog: QWidget) -> None:
        dialog.last4.setText("4242")  # type: ignore[attr-defined]
        dialog.approval.setText("A1B2C3")  # type: ignore[attr-defined]
        QTest.keyClick(dialog.approval, Qt.Key.Key_Return)  # type: ignore[attr-defined]

    in_dialog(pay_card if tender == "card" else pay)
    QTest.keyClick(window.sale.input, Qt.Key.Key_F10 if tender == "card" else Qt.Key.Key_F9)
    deadline = 200
    while deadline and "Receipt printed" not in window.sale.message.text():
        QTest.qWait(25)
        deadline -= 1
    print(window.sale.last_sale.receipt_number if window.sale.last_sale else "", flush=True)
    window.close()
    ctx.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), *sys.argv[2:3]))
