"""Real-time status (``DLE EOT n``): requests and a validated parser.

python-escpos 3.1 reports "paper OK" when the printer does not answer (notes §1.9). Here a
reply counts only if it is exactly one byte of the form ``0xx1xx10`` (bits 1 and 4 set,
bits 0 and 7 clear); anything else, or no reply, leaves the field UNKNOWN, never OK.

Bits (notes §5.2), beyond the fixed ones:

====  =====================================================================
n=1   bit 2 drawer connector pin 3 high; bit 3 offline
n=2   bit 2 cover open; bit 3 paper fed by button; bit 5 stopped by paper end; bit 6 error
n=3   bit 3 auto-cutter error; bit 5 unrecoverable error; bit 6 auto-recoverable error
n=4   bits 2-3 roll paper near end; bits 5-6 roll paper end
====  =====================================================================

Pure; any thread.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from counter.i18n import _, pgettext

DLE_EOT = b"\x10\x04"
#: The requests in the order a full check sends them.
STATUS_REQUESTS: tuple[int, ...] = (1, 2, 3, 4)

FIXED_MASK = 0b1001_0011
FIXED_VALUE = 0b0001_0010


def status_request(n: int) -> bytes:
    if n not in (1, 2, 3, 4):
        raise ValueError("DLE EOT n: n must be 1, 2, 3 or 4")
    return DLE_EOT + bytes([n])


class Paper(enum.StrEnum):
    OK = "ok"
    NEAR_END = "near_end"
    EMPTY = "empty"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said about itself. ``None`` means "it did not say".

    ``online`` is False also when the printer cannot be reached at all
    (``reachable`` False); None when it is reachable but did not answer.
    """

    online: bool | None = None
    cover_open: bool | None = None
    paper: Paper = Paper.UNKNOWN
    cutter_error: bool | None = None
    drawer_open: bool | None = None
    recoverable_error: bool | None = None
    unrecoverable_error: bool | None = None
    reachable: bool | None = None

    @property
    def known(self) -> bool:
        """True when the printer answered at least the basic status request."""
        return self.online is not None

    @property
    def ready(self) -> bool:
        """Safe to send a job: answered, online, cover closed, paper present."""
        return (
            self.online is True
            and self.cover_open is not True
            and self.paper is not Paper.EMPTY
            and self.cutter_error is not True
            and self.unrecoverable_error is not True
        )

    def describe(self) -> str:
        """One short phrase for the status bar, most important problem first."""
        if self.reachable is False:
            return _("Not connected")
        if self.online is None:
            return _("Not answering")
        if self.cover_open:
            return _("Cover open")
        if self.paper is Paper.EMPTY:
            return _("Out of paper")
        if self.cutter_error:
            return _("Paper cutter stuck")
        if self.unrecoverable_error:
            return _("Printer error: switch it off and on")
        if not self.online:
            # Translators: the receipt printer's state in the status bar
            return pgettext("printer state", "Offline")
        if self.paper is Paper.NEAR_END:
            return _("Ready, paper running low")
        # Translators: the receipt printer's state in the status bar
        return pgettext("printer state", "Ready")


UNKNOWN = PrinterStatus()
UNREACHABLE = PrinterStatus(online=False, reachable=False)


def valid_reply(reply: bytes | None) -> int | None:
    """The status byte if ``reply`` is exactly one well-formed status byte, else None."""
    if reply is None or len(reply) != 1:
        return None
    value = reply[0]
    if value & FIXED_MASK != FIXED_VALUE:
        return None
    return value


def parse_status(replies: Mapping[int, bytes | None], *, drawer_open_when_high: bool | None = True) -> PrinterStatus:
    """Build a ``PrinterStatus`` from the replies to ``DLE EOT 1..4``.

    ``replies`` maps n to the raw bytes read (None or b"" when nothing came back).
    ``drawer_open_when_high`` is the drawer switch polarity (it depends on the drawer's
    wiring, notes §5.1); None means no drawer switch, so ``drawer_open`` stays None.
    """
    s1 = valid_reply(replies.get(1))
    s2 = valid_reply(replies.get(2))
    s3 = valid_reply(replies.get(3))
    s4 = valid_reply(replies.get(4))

    online: bool | None = None
    drawer: bool | None = None
    if s1 is not None:
        online = not s1 & 0x08
        if drawer_open_when_high is not None:
            pin3_high = bool(s1 & 0x04)
            drawer = pin3_high if drawer_open_when_high else not pin3_high

    cover: bool | None = None
    paper_stop = False
    if s2 is not None:
        cover = bool(s2 & 0x04)
        paper_stop = bool(s2 & 0x20)

    cutter: bool | None = None
    unrecoverable: bool | None = None
    recoverable: bool | None = None
    if s3 is not None:
        cutter = bool(s3 & 0x08)
        unrecoverable = bool(s3 & 0x20)
        recoverable = bool(s3 & 0x40)

    paper = Paper.UNKNOWN
    if s4 is not None:
        if s4 & 0x60:
            paper = Paper.EMPTY
        elif s4 & 0x0C:
            paper = Paper.NEAR_END
        else:
            paper = Paper.OK
    elif paper_stop:
        paper = Paper.EMPTY  # DLE EOT 2 bit 5 already says printing stopped at paper end

    return PrinterStatus(
        online=online,
        cover_open=cover,
        paper=paper,
        cutter_error=cutter,
        drawer_open=drawer,
        recoverable_error=recoverable,
        unrecoverable_error=unrecoverable,
        reachable=True if any(v is not None for v in (s1, s2, s3, s4)) else None,
    )


def encode_status(
    n: int,
    *,
    offline: bool = False,
    drawer_pin3_high: bool = False,
    cover_open: bool = False,
    paper_near_end: bool = False,
    paper_out: bool = False,
    cutter_error: bool = False,
) -> bytes:
    """The byte a printer in this state answers to ``DLE EOT n`` (used by the simulator)."""
    value = FIXED_VALUE
    if n == 1:
        value |= (0x04 if drawer_pin3_high else 0) | (0x08 if offline else 0)
    elif n == 2:
        value |= (0x04 if cover_open else 0) | (0x20 if paper_out else 0)
        value |= 0x40 if cutter_error else 0
    elif n == 3:
        value |= 0x08 if cutter_error else 0
    elif n == 4:
        value |= (0x0C if paper_near_end else 0) | (0x60 if paper_out else 0)
    else:
        raise ValueError("DLE EOT n: n must be 1, 2, 3 or 4")
    return bytes([value])
