"""Start-up and memory at store scale.

``cold_start``: time from process start to the sign-in screen shown. Each run starts a
fresh ``python -c`` process (``QT_QPA_PLATFORM=offscreen``) that does what ``run_app``
does (QApplication, style, ``build_context``, ``build_window``, show, focus the PIN),
forces a paint of the window from the event loop, reports and exits. Time is counted from
just before the parent spawns the process, so it includes the interpreter and the imports.
The OS file cache is warm (the figure for a restart; after a reboot add the disk read of
whatever start-up touches, see ``--cold-cache``).

The store's integrity check (``PRAGMA quick_check``, which reads the whole file) runs
behind the sign-in screen on its own thread (ui/trust/startup_check.py); --check-runs of the
starts stay up until it answers.

Figures: ``cold_start_p50`` (median of --runs, target 2 s), ``cold_start_imports``,
``cold_start_context`` (opening the store: engines, migrations check, settings, key),
``cold_start_integrity_check`` (seconds from the window shown to the check's answer).
With ``--cold-cache``, also ``cold_start_db_cold_cache``: one start after evicting the
database file from the OS cache (posix_fadvise DONTNEED; no root needed).

``rss_after_1000_sales``: resident memory (VmRSS) of a process that signed in and
completed --sales sales through the sale screen (scanned by keyboard events, paid in cash
with F9 and Enter in the cash dialog, receipts rendered, printed to the simulated printer
and previewed). Target 200 MB. Also ``rss_after_start`` and ``rss_peak`` (VmHWM).
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DB_FILENAME, ROOT, emit, median, note, parser, require_dataset  # noqa: E402

START = r"""
import json, os, sys, time
t_spawn = float(sys.argv[2]); wait_check = sys.argv[3] == "wait"
marks = {}
def mark(key):
    marks[key] = time.time() - t_spawn
mark("interpreter")
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.context import build_context
from ui.main_window import build_window, load_style
mark("imports")
app = QApplication(sys.argv[:1])
app.setApplicationName("Counter")
load_style(app)
ctx = build_context(Path(sys.argv[1]), demo=False)
mark("context")
window = build_window(ctx)
window.resize(1366, 800)
window.show()
window.signin.focus()
mark("window")
marks["modules"] = {m: m in sys.modules for m in ("alembic", "escpos.capabilities", "reportlab", "biip")}
def finish():
    print("RESULT " + json.dumps(marks), flush=True)
    ctx.close()
    os._exit(0)
def check_done():
    check = window.startup_check
    if not check.done:
        QTimer.singleShot(50, check_done)
        return
    mark("check_done")
    marks["check_ok"] = check.result is None
    finish()
def shown():
    window.repaint()
    assert window.signin.isVisible() and window.signin.users.count() > 0
    mark("shown")
    if wait_check:
        check_done()
    else:
        finish()
QTimer.singleShot(0, shown)
app.exec()
"""

SALES = r"""
import ctypes, json, os, random, sys, time
from pathlib import Path
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from app.context import build_context
from ui.main_window import build_window, load_style

def rss():
    out = {}
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS", "VmHWM")):
            key, value = line.split(":")
            out[key] = int(value.split()[0]) / 1024
    return out

