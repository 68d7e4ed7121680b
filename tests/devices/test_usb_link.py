"""The USB link against a stand-in for pyusb (the real one needs hardware and libusb)."""

from __future__ import annotations

import errno
import sys
import types

import pytest

from devices.errors import DeviceError, ErrorCode
from devices.escpos.status import parse_status, status_request
from devices.links.usb import UsbLink
from tests.devices.support import FAST


class USBError(OSError):
    def __init__(self, strerror: str, error_code: int | None = None, errno_: int | None = None) -> None:
        super().__init__(errno_, strerror)
        self.backend_error_code = error_code


class USBTimeoutError(USBError):
    pass


class Endpoint:
    def __init__(self, address: int, printer: FakePrinter) -> None:
        self.bEndpointAddress = address
        self.wMaxPacketSize = 64
        self.printer = printer

    def write(self, data: bytes, timeout: int) -> int:
        assert timeout > 0  # never "no timeout"
        if self.printer.unplugged:
            raise USBError("No such device", -4, errno.ENODEV)
        self.printer.received += data
        if data.startswith(b"\x10\x04") and not self.printer.silent:
            self.printer.replies.append(b"\x12")
        return len(data)

    def read(self, size: int, timeout: int) -> bytes:
        if not self.printer.replies:
            raise USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
        return self.printer.replies.pop(0)


class FakePrinter:
    def __init__(self) -> None:
        self.received = bytearray()
        self.replies: list[bytes] = []
        self.silent = False
        self.unplugged = False
        self.detached = False
        self.disposed = False
        self.busy = False
        self.endpoints = [Endpoint(0x02, self), Endpoint(0x81, self)]  # not the 0x01/0x82 defaults
        self.iSerialNumber = 3

    def is_kernel_driver_active(self, interface: int) -> bool:
        return True

    def detach_kernel_driver(self, interface: int) -> None:
        if self.busy:
            raise USBError("Resource busy", -6, errno.EBUSY)
        self.detached = True

    def set_configuration(self) -> None:
        pass

    def get_active_configuration(self) -> dict:
        return {(0, 0): self}


@pytest.fixture
def fake_usb(monkeypatch):
    printer = FakePrinter()
    found = {"device": printer}
    core = types.ModuleType("usb.core")
    core.USBError = USBError
    core.USBTimeoutError = USBTimeoutError
    core.find = lambda idVendor, idProduct, custom_match=None: (
        found["device"] if (idVendor, idProduct) == (0x04B8, 0x0202) else None
    )
    util = types.ModuleType("usb.util")
    util.ENDPOINT_OUT, util.ENDPOINT_IN = 0x00, 0x80
    util.endpoint_direction = lambda address: address & 0x80
    util.find_descriptor = lambda intf, custom_match: next((e for e in intf.endpoints if custom_match(e)), None)
    util.get_string = lambda dev, index: "SN123"
    util.dispose_resources = lambda dev: setattr(dev, "disposed", True)
    package = types.ModuleType("usb")
    package.core, package.util = core, util
    monkeypatch.setitem(sys.modules, "usb", package)
    monkeypatch.setitem(sys.modules, "usb.core", core)
    monkeypatch.setitem(sys.modules, "usb.util", util)
    return printer


def test_endpoints_are_discovered_and_jobs_are_written_in_chunks(fake_usb):
    link = UsbLink(0x04B8, 0x0202, deadlines=FAST)
    link.open()
    assert fake_usb.detached
    link.write(b"x" * 10_000)
    assert parse_status({1: link.query(status_request(1))}).online is True
    link.close()
    assert bytes(fake_usb.received).startswith(b"x" * 10_000)
    assert fake_usb.disposed


def test_no_status_reply_is_none_not_ok(fake_usb):
    fake_usb.silent = True
    link = UsbLink(0x04B8, 0x0202, deadlines=FAST)
    link.open()
    assert link.query(status_request(1)) is None
    link.close()


def test_serial_number_match(fake_usb):
    link = UsbLink(0x04B8, 0x0202, serial_number="SN123", deadlines=FAST)
    link.open()
    link.close()


@pytest.mark.parametrize(
    "setup, code",
    [
        (lambda p: None, None),
        (lambda p: setattr(p, "busy", True), ErrorCode.CLAIMED),
    ],
)
def test_open_errors(fake_usb, setup, code):
    setup(fake_usb)
    link = UsbLink(0x04B8, 0x0202, deadlines=FAST)
    if code is None:
        link.open()
        link.close()
        return
    with pytest.raises(DeviceError) as info:
        link.open()
    assert info.value.code is code


def test_wrong_id_is_no_hardware(fake_usb):
    with pytest.raises(DeviceError) as info:
        UsbLink(0x1234, 0x5678, deadlines=FAST).open()
    assert info.value.code is ErrorCode.NO_HARDWARE


def test_unplugged_mid_job_may_have_printed(fake_usb):
    link = UsbLink(0x04B8, 0x0202, deadlines=FAST)
    link.open()
    fake_usb.unplugged = True
    with pytest.raises(DeviceError) as info:
        link.write(b"receipt")
    assert info.value.code is ErrorCode.NO_HARDWARE and info.value.may_have_printed
    assert not link.is_open
