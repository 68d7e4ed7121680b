"""A lane's report of its state to HQ after each sync cycle's push (``POST
/v1/lane-status``, hq/lane_status.py): its backlog, its app version, its printer's state
in a few words and the other lanes' desk events it has not applied. HQ's back office shows
them on its lanes page.

A report goes when it differs from the last one HQ took, or ``RESEND_SECONDS`` after it
(so a busy lane's cycles, one per sale, do not each add a request, and HQ still sees a
quiet lane alive well within its 15 minutes of staleness).

The report is a courtesy: whatever becomes of it (HQ away, an older HQ that answers 404,
a refusal) the sync goes on; it is logged once per kind of failure, not every cycle.
The printer's state comes from a callable the app sets (``Syncer.printer_state``; the
screens wire the spooler's), so this layer knows nothing of devices or screens."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from importlib import metadata
from typing import TYPE_CHECKING, Any

from counter.sync.upstream import UpstreamUnavailable
from db.hq_client import HqRefused

if TYPE_CHECKING:
    from db.sync import Syncer

log = logging.getLogger(__name__)

DISTRIBUTION = "counter-pos"  # pyproject.toml's project name
UNKNOWN = "unknown"
RESEND_SECONDS = 60.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def app_version() -> str:
    """This lane's installed version of Counter ("unknown" when not installed as a package)."""
    try:
        return words(metadata.version(DISTRIBUTION), 40)
    except metadata.PackageNotFoundError:
        return UNKNOWN


def words(value: object, limit: int) -> str:
    """``value`` as HQ takes it: printable, at most ``limit`` characters, never empty."""
    text = _CONTROL.sub(" ", str(value)).strip()[:limit].strip()
    return text or UNKNOWN


def lane_report(syncer: Syncer) -> dict[str, Any]:
    try:
        printer = syncer.printer_state()
    except Exception:  # the app's callable is not the sync's to die of
        log.exception("sync: the printer's state could not be read")
        printer = UNKNOWN
    return {
        "store": syncer.config.store,
        "terminal": syncer.config.terminal,
        "backlog": syncer.backlog(),
        "app_version": app_version(),
        "printer": words(printer, 60),
        "desk_waiting": len(syncer.desk_waiting()),
    }


class LaneReporter:
    """Sends the report; never raises for HQ's answer, and logs a failure once per kind."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last_failure = ""
        self.sent = 0
        self._last: tuple[dict[str, Any], float] | None = None  # the last report HQ took, and when

    def send(self, syncer: Syncer) -> bool:
        """Report unless HQ took the same report less than ``RESEND_SECONDS`` ago; False
        when HQ did not take it (logged)."""
        report, now = lane_report(syncer), self.clock()
        if self._last is not None and self._last[0] == report and now - self._last[1] < RESEND_SECONDS:
            return True
        try:
            syncer.client.lane_status(report)
        except HqRefused as exc:
            said = (
                "HQ does not take lane status reports (an older HQ); the sync goes on"
                if exc.status == 404
                else f"HQ refused this lane's status report ({exc.status} {exc.error}: {exc.message})"
            )
            self._failed(said)
            return False
        except UpstreamUnavailable as exc:
            self._failed(f"this lane's status report did not reach HQ: {exc.message}")
            return False
        if self.last_failure:
            log.info("sync: HQ takes this lane's status reports again")
        self.last_failure = ""
        self.sent += 1
        self._last = (report, now)
        return True

    def _failed(self, said: str) -> None:
        if said != self.last_failure:
            log.warning("sync: %s", said)
        self.last_failure = said
