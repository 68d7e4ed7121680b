"""The return-to-vendor list from the returns and complaints analysis (issue #16, point 4)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt

from app.context import AppContext
from counter.returns.model import ProcessReturn, ReturnLineRequest
from counter.returns.policy import Condition, Reason
from counter.returns.process import process_return
from counter.returns.refunds import RefundMethod
from db.queries import list_users
from tests.ui.conftest import press, upc_codes
from tests.ui.test_return_flows import sell
from ui.desk.desk_views import AnalysisDialog
from ui.main_window import MainWindow


def test_v_saves_the_vendor_list_of_what_came_back_defective(app_window: tuple[AppContext, MainWindow]) -> None:
    ctx, window = app_window
    maria = next(u for u in list_users(ctx.db.read) if u.name.startswith("Maria"))
    sale = sell(ctx, upc_codes(ctx, 2), card=True)
    first = sale.lines[0]
    record = ctx.handle(
        process_return,
        ProcessReturn(
            str(uuid.uuid4()),
            maria,
            (ReturnLineRequest(1, Reason.DEFECTIVE, Condition.DEFECTIVE, first.id),),
            RefundMethod.ORIGINAL,
            sale.receipt_number,
        ),
    )
    dialog = AnalysisDialog(window, ctx)
    assert "Returns by where they went" in [dialog.table_pick.itemText(i) for i in range(dialog.table_pick.count())]
    press(dialog, Qt.Key.Key_V)
    saved = dialog.vendor_saved
    assert saved is not None and saved.parent == Path(ctx.data_dir) / "documents"
    assert dialog.summary.text().startswith(f"Saved {saved.name} in the documents folder: 1 units of 1 items")
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert "Return to vendor" in text and first.sku in text and record.return_number in text
    dialog.close()