data_dir, n_sales, codes = Path(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
every = int(os.environ.get("COUNTER_SOAK_EVERY", "100"))
trace = os.environ.get("COUNTER_SOAK_TRACE") == "1"  # tracemalloc: what grew between reports (slow)
base = None
if trace:
    import tracemalloc
    tracemalloc.start(25)
sql_times = {}
if os.environ.get("COUNTER_SOAK_SQL") == "1":  # time of each statement, by its text, per report
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["soak_t"] = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info.pop("soak_t", time.perf_counter())
        n, total = sql_times.get(statement, (0, 0.0))
        sql_times[statement] = (n + 1, total + took)
app = QApplication(sys.argv[:1])
load_style(app)
# the start-up integrity check is timed by cold_start itself; not what this measures
ctx = build_context(data_dir, demo=False, overrides={"integrity_check_at_start": False})
from _common import settle_open_print_jobs
settle_open_print_jobs(ctx)  # receipts an earlier benchmark process left printing: no reprint dialog
window = build_window(ctx)
window.resize(1366, 800)
window.show()
app.processEvents()
start = rss()
users = window.signin.users
users.setCurrentRow(next(i for i in range(users.count()) if users.item(i).text().startswith("Maria")))
window.signin.pin.setText("1111")  # typed as fast as QTest types, it would look like a badge scan
window.signin.submit()
sale = window.sale
assert window.stack.currentWidget() is sale, window.signin.error.text()
rng = random.Random(5)
# PySide6 6.12.0 on Python 3.11 drops a reference to None in every call of a Qt method that
# returns nothing (setText, update, show, ...): after ~50,000 of them (~400 sales here) the
# process aborts with "none_dealloc". 6.11.2 does not. So that memory can be measured over
# 1,000 sales, the references are given back between sales; how many is reported.
none_at_start = sys.getrefcount(None)
none_lost = 0

def give_back_none():
    global none_lost
    deficit = none_at_start - sys.getrefcount(None)
    for _ in range(max(deficit, 0)):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    none_lost += max(deficit, 0)

def answer_cash_dialog():
    dialog = QApplication.activeModalWidget()
    if dialog is None:
        QTimer.singleShot(1, answer_cash_dialog)
        return
    QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)  # empty field: the exact amount

t0 = time.perf_counter()
done = 0
for n in range(n_sales):
    for _ in range(rng.choice((1, 2, 2, 3, 4, 6))):
        QTest.keyClicks(sale.input, rng.choice(codes))
        QTest.keyClick(sale.input, Qt.Key.Key_Return)
    before = sale.last_sale
    QTimer.singleShot(0, answer_cash_dialog)
    QTest.keyClick(sale.input, Qt.Key.Key_F9)
    if sale.last_sale is None or sale.last_sale is before:
        raise SystemExit("sale %d was not recorded: %s" % (n, sale.message.text()))
    done += 1
    app.processEvents()
    give_back_none()
    if n % every == every - 1:
        print("PROGRESS %d %.3f %.1f" % (n + 1, time.perf_counter() - t0, rss()["VmRSS"]), flush=True)
        if sql_times:
            top = sorted(sql_times.items(), key=lambda kv: -kv[1][1])[:12]
            for text, (count, total) in top:
                words = " ".join(text.split())[:160]
                line = "SQL %d %d %.1fms %.3fms/call %s" % (n + 1, count, total * 1000, total * 1000 / count, words)
                print(line, file=sys.stderr, flush=True)
            sql_times.clear()
        if trace:
            snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
            if base is None:
                base = snap
            else:
                for stat in snap.compare_to(base, "traceback")[:6]:
                    where = " | ".join([str(stat)] + stat.traceback.format()[-12:])
                    print("GROWTH %d %s" % (n + 1, where), file=sys.stderr, flush=True)
deadline = time.time() + 30
while time.time() < deadline and "Printing" in sale.message.text():
    app.processEvents()
    time.sleep(0.01)
