"""The lifecycle every device service shares: open, claim, enable, disable, release, close.

UnifiedPOS' model, trimmed (notes §2.2, §7.2):

* ``open()``     the service exists and can be asked about; no I/O yet;
* ``claim()``    exclusive use inside this process (two services for the same address
                 cannot both hold it);
* ``enable()``   the worker thread starts: jobs run, status is polled, input flows;
* ``disable()``  the worker finishes what was queued and stops;
* ``release()``  gives up the claim;
* ``close()``    the end; the object cannot be reused.

``State`` is UPOS' CLOSED / IDLE / BUSY / ERROR. Subscribers get typed events
(``devices.events``) on the worker thread. Lifecycle methods are meant for the thread that
owns the service (the UI's composition root); they take a lock so that they are safe
anyway.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable

from counter.i18n import N_, _
from devices.errors import DeviceError, ErrorCode, device_name
from devices.events import DeviceEvent

log = logging.getLogger(__name__)

Subscriber = Callable[[DeviceEvent], None]


class State(enum.Enum):
    CLOSED = "closed"
    IDLE = "idle"
    BUSY = "busy"
    ERROR = "error"


# Claims held in this process, by device address. A module-level table on purpose: it
# mirrors the operating system's exclusivity (one owner per port) for services built by
# different parts of the app (a printer and a drawer on the same serial port).
_claims: dict[str, object] = {}
_claims_lock = threading.Lock()


class DeviceService:
    """Base class: lifecycle flags, claim, subscribers. Subclasses start their worker."""

    def __init__(self, name: str, *, claim_key: str | None = None) -> None:
        self.name = name
        self.claim_key = claim_key or f"{type(self).__name__}:{id(self)}"
        self._lock = threading.RLock()
        self._state = State.CLOSED
        self._opened = False
        self._claimed = False
        self._enabled = False
        self._closed_for_good = False
        self._subscribers: list[Subscriber] = []
        self._on_close: list[Callable[[], None]] = []
        #: For ``sim://`` devices: the simulator behind it (a dev panel drives it).
        self.simulator: object | None = None

    # --- properties (any thread) ---

    @property
    def state(self) -> State:
        return self._state

    @property
    def enabled(self) -> bool:
        return self._enabled

    # --- lifecycle ---

    def open(self) -> None:
        with self._lock:
            if self._closed_for_good:
                raise self._error(
                    ErrorCode.CLOSED, N_("The {device} was closed and cannot be reopened."), N_("Restart the app.")
                )
            if self._opened:
                return
            self._opened = True
            self._state = State.IDLE

    def claim(self) -> None:
        with self._lock:
            self._require_open()
            if self._claimed:
                return
            with _claims_lock:
                holder = _claims.get(self.claim_key)
                if holder is not None and holder is not self:
                    raise DeviceError(
                        ErrorCode.CLAIMED,
                        _("The {device} is already in use by another part of the app.").format(
                            device=device_name(self.name)
                        ),
                        _("Check the device settings: two devices cannot share one address."),
                        device=self.name,
                    )
                _claims[self.claim_key] = self
            self._claimed = True

    def enable(self) -> None:
        with self._lock:
            self._require_open()
            if not self._claimed:
                raise self._error(
                    ErrorCode.NOT_CLAIMED,
                    N_("The {device} was not claimed before use."),
                    N_("This is a bug in the app."),
                )
            if self._enabled:
                return
            self._enabled = True
            self._start()

    def disable(self, timeout: float = 15.0) -> None:
        with self._lock:
            if not self._enabled:
                return
            self._enabled = False
        self._stop(timeout)  # outside the lock: the worker may need it to finish a job

    def release(self) -> None:
        self.disable()
        with self._lock:
            if not self._claimed:
                return
            with _claims_lock:
                if _claims.get(self.claim_key) is self:
                    del _claims[self.claim_key]
            self._claimed = False

    def close(self) -> None:
        self.release()
        with self._lock:
            if self._closed_for_good:
                return
            self._closed_for_good = True
            self._opened = False
            self._state = State.CLOSED
            hooks, self._on_close = self._on_close, []
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.exception("close hook of %s failed", self.name)

    def add_close_hook(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` on close() (e.g. stop a simulator the factory started)."""
        self._on_close.append(hook)

    def __enter__(self) -> DeviceService:
        self.open()
        self.claim()
        self.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- events ---

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` on the worker thread for every event; returns unsubscribe."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, event: DeviceEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # a subscriber's bug must not kill the device worker
                log.exception("subscriber of %s failed on %r", self.name, event)

    # --- for subclasses ---

    def _start(self) -> None:
        """Start the worker (called with the lock held)."""

    def _stop(self, timeout: float) -> None:
        """Stop the worker after it finished queued work (called without the lock)."""

    def _set_state(self, state: State) -> None:
        if self._state is not State.CLOSED:
            self._state = state

    def _require_open(self) -> None:
        if not self._opened:
            raise self._error(ErrorCode.CLOSED, N_("The {device} is not open."), N_("This is a bug in the app."))

    def _require_enabled(self) -> None:
        if not self._opened:
            raise self._error(ErrorCode.CLOSED, N_("The {device} is not open."), N_("This is a bug in the app."))
        if not self._claimed:
            raise self._error(
                ErrorCode.NOT_CLAIMED, N_("The {device} was not claimed before use."), N_("This is a bug in the app.")
            )
        if not self._enabled:
            raise DeviceError(
                ErrorCode.DISABLED,
                _("The {device} is switched off in the app.").format(device=device_name(self.name)),
                _("Enable it in the device settings, or restart the app."),
                device=self.name,
            )

    def _error(self, code: ErrorCode, message: str, hint: str) -> DeviceError:
        """``message`` (marked with ``N_``, naming ``{device}``) and ``hint`` in the current language."""
        return DeviceError(code, _(message).format(device=device_name(self.name)), _(hint), device=self.name)
