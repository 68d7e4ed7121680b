"""Regenerate the screenshots in docs/screens/ from the running app.

    Xvfb :99 -screen 0 1024x768x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshots.py [--out docs/screens]

Builds a throwaway demo store, drives the real widgets with key events, and grabs each
screen to PNG. Nothing here is mocked: the receipt preview shows the bytes that went
over TCP to the simulated printer. The window opens as ``counter`` opens it, over the
whole screen, so the screens and dialogs go to ``docs/screens/<width>x<height>/`` (run it
once per screen size); the paper and the PDFs, which do not depend on the screen, go to
``docs/screens/``. ``--size 1024x768`` sizes the window without such a screen (offscreen).
The PNGs are cut to 64 colours (pngquant, or ImageMagick) to keep the repository small.
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

from app.context import build_context  # noqa: E402
from counter.people.users import PinHasher  # noqa: E402
from db.demo import build_demo  # noqa: E402
from scripts.screen_audit import Auditor  # noqa: E402
from ui.main_window import build_window  # noqa: E402
from ui.theme import apply_style  # noqa: E402


def settle(ms: int = 150) -> None:
    until(lambda: False, ms / 1000)


#: set by ``--audit``: every screen grabbed is walked for English left and unnamed controls
AUDITOR: Auditor | None = None


def grab(widget: QWidget, path: Path) -> None:
    settle()
    if AUDITOR is not None:
        AUDITOR.audit(path.stem, widget)
    widget.grab().save(str(path))
    print(f"wrote {path}")


def until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Process events until ``condition()``. Sleeps with the GIL released, unlike
    QTest.qWait, so that the device threads (printer, display) can do their work."""
    import time

    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)


def type_line(widget: QWidget, text: str) -> None:
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)
    settle(60)


def when_dialog(act) -> None:  # type: ignore[no-untyped-def]
    """Act on the next modal dialog once it is open."""

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, poll)
            return
        settle(150)
        act(dialog)

    QTimer.singleShot(0, poll)


_KEEP: list[object] = []
#: what the walk types or makes: data, not words to translate
TYPED = (
    "kettle D123 4567 8901 regular customer, has the box a $20 note was torn and taken to the safe",
    "lawn mower blade",  # the repair charged in scripts/desk_screenshots.py
)


def paper(preview, path: Path) -> None:  # type: ignore[no-untyped-def]
    """The preview's paper strip at full length, in a window of its own."""
    from ui.sales.preview import ReceiptPreview

    copy = ReceiptPreview()
    copy.resize(520, 1400)
    if preview.decoded is not None:
        copy.show_decoded(preview.decoded)
    copy.show()
    grab(copy, path)
    copy.close()
    _KEEP.append(copy)  # let Qt delete it with the others at the end, not the garbage collector mid-run


def open_for_shots(window: QWidget, size: str | None) -> str:
    """Show the window as ``counter`` does (over the screen), or at ``size`` ("1024x768");
    the folder name of its size."""
    from ui.fit import show_on_screen

    if size:
        width, height = (int(n) for n in size.lower().split("x"))
        window.setGeometry(0, 0, width, height)
        window.show()
    else:
        show_on_screen(window)
    settle(400)
    return f"{window.width()}x{window.height()}"


def shrink(folder: Path) -> None:
    """64 colours per PNG, undithered (the screens are flat colours; the text stays crisp):
    pngquant, or ImageMagick."""
    import shutil
    import subprocess

    for png in sorted(folder.glob("*.png")):
        if shutil.which("pngquant"):
            command = ["pngquant", "--force", "--skip-if-larger", "--nofs", "--ext", ".png", "64", str(png)]
            subprocess.run(command, check=False)
        elif shutil.which("convert"):
            subprocess.run(["convert", str(png), "-strip", "+dither", "-colors", "64", f"PNG8:{png}"], check=True)


def pdf_to_png(pdf: Path, png: Path) -> None:
    import shutil
    import subprocess

    if AUDITOR is not None:  # the document's own words, as the PDF holds them
        from pypdf import PdfReader

        AUDITOR.audit_document(png.stem, "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages))

    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found: skipped", png)
        return
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf), str(png.with_suffix(""))], check=True)
    print(f"wrote {png}")