end = rss()
give_back_none()
result = {"start": start, "end": end, "sales": done, "seconds": time.perf_counter() - t0, "none_lost": none_lost}
print("RESULT " + json.dumps(result), flush=True)
ctx.close()
os._exit(0)
"""


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT), str(ROOT / "bench"), env.get("PYTHONPATH", "")))
    return env


def start_once(data_dir: Path, *, wait_check: bool = False) -> dict[str, Any]:
    t_spawn = time.time()
    proc = subprocess.run(
        [sys.executable, "-c", START, str(data_dir), repr(t_spawn), "wait" if wait_check else "shown"],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=900,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[7:])
            return result
    raise SystemExit(f"start-up failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def evict(path: Path) -> None:
    """Drop this file's pages from the OS cache (clean pages only; no root needed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def run_sales(
    data_dir: Path, sales: int, *, seed: int, every: int = 100, label: str = "rss"
) -> tuple[list[tuple[int, float, float]], dict[str, Any]]:
    """Ring ``sales`` sales through the screen in a child (``SALES``): its reports every
    ``every`` sales (sales, seconds, RSS MB) and its result."""
    codes = sample_codes(data_dir, 300, seed)
    env = child_env()
    env["COUNTER_SOAK_EVERY"] = str(every)
    proc = subprocess.Popen(
        [sys.executable, "-c", SALES, str(data_dir), str(sales), json.dumps(codes)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    # The child's stderr is read as it comes (the offscreen platform writes a line per
    # dialog): left unread, the pipe fills after about a thousand sales and the child blocks.
    said: collections.deque[str] = collections.deque(maxlen=200)
    drain = threading.Thread(target=said.extend, args=(proc.stderr,), daemon=True)
    drain.start()
    progress: list[tuple[int, float, float]] = []
    result = None
    for line in proc.stdout:
        if line.startswith("PROGRESS "):
            n, seconds, rss = line.split()[1:4]
            progress.append((int(n), float(seconds), float(rss)))
            note(f"{label}: {int(n):,} sales in {float(seconds):.0f} s, RSS {float(rss):.1f} MB")
        elif line.startswith("RESULT "):
            result = json.loads(line[7:])
    proc.wait(timeout=120)
    drain.join(timeout=10)
    if result is None:
        raise SystemExit(f"the sales process failed ({proc.returncode}): {''.join(said)}")
    return progress, result


def sample_codes(data_dir: Path, n: int, seed: int) -> list[str]:
    from _common import printed_code, random_rowids, raw_connect

    raw = raw_connect(data_dir)
    rowids = random_rowids(raw, "items", n * 2, seed)
    marks = ",".join("?" * len(rowids[:900]))
    rows = raw.execute(
        f"SELECT barcode FROM items WHERE rowid IN ({marks}) AND active AND barcode IS NOT NULL", rowids[:900]
    )
    return [printed_code(r[0]) for r in rows][:n]


def main() -> int:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="start-ups, each timed to the sign-in screen painted")
    p.add_argument(
        "--check-runs", type=int, default=2, help="of those, how many wait for the integrity check (reads the file)"
    )
    p.add_argument("--sales", type=int, default=1000, help="sales for the memory figure (0: skip)")
    p.add_argument("--cold-cache", action="store_true", help="also one start with the database out of the OS cache")
    args = p.parse_args()
    manifest = require_dataset(args.data_dir)
    size_gb = (args.data_dir / DB_FILENAME).stat().st_size / 1e9
    note(f"cold_start: {manifest['counts']['items']:,} items, database {size_gb:.1f} GB")

    start_once(args.data_dir)  # warm-up: Python's bytecode cache, the OS cache of the code (not counted)
    runs = [start_once(args.data_dir, wait_check=n < args.check_runs) for n in range(args.runs)]
    for r in runs:
        note("cold_start: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in r.items()))
    checked = [r for r in runs if "check_done" in r]
    if not all(r["check_ok"] for r in checked):
        raise SystemExit("the integrity check reported damage on the benchmark store")
    emit("cold_start_p50", median([r["shown"] for r in runs]), "s", 2.0)
    emit("cold_start_imports", median([r["imports"] for r in runs]), "s")
    emit("cold_start_context", median([r["context"] - r["imports"] for r in runs]), "s")
    if checked:
        # behind the sign-in screen: from the window shown to the check's answer
        emit("cold_start_integrity_check", median([r["check_done"] - r["shown"] for r in checked]), "s")
    loaded = [m for m, on in runs[0]["modules"].items() if on]
    note(f"cold_start: loaded before the sign-in screen among alembic, escpos, reportlab, biip: {loaded or 'none'}")
    if args.cold_cache:
        evict(args.data_dir / DB_FILENAME)
        r = start_once(args.data_dir, wait_check=True)
        note(f"cold_start (db not cached): shown {r['shown']:.2f} s, integrity check {r['check_done']:.1f} s")
        emit("cold_start_db_cold_cache", r["shown"], "s", 2.0)

    if args.sales:
        _progress, result = run_sales(args.data_dir, args.sales, seed=args.seed, label="rss")
        note(f"rss: {result['sales']} sales through the screen in {result['seconds']:.0f} s")
        emit("rss_after_start", result["start"]["VmRSS"], "MB")
        emit(f"rss_after_{result['sales']}_sales", result["end"]["VmRSS"], "MB", 200.0)
        emit("rss_peak", result["end"]["VmHWM"], "MB")
        # PySide6 6.12.0 + Python 3.11: references to None lost per sale (0 with 6.11.2); the app
        # aborts once None's count (~50,000 at start) is used up
        emit("qt_none_refs_lost_per_sale", result["none_lost"] / max(result["sales"], 1), "refs", 0.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
