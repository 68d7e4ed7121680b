"""Print jobs: which receipts did not print, and printing them again (GUI thread).

Every receipt, report and copy is a persisted job (``print_jobs``). A reference (receipt,
return or report number) whose newest job failed is *unprinted*: the status bar says how
many there are, and the print-jobs window lists the recent jobs and prints a copy of the
selected one. A copy is always marked COPY n and journaled as ReceiptReprinted, like F11:
a sale or gift receipt is rebuilt from the recorded sale; anything else (a return
receipt, a report) is its stored bytes behind a "COPY n" banner.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QPushButton, QTableWidget, QTableWidgetItem, QWidget

from app.context import AppContext
from counter.dates import show_day
from counter.documents import ReceiptKind
from counter.errors import CounterError
from counter.i18n import N_, _
from counter.people.users import User
from counter.sales.commands import record_reprint
from counter.sales.sale import receipt_for
from devices.escpos.encoder import render_copy_banner
from ui.columns import Column, ColumnFit, LineDetail
from ui.devices.printing import PrintBridge
from ui.dialogs import CounterDialog
from ui.theme import scaled

# Translators: the print jobs' columns ("Kind": receipt, report…; "Copy": its copy number)
COLUMNS = (N_("Time"), N_("Document"), N_("Kind"), N_("Copy"), N_("State"), N_("What happened"))
#: a job's state as shown (the stored states are keys)
STATES = {"failed": N_("NOT PRINTED"), "done": N_("printed"), "sent": N_("printing…"), "queued": N_("waiting")}
#: what a job printed, by its stored kind (print_jobs.kind)
JOB_KINDS = {
    # Translators: a print job's kind in the print jobs list: a sale's receipt
    "sale": N_("sale"),
    # Translators: a print job's kind: a gift receipt
    "gift": N_("gift"),
    # Translators: a print job's kind: a return receipt
    "return": N_("return"),
    # Translators: a print job's kind: a voided sale's slip
    "void": N_("void"),
    "report": N_("report"),
    "slip": N_("slip"),
    "card_slip": N_("card slip"),
    "test": N_("test page"),
}


class ReprintError(CounterError):
    """A job that cannot be printed again."""


def unprinted(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest job of each reference, where that job failed (``jobs`` newest first)."""
    seen: set[str] = set()
    failed = []
    for job in jobs:
        if job["reference"] in seen:
            continue
        seen.add(job["reference"])
        if job["state"] == "failed":
            failed.append(job)
    return failed


def reprint(ctx: AppContext, printing: PrintBridge, user: User, job_id: str) -> str:
    """Print the document of ``job_id`` again as COPY n; returns what to tell the person."""
    job = ctx.reads.print_job(job_id)
    if job is None:
        raise ReprintError(_("That print job is no longer in the store."), _("Pick another one."))
    reference, kind = job["reference"], job["kind"]
    sale = None
    if kind in (ReceiptKind.SALE, ReceiptKind.GIFT):
        sale = ctx.reads.sale_by_number(reference.split("/")[0])
        if sale is None:
            said = _("The sale {receipt} is not in this store.").format(receipt=reference)
            raise ReprintError(said, _("Print it where it was sold."))
    copy_number = ctx.handle(record_reprint, user, reference)
    receipt = None if sale is None else receipt_for(sale, ctx.store, kind=ReceiptKind(kind), copy_number=copy_number)
    if receipt is not None:
        printing.print_receipt(receipt, reference=reference, copy_number=copy_number)
    else:
        data = render_copy_banner(copy_number, printing.profile) + bytes(job["payload"])
        printing.print_bytes(data, kind=kind, reference=reference, copy_number=copy_number)
    return _("Printing {reference} again, marked COPY {copy}.").format(reference=reference, copy=copy_number)


