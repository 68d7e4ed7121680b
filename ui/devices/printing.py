"""The spooler's Qt face: the screens' signals for what the print spooler does.

The spooler (``app.spooler``) renders, masks, persists, sends and records jobs, with no
Qt; it tells what happens on the thread it happens on (a finished job on the printer's
worker thread). ``PrintBridge`` re-emits that as Qt signals, which Qt queues to the GUI
thread because this QObject lives there.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.context import AppContext
from app.reactions import Reactions, documents_folder
from app.spooler import JobFinished, JobQueued, PrinterChanged, Spooler, SpoolEvent
from counter.documents import Receipt
from devices.escpos.decode import decode
from devices.escpos.encoder import PrinterProfile
from devices.escpos.status import PrinterStatus
from devices.printer import ReceiptPrinter

#: the kind of print job that is a cash-office report (X, Z), not a customer's document
REPORT = "report"


class PrintBridge(QObject):
    preview_ready = Signal(object, str)  # devices.escpos.decode.Decoded, the job's kind (REPORT: a report)
    job_finished = Signal(str, str, str)  # job id, reference, error text ("" when printed)
    status_changed = Signal(object)  # PrinterStatus
    printer_replaced = Signal()  # the printer was set up anew (device settings saved)
    jobs_changed = Signal()  # a job was added or finished: the print-jobs indicator re-reads
    _event = Signal(object)  # any thread -> GUI thread

    def __init__(self, ctx: AppContext, printer: ReceiptPrinter | None, profile: PrinterProfile) -> None:
        super().__init__()
        self.spooler = Spooler(ctx.uow, ctx.clock, printer, profile)
        #: the documents a commit made due, carried out after it (and after a restart)
        self.reactions = Reactions(
            ctx.uow, ctx.read_uow, ctx.clock, self.spooler, lambda: documents_folder(ctx.data_dir)
        )
        self.reactions.subscribe_to(ctx.after_commit)
        self._event.connect(self._on_event)
        self.spooler.subscribe(self._event.emit)

    @property
    def printer(self) -> ReceiptPrinter | None:
        return self.spooler.printer

    @property
    def profile(self) -> PrinterProfile:
        return self.spooler.profile

    def set_printer(self, printer: ReceiptPrinter | None, profile: PrinterProfile) -> None:
        self.spooler.set_printer(printer, profile)

    @property
    def status(self) -> PrinterStatus | None:
        return self.spooler.status

    def print_receipt(self, receipt: Receipt, *, reference: str, copy_number: int) -> str:
        return self.spooler.print_receipt(receipt, reference=reference, copy_number=copy_number)

    def print_bytes(self, data: bytes, *, kind: str, reference: str, copy_number: int) -> str:
        return self.spooler.print_bytes(data, kind=kind, reference=reference, copy_number=copy_number)

    def _on_event(self, event: SpoolEvent) -> None:  # GUI thread
        if isinstance(event, JobQueued):
            self.jobs_changed.emit()
            self.preview_ready.emit(decode(event.data, page=self.profile.page), event.kind)
        elif isinstance(event, JobFinished):
            self.job_finished.emit(event.job_id, event.reference, event.error)
            self.jobs_changed.emit()
        elif isinstance(event, PrinterChanged):
            if event.status is None:
                self.printer_replaced.emit()
            else:
                self.status_changed.emit(event.status)
