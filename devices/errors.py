"""One error type for every device failure, with words a cashier understands.

Transports (sockets, pyserial, files, pyusb) and python-escpos raise many different
exceptions, most of them unwrapped (notes/devices.md §1.10). Everything that leaves the
device layer is a ``DeviceError`` instead: a UPOS-like ``code`` the UI can switch on, a
``message`` that says what happened and a ``hint`` that says what to do. The original
exception stays attached as ``__cause__`` for the log.

``map_exception`` is the single place where raw exceptions become ``DeviceError``; links
call it in their ``except`` blocks. It runs on whatever thread caught the exception.
"""

from __future__ import annotations

import enum
import errno
import socket
from typing import Any

from counter.errors import CounterError
from counter.i18n import N_, _

#: the names the device services are given (their ``name``/``device``), for the catalogue: a
#: message shows them through ``device_name``
DEVICE_NAMES = (
    N_("receipt printer"),
    N_("cash drawer"),
    N_("scanner"),
    N_("customer display"),
    N_("card terminal"),
    N_("simulated card terminal"),
    N_("device"),
)


def device_name(device: str) -> str:
    """``device`` (a service's name, "receipt printer") in the current language."""
    return _(device) if device else device


class ErrorCode(enum.StrEnum):
    """Closed set of device error codes, in the spirit of UnifiedPOS ``E_*``."""

    CLOSED = "CLOSED"  # the device was not opened (or was closed) in the app
    CLAIMED = "CLAIMED"  # another program or lane holds the device
    NOT_CLAIMED = "NOT_CLAIMED"  # used before claim()
    DISABLED = "DISABLED"  # used before enable()
    NO_SERVICE = "NO_SERVICE"  # no driver for this kind of connection
    CONFIG = "CONFIG"  # the device address/settings are malformed
    NO_HARDWARE = "NO_HARDWARE"  # nothing at that address / port / USB id
    PERMISSION_DENIED = "PERMISSION_DENIED"  # the OS refuses access (udev, groups)
    OFFLINE = "OFFLINE"  # present but not online (power, cable, connection dropped)
    TIMEOUT = "TIMEOUT"  # no answer within the deadline
    BUSY = "BUSY"  # the same job is already queued or printing
    PAPER_OUT = "PAPER_OUT"
    COVER_OPEN = "COVER_OPEN"
    CUTTER_ERROR = "CUTTER_ERROR"
    FAILURE = "FAILURE"  # anything else