class PrintJobsDialog(CounterDialog):
    """The recent jobs, newest first; Enter prints the selected one again (as a copy)."""

    def __init__(self, parent: QWidget | None, ctx: AppContext, printing: PrintBridge, user: User | None) -> None:
        super().__init__(parent, _("Print jobs"), _("Receipts and reports sent to the printer, newest first"))
        self.ctx, self.printing, self.user = ctx, printing, user
        self.setMinimumSize(scaled(940), scaled(520))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("printJobs")
        self.table.setAccessibleName(_("Print jobs"))
        self.table.setAccessibleDescription(_("Up and Down pick a job; Enter prints a copy of it"))
        self.table.setHorizontalHeaderLabels([_(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setMinimumHeight(320)
        # what happened takes the rest, elided in the middle; the picked job's says it in full below
        self.columns = ColumnFit(self.table, len(COLUMNS) - 1, [Column(n) for n in range(len(COLUMNS) - 1)])
        # Enter reaches the default button; the table's activation on Enter is passed on to
        # the dialog too, so connecting it printed two copies for one key.
        self.table.itemDoubleClicked.connect(lambda _item: self._try_accept())
        self.form.addRow(self.table)
        self.form.addRow(LineDetail(self.columns))
        self.ok_button.setText(_("Print a copy  (Enter)"))
        self.cancel_button.setText(_("Close  (Esc)"))
        self.message = ""
        printing.jobs_changed.connect(self.reload)  # a copy sent from here shows as it prints
        self.reload()

    def reload(self) -> None:
        jobs = self.ctx.reads.recent_print_jobs(100)
        current = self._selected_id()
        self.table.setRowCount(len(jobs))
        for row, job in enumerate(jobs):
            moment = datetime.fromisoformat(job["created_at"])
            when = show_day(moment, self.ctx.store.locale, self.ctx.store.zone, clock=True)
            state = _(STATES[job["state"]]) if job["state"] in STATES else job["state"]
            label = JOB_KINDS.get(job["kind"])
            kind = _(label) if label else job["kind"]
            cells = (when, job["reference"], kind, str(job["copy_number"] or ""), state, job["error"] or "")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, job["id"])
                if job["state"] == "failed":
                    item.setForeground(Qt.GlobalColor.darkRed)
                if col == len(cells) - 1:
                    item.setToolTip(text)
                self.table.setItem(row, col, item)
            if job["id"] == current:
                self.table.selectRow(row)
        if self.table.currentRow() < 0 and jobs:
            failed = next((n for n, j in enumerate(jobs) if j["state"] == "failed"), 0)
            self.table.selectRow(failed)

    def _selected_id(self) -> str | None:
        item = self.table.item(self.table.currentRow(), 0) if self.table.currentRow() >= 0 else None
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def validate(self) -> None:
        """Enter: print a copy of the selected job; the window stays open to show it."""
        job_id = self._selected_id()
        if job_id is None:
            raise ReprintError(_("Pick a job in the list first."), "")
        if self.user is None:
            raise ReprintError(_("Sign in first: a copy is recorded with your name."), "")
        self.message = reprint(self.ctx, self.printing, self.user, job_id)
        self.error.hide()
        self.headline.setText(self.message)
        raise _Stay()

    def _try_accept(self) -> None:
        with contextlib.suppress(_Stay):  # a copy was sent: stay open on the list
            super()._try_accept()


class _Stay(Exception):
    """Internal: a copy was sent; the window stays open on the updated list."""


def failed_summary(ctx: AppContext) -> tuple[int, str]:
    """(how many documents did not print, a sentence for the status bar's tooltip)."""
    failed = unprinted(ctx.reads.recent_print_jobs(200))
    if not failed:
        return 0, _("Every recent receipt printed.")
    names = ", ".join(j["reference"] for j in failed[:5]) + ("…" if len(failed) > 5 else "")
    return len(failed), _("Not printed: {references}. Open the print jobs (Ctrl+Shift+P) to print a copy.").format(
        references=names
    )


def jobs_indicator(on_click: Callable[[], None]) -> QPushButton:
    """The status bar's "N not printed" button (hidden while everything printed)."""
    button = QPushButton("")
    button.setObjectName("printJobsIndicator")
    button.setFlat(True)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.clicked.connect(on_click)
    button.hide()
    return button
