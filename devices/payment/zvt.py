"""``ZvtTerminal``: the payment-terminal port (``counter.payments.terminal``) spoken in ZVT.

Commands used (ZVT PA00P015, ECR -> PT):

* ``06 00`` Registration, once per connection: password, config byte, currency, service
  byte. Config byte ``0x3E``: the till prints payment and administration receipts (the
  terminal sends them as print lines), the terminal sends intermediate status, and only
  the till may start payments and administration.
* ``06 01`` Authorization (sale): BMP 04 amount. The currency is the registration's.
* ``06 31`` Refund: BMP 04 amount, then the original's receipt number (BMP 87) and trace
  (BMP 37, "trace of the original transaction"). The open implementations send no
  reference in 06 31 (Portalum.Zvt: password + 04; kotlin-zvt-library: + 49); we borrow
  BMP 87 from how Book Total (06 24) names its pre-authorisation. A terminal that rejects
  the extra BMPs answers ``84 9A`` (nothing charged, ``DeviceError``):
  ``referenced_refunds=False`` then leaves them out.
* ``06 30`` Reversal of a transaction of the open batch, by its receipt number (BMP 87).
* ``06 50`` End of day; totals from status information (BMP 04 and BMP 60).
* ``06 20`` Repeat receipt, used by ``last_transaction``: the terminal sends the last
  transaction's status information and receipt again.
* ``05 01`` Status enquiry and ``06 70`` Diagnosis.

The line between "not sent" and "sent" (see the port): failing to connect, to register,
or to write the command raises ``DeviceError``, and so does a refusal (``84 xx``), since
the terminal started nothing. Once the terminal accepted a payment command, silence, a
dropped connection or garbled bytes give ``Answer(UNKNOWN, amount_minor=asked)``.

An approval for another amount than asked is not trusted: the answer is UNKNOWN, with a
text that says so, and carries what the terminal reported (its amount, reference, trace
and receipt number), so the caller can resolve it (reverse it by that reference). An
approval whose amount could not be read (an unknown BMP stopped the parse before BMP 04)
is UNKNOWN too; an approval that simply carries no BMP 04 is taken for the amount asked.

Blocking; one call at a time (a lock guards the link). ``on_status`` runs on the calling
thread.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

import devices.payment.zvt_texts as zvt_texts
from counter.i18n import _
from counter.payments.terminal import Answer, BrandTotal, DayTotals, Outcome, StatusCallback, TerminalStatus
from devices.errors import DeviceError, ErrorCode, device_name
from devices.payment.zvt_codec import Bmps, amount_bmp, bcd, bcd_digits, encode_apdu, from_bcd, pan_last4
from devices.payment.zvt_link import ZvtLink
from devices.payment.zvt_session import Exchange, run_exchange

CONFIG_BYTE = 0x3E
SERVICE_BYTE = 0x01  # the terminal's service menu is not offered on its function key
UNKNOWN_TEXT = (
    "The card terminal did not confirm the payment. Do not take the money again: "
    "the till is checking with the terminal what happened."
)


@dataclass(frozen=True)
class ZvtDeadlines:
    """Seconds. ``ack``: for the terminal to accept a command; ``idle``: the longest silence
    while a transaction runs (the customer at the PIN pad; terminals time out themselves
    after about a minute); ``total``: a whole transaction or end of day."""

    ack: float = 5.0
    idle: float = 90.0
    total: float = 300.0


class ZvtTerminal:
    def __init__(
        self,
        link_factory: Callable[[], ZvtLink],
        *,
        name: str = "card terminal",
        password: str = "000000",
        currency_code: int = 978,
        deadlines: ZvtDeadlines | None = None,
        referenced_refunds: bool = True,
    ) -> None:
        if len(password) != 6 or not password.isdigit():
            raise DeviceError(
                ErrorCode.CONFIG,
                _("The {device}'s password must be six digits.").format(device=device_name(name)),
                _("Enter the terminal's cashier password (often 000000) in the device settings."),
            )
        self.name = name
        self.password = password
        self.currency_code = currency_code
        self.deadlines = deadlines or ZvtDeadlines()
        self.referenced_refunds = referenced_refunds
        self.simulator: object | None = None
        self._factory = link_factory
        self._link: ZvtLink | None = None
        self._lock = threading.Lock()
        self._close_hooks: list[Callable[[], None]] = []

    # --- commands (bytes) ---

    def _pw(self) -> bytes:
        return bytes.fromhex(self.password)

    def registration_apdu(self) -> bytes:
        data = self._pw() + bytes([CONFIG_BYTE]) + bcd(self.currency_code, 2) + bytes([0x03, SERVICE_BYTE])
        return encode_apdu(0x06, 0x00, data)

    @staticmethod
    def sale_apdu(amount_minor: int) -> bytes:
        return encode_apdu(0x06, 0x01, amount_bmp(amount_minor))

    def refund_apdu(self, amount_minor: int, receipt_no: int, trace: int) -> bytes:
        data = self._pw() + amount_bmp(amount_minor)
        if self.referenced_refunds:
            data += b"\x87" + bcd(receipt_no, 2) + b"\x37" + bcd(trace, 3)
        return encode_apdu(0x06, 0x31, data)

    def reversal_apdu(self, receipt_no: int) -> bytes:
        return encode_apdu(0x06, 0x30, self._pw() + b"\x87" + bcd(receipt_no, 2))

    def admin_apdu(self, cls: int, instr: int) -> bytes:
        """End of day (06 50), repeat receipt (06 20), status enquiry (05 01): the password only."""
        return encode_apdu(cls, instr, self._pw())

    # --- the port ---

    def sale(self, amount_minor: int, *, on_status: StatusCallback | None = None) -> Answer:
        _check_amount(amount_minor, self.name)
        return self._payment(self.sale_apdu(amount_minor), amount_minor, on_status)

    def refund(self, amount_minor: int, original: str, *, on_status: StatusCallback | None = None) -> Answer:
        _check_amount(amount_minor, self.name)
        receipt_no, trace = parse_reference(original, self.name)
        return self._payment(self.refund_apdu(amount_minor, receipt_no, trace), amount_minor, on_status)

    def reverse(self, original: str, *, on_status: StatusCallback | None = None) -> Answer:
        receipt_no, _trace = parse_reference(original, self.name)
        return self._payment(self.reversal_apdu(receipt_no), None, on_status)

    def last_transaction(self) -> Answer | None:
        exchange = self._command(self.admin_apdu(0x06, 0x20), None)
        if exchange.lost:
            raise _no_answer(self.name)
        if exchange.status is None or exchange.aborted:
            return None
        return to_answer(exchange, None)

    def status(self) -> TerminalStatus:
        try:
            exchange = self._command(self.admin_apdu(0x05, 0x01), None)
        except DeviceError as error:
            busy = error.code is ErrorCode.BUSY
            return TerminalStatus(ready=False, text=error.message, busy=busy)
        return self._status_from(exchange, _("Card terminal ready"))

    def diagnose(self) -> TerminalStatus:
        try:
            exchange = self._command(encode_apdu(0x06, 0x70), None)
        except DeviceError as error:
            return TerminalStatus(ready=False, text=error.message, busy=error.code is ErrorCode.BUSY)
        return self._status_from(exchange, _("Card terminal reaches its bank"))

    def end_of_day(self) -> DayTotals:
        exchange = self._command(self.admin_apdu(0x06, 0x50), None)
        lines = tuple(exchange.lines)
        if exchange.lost:
            return DayTotals(
                ok=False,
                text="The card terminal did not confirm the end of day. Check its display, then run it again.",
                receipt_lines=lines,
            )
        code = exchange.result_code
        if exchange.aborted or (code not in (None, 0)):
            _outcome, text = zvt_texts.result(code if code is not None else 0xFF)
            return DayTotals(ok=False, text=f"End of day failed: {text}", receipt_lines=lines)
        status = exchange.status or Bmps()
        by_brand = parse_totals(status.get(0x60))
        count = sum(t.count for t in by_brand.values())
        amount = status.number(0x04)
        total = amount if amount is not None else sum(t.amount_minor for t in by_brand.values())
        return DayTotals(
            ok=True,
            text="End of day done.",
            count=count,
            amount_minor=total,
            by_brand=by_brand,
            receipt_lines=lines,
        )

    def close(self) -> None:
        with self._lock:
            self._drop()
        hooks, self._close_hooks = self._close_hooks, []
        for hook in hooks:
            hook()

    def add_close_hook(self, hook: Callable[[], None]) -> None:
        self._close_hooks.append(hook)

    # --- plumbing ---

    def _payment(self, command: bytes, asked: int | None, on_status: StatusCallback | None) -> Answer:
        exchange = self._command(command, on_status)
        if exchange.lost:
            text = UNKNOWN_TEXT if exchange.lost == "no answer" else _garbled_text(exchange.lost)
            return Answer(outcome=Outcome.UNKNOWN, amount_minor=asked or 0, text=text)
        return to_answer(exchange, asked)

    def _command(self, command: bytes, on_status: StatusCallback | None) -> Exchange:
        with self._lock:
            link = self._connected()
            d = self.deadlines
            try:
                exchange = run_exchange(
                    link,
                    command,
                    device=self.name,
                    ack_timeout=d.ack,
                    idle_timeout=d.idle,
                    total_timeout=d.total,
                    on_status=on_status,
                )
            except DeviceError:
                self._drop()
                raise
            if exchange.lost:
                self._drop()  # out of step with the terminal: start afresh next time
            return exchange

    def _connected(self) -> ZvtLink:
        if self._link is not None and self._link.is_alive():
            return self._link
        self._drop()
        link = self._factory()
        link.open()
        try:
            exchange = run_exchange(
                link,
                self.registration_apdu(),
                device=self.name,
                ack_timeout=self.deadlines.ack,
                idle_timeout=self.deadlines.ack,
                total_timeout=self.deadlines.ack * 2,
            )
        except DeviceError:
            link.close()
            raise
        if not exchange.completed:
            link.close()
            if exchange.lost:
                raise _no_answer(self.name)
            text = zvt_texts.result_text(exchange.result_code or 0xFF)
            raise DeviceError(
                ErrorCode.FAILURE,
                _("The {device} did not accept the till: {reason}").format(device=device_name(self.name), reason=text),
                device=self.name,
            )
        self._link = link
        return link

    def _drop(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            link.close()

    def _status_from(self, exchange: Exchange, ready_text: str) -> TerminalStatus:
        tid = _tid(exchange.status)
        if exchange.lost:
            text = _("The {device} is not answering.").format(device=device_name(self.name))
            return TerminalStatus(ready=False, text=text, terminal_id=tid)
        code = exchange.result_code
        if exchange.aborted or code not in (None, 0):
            text = zvt_texts.result_text(code if code is not None else 0xFF)
            return TerminalStatus(ready=False, text=text, terminal_id=tid)
        return TerminalStatus(ready=True, text=ready_text, terminal_id=tid)


# --- answers --------------------------------------------------------------------------------


def to_answer(exchange: Exchange, asked: int | None) -> Answer:
    """The Answer for a finished exchange (completion or abort); see the module doc for
    the amount check."""
    status = exchange.status or Bmps()
    code = exchange.result_code
    if code is None:
        outcome, text = (Outcome.APPROVED, "Approved.") if exchange.completed else zvt_texts.result(0xFF)
    else:
        outcome, text = zvt_texts.result(code)
        if exchange.aborted and outcome is Outcome.APPROVED:
            outcome, text = zvt_texts.result(exchange.abort_code or 0xFF)
    extra = status.text(0x3C)
    if outcome is not Outcome.APPROVED and extra:
        text = f"{text} The terminal says: {extra}."
    amount = status.number(0x04)
    receipt_no = _digits(status, 0x87)
    trace = _digits(status, 0x0B)
    if outcome is Outcome.APPROVED:
        if amount is None and not status.complete:
            outcome = Outcome.UNKNOWN
            text = (
                "The card terminal's answer could not be read in full, so the amount is not confirmed. "
                "The till is checking with the terminal what happened."
            )
        elif amount is None:
            amount = asked or 0
        elif asked is not None and amount != asked:
            outcome = Outcome.UNKNOWN
            text = (
                f"The card terminal answered for {money(amount)} instead of {money(asked)}. "
                "This payment is not confirmed: the till will check it and reverse it."
            )
    return Answer(
        outcome=outcome,
        amount_minor=amount if amount is not None else (asked or 0),
        text=text,
        result_code=code,
        reference=f"{receipt_no}/{trace}" if receipt_no and trace else "",
        trace=trace,
        receipt_no=receipt_no,
        approval_code=_approval(status.get(0x3B)),
        card_brand=_brand(status),
        pan_last4=pan_last4(status.get(0x22)),
        terminal_id=_tid(status),
        at=_when(status),
        receipt_lines=tuple(exchange.lines),
    )


def parse_reference(reference: str, device: str) -> tuple[int, int]:
    """``"<receipt_no>/<trace>"`` -> (receipt_no, trace); raises DeviceError(CONFIG) (nothing sent)."""
    receipt, _slash, trace = reference.partition("/")
    if not (receipt.isdigit() and trace.isdigit() and len(receipt) <= 4 and len(trace) <= 6):
        raise DeviceError(
            ErrorCode.CONFIG,
            _("“{reference}” is not a reference from the {device}, so nothing was sent.").format(
                reference=reference, device=device_name(device)
            ),
            _("Use the original card payment's reference (receipt number/trace), as printed on its receipt."),
            device=device,
        )
    return int(receipt), int(trace)


def parse_totals(raw: bytes | None) -> dict[str, BrandTotal]:
    """BMP 60 (individual totals): receipt numbers from/to (2+2 bytes BCD), then per brand
    a count (1 byte, binary) and a turnover (6 bytes BCD), in ``TOTALS_BRANDS`` order.
    A short or malformed value gives what could be read; brands with no count are left out."""
    out: dict[str, BrandTotal] = {}
    if not raw:
        return out
    at = 4
    for brand in zvt_texts.TOTALS_BRANDS:
        if at + 7 > len(raw):
            break
        count = raw[at]
        try:
            amount = from_bcd(raw[at + 1 : at + 7])
        except ValueError:
            break
        if count:
            out[brand] = BrandTotal(count=count, amount_minor=amount)
        at += 7
    return out


def encode_totals(first_receipt: int, last_receipt: int, totals: dict[str, BrandTotal]) -> bytes:
    """The inverse of ``parse_totals`` (the simulator sends it)."""
    data = bcd(first_receipt, 2) + bcd(last_receipt, 2)
    named = zvt_texts.TOTALS_BRANDS
    others = [t for b, t in totals.items() if b not in named or b == "Other"]
    merged = dict(totals)
    merged["Other"] = BrandTotal(sum(t.count for t in others), sum(t.amount_minor for t in others))
    for brand in named:
        total = merged.get(brand, BrandTotal(0, 0))
        data += bytes([min(total.count, 255)]) + bcd(total.amount_minor, 6)
    return data


def money(amount_minor: int) -> str:
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"


def _digits(status: Bmps, tag: int) -> str:
    raw = status.get(tag)
    return bcd_digits(raw) if raw is not None else ""


def _tid(status: Bmps | None) -> str:
    return _digits(status, 0x29) if status is not None else ""


def _approval(raw: bytes | None) -> str:
    if not raw:
        return ""
    return raw.split(b"\x00", 1)[0].decode("ascii", "replace").strip()


def _brand(status: Bmps) -> str:
    name = status.text(0x8B)
    if name:
        return name
    kind = status.get(0x8A)
    return zvt_texts.CARD_TYPES.get(kind[0], "") if kind else ""


def _when(status: Bmps) -> str:
    date, time_ = _digits(status, 0x0D), _digits(status, 0x0C)
    full = _digits(status, 0xAA)  # YYMMDD
    if len(full) == 6 and len(time_) == 6:
        return f"20{full[:2]}-{full[2:4]}-{full[4:]}T{time_[:2]}:{time_[2:4]}:{time_[4:]}"
    if len(date) == 4 and len(time_) == 6:  # no year sent: this year's (terminals send today's date)
        return f"{dt.date.today().year}-{date[:2]}-{date[2:]}T{time_[:2]}:{time_[2:4]}:{time_[4:]}"
    return ""


def _garbled_text(why: str) -> str:
    if why == "dropped":
        return "The connection to the card terminal dropped during the payment. " + UNKNOWN_TEXT.split(". ", 1)[1]
    return "The card terminal's answer could not be read. " + UNKNOWN_TEXT.split(". ", 1)[1]


def _check_amount(amount_minor: int, device: str) -> None:
    if not 0 < amount_minor <= 999_999_999_999:
        raise DeviceError(
            ErrorCode.CONFIG,
            _("The amount {amount} cannot be sent to the {device}.").format(
                amount=amount_minor, device=device_name(device)
            ),
            _("Card payments need an amount above zero."),
            device=device,
        )


def _no_answer(device: str) -> DeviceError:
    return DeviceError(
        ErrorCode.TIMEOUT,
        _("The {device} is not answering.").format(device=device_name(device)),
        _("Check that it is switched on, connected and showing its idle screen, then try again."),
        device=device,
    )
