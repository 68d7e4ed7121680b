"""USB printer link through pyusb (optional dependency), with deadlines on every transfer.

python-escpos' ``Usb`` writes with no timeout by default and hard-codes endpoints 0x01 /
0x82, the cause of many "Invalid endpoint address" reports (notes §1.3, §1.11). Here the
bulk OUT and IN endpoints are discovered from the interface, writes go in chunks with a
per-job deadline, and every pyusb error becomes a ``DeviceError`` (access denied ->
PERMISSION_DENIED with the udev hint, busy -> CLAIMED, gone -> NO_HARDWARE).

pyusb is imported when the link opens, so the app runs without it; a printer configured
as ``escpos+usb://`` then reports NO_SERVICE with a hint. Runs on the worker thread only.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from typing import Any

from counter.i18n import _
from devices.errors import DeviceError, ErrorCode, device_name, map_exception
from devices.links.base import Deadlines

CHUNK = 4096  # bytes per bulk write; small enough to keep each transfer's timeout short


def _pyusb() -> tuple[Any, Any]:
    try:
        # importlib: pyusb is optional and has no type stubs
        core = importlib.import_module("usb.core")
        util = importlib.import_module("usb.util")
    except ImportError as exc:
        raise DeviceError(
            ErrorCode.NO_SERVICE,
            _("USB printers need the pyusb package, which is not installed."),
            _("Install pyusb (and libusb), or connect the printer through /dev/usb/lp0 (escpos+file://)."),
        ) from exc
    return core, util


class UsbLink:
    def __init__(
        self,
        vendor_id: int,
        product_id: int,
        *,
        interface: int = 0,
        out_ep: int | None = None,
        in_ep: int | None = None,
        serial_number: str | None = None,
        deadlines: Deadlines | None = None,
        device: str = "receipt printer",
    ) -> None:
        self.vendor_id = vendor_id
        self.product_id = product_id
        self.interface = interface
        self.out_ep_address = out_ep
        self.in_ep_address = in_ep
        self.serial_number = serial_number
        self.deadlines = deadlines or Deadlines()
        self.device = device
        self.description = f"usb {vendor_id:04x}:{product_id:04x}"
        self._dev: Any = None
        self._out: Any = None
        self._in: Any = None
        self._util: Any = None

    @property
    def is_open(self) -> bool:
        return self._dev is not None

    def open(self) -> None:
        if self._dev is not None:
            return
        core, util = _pyusb()
        self._util = util
        try:
            match = None
            if self.serial_number:
                wanted = self.serial_number
                match = lambda d: util.get_string(d, d.iSerialNumber) == wanted  # noqa: E731
            dev = core.find(idVendor=self.vendor_id, idProduct=self.product_id, custom_match=match)
            if dev is None:
                raise DeviceError(
                    ErrorCode.NO_HARDWARE,
                    _("The {device} is not connected (USB {usb_id}).").format(
                        device=device_name(self.device), usb_id=self.description[4:]
                    ),
                    _("Check the USB cable and that the printer is switched on."),
                    device=self.device,
                )
            try:
                if dev.is_kernel_driver_active(self.interface):
                    # usblp owns it; take it over (detach only when needed, notes §1.11)
                    dev.detach_kernel_driver(self.interface)
            except NotImplementedError:
                pass  # backends without kernel drivers (Windows, macOS)
            dev.set_configuration()
            intf = dev.get_active_configuration()[(self.interface, 0)]
            self._out = self._endpoint(intf, util.ENDPOINT_OUT, self.out_ep_address)
            self._in = self._endpoint(intf, util.ENDPOINT_IN, self.in_ep_address, required=False)
            self._dev = dev
        except DeviceError:
            raise
        except Exception as exc:
            raise map_exception(exc, device=self.device) from exc

    def _endpoint(self, intf: Any, direction: int, address: int | None, *, required: bool = True) -> Any:
        util = self._util

        def wanted(ep: Any) -> bool:
            if address is not None:
                return bool(ep.bEndpointAddress == address)
            return bool(util.endpoint_direction(ep.bEndpointAddress) == direction)

        ep = util.find_descriptor(intf, custom_match=wanted)
        if ep is None and required:
            raise DeviceError(
                ErrorCode.NO_HARDWARE,
                _("The {device} on USB does not offer a way to send it data.").format(device=device_name(self.device)),
                _("This USB device may not be a printer; check the vendor:product id in the settings."),
                device=self.device,
            )
        return ep

    def close(self) -> None:
        dev, self._dev = self._dev, None
        self._out = self._in = None
        if dev is not None and self._util is not None:
            with contextlib.suppress(Exception):  # closing must never fail the caller
                self._util.dispose_resources(dev)

    def write(self, data: bytes) -> None:
        out = self._connected(self._out)
        deadline = time.monotonic() + self.deadlines.write
        try:
            for start in range(0, len(data), CHUNK):
                left_ms = int((deadline - time.monotonic()) * 1000)
                if left_ms <= 0:
                    raise TimeoutError
                out.write(data[start : start + CHUNK], timeout=left_ms)
        except Exception as exc:
            self.close()
            raise map_exception(exc, device=self.device, writing=True) from exc

    def query(self, request: bytes, reply_size: int = 1) -> bytes | None:
        out = self._connected(self._out)
        if self._in is None:
            return None  # write-only printer: status is unknown, never OK
        timeout_ms = max(1, int(self.deadlines.status * 1000))
        try:
            out.write(request, timeout=timeout_ms)
            reply = bytes(self._in.read(max(reply_size, self._in.wMaxPacketSize), timeout=timeout_ms))
        except Exception as exc:
            if type(exc).__name__ == "USBTimeoutError" or getattr(exc, "errno", None) == 110:
                return None
            self.close()
            raise map_exception(exc, device=self.device) from exc
        return reply or None  # more than asked for is malformed: the parser says UNKNOWN

    def _connected(self, endpoint: Any) -> Any:
        if self._dev is None or endpoint is None:
            raise DeviceError(
                ErrorCode.CLOSED,
                _("The {device} is not connected.").format(device=device_name(self.device)),
                _("Try again; the app reconnects by itself."),
                device=self.device,
            )
        return endpoint
