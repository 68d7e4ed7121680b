"""Raw exceptions become one DeviceError with words a cashier understands."""

from __future__ import annotations

import errno
import socket

import pytest
import serial
from escpos import exceptions as escpos_exceptions

from devices.errors import DeviceError, ErrorCode, map_exception


@pytest.mark.parametrize(
    "exc, code",
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), ErrorCode.OFFLINE),
        (TimeoutError("timed out"), ErrorCode.TIMEOUT),
        (TimeoutError("timed out"), ErrorCode.TIMEOUT),
        (socket.gaierror(-2, "Name or service not known"), ErrorCode.NO_HARDWARE),
        (ConnectionResetError(errno.ECONNRESET, "reset"), ErrorCode.OFFLINE),
        (BrokenPipeError(errno.EPIPE, "broken"), ErrorCode.OFFLINE),
        (OSError(errno.EHOSTUNREACH, "no route"), ErrorCode.OFFLINE),
        (FileNotFoundError(errno.ENOENT, "no such file"), ErrorCode.NO_HARDWARE),
        (PermissionError(errno.EACCES, "denied"), ErrorCode.PERMISSION_DENIED),
        (OSError(errno.EBUSY, "busy"), ErrorCode.CLAIMED),
        (serial.SerialException(errno.ENOENT, "could not open port /dev/ttyUSB9"), ErrorCode.NO_HARDWARE),
        (serial.SerialException(errno.EACCES, "could not open port /dev/ttyS0"), ErrorCode.PERMISSION_DENIED),
        (serial.SerialException("device reports readiness to read but returned no data"), ErrorCode.FAILURE),
        (serial.SerialTimeoutException("Write timeout"), ErrorCode.TIMEOUT),
        (escpos_exceptions.DeviceNotFoundError("gone"), ErrorCode.NO_HARDWARE),
        (escpos_exceptions.BarcodeCodeError("bad"), ErrorCode.FAILURE),
        (AssertionError(), ErrorCode.OFFLINE),
        (RuntimeError("surprise"), ErrorCode.FAILURE),
    ],
)
def test_mapping(exc, code):
    error = map_exception(exc, device="receipt printer")
    assert error.code is code
    assert error.message and error.hint
    assert "Errno" not in error.message and "Traceback" not in error.message
    assert "receipt printer" in error.message


def test_writing_marks_may_have_printed():
    assert map_exception(ConnectionResetError(), device="printer", writing=True).may_have_printed
    assert not map_exception(ConnectionResetError(), device="printer").may_have_printed
    assert map_exception(TimeoutError(), device="printer", writing=True).may_have_printed


def test_usb_errors_by_name_without_pyusb():
    class USBError(OSError):
        pass

    busy = USBError(errno.EBUSY, "Resource busy")
    assert map_exception(busy, device="printer").code is ErrorCode.CLAIMED
    denied = USBError("Access denied (insufficient permissions)")
    denied.backend_error_code = -3  # type: ignore[attr-defined]
    assert map_exception(denied, device="printer").code is ErrorCode.PERMISSION_DENIED


def test_device_error_is_passed_through_and_is_a_counter_error():
    from counter.errors import CounterError

    error = DeviceError(ErrorCode.PAPER_OUT, "Out of paper.", "Load paper.")
    assert map_exception(error) is error
    assert isinstance(error, CounterError)
    assert str(error) == "Out of paper. Load paper."
