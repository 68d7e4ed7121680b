"""Scan to paint: on a signed-in sale screen (offscreen Qt, the app's window and style)
holding a 200-line cart, the time from the Enter key of a scanned code to the new line and
the total repainted.

Each sample: the code's digits are typed into ``window.sale.input`` (QTest.keyClicks,
not timed, as a keyboard-wedge scanner does), then timed: QTest.keyClick(Enter) (the
screen's ``_enter`` -> ``_add_code`` -> catalog look-up -> cart -> ``_refresh``), then
``processEvents()`` (the posted layout and update requests: what the event loop does next,
which paints what changed). An event filter checks that the cart table's viewport and the
total label did receive a Paint event; if one did not, ``repaint()`` is forced on it (and
counted). The new line is then taken off again (not timed) so that every scan meets a
200-line cart.

Figures (3 runs of --n scans, median of the runs' percentiles): ``scan_to_paint_p99``
(target 50 ms), ``scan_to_paint_p50``, and ``scan_to_paint_handler_p99``: the Enter
key's handler alone (no paint).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    app_context,
    emit,
    note,
    parser,
    printed_code,
    random_rowids,
    raw_connect,
    require_dataset,
    runs_percentile,
)


def main() -> int:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100, help="timed scans per run")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--cart", type=int, default=200, help="lines in the cart")
    args = p.parse_args()
    require_dataset(args.data_dir)

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from ui.main_window import build_window, load_style

    app = QApplication.instance() or QApplication(sys.argv[:1])
    load_style(app)  # type: ignore[arg-type]
    ctx = app_context(args.data_dir)
    window = build_window(ctx)
    window.resize(1366, 800)
    window.show()
    app.processEvents()

    # Sign in through the sign-in screen: Maria Lopez, PIN 1111.
    users = window.signin.users
    row = next(i for i in range(users.count()) if users.item(i).text().startswith("Maria"))
    users.setCurrentRow(row)
    # The PIN is set rather than typed: keys typed as fast as QTest types them look like a
    # badge scan to the app's keyboard-wedge filter.
    window.signin.pin.setText("1111")
    window.signin.submit()
    app.processEvents()
    sale = window.sale
    if window.stack.currentWidget() is not sale:
        raise SystemExit(f"sign-in failed: {window.signin.error.text()}")

    raw = raw_connect(args.data_dir)
    need = args.cart + args.n * args.runs + 50
    rowids = random_rowids(raw, "items", need * 2, args.seed)
    codes: list[str] = []
    for start in range(0, len(rowids), 500):
        chunk = rowids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        codes += [
            printed_code(r[0])
            for r in raw.execute(
                f"SELECT barcode FROM items WHERE rowid IN ({marks}) AND active AND barcode IS NOT NULL", chunk
            )
        ]
    if len(codes) < need:
        raise SystemExit("not enough items with barcodes in the sample")
    field = sale.input

    def scan(code: str) -> None:
        QTest.keyClicks(field, code)
        QTest.keyClick(field, Qt.Key.Key_Return)

    t0 = time.perf_counter()
    for code in codes[: args.cart]:  # fill the cart through the scan field
        scan(code)
    app.processEvents()
    lines = sale.model.rowCount()
    if lines != args.cart:
        raise SystemExit(f"the cart holds {lines} lines, not {args.cart}: {sale.message.text()}")
    note(f"scan_to_paint: {args.cart}-line cart filled by scanning in {time.perf_counter() - t0:.1f} s")

    from PySide6.QtCore import QEvent, QObject

    class PaintWatch(QObject):
        """Notes which of the watched widgets received a Paint event."""

        def __init__(self) -> None:
            super().__init__()
            self.painted: set[int] = set()

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
            if event.type() == QEvent.Type.Paint:
                self.painted.add(id(watched))
            return False

    table_viewport = sale.table.viewport()
    total_label = sale.total_value
    watch = PaintWatch()
    for w in (table_viewport, total_label):
        w.installEventFilter(watch)
    pool = iter(codes[args.cart :])
    handler_runs: list[list[float]] = []
    paint_runs: list[list[float]] = []
    forced = 0
    for run in range(args.runs + 1):  # run 0 warms up
        handler, painted = [], []
        for k in range(args.n if run else 20):
            code = next(pool) if run else codes[args.cart + k % 10]
            QTest.keyClicks(field, code)
            app.processEvents()
            before = total_label.text()
            watch.painted.clear()
            t0 = time.perf_counter()
            QTest.keyClick(field, Qt.Key.Key_Return)
            t1 = time.perf_counter()
            app.processEvents()  # what the event loop does next: layout, then paint what changed
            for w in (table_viewport, total_label):
                if id(w) not in watch.painted:  # not painted by the event loop: force it
                    w.repaint()
                    forced += 1
            t2 = time.perf_counter()
            if sale.model.rowCount() != args.cart + 1 or total_label.text() == before:
                raise SystemExit(f"the scan did not add a line: {sale.message.text()}")
            handler.append((t1 - t0) * 1000)
            painted.append((t2 - t0) * 1000)
            # Take the line off again (not timed) so that the next scan meets the same cart.
            sale.cart.lines.pop()
            sale._refresh()
            app.processEvents()
        if run:
            handler_runs.append(handler)
            paint_runs.append(painted)
    if forced:
        note(f"scan_to_paint: {forced} paints had to be forced with repaint()")

    emit("scan_to_paint_p99", runs_percentile(paint_runs, 99), "ms", 50.0)
    emit("scan_to_paint_p50", runs_percentile(paint_runs, 50), "ms")
    emit("scan_to_paint_handler_p99", runs_percentile(handler_runs, 99), "ms")
    window.close()
    ctx.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip interpreter teardown: PySide6 can crash while collecting Qt objects at exit


if __name__ == "__main__":
    sys.exit(main())
