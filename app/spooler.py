"""The print spooler: render, mask, persist, send, and record what the printer answered.

The order matters: the job (its exact bytes) is written to the store *before* it goes to
the printer, so a printer fault or a crash never loses a receipt; its state moves from
queued to sent, then done or failed, as the printer answers. Nothing is resent on its own:
the cashier reprints (F11), and the copy says COPY. A job that carries out a due document
(counter.trust.outbox) is written in the transaction that settles it, so a receipt is always
either due or a job.

No Qt: what happens is told to listeners (``subscribe``), on the thread it happens on; the
finished-job callback comes on the printer's worker thread. ``ui.devices.printing.PrintBridge``
re-emits them as Qt signals for the screens.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from app.crashpoints import crash_point
from counter.documents import Receipt
from counter.errors import CounterError
from counter.i18n import N_, SOURCE_LANGUAGE, _, use_language
from counter.ports import Clock, UnitOfWork
from counter.trust.carddata import mask_card_bytes
from counter.trust.outbox import DueState
from devices.escpos.encoder import PrinterProfile, render_receipt
from devices.escpos.status import UNKNOWN, PrinterStatus
from devices.events import StatusChanged
from devices.printer import ReceiptPrinter

log = logging.getLogger(__name__)

#: shown with ``_(NO_PRINTER)``
NO_PRINTER = N_("No receipt printer is set up: set one in Devices (Ctrl+Shift+D on the sale screen).")


@dataclass(frozen=True)
class JobQueued:
    job_id: str
    reference: str
    data: bytes  # what was spooled (masked), for the preview
    kind: str = ""  # sale, gift, return, report, ... (print_jobs.kind)


@dataclass(frozen=True)
class JobFinished:
    job_id: str
    reference: str
    error: str  # "" when printed


@dataclass(frozen=True)
class PrinterChanged:
    status: PrinterStatus | None  # None: the printer was set up anew


SpoolEvent = JobQueued | JobFinished | PrinterChanged


class AlreadyCarriedOut(CounterError):
    """The due document was settled meanwhile (by another screen or an earlier answer)."""


class Spooler:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        printer: ReceiptPrinter | None,
        profile: PrinterProfile,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self.printer = printer
        self.profile = profile
        self._listeners: list[Callable[[SpoolEvent], None]] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._watch(printer)

    # ------------------------------------------------------------------ listeners
    def subscribe(self, listener: Callable[[SpoolEvent], None]) -> Callable[[], None]:
        """``listener`` hears every event from now on, and at once the printer's state if it
        has answered already: the printer's worker may report before anyone listens (the
        window's printer item stayed at "checking…" when it did)."""
        self._listeners.append(listener)
        status = self.status
        if status is not None and status != UNKNOWN:
            listener(PrinterChanged(status))
        return lambda: self._listeners.remove(listener)

    def _tell(self, event: SpoolEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's fault never stops the spool
                log.exception("a print-spool listener failed")

    # ------------------------------------------------------------------ printer
    def set_printer(self, printer: ReceiptPrinter | None, profile: PrinterProfile) -> None:
        """Use another printer from now on. The caller closes the old one; its jobs still
        in flight report back through their own callbacks."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.printer, self.profile = printer, profile
        self._watch(printer)
        self._tell(PrinterChanged(None))

    def _watch(self, printer: ReceiptPrinter | None) -> None:
        if printer is not None:
            self._unsubscribe = printer.subscribe(self._on_device_event)  # on the worker thread

    def _on_device_event(self, event: object) -> None:
        if isinstance(event, StatusChanged):
            self._tell(PrinterChanged(event.status))

    @property
    def status(self) -> PrinterStatus | None:
        return self.printer.status if self.printer else None

    def state_words(self) -> str:
        """The printer's state in a few words for HQ's lanes page ("Ready", "Out of paper",
        "Not connected"; "unknown" before its first answer). Any thread. In English: HQ's
        page shows them in its own language."""
        status = self.status
        if status is None:
            return "Not connected"
        if not status.known and status.reachable is None:  # not polled yet
            return "unknown"
        with use_language(SOURCE_LANGUAGE):
            return status.describe()

    # ------------------------------------------------------------------ jobs
    def print_receipt(self, receipt: Receipt, *, reference: str, copy_number: int, settles: str | None = None) -> str:
        data = render_receipt(receipt, self.profile)
        return self.print_bytes(
            data, kind=str(receipt.kind), reference=reference, copy_number=copy_number, settles=settles
        )

    def print_bytes(
        self, data: bytes, *, kind: str, reference: str, copy_number: int, settles: str | None = None
    ) -> str:
        """Persist the job (settling the due document ``settles`` in the same transaction),
        then send it; returns the job id. Raises AlreadyCarriedOut when ``settles`` was no
        longer due (nothing is written or printed then)."""
        data = mask_card_bytes(data)  # no card number is spooled or printed (docs/trust.md)
        job_id = str(uuid.uuid4())
        now = self._clock.now()
        with self._uow() as uow:
            if settles is not None and not uow.outbox.settle(settles, DueState.DONE, now):
                raise AlreadyCarriedOut(
                    _("{reference} was already printed.").format(reference=reference),
                    _("Reprint it as a copy if needed (F11)."),
                )
            uow.print_jobs.add(job_id, kind, reference, data, copy_number, now)
            uow.commit()
        crash_point("spool.job_written")
        self._tell(JobQueued(job_id, reference, data, kind))
        if self.printer is None:
            self._finish(job_id, reference, _(NO_PRINTER))
            return job_id
        try:
            self._mark(job_id, "sent", None)
            crash_point("spool.sent")
            self.printer.submit(job_id, data, on_done=lambda jid, err: self._finish(jid, reference, _text(err)))
        except CounterError as exc:
            self._finish(job_id, reference, _text(exc))
        return job_id

    def _mark(self, job_id: str, state: str, error: str | None) -> None:
        with self._uow() as uow:
            uow.print_jobs.mark(job_id, state, error, self._clock.now())
            uow.commit()

    def _finish(self, job_id: str, reference: str, text: str) -> None:
        """Record the job's outcome (any thread) and tell the listeners."""
        try:
            self._mark(job_id, "failed" if text else "done", text or None)
        except Exception:  # the sale is already safe; a failed bookkeeping write is logged
            log.exception("could not record the print job's outcome")
        crash_point("spool.finished")
        self._tell(JobFinished(job_id, reference, text))


def _text(error: CounterError | None) -> str:
    return f"{error.message} {error.hint}".strip() if error is not None else ""
