"""The integrated card terminal as the app runs it: opened from the settings, and watched.

``open_card_terminal`` builds the terminal of ``settings.card_terminal`` for the store's
currency (``devices.payment.open_terminal``; nothing is sent until the first call).
``TerminalWatch`` asks it ``status()`` every ``POLL_SECONDS`` on a thread of its own
(``card-terminal-watch``), because every call blocks (seconds when the terminal is away,
minutes while a payment holds it) and the status bar must never wait for one: the GUI
only reads the last answer (``reading()``). The watch owns the terminal's end: ``stop``
has its thread close the terminal once its call in hand returns, so that whoever stops it
(the GUI thread, on Save or on quitting) never waits on the terminal's lock.

No Qt here: the UI's device bridge (ui/devices/device_bridge.py) turns the watch's
callback into a queued signal.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from counter.i18n import N_, _
from counter.payments.terminal import PaymentTerminal, TerminalStatus
from devices.errors import map_exception
from devices.payment import open_terminal

log = logging.getLogger(__name__)

POLL_SECONDS = 10.0
#: A status call still running after this long means the terminal is held by a payment
#: (the ZVT calls wait their turn on one lock): longer than connecting and registering take.
BUSY_AFTER_SECONDS = 15.0
TERMINAL_NAME = "card terminal"

#: ISO 4217 numeric codes of the currencies a ZVT terminal is registered with; others get EUR.
CURRENCY_NUMBERS = {"EUR": 978, "USD": 840, "GBP": 826, "CHF": 756, "SEK": 752}
#: shown with ``_(OFFLINE_HINT)``
OFFLINE_HINT = N_(
    "Check that the terminal is switched on and connected and that its address is right; "
    "meanwhile take cards on a standalone terminal and key them in."
)


def currency_number(code: str) -> int:
    """The ISO 4217 numeric code of ``code`` (EUR's, 978, for any this map lacks)."""
    return CURRENCY_NUMBERS.get(code.strip().upper(), 978)


def is_simulated(url: str) -> bool:
    return url.strip().lower().startswith("sim://")


def open_card_terminal(url: str, *, currency: str, data_dir: Path | None = None) -> PaymentTerminal:
    """The terminal at ``url``; raises ``DeviceError(CONFIG)`` for an address that is not a
    card terminal's, and ``DeviceError`` when the simulator (``sim://terminal``, which keeps
    its ledger in ``data_dir``) cannot listen on its port."""
    state_path = str(data_dir / "sim-terminal.json") if data_dir is not None and is_simulated(url) else None
    try:
        return open_terminal(url, name=TERMINAL_NAME, currency_code=currency_number(currency), state_path=state_path)
    except OSError as exc:  # only the simulator does I/O here: it starts listening at once
        raise map_exception(exc, device="simulated card terminal") from exc


@dataclass(frozen=True)
class TerminalReading:
    """What the watch knows: the last answer (None before the first), and whether the
    terminal is busy (it said so, or the status call in hand has waited too long for it)."""

    status: TerminalStatus | None
    busy: bool = False


class TerminalWatch:
    """Asks ``terminal.status()`` now and every ``interval`` seconds on its own thread;
    ``on_change(status)`` runs on that thread whenever the answer's readiness or text changes."""

    def __init__(
        self,
        terminal: PaymentTerminal,
        *,
        interval: float = POLL_SECONDS,
        busy_after: float = BUSY_AFTER_SECONDS,
        on_change: Callable[[TerminalStatus], None] | None = None,
    ) -> None:
        self.terminal = terminal
        self.interval = interval
        self.busy_after = busy_after
        self.on_change = on_change
        self._lock = threading.Lock()
        self._status: TerminalStatus | None = None
        self._since: float | None = None  # monotonic start of the call in hand
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="card-terminal-watch", daemon=True)

    def start(self) -> TerminalWatch:
        self._thread.start()
        return self

    def reading(self) -> TerminalReading:
        """The last answer (any thread; never waits on the terminal)."""
        with self._lock:
            status, since = self._status, self._since
        running = time.monotonic() - since if since is not None else 0.0
        said_busy = status is not None and status.busy
        return TerminalReading(status, busy=said_busy or running >= self.busy_after)

    def check_soon(self) -> None:
        """Ask again now rather than at the next tick (after a payment, after a test)."""
        self._wake.set()

    def stop(self, wait: float = 2.0) -> None:
        """Stop asking and close the terminal: on the watch's thread once its call in hand
        returns (waited for up to ``wait`` seconds), or here when the thread never ran."""
        self._stop.set()
        self._wake.set()
        if not self._thread.is_alive():
            if self._thread.ident is None:  # never started: nobody else will close it
                self._close()
            return
        self._thread.join(wait)

    def _run(self) -> None:  # the watch's thread
        try:
            while not self._stop.is_set():
                self._check()
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            self._close()

    def _check(self) -> None:  # the watch's thread
        with self._lock:
            self._since = time.monotonic()
        try:
            status = self.terminal.status()
        except Exception as exc:  # status() answers rather than raises; a bug must not end the watch
            log.exception("card terminal status failed")
            text = _("The card terminal's status could not be read ({reason}).").format(reason=exc)
            status = TerminalStatus(ready=False, text=text)
        with self._lock:
            before, self._status, self._since = self._status, status, None
        changed = before is None or (before.ready, before.busy, before.text) != (status.ready, status.busy, status.text)
        if changed and self.on_change is not None and not self._stop.is_set():
            self.on_change(status)

    def _close(self) -> None:
        try:
            self.terminal.close()
        except Exception:  # closing is the last thing: log it, never raise into a thread's end
            log.exception("closing the card terminal failed")


__all__ = [
    "CURRENCY_NUMBERS",
    "OFFLINE_HINT",
    "TerminalReading",
    "TerminalWatch",
    "currency_number",
    "open_card_terminal",
]
