"""Regenerate the screenshots in docs/screens/ from the running app (offscreen Qt).

    .venv/bin/python scripts/screenshots.py [--out docs/screens]

Builds a throwaway demo store, drives the real widgets with key events, and grabs each
screen to PNG. Nothing here is mocked: the receipt preview shows the bytes that went
over TCP to the simulated printer.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QWidget  # noqa: E402

from counter.users import PinHasher  # noqa: E402
from db.demo import build_demo  # noqa: E402
from ui.context import build_context  # noqa: E402
from ui.main_window import build_window, load_style  # noqa: E402


def settle(ms: int = 150) -> None:
    QTest.qWait(ms)


def grab(widget: QWidget, path: Path) -> None:
    settle()
    widget.grab().save(str(path))
    print(f"wrote {path}")


def type_line(widget: QWidget, text: str) -> None:
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)
    settle(60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/screens"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    load_style(app)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        build_demo(Path(tmp), days=5, hasher=PinHasher(time_cost=1, memory_cost=1024)).dispose()
        ctx = build_context(Path(tmp), overrides={"printer": "sim://printer"})
        window = build_window(ctx)
        window.resize(1366, 800)
        window.show()
        settle(400)
        users = window.signin.users
        users.setCurrentRow(next(i for i in range(users.count()) if users.item(i).text().startswith("Maria")))
        grab(window, args.out / "signin.png")
        type_line(window.signin.pin, "1111")
        sale = window.sale
        from sqlalchemy import select

        from db import schema as s

        with ctx.db.read.connect() as conn:
            codes = [
                r[0][2:] for r in conn.execute(select(s.items.c.barcode).where(s.items.c.barcode.like("00%")).limit(40))
            ]
        for code in (codes[0], codes[5], codes[0], codes[12], codes[20]):
            type_line(sale.input, code)
        QTest.keyClicks(sale.input, "kettle")
        settle(200)
        grab(window, args.out / "sale-search.png")
        QTest.keyClick(sale.input, Qt.Key.Key_Return)
        settle()
        grab(window, args.out / "sale.png")

        def pay() -> None:
            dialog = app.activeModalWidget()
            if isinstance(dialog, QDialog):
                grab(dialog, args.out / "cash-dialog.png")
                dialog.edit.setText("100")  # type: ignore[attr-defined]
                QTest.keyClick(dialog.edit, Qt.Key.Key_Return)  # type: ignore[attr-defined]

        QTimer.singleShot(300, pay)
        QTest.keyClick(sale.input, Qt.Key.Key_F9)
        ctx.closers and settle(1500)
        grab(window, args.out / "sale-change.png")
        preview = sale.preview
        preview.setParent(None)
        preview.resize(520, 1500)
        preview.show()
        grab(preview, args.out / "receipt-preview.png")
        window.close()
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
