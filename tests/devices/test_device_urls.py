"""Device URLs: what parses, and what the error says when it does not."""

from __future__ import annotations

import pytest

from devices.errors import DeviceError, ErrorCode
from devices.urls import open_printer, parse_device_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("escpos+tcp://192.168.1.50:9100", {"transport": "tcp", "host": "192.168.1.50", "port": 9100}),
        ("escpos+tcp://printer.local", {"host": "printer.local", "port": 9100}),
        ("ESCPOS+TCP://10.0.0.7:9101", {"host": "10.0.0.7", "port": 9101}),
        ("escpos+tcp://[::1]:9100", {"host": "::1", "port": 9100}),
        ("escpos+serial:///dev/ttyUSB0?baudrate=19200", {"transport": "serial", "path": "/dev/ttyUSB0"}),
        ("escpos+serial://COM3?baudrate=9600&parity=n", {"path": "COM3"}),
        ("escpos+usb://04b8:0202", {"transport": "usb", "vendor_id": 0x04B8, "product_id": 0x0202}),
        ("escpos+usb://04B8:0E15?interface=0&out_ep=0x01", {"product_id": 0x0E15}),
        ("escpos+file:///dev/usb/lp0", {"transport": "file", "path": "/dev/usb/lp0"}),
        ("serial:///dev/ttyACM0?baudrate=9600", {"scheme": "serial", "path": "/dev/ttyACM0"}),
        ("sim://printer", {"transport": "sim", "sim_kind": "printer"}),
        ("sim://scanner", {"sim_kind": "scanner"}),
        ("sim://printer?port=9100", {"port": 9100}),
    ],
)
def test_valid_urls(url, expected):
    parsed = parse_device_url(url)
    for key, value in expected.items():
        assert getattr(parsed, key) == value, key


def test_serial_settings():
    parsed = parse_device_url("escpos+serial:///dev/ttyS0?baudrate=19200&parity=e&stopbits=2&rtscts=1")
    assert parsed.serial_settings() == {"baudrate": 19200, "parity": "E", "stopbits": 2, "rtscts": True}
    assert parse_device_url("serial:///dev/ttyACM0").serial_settings() == {"baudrate": 9600}


@pytest.mark.parametrize(
    "url, words",
    [
        ("", "empty"),
        ("192.168.1.50:9100", "no scheme"),
        ("escpos+tpc://192.168.1.50", "escpos+tcp://"),  # the hint names the likely scheme
        ("escpos+tcp://", "no printer address"),
        ("escpos+tcp://10.0.0.1:99999", "not a port number"),
        ("escpos+tcp://10.0.0.1:abc", "not a port number"),
        ("escpos+tcp://user:pw@10.0.0.1", "no user name"),
        ("escpos+serial:///dev/ttyUSB0?baud=9600", "baudrate"),  # typo named, right key suggested
        ("escpos+serial:///dev/ttyUSB0?baudrate=12345", "baud rate"),
        ("escpos+serial:///dev/ttyUSB0?parity=X", "parity"),
        ("escpos+serial://", "no serial port"),
        ("escpos+usb://4b8:202", "hexadecimal"),
        ("escpos+usb://04b8-0202", "hexadecimal"),
        ("escpos+file://dev/usb/lp0", "absolute path"),
        ("sim://toaster", "not a simulated device"),
        ("escpos+tcp://10.0.0.1?timeout=3", "not a setting"),
        ("serial:///dev/ttyS0?baudrate=9600&baudrate=19200", "twice"),
    ],
)
def test_malformed_urls_say_what_is_wrong(url, words):
    with pytest.raises(DeviceError) as info:
        parse_device_url(url)
    error = info.value
    assert error.code is ErrorCode.CONFIG
    assert words in f"{error.message} {error.hint}"
    assert error.hint


def test_usb_without_pyusb_is_a_clear_no_service_error(done, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "usb", None)  # as on a machine without pyusb
    printer = open_printer("escpos+usb://04b8:0202", poll_interval=60)
    with printer:
        printer.submit("job", b"x\n", done)
        error = done.wait("job")
    assert error.code is ErrorCode.NO_SERVICE and "pyusb" in error.message


def test_sim_url_for_another_kind_is_not_a_printer():
    with pytest.raises(DeviceError) as info:
        open_printer("sim://scanner")
    assert info.value.code is ErrorCode.CONFIG


def test_open_printer_tcp_builds_without_io():
    printer = open_printer("escpos+tcp://192.0.2.1:9100")  # TEST-NET: never contacted here
    assert printer.claim_key == "tcp:192.0.2.1:9100"
    printer.close()
