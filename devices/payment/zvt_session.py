"""One ZVT command from the till's side: send it, then follow the terminal until it is done.

The exchange, as ZVT has it (the terminal is the master once it accepted a command):

1. the till sends the command; the terminal answers ``80 00 00`` (accepted) or
   ``84 xx 00`` (refused, with result code ``xx``; nothing was started);
2. the terminal then sends, each acknowledged by the till with ``80 00 00``:
   ``04 FF`` intermediate status ("Insert card"), ``06 D1`` print line or ``06 D3`` text
   block (the receipt), ``04 0F`` status information (result code, amount, trace, receipt
   number, card...), and at last ``06 0F`` completion or ``06 1E`` abort (with a result
   code).

``run_exchange`` does that and returns an ``Exchange``. It raises ``DeviceError`` only when
the command could not be sent or was refused (``84 xx``): then nothing was charged. Once
the command was accepted, silence, a dropped connection or bytes that are not ZVT end the
exchange with ``lost`` set; the caller turns that into an UNKNOWN outcome.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import devices.payment.zvt_texts as zvt_texts
from counter.i18n import _
from devices.errors import DeviceError, ErrorCode, device_name
from devices.payment.zvt_codec import ACK, Apdu, Bmps, ZvtFormatError, decode_apdu, iter_tlv, parse_bmps
from devices.payment.zvt_link import ZvtLink

log = logging.getLogger(__name__)

REFUSE = b"\x84\x83\x00"  # "function not possible": the till's answer to a message it does not know

CUSTOMER_RECEIPT = 2  # TLV 1F07 receipt type in a 06 D3 text block


@dataclass
class Exchange:
    """What came back for one command."""

    completed: bool = False  # 06 0F arrived
    aborted: bool = False  # 06 1E arrived
    abort_code: int | None = None
    completion_data: bytes = b""
    status: Bmps | None = None  # the last 04 0F
    lines: list[str] = field(default_factory=list)
    lost: str = ""  # why the exchange ended without completion or abort ("" when it did not)

    @property
    def result_code(self) -> int | None:
        if self.status is not None and 0x27 in self.status.values:
            return self.status.values[0x27][0]
        return self.abort_code


def run_exchange(
    link: ZvtLink,
    command: bytes,
    *,
    device: str,
    ack_timeout: float,
    idle_timeout: float,
    total_timeout: float,
    on_status: Callable[[str], None] | None = None,
) -> Exchange:
    """Send ``command`` and follow the terminal until completion, abort or loss (see module doc)."""
    link.send(command)  # DeviceError: not sent, nothing asked
    out = Exchange()
    try:
        first = _next(link, ack_timeout)
    except (DeviceError, ZvtFormatError) as exc:
        out.lost = _why(exc)
        return out
    if first is None:
        out.lost = "no answer"
        return out
    if first.cls == 0x84:
        raise refused(first.instr, device)
    end = time.monotonic() + total_timeout
    message: Apdu | None = first
    if first.command == (0x80, 0x00):
        message = None
    while True:
        if message is None:
            left = end - time.monotonic()
            if left <= 0:
                out.lost = "no answer"
                return out
            try:
                message = _next(link, min(idle_timeout, left))
            except (DeviceError, ZvtFormatError) as exc:
                out.lost = _why(exc)
                return out
            if message is None:
                out.lost = "no answer"
                return out
        try:
            done = _handle(link, message, out, on_status)
        except (DeviceError, ZvtFormatError) as exc:
            out.lost = _why(exc)
            return out
        if done:
            return out
        message = None


def _next(link: ZvtLink, timeout: float) -> Apdu | None:
    raw = link.receive(timeout)
    return None if raw is None else decode_apdu(raw)


def _handle(link: ZvtLink, message: Apdu, out: Exchange, on_status: Callable[[str], None] | None) -> bool:
    """Acknowledge and take in one message from the terminal; True when it ends the exchange."""
    command = message.command
    if command == (0x04, 0xFF):
        link.send(ACK)
        if on_status is not None and message.data:
            try:
                on_status(zvt_texts.status_text(message.data[0]))
            except Exception:  # the caller's display failing must not lose the payment's answer
                log.exception("on_status failed")
        return False
    if command == (0x06, 0xD1):
        link.send(ACK)
        if message.data:
            out.lines.append(message.data[1:].decode("cp437", "replace").rstrip())
        return False
    if command == (0x06, 0xD3):
        link.send(ACK)
        out.lines.extend(text_block_lines(message.data))
        return False
    if command == (0x04, 0x0F):
        out.status = parse_bmps(message.data)  # ZvtFormatError: garbled, the caller cannot trust it
        link.send(ACK)
        return False
    if command == (0x06, 0x0F):
        link.send(ACK)
        out.completed = True
        out.completion_data = message.data
        return True
    if command == (0x06, 0x1E):
        link.send(ACK)
        out.aborted = True
        out.abort_code = message.data[0] if message.data else None
        return True
    if command == (0x80, 0x00):
        return False  # a repeated acceptance: harmless
    link.send(REFUSE)
    raise ZvtFormatError(f"unexpected message {message.cls:02X} {message.instr:02X}")


def text_block_lines(data: bytes) -> list[str]:
    """Lines of a ``06 D3`` text block: BMP 06 holding tag 25 (print texts) with 07 lines
    and, optionally, 1F07 the receipt type. Only the customer's copy is kept when the
    type is given (a merchant copy stays at the terminal's side)."""
    bmps = parse_bmps(data)
    texts = bmps.tlv.get(0x25)
    if texts is None:
        return []
    lines: list[str] = []
    kind: int | None = None
    for tag, value in iter_tlv(texts):
        if tag == 0x07:
            lines.append(value.decode("cp437", "replace").rstrip())
        elif tag == 0x1F07 and value:
            kind = value[0]
    return lines if kind in (None, CUSTOMER_RECEIPT) else []


def refused(code: int, device: str) -> DeviceError:
    """The terminal refused the command before starting it (``84 xx``): nothing charged."""
    if code in zvt_texts.BUSY_CODES:
        return DeviceError(
            ErrorCode.BUSY,
            _("The {device} is busy with something else. Nothing was charged.").format(device=device_name(device)),
            _("Wait until the terminal shows its idle screen, then try again."),
            device=device,
        )
    text = zvt_texts.result_text(code)
    # Translators: {reason} is the terminal's refusal, a sentence ending with a full stop
    message = _("The {device} refused: {reason} Nothing was charged.").format(device=device_name(device), reason=text)
    return DeviceError(ErrorCode.FAILURE, message, device=device)


def _why(exc: Exception) -> str:
    if isinstance(exc, ZvtFormatError):
        return "garbled"
    return "dropped"