class DeviceError(CounterError):
    """A device failure, ready to be shown to the person at the counter.

    ``may_have_printed`` is True when output might have reached the paper before the
    failure (e.g. the connection dropped mid-job): the UI must then ask before printing
    again, because the device layer never resends on its own.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        hint: str = "",
        *,
        device: str = "",
        may_have_printed: bool = False,
    ) -> None:
        super().__init__(message, hint)
        self.code = code
        self.device = device
        self.may_have_printed = may_have_printed

    def __repr__(self) -> str:
        return f"DeviceError({self.code.value}, {self.message!r}, {self.hint!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeviceError):
            return NotImplemented
        return (self.code, self.message, self.hint, self.device, self.may_have_printed) == (
            other.code,
            other.message,
            other.hint,
            other.device,
            other.may_have_printed,
        )

    def __hash__(self) -> int:
        return hash((self.code, self.message, self.hint))


# --- ready-made errors the services raise themselves ------------------------------------


def offline(device: str, *, may_have_printed: bool = False) -> DeviceError:
    return DeviceError(
        ErrorCode.OFFLINE,
        # Translators: {device} is a device's name ("receipt printer", "cash drawer", ...)
        _("The {device} is offline.").format(device=device_name(device)),
        _("Check that it is switched on and that its cable is plugged in, then try again."),
        device=device,
        may_have_printed=may_have_printed,
    )


def paper_out(device: str, *, may_have_printed: bool = False) -> DeviceError:
    return DeviceError(
        ErrorCode.PAPER_OUT,
        _("The {device} is out of paper.").format(device=device_name(device)),
        _("Put in a new paper roll, close the cover, then print again."),
        device=device,
        may_have_printed=may_have_printed,
    )


def cover_open(device: str, *, may_have_printed: bool = False) -> DeviceError:
    return DeviceError(
        ErrorCode.COVER_OPEN,
        _("The {device} cover is open.").format(device=device_name(device)),
        _("Close the cover firmly until it clicks, then print again."),
        device=device,
        may_have_printed=may_have_printed,
    )


def cutter_error(device: str, *, may_have_printed: bool = True) -> DeviceError:
    return DeviceError(
        ErrorCode.CUTTER_ERROR,
        _("The {device} paper cutter is stuck.").format(device=device_name(device)),
        _("Open the cover, remove any jammed paper, close it, then check the receipt."),
        device=device,
        may_have_printed=may_have_printed,
    )


def not_answering(device: str, *, may_have_printed: bool = False) -> DeviceError:
    if may_have_printed:
        hint = _(
            "Check whether the receipt came out before printing it again. Check that it is switched on and connected."
        )
    else:
        hint = _("Check that it is switched on and connected.")
    return DeviceError(
        ErrorCode.TIMEOUT,
        _("The {device} is not answering.").format(device=device_name(device)),
        hint,
        device=device,
        may_have_printed=may_have_printed,
    )


def dropped(device: str, *, may_have_printed: bool = True) -> DeviceError:
    return DeviceError(
        ErrorCode.OFFLINE,
        _("The connection to the {device} dropped while printing.").format(device=device_name(device)),
        _("The receipt may be incomplete: check it, and print a copy if needed."),
        device=device,
        may_have_printed=may_have_printed,
    )


# --- mapping raw exceptions --------------------------------------------------------------

_OFFLINE_ERRNOS = {
    errno.ECONNREFUSED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
}
_DROPPED_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.ESHUTDOWN}
_MISSING_ERRNOS = {errno.ENOENT, errno.ENODEV, errno.ENXIO}
_DENIED_ERRNOS = {errno.EACCES, errno.EPERM}
_BUSY_ERRNOS = {errno.EBUSY}
_TIMEOUT_ERRNOS = {errno.ETIMEDOUT}
# pyusb/libusb LIBUSB_ERROR_* codes (negative) and errno-like numbers it reports
_USB_CODES = {-3: errno.EACCES, -4: errno.ENODEV, -5: errno.ENOENT, -6: errno.EBUSY, -7: errno.ETIMEDOUT}


def map_exception(exc: BaseException, *, device: str = "device", writing: bool = False) -> DeviceError:
    """Turn any exception from a transport or python-escpos into a ``DeviceError``.

    ``writing`` says whether job bytes may already have left: then any failure "may have
    printed" (part of the job may be on paper). Call it from an ``except`` block and
    ``raise map_exception(e, ...) from e`` so that the cause stays in the log.
    """
    if isinstance(exc, DeviceError):
        return exc
    error = _map(exc, device, writing)
    if writing:
        error.may_have_printed = True
    return error


def _map(exc: BaseException, device: str, writing: bool) -> DeviceError:
    # pyserial: SerialTimeoutException is a SerialException; check it first.
    serial_mod = _optional_serial()
    if serial_mod is not None:
        if isinstance(exc, serial_mod.SerialTimeoutException):
            return not_answering(device, may_have_printed=writing)
        if isinstance(exc, serial_mod.SerialException):
            code = exc.errno if isinstance(exc.errno, int) else _first_int(exc.args)
            if code is not None:
                mapped = _from_errno(code, device, writing, str(exc))
                if mapped is not None:
                    return mapped
            return DeviceError(
                ErrorCode.FAILURE,
                _("The {device} on the serial port stopped working.").format(device=device_name(device)),
                _("Check the cable, then switch the device off and on again."),
                device=device,
                may_have_printed=writing,
            )

    # pyusb (optional dependency): recognised by name so we need not import it.
    if type(exc).__name__ in {"USBError", "USBTimeoutError"}:
        if type(exc).__name__ == "USBTimeoutError":
            return not_answering(device, may_have_printed=writing)
        code = getattr(exc, "errno", None)
        backend = getattr(exc, "backend_error_code", None)
        if not isinstance(code, int) and isinstance(backend, int):
            code = _USB_CODES.get(backend)
        if isinstance(code, int):
            mapped = _from_errno(code, device, writing, str(exc))
            if mapped is not None:
                return mapped

    escpos_mod = _optional_escpos_exceptions()
    if escpos_mod is not None:
        if isinstance(exc, escpos_mod.DeviceNotFoundError):
            return _missing(device)
        if isinstance(exc, escpos_mod.Error):
            return DeviceError(
                ErrorCode.FAILURE,
                _("The {device} could not prepare this printout.").format(device=device_name(device)),
                _("Try again; if it keeps failing, call support."),
                device=device,
            )

    if isinstance(exc, socket.gaierror):
        return DeviceError(
            ErrorCode.NO_HARDWARE,
            _("The {device}'s network name cannot be found.").format(device=device_name(device)),
            _("Check the printer address in the device settings."),
            device=device,
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return not_answering(device, may_have_printed=writing)
    if isinstance(exc, ConnectionRefusedError):
        return offline(device)
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return dropped(device, may_have_printed=writing) if writing else offline(device)
    if isinstance(exc, OSError) and exc.errno is not None:
        mapped = _from_errno(exc.errno, device, writing, str(exc))
        if mapped is not None:
            return mapped
    if isinstance(exc, AssertionError):
        # python-escpos asserts ``self.device`` when the connection is gone
        return offline(device)
    return DeviceError(
        ErrorCode.FAILURE,
        _("The {device} reported an unexpected problem.").format(device=device_name(device)),
        _("Try again; if it keeps failing, switch the device off and on, or call support."),
        device=device,
        may_have_printed=writing,
    )


def _from_errno(code: int, device: str, writing: bool, detail: str) -> DeviceError | None:
    if code in _TIMEOUT_ERRNOS:
        return not_answering(device, may_have_printed=writing)
    if code in _OFFLINE_ERRNOS:
        return offline(device)
    if code in _DROPPED_ERRNOS:
        return dropped(device, may_have_printed=writing) if writing else offline(device)
    if code in _MISSING_ERRNOS:
        return _missing(device)
    if code in _DENIED_ERRNOS:
        return DeviceError(
            ErrorCode.PERMISSION_DENIED,
            _("This computer is not allowed to use the {device}.").format(device=device_name(device)),
            _(
                "Ask the administrator to give the counter user access to the device "
                "(on Linux: the dialout/lp group or a udev rule)."
            ),
            device=device,
        )
    if code in _BUSY_ERRNOS:
        return DeviceError(
            ErrorCode.CLAIMED,
            _("The {device} is in use by another program.").format(device=device_name(device)),
            _("Close the other program (or print spooler) that uses it, then try again."),
            device=device,
        )
    return None


def _missing(device: str) -> DeviceError:
    return DeviceError(
        ErrorCode.NO_HARDWARE,
        _("The {device} cannot be found.").format(device=device_name(device)),
        _("Check that it is plugged in and switched on, and that the device settings name the right port."),
        device=device,
    )


def _first_int(args: tuple[object, ...]) -> int | None:
    return args[0] if args and isinstance(args[0], int) else None


def _optional_serial() -> Any:
    try:
        import serial
    except ImportError:  # pragma: no cover - pyserial is a dependency
        return None
    return serial


def _optional_escpos_exceptions() -> Any:
    try:
        from escpos import exceptions
    except ImportError:  # pragma: no cover - python-escpos is a dependency
        return None
    return exceptions
