"""The lane's report to HQ carries the state of the printer its window drives (issue #18,
point 6): a real window with the simulated network printer, enrolled at a real HQ
(uvicorn over PostgreSQL); the printer runs out of paper, and the next sync's report says
so on HQ's lanes page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from sqlalchemy import Engine, select

from app.context import build_context
from db.engine import DB_FILENAME, open_database
from db.sync import enrol
from hq import access, schema as hs
from hq.serve import RunningHq
from tests.hq.conftest import hq, hq_engine, hq_server, pg_url, reference_data  # noqa: F401 - fixtures
from ui.main_window import build_window, load_style

pytestmark = pytest.mark.slow


def reported_printer(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(hs.lane_status.c.printer).where(hs.lane_status.c.terminal_id == "T03")).scalar())


def test_the_windows_printer_state_goes_to_hq_with_the_lanes_report(  # type: ignore[no-untyped-def]
    hq: RunningHq,  # noqa: F811 - the fixture imported above
    hq_engine: Engine,  # noqa: F811
    demo_template: Path,
    tmp_path: Path,
    qtbot,
) -> None:
    load_style(QApplication.instance())  # type: ignore[arg-type]
    shutil.copy2(demo_template / DB_FILENAME, tmp_path / DB_FILENAME)
    db = open_database(tmp_path)
    enrol(db.write, hq.url, access.new_enrol_code(hq_engine, "S01", "T03"))
    db.dispose()
    ctx = build_context(tmp_path, overrides={"printer": "sim://printer", "wedge": False})
    window = build_window(ctx)
    try:
        window.sync.close()  # the test syncs by hand
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.printer_label.text() == "Printer: Ready", timeout=10000)
        assert ctx.syncer is not None and ctx.syncer.cycle().online
        assert reported_printer(hq_engine) == "Ready"
        printer = window.printing.printer
        assert printer is not None
        printer.simulator.paper_out = True  # type: ignore[attr-defined]
        printer.refresh_status()
        qtbot.waitUntil(lambda: window.printer_label.text() == "Printer: Out of paper", timeout=10000)
        assert ctx.syncer.cycle().online
        assert reported_printer(hq_engine) == "Out of paper"
    finally:
        window.close()
        ctx.close()