def devices_and_print_jobs(window, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Devices (Ctrl+Shift+D) after its tests ran on the simulated devices; a typo in an
    address; a gift receipt that did not print (out of paper) in the print-jobs window."""
    from devices.barcodes import decode_scan

    sale = window.sale
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    window.printing.printer.simulator.close_drawer()  # the cashier gave the change and shut it
    window.printing.printer.refresh_status()
    settle(400)
    # The window shows the settings in use; for it, the wedge filter is on as by default
    # (this script types with QTest, as fast as a scanner, so it runs with it off).
    window.ctx.settings.wedge = window.devices.wedge.enabled = True

    def devices(d: QDialog) -> None:
        d.tests["printer"].click()  # type: ignore[attr-defined]
        d.tests["display"].click()  # type: ignore[attr-defined]
        d.handle_scan(decode_scan("]E04006381333931"))  # type: ignore[attr-defined]
        until(lambda: d.notes["printer"].text() == "Test page printed.")  # type: ignore[attr-defined]
        until(lambda: "Counter display test" in d.notes["display"].text())  # type: ignore[attr-defined]
        grab(d, out / "devices.png")
        d.urls["display"].setText("serial:///dev/ttyUSB1?baud=9600")  # type: ignore[attr-defined]
        grab(d, out / "devices-typo.png")
        d.reject()

    when_dialog(devices)
    QTest.keyClick(sale.input, Qt.Key.Key_D, ctrl_shift)
    window.ctx.settings.wedge = window.devices.wedge.enabled = False
    settle(300)
    printer = window.printing.printer.simulator
    printer.paper_out = True
    QTest.keyClick(sale.input, Qt.Key.Key_F11, Qt.KeyboardModifier.ShiftModifier)  # gift receipt
    until(lambda: window.devices.jobs_button.isVisible())
    grab(window, out / "sale-not-printed.png")

    def jobs(d: QDialog) -> None:
        grab(d, out / "print-jobs.png")
        printer.paper_out = False  # a new roll goes in; Enter prints a copy of the selected job
        window.printing.printer.refresh_status()
        until(lambda: window.printer_label.text() == "Printer: Ready")
        QTest.keyClick(d, Qt.Key.Key_Return)
        until(lambda: window.devices.jobs_button.isHidden())
        d.reject()

    when_dialog(jobs)
    QTest.keyClick(sale.input, Qt.Key.Key_P, ctrl_shift)


def staff_and_language(window, ctx, out: Path) -> None:  # type: ignore[no-untyped-def]
    """The staff list as an administrator sees it (Ctrl+Shift+S) and the language dialog
    (Ctrl+Shift+L), opened as those keys open them."""
    from ui.trust.language_dialog import LanguageDialog
    from ui.trust.staff_screen import StaffDialog

    admin = next(u for u in ctx.reads.list_users() if u.name.startswith("Jordan"))
    for name, dialog in (
        ("staff", StaffDialog(window, ctx, admin)),
        ("language", LanguageDialog(window, admin.name, "", ctx.store.locale)),
    ):
        dialog.show()
        settle(300)
        grab(dialog, out / f"{name}.png")
        dialog.close()
        _KEEP.append(dialog)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/screens"))
    parser.add_argument("--size", help="the window's size, e.g. 1024x768 (default: the screen's)")
    parser.add_argument("--language", help="screens and documents in this language (de, fr, es, en_XA, ar_XB)")
    parser.add_argument("--theme", default="standard", help="standard or high-contrast")
    parser.add_argument("--scale", type=float, default=1.0, help="text scale: 1.0, 1.5, 2.0")
    parser.add_argument("--audit", type=Path, help="write what escaped translation and unnamed controls to (JSON)")
    args = parser.parse_args(argv)
    global AUDITOR
    if args.language:
        os.environ["COUNTER_LANGUAGE"] = args.language  # the store's, the people's and the documents' language
    docs = args.out  # paper and PDFs: the same on any screen
    docs.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    apply_style(app, args.theme, args.scale)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        build_demo(Path(tmp), days=5, hasher=PinHasher(time_cost=1, memory_cost=1024)).dispose()
        if args.audit:
            AUDITOR = Auditor(args.audit, Path(tmp) / "counter.sqlite3")
            # what this script types, and the people and cases scripts/desk_screenshots.py makes
            AUDITOR.allow(TYPED)
            # each language's name in its own language (the language dialog)
            from counter.i18n import LANGUAGES, display_name

            AUDITOR.allow(display_name(code) for code in (*LANGUAGES, "en"))
            # the store's departments and services: configuration the store names (counter.desk.service)
            from dataclasses import astuple

            from counter.desk.service import DEFAULT_DEPARTMENTS, DEFAULT_SERVICES

            AUDITOR.allow(str(v) for d in (*DEFAULT_DEPARTMENTS, *DEFAULT_SERVICES) for v in astuple(d))
        # QTest types as fast as a scanner: the wedge filter would take the PIN for a scan
        ctx = build_context(Path(tmp), overrides={"printer": "sim://printer", "wedge": False})
        window = build_window(ctx)
        shots = docs / open_for_shots(window, args.size)  # screens and dialogs: per screen size
        shots.mkdir(parents=True, exist_ok=True)
        users = window.signin.users
        users.setCurrentRow(next(i for i in range(users.count()) if "Maria" in users.item(i).text()))
        grab(window, shots / "signin.png")
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
        grab(window, shots / "sale-search.png")
        QTest.keyClick(sale.input, Qt.Key.Key_Return)
        settle()
        grab(window, shots / "sale.png")

        def pay() -> None:
            dialog = app.activeModalWidget()
            if isinstance(dialog, QDialog):
                grab(dialog, shots / "cash-dialog.png")
                dialog.edit.setText("100")  # type: ignore[attr-defined]
                QTest.keyClick(dialog.edit, Qt.Key.Key_Return)  # type: ignore[attr-defined]

        QTimer.singleShot(300, pay)
        QTest.keyClick(sale.input, Qt.Key.Key_F9)
        ctx.closers and settle(1500)
        grab(window, shots / "sale-change.png")
        paper(sale.preview, docs / "receipt-preview.png")
        receipt_number = sale.last_sale.receipt_number
        devices_and_print_jobs(window, shots)

        # Returns: the receipt scanned, one line picked with its reason
        QTest.keyClick(sale.input, Qt.Key.Key_F7)
        screen = window.returns
        type_line(screen.input, receipt_number)
        QTest.keyClick(screen.table, Qt.Key.Key_Space)
        QTest.keyClicks(screen.table, "2")
        QTest.keyClick(screen.table, Qt.Key.Key_Down)
        QTest.keyClick(screen.table, Qt.Key.Key_Space)
        settle()
        grab(window, shots / "return.png")
        when_dialog(lambda d: (grab(d, shots / "return-reason.png"), QTest.keyClicks(d, "3")))
        QTest.keyClick(screen.table, Qt.Key.Key_F10)
        settle(1200)
        grab(window, shots / "return-done.png")
        paper(window.sale.preview, docs / "return-receipt.png")
        pdfs = sorted((Path(tmp) / "documents").glob("credit-note-*.pdf"))
        if pdfs:
            pdf_to_png(pdfs[-1], docs / "credit-note.png")

        # No receipt: ID and a supervisor's approval
        QTest.keyClick(screen.input, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        type_line(screen.input, codes[7])
        QTest.keyClicks(screen.table, "5")

        def customer_id(d: QDialog) -> None:
            d.number.setText("D123 4567 8901")  # type: ignore[attr-defined]
            grab(d, shots / "customer-id.png")

            def approval(a: QDialog) -> None:
                combo = a.approver  # type: ignore[attr-defined]
                combo.setCurrentIndex(next(i for i in range(combo.count()) if "Dana" in combo.itemText(i)))
                a.reason.setText("regular customer, has the box")  # type: ignore[attr-defined]
                grab(a, shots / "approval.png")
                a.pin.setText("3333")  # type: ignore[attr-defined]
                QTest.keyClick(a.pin, Qt.Key.Key_Return)  # type: ignore[attr-defined]

            when_dialog(approval)
            QTest.keyClick(d.number, Qt.Key.Key_Return)  # type: ignore[attr-defined]

        when_dialog(customer_id)
        QTest.keyClick(screen.table, Qt.Key.Key_F10)
        settle(800)
        grab(window, shots / "return-no-receipt.png")
        QTest.keyClick(screen.table, Qt.Key.Key_Escape)

        # The service desk: customers, cases, referrals, adjustments, orders (scripts/desk_screenshots.py)
        from scripts.desk_screenshots import take as desk_screenshots

        desk_screenshots(app, ctx, window, shots, Path(tmp), grab, when_dialog, paper, pdf_to_png, settle, docs=docs)

        # The cash office (as a supervisor): paid out, blind close, Z report
        QTest.keyClick(sale.input, Qt.Key.Key_F12)
        users.setCurrentRow(next(i for i in range(users.count()) if "Dana" in users.item(i).text()))
        type_line(window.signin.pin, "3333")
        if window.station is not None:  # the manager station (Ctrl+Shift+M), then back to the sale
            ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
            QTest.keyClick(sale.input, Qt.Key.Key_M, ctrl_shift)
            settle(300)
            grab(window, shots / "manager-station.png")
            QTest.keyClick(window.station, Qt.Key.Key_Escape)
            settle(300)
        QTest.keyClick(sale.input, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
        office = window.cash_office
        settle()
        grab(window, shots / "cash-office.png")

        def blind(d: QDialog) -> None:
            from decimal import Decimal

            for denom, n in {"20": 9, "10": 6, "5": 5, "1": 13, "0.25": 7}.items():
                d.spins[Decimal(denom)].setValue(n)  # type: ignore[attr-defined]
            d.note.setText("a $20 note was torn and taken to the safe")  # type: ignore[attr-defined]
            grab(d, shots / "blind-close.png")
            QTest.keyClick(d, Qt.Key.Key_Return)

        QTest.keyClick(office, Qt.Key.Key_F6)  # the X report: printed, its PDF saved, said on the screen
        settle(1200)
        grab(window, shots / "cash-office-x.png")
        staff_and_language(window, ctx, shots)

        when_dialog(blind)
        QTest.keyClick(office, Qt.Key.Key_F7)
        QTest.keyClick(office, Qt.Key.Key_F9)
        settle(1200)
        grab(window, shots / "cash-office-z.png")
        zs = sorted((Path(tmp) / "documents").glob("z-report-*.pdf"))
        if zs:
            pdf_to_png(zs[-1], docs / "z-report.png")
        window.close()
        ctx.close()
    if AUDITOR is not None:
        AUDITOR.write()
    shrink(shots)
    shrink(docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
