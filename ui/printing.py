"""Printing receipts: render, persist the job, send it, and report back on the GUI thread.

The order matters: the job (its exact bytes) is written to the store *before* it goes to
the printer, so a printer fault or a crash never loses a receipt; its state moves from
queued to sent/done/failed as the printer answers. Nothing is resent on its own: the
cashier reprints (F11), and the copy says COPY.

Device callbacks arrive on the printer's worker thread; they are re-emitted through Qt
signals, which Qt queues to the GUI thread because this QObject lives there.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from counter.carddata import mask_card_bytes
from counter.documents import Receipt
from counter.errors import CounterError
from db.queries import print_jobs_for
from devices.escpos.decode import decode
from devices.escpos.encoder import PrinterProfile, render_receipt
from devices.escpos.status import PrinterStatus
from devices.events import StatusChanged
from devices.printer import ReceiptPrinter
from ui.context import AppContext

log = logging.getLogger(__name__)


class PrintBridge(QObject):
    preview_ready = Signal(object)  # devices.escpos.decode.Decoded
    job_finished = Signal(str, str, str)  # job id, reference, error text ("" when printed)
    status_changed = Signal(object)  # PrinterStatus
    printer_replaced = Signal()  # the printer was set up anew (device settings saved)
    jobs_changed = Signal()  # a job was added or finished: the print-jobs indicator re-reads
    _job_done = Signal(str, object)  # from the worker thread: job id, DeviceError | None
    _device_event = Signal(object)

    def __init__(self, ctx: AppContext, printer: ReceiptPrinter | None, profile: PrinterProfile) -> None:
        super().__init__()
        self.ctx = ctx
        self.printer = printer
        self.profile = profile
        self._references: dict[str, str] = {}
        self._job_done.connect(lambda job_id, err: self._finish(job_id, _text(err)))
        self._device_event.connect(self._on_device_event)
        self._unsubscribe: Callable[[], None] | None = None
        if printer is not None:
            self._unsubscribe = printer.subscribe(self._device_event.emit)  # called on the worker thread

    def set_printer(self, printer: ReceiptPrinter | None, profile: PrinterProfile) -> None:
        """Use another printer from now on (GUI thread). The caller closes the old one;
        its jobs still in flight report back through their own callbacks."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.printer, self.profile = printer, profile
        if printer is not None:
            self._unsubscribe = printer.subscribe(self._device_event.emit)
        self.printer_replaced.emit()

    @property
    def status(self) -> PrinterStatus | None:
        return self.printer.status if self.printer else None

    def print_receipt(self, receipt: Receipt, *, reference: str, copy_number: int) -> str:
        data = render_receipt(receipt, self.profile)
        return self.print_bytes(data, kind=str(receipt.kind), reference=reference, copy_number=copy_number)

    def print_bytes(self, data: bytes, *, kind: str, reference: str, copy_number: int) -> str:
        """Persist the job, show it in the preview, send it; returns the job id."""
        data = mask_card_bytes(data)  # no card number is spooled or printed (docs/trust.md)
        job_id = str(uuid.uuid4())
        with self.ctx.uow() as uow:
            uow.print_jobs.add(job_id, kind, reference, data, copy_number, self.ctx.clock.now())
            uow.commit()
        self._references[job_id] = reference
        self.jobs_changed.emit()
        self.preview_ready.emit(decode(data, page=self.profile.page))
        if self.printer is None:
            self._finish(job_id, "No receipt printer is set up: set one in Devices (Ctrl+Shift+D on the sale screen).")
            return job_id
        try:
            self._mark(job_id, "sent", None)
            self.printer.submit(job_id, data, on_done=lambda jid, err: self._job_done.emit(jid, err))
        except CounterError as exc:
            self._finish(job_id, _text(exc))
        return job_id

    def next_copy_number(self, reference: str) -> int:
        jobs = print_jobs_for(self.ctx.db.read, reference)
        return max((j["copy_number"] for j in jobs), default=0) + 1

    def _mark(self, job_id: str, state: str, error: str | None) -> None:
        with self.ctx.uow() as uow:
            uow.print_jobs.mark(job_id, state, error, self.ctx.clock.now())
            uow.commit()

    def _finish(self, job_id: str, text: str) -> None:
        """Record the job's outcome and tell the screen (GUI thread)."""
        try:
            self._mark(job_id, "failed" if text else "done", text or None)
        except Exception:  # the sale is already safe; a failed bookkeeping write is logged
            log.exception("could not record the print job's outcome")
        self.job_finished.emit(job_id, self._references.pop(job_id, ""), text)
        self.jobs_changed.emit()

    def _on_device_event(self, event: object) -> None:  # GUI thread
        if isinstance(event, StatusChanged):
            self.status_changed.emit(event.status)


def _text(error: CounterError | None) -> str:
    return f"{error.message} {error.hint}".strip() if error is not None else ""
