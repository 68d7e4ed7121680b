"""``ReceiptPrinter``: one ESC/POS printer, one worker thread, one queue of jobs.

Why a worker: every I/O call can take seconds (connect 3 s, write 10 s, status 1 s), and
python-escpos objects, sockets and serial ports are not thread-safe. So all I/O for one
connection happens on one thread (``printer:<name>``), and callers only ``submit()``.

A job runs as (notes §7.3):

1. open the link (one connection per job);
2. pre-check: ``DLE EOT 1..4``. Offline, cover open, no paper -> the job fails with that
   error and nothing is sent. No answer -> TIMEOUT when ``require_status`` (the default;
   a missing reply is UNKNOWN, never OK);
3. one ``write`` of the whole job;
4. post-check: the same status requests. A dropped connection, no answer, paper out or
   cover open now -> an error with ``may_have_printed=True``;
5. ``on_done(job_id, None | DeviceError)``, plus an ``OutputComplete`` or
   ``DeviceErrorEvent`` to subscribers.

It never resends on its own: whether to print again after an unknown outcome is the
cashier's call (a duplicate receipt is a real problem at a returns counter).

While idle it polls the status every ``poll_interval`` seconds and emits ``StatusChanged``
only when the status differs from the last one.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from counter.i18n import _
from devices import errors
from devices.errors import DeviceError, ErrorCode, device_name, map_exception
from devices.escpos.encoder import PrinterProfile
from devices.escpos.status import (
    STATUS_REQUESTS,
    UNKNOWN,
    UNREACHABLE,
    Paper,
    PrinterStatus,
    parse_status,
    status_request,
)
from devices.events import DeviceErrorEvent, OutputComplete, StatusChanged
from devices.lifecycle import DeviceService, State
from devices.links.base import Link

log = logging.getLogger(__name__)

OnDone = Callable[[str, DeviceError | None], None]


@dataclass(frozen=True)
class _Job:
    job_id: str
    data: bytes
    on_done: OnDone | None
    paper_needed: bool = True
    expires_at: float | None = None  # time.monotonic() after which the job is dropped


_STOP = object()
_POLL = object()


class ReceiptPrinter(DeviceService):
    """One receipt printer. Construct through ``devices.urls.open_printer`` normally.

    ``link_factory`` returns a fresh, unopened link for each job and each status poll.
    """

    def __init__(
        self,
        link_factory: Callable[[], Link],
        *,
        name: str = "receipt printer",
        profile: PrinterProfile | None = None,
        poll_interval: float = 3.0,
        require_status: bool = True,
        drawer_open_when_high: bool | None = True,
        claim_key: str | None = None,
    ) -> None:
        super().__init__(name, claim_key=claim_key)
        self.profile = profile or PrinterProfile()
        self.poll_interval = poll_interval
        self.require_status = require_status
        self.drawer_open_when_high = drawer_open_when_high
        self._link_factory = link_factory
        self._queue: queue.Queue[object] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._status: PrinterStatus = UNKNOWN
        self._status_reported = False
        self._ids: set[str] = set()
        #: The error of the last status poll, for a diagnostics screen.
        self.last_poll_error: DeviceError | None = None

    # --- API (any thread) ---

    @property
    def status(self) -> PrinterStatus:
        """The last status read (UNKNOWN before the first poll)."""
        return self._status

    def submit(
        self,
        job_id: str,
        data: bytes,
        on_done: OnDone | None = None,
        *,
        paper_needed: bool = True,
        ttl: float | None = None,
    ) -> None:
        """Queue one job and return at once; ``on_done`` runs on the worker thread.

        Raises DeviceError right away (no callback) if the printer is not enabled, or
        if a job with this id is still queued or printing (BUSY).

        ``paper_needed=False`` is for drawer kicks: paper out or an open cover does not
        stop them (the printer must still answer). ``ttl`` drops a job that waited longer
        than that many seconds in the queue (a drawer must not pop open long after the
        cashier asked; notes §3.4, §5.3).
        """
        if not isinstance(data, bytes | bytearray) or not data:
            raise ValueError("A print job is a non-empty bytes object.")
        with self._lock:
            self._require_enabled()
            if job_id in self._ids:
                raise DeviceError(
                    ErrorCode.BUSY,
                    _("This receipt is already printing."),
                    _("Wait for it to come out before printing it again."),
                    device=self.name,
                )
            self._ids.add(job_id)
            expires_at = time.monotonic() + ttl if ttl is not None else None
            self._queue.put(_Job(job_id, bytes(data), on_done, paper_needed, expires_at))

    def refresh_status(self) -> None:
        """Ask the worker to read the status now (e.g. after the cashier fixed paper)."""
        with self._lock:
            self._require_enabled()
            self._queue.put(_POLL)

    @property
    def pending(self) -> int:
        """Jobs queued or printing."""
        with self._lock:
            return len(self._ids)

    # --- worker lifecycle ---

    def _start(self) -> None:
        self._queue = queue.Queue()
        self._queue.put(_POLL)  # know the status as soon as the printer is enabled
        self._worker = threading.Thread(target=self._run, name=f"printer:{self.name}", daemon=True)
        self._worker.start()

    def _stop(self, timeout: float) -> None:
        worker, self._worker = self._worker, None
        if worker is None:
            return
        self._queue.put(_STOP)
        if worker is not threading.current_thread():
            worker.join(timeout)
            if worker.is_alive():
                log.warning("%s worker did not stop within %.1f s", self.name, timeout)

    # --- worker thread ---

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self.poll_interval)
            except queue.Empty:
                item = _POLL
            if item is _STOP:
                return
            try:
                if item is _POLL:
                    self._poll()
                elif isinstance(item, _Job):
                    self._print(item)
            except Exception:  # the worker must survive anything; log and go on
                log.exception("%s worker failed on %r", self.name, item)

    def _poll(self) -> None:
        link: Link | None = None
        try:
            link = self._link_factory()
            link.open()
            status = self._read_status(link)
            self.last_poll_error = None
        except Exception as exc:
            error = map_exception(exc, device=self.name)
            self.last_poll_error = error
            status = UNREACHABLE if error.code in _UNREACHABLE_CODES else UNKNOWN
        finally:
            if link is not None:
                link.close()
        self._update_status(status)
        if self.state is not State.BUSY:
            self._set_state(State.IDLE if status.ready or not self.require_status else State.ERROR)

    def _print(self, job: _Job) -> None:
        self._set_state(State.BUSY)
        error: DeviceError | None = None
        link: Link | None = None
        try:
            link = self._link_factory()
            error = self._send(link, job)
        except Exception as exc:  # anything unexpected still ends the job with an error
            error = map_exception(exc, device=self.name, writing=link is not None)
        finally:
            if link is not None:
                link.close()
        with self._lock:
            self._ids.discard(job.job_id)
        self._set_state(State.ERROR if error else State.IDLE)
        if error is None:
            self._emit(OutputComplete(self.name, job.job_id))
        else:
            log.warning("%s job %s failed: %r", self.name, job.job_id, error)
            self._emit(DeviceErrorEvent(self.name, error, job.job_id))
        if job.on_done is not None:
            try:
                job.on_done(job.job_id, error)
            except Exception:
                log.exception("on_done of job %s failed", job.job_id)

    def _send(self, link: Link, job: _Job) -> DeviceError | None:
        """Pre-check, write, post-check. Returns the error, or None when all went well."""
        if job.expires_at is not None and time.monotonic() > job.expires_at:
            return DeviceError(
                ErrorCode.TIMEOUT,
                _("The {device} was busy for too long, so this request was dropped.").format(
                    device=device_name(self.name)
                ),
                _("Try again when the printer is ready."),
                device=self.name,
            )
        try:
            link.open()
            before = self._read_status(link)
        except DeviceError as exc:
            if exc.code in _UNREACHABLE_CODES:
                self._update_status(UNREACHABLE)
            return exc
        self._update_status(before)
        refusal = self._problem(before, may_have_printed=False, paper_needed=job.paper_needed)
        if refusal is not None:
            return refusal

        try:
            link.write(job.data)
        except DeviceError as exc:
            return exc

        try:
            after = self._read_status(link)
        except DeviceError:
            return errors.dropped(self.name)
        self._update_status(after)
        return self._problem(after, may_have_printed=True, paper_needed=job.paper_needed)

    def _read_status(self, link: Link) -> PrinterStatus:
        replies: dict[int, bytes | None] = {}
        for n in STATUS_REQUESTS:
            reply = link.query(status_request(n))
            replies[n] = reply
            if reply is None and n == 1:
                break  # no answer to the basic request: the others will not come either
        status = parse_status(replies, drawer_open_when_high=self.drawer_open_when_high)
        return replace(status, reachable=True)

    def _problem(
        self, status: PrinterStatus, *, may_have_printed: bool, paper_needed: bool = True
    ) -> DeviceError | None:
        if not status.known:
            if self.require_status:
                return errors.not_answering(self.name, may_have_printed=may_have_printed)
            return None
        if not paper_needed:
            return None
        if status.cover_open:
            return errors.cover_open(self.name, may_have_printed=may_have_printed)
        if status.paper is Paper.EMPTY:
            return errors.paper_out(self.name, may_have_printed=may_have_printed)
        if status.cutter_error:
            return errors.cutter_error(self.name)
        if status.unrecoverable_error:
            return DeviceError(
                ErrorCode.FAILURE,
                _("The {device} reports an error it cannot recover from.").format(device=device_name(self.name)),
                _("Switch the printer off and on again; if it persists, call support."),
                device=self.name,
                may_have_printed=may_have_printed,
            )
        if not status.online:
            return errors.offline(self.name, may_have_printed=may_have_printed)
        return None

    def _update_status(self, status: PrinterStatus) -> None:
        previous = self._status
        self._status = status
        if status != previous or not self._status_reported:
            self._status_reported = True
            self._emit(StatusChanged(self.name, status, previous))


_UNREACHABLE_CODES = {ErrorCode.OFFLINE, ErrorCode.NO_HARDWARE, ErrorCode.PERMISSION_DENIED, ErrorCode.CLAIMED}
