"""A simulated ZVT card terminal: the terminal's side of the protocol, over TCP or a pty.

``SimZvtTerminal().start()`` listens on 127.0.0.1 (``.port``, ``.url``);
``.start_serial()`` serves a pseudo-terminal instead (``.port_path``, ``.serial_url``),
with ZVT's serial framing. It answers Registration, Authorization, Refund, Reversal, End
of day, Repeat receipt, Status enquiry and Diagnosis as a terminal does: ``80 00 00``,
intermediate statuses (``step_delay`` seconds apart), status information, print lines,
then completion or abort. Its journal is ``.ledger`` (``.transactions``), persisted to
``state_path`` when given.

Fault switches, for the next payment command (sale, refund, reversal): set ``.fault`` to a
``Fault``. A fault is one-shot (cleared when a payment command uses it) unless ``.sticky``
is True. Administrative commands (status, diagnosis, end of day, repeat receipt) ignore it.

=================  ============================================================================
``declined``        the issuer refuses (result 05); nothing charged
``insufficient_funds`` the issuer refuses for funds (result 0x33 = issuer code 51)
``pin_cancelled``   the customer presses Stop at the PIN prompt (6C, "PIN entry cancelled")
``card_removed``    the card is pulled out before the end (6C, "Card removed")
``timeout``         the customer never presents a card: after ``customer_timeout`` s, 6C
``silent``          the command is read and never answered, not even ``80 00 00``
``busy``            refused before starting: ``84 A0 00`` (receiver not ready)
``cut_after_auth``  the charge is approved and journalled, then the connection drops
                    before status information and completion
``garbage_frame``   approved and journalled, then a message that is no ZVT command
``truncated_frame`` approved and journalled, then half of the status information, then silence
``wrong_length``    approved and journalled, status information whose length byte is 4 short
``unknown_bmp``     approved and journalled, status information with an unknown BMP (0x99)
                    before the amount, then receipt and completion as usual
``other_amount``    approves and journals 1.00 more than asked, and says so
=================  ============================================================================

Threads: one accept thread and one per connection (TCP), or one pty thread (serial).
Switches are plain attributes, safe to set from the test's thread at any time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import socket
import threading
import time
from pathlib import Path

from devices.payment.zvt import encode_totals, money
from devices.payment.zvt_codec import (
    ACK,
    ZvtFormatError,
    amount_bmp,
    bcd,
    decode_apdu,
    encode_apdu,
    encode_bmp,
    encode_tlv,
    masked_pan,
    parse_bmps,
)
from devices.payment.zvt_texts import CARD_TYPES
from devices.sim.pty import PtyPair
from devices.sim.zvt_channel import ChannelGone, SerialChannel, TcpChannel
from devices.sim.zvt_ledger import SimLedger, SimTransaction

Channel = TcpChannel | SerialChannel


class Fault(enum.StrEnum):
    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    PIN_CANCELLED = "pin_cancelled"
    CARD_REMOVED = "card_removed"
    TIMEOUT = "timeout"
    SILENT = "silent"
    BUSY = "busy"
    CUT_AFTER_AUTH = "cut_after_auth"
    GARBAGE_FRAME = "garbage_frame"
    TRUNCATED_FRAME = "truncated_frame"
    WRONG_LENGTH = "wrong_length"
    UNKNOWN_BMP = "unknown_bmp"
    OTHER_AMOUNT = "other_amount"


#: faults that end the payment at the terminal: (result code, additional text)
_REFUSALS = {
    Fault.DECLINED: (0x05, "Declined"),
    Fault.INSUFFICIENT_FUNDS: (0x33, "Insufficient funds"),
    Fault.PIN_CANCELLED: (0x6C, "PIN entry cancelled"),
    Fault.CARD_REMOVED: (0x6C, "Card removed"),
    Fault.TIMEOUT: (0x6C, "Customer did not respond"),
}
#: faults that approve and journal the charge, then answer badly
_AFTER_AUTH = {
    Fault.CUT_AFTER_AUTH,
    Fault.GARBAGE_FRAME,
    Fault.TRUNCATED_FRAME,
    Fault.WRONG_LENGTH,
    Fault.UNKNOWN_BMP,
    Fault.OTHER_AMOUNT,
}
GARBAGE = b"\x4f\x4b\x03\xde\xad\x00"  # a well-formed APDU with a class no ZVT message has


class SimZvtTerminal:
    def __init__(
        self,
        state_path: str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        step_delay: float = 0.01,
        customer_timeout: float = 0.1,
        ack_timeout: float = 3.0,
    ) -> None:
        self.ledger = SimLedger(state_path)
        self.host = host
        self.port = 0
        self._requested_port = port
        self.port_path = ""
        self.step_delay = step_delay
        self.customer_timeout = customer_timeout
        self.ack_timeout = ack_timeout  # how long the terminal waits for the till's 80 00 00
        self.fault: Fault | None = None
        self.sticky = False
        self.brand = "Visa"
        self.pan_last4 = "4242"
        self.terminal_id = "52500042"
        self.currency_code = 978
        self.commands: list[str] = []  # "06 01", ... as received, for tests
        self.text_blocks = False  # receipts as one 06 D3 text block (BMP 06, TLV 25/07) instead of 06 D1 lines
        self.footer: list[str] = []  # extra receipt lines (a long footer makes a block need extended length)
        self._lock = threading.Lock()
        self._running = False
        self._server: socket.socket | None = None
        self._pty: PtyPair | None = None
        self._threads: list[threading.Thread] = []
        self._channels: list[TcpChannel] = []

    # --- lifecycle ---

    def start(self) -> SimZvtTerminal:
        if self._running:
            return self
        server = socket.create_server((self.host, self._requested_port or self.port))
        server.settimeout(0.1)
        self._server = server
        self.port = server.getsockname()[1]
        self._running = True
        self._spawn(self._accept_loop, f"sim-zvt:{self.port}")
        return self

    def start_serial(self) -> SimZvtTerminal:
        if self._running:
            return self
        self._pty = PtyPair()
        self.port_path = self._pty.path
        self._running = True
        self._spawn(self._serial_loop, "sim-zvt-serial")
        return self

    def stop(self) -> None:
        self._running = False
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.close()
            self._server = None
        with self._lock:
            channels, self._channels = self._channels, []
        for channel in channels:
            channel.drop()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads = []
        if self._pty is not None:
            self._pty.close()
            self._pty = None

    def hang_up(self) -> None:
        """Close every open connection, as terminals do with an idle one (TCP only)."""
        with self._lock:
            channels, self._channels = self._channels, []
        for channel in channels:
            channel.drop()

    def __enter__(self) -> SimZvtTerminal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"zvt+tcp://{self.host}:{self.port}"

    @property
    def serial_url(self) -> str:
        return f"zvt+serial://{self.port_path}"

    @property
    def transactions(self) -> list[SimTransaction]:
        return self.ledger.transactions

    def charged(self) -> list[SimTransaction]:
        """Approved sales not reversed: what the customer paid."""
        return [t for t in self.transactions if t.kind == "sale" and t.approved and not t.reversed]

    # --- threads ---

    def _spawn(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while self._running and self._server is not None:
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            channel = TcpChannel(client)
            with self._lock:
                self._channels.append(channel)
            self._spawn(self._serve, f"sim-zvt-conn:{self.port}", channel)

    def _serial_loop(self) -> None:
        assert self._pty is not None
        self._serve(SerialChannel(self._pty))

    def _serve(self, channel: Channel) -> None:
        try:
            while self._running:
                raw = channel.receive(0.1)
                if raw is None:
                    continue
                try:
                    apdu = decode_apdu(raw)
                except ZvtFormatError:
                    channel.send(b"\x84\x9a\x00")
                    continue
                self.commands.append(f"{apdu.cls:02X} {apdu.instr:02X}")
                try:
                    self._dispatch(channel, apdu.cls, apdu.instr, apdu.data)
                except ChannelGone:
                    if isinstance(channel, TcpChannel):
                        raise
                    channel.drop()  # a serial line stays: wait for the next command
        except ChannelGone:
            pass
        finally:
            if isinstance(channel, TcpChannel):
                channel.drop()

    # --- the protocol, terminal side ---

    def _dispatch(self, ch: Channel, cls: int, instr: int, data: bytes) -> None:
        command = (cls, instr)
        if command == (0x06, 0x00):
            ch.send(ACK)
            self._finish(ch, encode_apdu(0x06, 0x0F, encode_bmp(0x19, b"\x00") + encode_bmp(0x29, self._tid())))
        elif command == (0x06, 0x01):
            bmps = parse_bmps(data)
            self._payment(ch, "sale", bmps.number(0x04) or 0, None, None)
        elif command == (0x06, 0x31):
            bmps = parse_bmps(data, 3)
            self._payment(ch, "refund", bmps.number(0x04) or 0, bmps.number(0x87), bmps.number(0x37))
        elif command == (0x06, 0x30):
            self._payment(ch, "reversal", 0, parse_bmps(data, 3).number(0x87), None)
        elif command == (0x06, 0x20):
            self._repeat(ch)
        elif command == (0x06, 0x50):
            self._end_of_day(ch)
        elif command in ((0x05, 0x01), (0x06, 0x70)):
            ch.send(ACK)
            if command == (0x06, 0x70):
                self._status(ch, 0xD2)
            self._send_acked(ch, encode_apdu(0x04, 0x0F, b"\x27\x00" + encode_bmp(0x29, self._tid())))
            self._finish(ch, encode_apdu(0x06, 0x0F))
        else:
            ch.send(b"\x84\x83\x00")

    def _take_fault(self) -> Fault | None:
        fault = self.fault
        if fault is not None and not self.sticky:
            self.fault = None
        return fault

    def _payment(self, ch: Channel, kind: str, amount: int, ref_receipt: int | None, ref_trace: int | None) -> None:
        fault = self._take_fault()
        if fault is Fault.BUSY:
            ch.send(b"\x84\xa0\x00")
            return
        if fault is Fault.SILENT:
            return
        ch.send(ACK)
        for status in (0x0A, 0x01, 0x04) if kind != "reversal" else (0x0E, 0x04):
            time.sleep(self.step_delay)
            self._status(ch, status)
        code, text = 0, ""
        original: SimTransaction | None = None
        if fault in _REFUSALS:
            assert fault is not None
            if fault is Fault.TIMEOUT:
                time.sleep(self.customer_timeout)
            code, text = _REFUSALS[fault]
        elif kind == "refund":
            code, text = self.ledger.refund_check(ref_receipt, ref_trace, amount)
        elif kind == "reversal":
            code, original = self.ledger.reverse(ref_receipt or 0)
            amount = original.amount_minor if original is not None else 0
        if fault is Fault.OTHER_AMOUNT and code == 0:
            amount += 100
        tx = self.ledger.record(
            kind,
            amount,
            result_code=code,
            brand=self.brand,
            pan_last4=self.pan_last4,
            original_receipt=ref_receipt,
            original_trace=ref_trace if original is None else original.trace,
            at=dt.datetime.now().strftime("%y%m%d%H%M%S"),
        )
        if code != 0:
            self._send_acked(ch, self._status_info(tx, text))
            self._finish(ch, encode_apdu(0x06, 0x1E, bytes([code])))
            return
        if fault in _AFTER_AUTH and fault is not Fault.OTHER_AMOUNT:
            self._answer_badly(ch, fault, tx)
            return
        self._send_acked(ch, self._status_info(tx))
        self._print(ch, self._receipt(tx))
        self._finish(ch, encode_apdu(0x06, 0x0F))

    def _answer_badly(self, ch: Channel, fault: Fault | None, tx: SimTransaction) -> None:
        info = self._status_info(tx)
        if fault is Fault.CUT_AFTER_AUTH:
            ch.drop()
            raise ChannelGone
        if fault is Fault.GARBAGE_FRAME:
            ch.send(GARBAGE)
        elif fault is Fault.TRUNCATED_FRAME:
            ch.send_cut(info)
        elif fault is Fault.WRONG_LENGTH:
            wrong = bytes([0x04, 0x0F, len(info) - 3 - 4]) + info[3:]
            if isinstance(ch, TcpChannel):
                ch.send_raw(wrong)
            else:
                ch.send(wrong)
        elif fault is Fault.UNKNOWN_BMP:  # otherwise a normal ending: receipt and completion
            self._send_acked(ch, encode_apdu(0x04, 0x0F, b"\x27\x00\x99\x01\x02" + info[5:]))
            self._print(ch, self._receipt(tx))
            self._finish(ch, encode_apdu(0x06, 0x0F))
            return
        ch.receive(self.ack_timeout)  # whatever the till says, this exchange is over

    def _repeat(self, ch: Channel) -> None:
        ch.send(ACK)
        last = self.ledger.last()
        if last is None:
            self._finish(ch, encode_apdu(0x06, 0x1E, b"\x83"))
            return
        self._send_acked(ch, self._status_info(last))
        self._print(ch, self._receipt(last, copy=True))
        self._finish(ch, encode_apdu(0x06, 0x0F))

    def _end_of_day(self, ch: Channel) -> None:
        ch.send(ACK)
        time.sleep(self.step_delay)
        self._status(ch, 0x04)
        first, last, totals, net = self.ledger.batch_totals()
        data = (
            b"\x27\x00"
            + amount_bmp(net)
            + encode_bmp(0x29, self._tid())
            + encode_bmp(0x60, encode_totals(first, last, totals))
        )
        self._send_acked(ch, encode_apdu(0x04, 0x0F, data))
        lines = ["END OF DAY", *(f"{b:<12}{t.count:>4}  {money(t.amount_minor):>10}" for b, t in totals.items())]
        self._print(ch, [*lines, f"TOTAL EUR {money(net)}"])
        self.ledger.close_batch()
        self._finish(ch, encode_apdu(0x06, 0x0F))

    # --- messages ---

    def _tid(self) -> bytes:
        return bcd(int(self.terminal_id), 4)

    def _status(self, ch: Channel, code: int) -> None:
        self._send_acked(ch, encode_apdu(0x04, 0xFF, bytes([code])))

    def _status_info(self, tx: SimTransaction, text: str = "") -> bytes:
        data = bytes([0x27, tx.result_code]) + amount_bmp(tx.amount_minor) + encode_bmp(0x0B, bcd(tx.trace, 3))
        if tx.at:
            data += encode_bmp(0x0C, bytes.fromhex(tx.at[6:])) + encode_bmp(0x0D, bytes.fromhex(tx.at[2:6]))
            data += encode_bmp(0xAA, bytes.fromhex(tx.at[:6]))
        data += masked_pan(tx.pan_last4) + encode_bmp(0x29, self._tid())
        if tx.approved:
            data += encode_bmp(0x3B, f"{tx.trace:06d}".encode() + b"\x00\x00")
        if text:
            data += encode_bmp(0x3C, text.encode("cp437"))
        data += encode_bmp(0x49, bcd(self.currency_code, 2)) + encode_bmp(0x87, bcd(tx.receipt_no, 2))
        card_type = next((k for k, v in CARD_TYPES.items() if v == tx.brand), 0xFF)
        data += encode_bmp(0x8A, bytes([card_type])) + encode_bmp(0x8B, tx.brand.encode("cp437"))
        return encode_apdu(0x04, 0x0F, data)

    def _receipt(self, tx: SimTransaction, *, copy: bool = False) -> list[str]:
        title = {"sale": "PAYMENT", "refund": "REFUND", "reversal": "REVERSAL"}[tx.kind]
        return [
            "CUSTOMER COPY" + (" (REPEAT)" if copy else ""),
            title,
            f"{tx.brand}  **** **** **** {tx.pan_last4}",
            f"AMOUNT EUR {money(tx.amount_minor)}",
            f"TRACE {tx.trace:06d}  RECEIPT {tx.receipt_no:04d}",
            "APPROVED" if tx.approved else "DECLINED",
        ]

    def _print(self, ch: Channel, lines: list[str]) -> None:
        lines = [*lines, *self.footer]
        if self.text_blocks:
            texts = b"".join(encode_tlv(0x07, line.encode("cp437", "replace")) for line in lines)
            texts += encode_tlv(0x1F07, b"\x02")  # the customer's copy
            self._send_acked(ch, encode_apdu(0x06, 0xD3, encode_bmp(0x06, encode_tlv(0x25, texts))))
            return
        for line in lines:
            self._send_acked(ch, encode_apdu(0x06, 0xD1, b"\x00" + line.encode("cp437", "replace")))

    def _send_acked(self, ch: Channel, apdu: bytes) -> None:
        """Send and wait for the till's ``80 00 00``; a till that stops answering ends the exchange."""
        ch.send(apdu)
        if ch.receive(self.ack_timeout) is None:
            raise ChannelGone

    def _finish(self, ch: Channel, apdu: bytes) -> None:
        ch.send(apdu)
        ch.receive(self.ack_timeout)
