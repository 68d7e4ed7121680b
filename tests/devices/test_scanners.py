"""Keyboard-wedge timing, and the serial scanner over a real pseudo-terminal."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from devices.barcodes import CodeType, decode_scan
from devices.errors import ErrorCode
from devices.events import DataEvent, DeviceErrorEvent
from devices.scanner import SerialScanner, WedgeConfig, WedgeDecoder, WedgeKind, WedgeResult
from devices.sim.scanner import SimScanner


def type_keys(decoder: WedgeDecoder, text: str, gap_ms: float, start: float = 1000.0) -> list[WedgeResult]:
    out: list[WedgeResult] = []
    t = start
    for ch in text:
        out += decoder.feed(ch, t)
        t += gap_ms
    out += decoder.poll(t + 1000)
    return out


@pytest.mark.parametrize("gap_ms", [2, 5, 12, 20, 30])
def test_a_barcode_at_scanner_speed_is_one_scan(gap_ms):
    results = type_keys(WedgeDecoder(), "4006381333931\r", gap_ms)
    assert results == [WedgeResult(WedgeKind.SCAN, "4006381333931")]


@pytest.mark.parametrize("gap_ms", [31, 40, 55, 80])
def test_the_same_barcode_at_a_typists_pace_is_typing_every_key_in_order(gap_ms):
    """Even keys 31 ms apart or slower are a person's (a practised typist: 40 ms and up)."""
    results = type_keys(WedgeDecoder(), "4006381333931\r", gap_ms)
    assert all(r.kind is WedgeKind.TYPING for r in results)
    assert "".join(r.text for r in results) == "4006381333931\r"


@pytest.mark.parametrize("first_gap", [31, 45, 60, 80])
def test_a_scanner_may_send_its_first_key_late(first_gap):
    d = WedgeDecoder()
    out = d.feed("4", 1000) + type_keys(d, "006381333931\r", 8, start=1000 + first_gap)
    assert out == [WedgeResult(WedgeKind.SCAN, "4006381333931")]


def test_a_first_key_later_than_the_longest_gap_is_typing_and_the_rest_a_scan():
    d = WedgeDecoder()
    out = d.feed("x", 1000) + type_keys(d, "4006381333931\r", 8, start=1081)
    assert out == [WedgeResult(WedgeKind.TYPING, "x"), WedgeResult(WedgeKind.SCAN, "4006381333931")]


@pytest.mark.parametrize("enter_gap", [31, 60, 80])
def test_an_enter_slower_than_the_scanners_pace_makes_the_burst_typing(enter_gap):
    d = WedgeDecoder()
    out = type_keys(d, "4006381333931", 8)
    out += d.feed("\r", 1000 + 12 * 8 + enter_gap)
    assert all(r.kind is WedgeKind.TYPING for r in out)
    assert "".join(r.text for r in out) == "4006381333931\r"


def test_a_typed_word_with_enter_at_55_ms_a_key_is_typing():
    """The issue's case: "chino" and Enter typed 55-60 ms a key is a search, not a code."""
    d = WedgeDecoder()
    out = []
    for ch, t in zip("chino\r", [0, 57, 112, 170, 226, 283], strict=True):
        out += d.feed(ch, 1000 + t)
    assert all(r.kind is WedgeKind.TYPING for r in out)
    assert "".join(r.text for r in out) == "chino\r"
    assert not d.holding


def test_while_a_person_types_at_most_two_keys_are_held():
    d = WedgeDecoder()
    for n, ch in enumerate("It stopped working after three days"):
        d.feed(ch, 1000 + 55 * n)
        assert len(d._keys) <= 2  # the newest key, and one that may be a scanner's slow first key


@pytest.mark.parametrize("gap_ms", [120, 200, 350])
def test_human_typing_is_not_a_scan(gap_ms):
    results = type_keys(WedgeDecoder(), "123", gap_ms)
    assert all(r.kind is WedgeKind.TYPING for r in results)
    assert "".join(r.text for r in results) == "123"


def test_fast_but_short_input_is_typing():
    results = type_keys(WedgeDecoder(), "123\r", 5)  # below min_length
    assert results == [WedgeResult(WedgeKind.TYPING, "123\r")]


def test_typing_then_enter_passes_enter_through():
    results = type_keys(WedgeDecoder(), "4006\r", 150)
    assert "".join(r.text for r in results) == "4006\r"
    assert all(r.kind is WedgeKind.TYPING for r in results)


def test_a_scan_right_after_typing():
    d = WedgeDecoder()
    out = d.feed("x", 0) + d.feed("y", 200)
    t = 400.0
    for ch in "96385074\n":
        out += d.feed(ch, t)
        t += 10
    assert out == [
        WedgeResult(WedgeKind.TYPING, "x"),
        WedgeResult(WedgeKind.TYPING, "y"),
        WedgeResult(WedgeKind.SCAN, "96385074"),
    ]


def test_a_scanner_that_stalls_mid_burst_is_typed_whole_never_cut_into_a_scan():
    """A stall in the middle: the keys are typing, all of them, and the run after the
    stall (fast, long enough) is not taken for a scan of its own."""
    d = WedgeDecoder()
    out = []
    times = [0, 8, 16, 24, 60, 68, 76, 84, 92, 100, 108, 116, 124, 132]
    for ch, t in zip("4006381333931\r", times, strict=True):
        out += d.feed(ch, 1000 + t)
    assert all(r.kind is WedgeKind.TYPING for r in out)
    assert "".join(r.text for r in out) == "4006381333931\r"
    out = type_keys(d, "96385074\r", 8, start=1000 + 132 + 81)  # after a pause: scans again
    assert out == [WedgeResult(WedgeKind.SCAN, "96385074")]


def test_burst_without_terminator_is_flushed_by_poll():
    d = WedgeDecoder(WedgeConfig(require_terminator=False))
    for i, ch in enumerate("96385074"):
        assert d.feed(ch, i * 8) == []
    assert d.holding
    assert d.poll(60) == []  # the gap is not over yet
    assert d.poll(200) == [WedgeResult(WedgeKind.SCAN, "96385074")]
    assert not d.holding


def test_unterminated_burst_is_typing_when_a_terminator_is_required():
    d = WedgeDecoder()
    for i, ch in enumerate("96385074"):
        d.feed(ch, i * 8)
    assert d.poll(500) == [WedgeResult(WedgeKind.TYPING, "96385074")]


def test_a_control_character_prefix_makes_a_scan_whatever_the_speed():
    d = WedgeDecoder(WedgeConfig(prefix="\x02"))
    results = type_keys(d, "\x02AB1\r", 150)  # slow, short: still a scan thanks to the prefix
    assert results == [WedgeResult(WedgeKind.SCAN, "AB1")]


def test_a_printable_prefix_marks_a_short_scan_but_not_a_persons_burst():
    config = WedgeConfig(prefix="#")
    assert type_keys(WedgeDecoder(config), "#AB1\r", 6) == [WedgeResult(WedgeKind.SCAN, "AB1")]
    typed = type_keys(WedgeDecoder(config), "#AB1\r", 55)
    assert all(r.kind is WedgeKind.TYPING for r in typed) and "".join(r.text for r in typed) == "#AB1\r"


def test_a_suffix_is_stripped_and_marks_a_short_scan():
    config = WedgeConfig(suffix="\x03")
    assert type_keys(WedgeDecoder(config), "42\x03\r", 6) == [WedgeResult(WedgeKind.SCAN, "42")]
    assert type_keys(WedgeDecoder(config), "4006381333931\x03\r", 6) == [WedgeResult(WedgeKind.SCAN, "4006381333931")]


def test_an_aim_id_is_stripped_and_kept_for_the_symbology():
    (scan,) = type_keys(WedgeDecoder(), "]E04006381333931\r", 10)
    assert scan == WedgeResult(WedgeKind.SCAN, "4006381333931", "]E0")
    assert scan.scanned == "]E04006381333931"
    assert decode_scan(scan.scanned).symbology == "EAN_UPC"


def test_a_short_code_with_an_aim_id_is_a_scan_and_without_one_typing():
    assert type_keys(WedgeDecoder(), "]C042\r", 6) == [WedgeResult(WedgeKind.SCAN, "42", "]C0")]
    assert type_keys(WedgeDecoder(), "42\r", 6) == [WedgeResult(WedgeKind.TYPING, "42\r")]


def test_an_aim_id_typed_at_a_persons_pace_is_typing():
    results = type_keys(WedgeDecoder(), "]C042\r", 60)
    assert all(r.kind is WedgeKind.TYPING for r in results)
    assert "".join(r.text for r in results) == "]C042\r"


def test_a_persons_key_just_before_a_scanners_aim_id_stays_typing():
    d = WedgeDecoder()
    out = d.feed("k", 1000) + type_keys(d, "]E04006381333931\r", 6, start=1050)
    assert out == [WedgeResult(WedgeKind.TYPING, "k"), WedgeResult(WedgeKind.SCAN, "4006381333931", "]E0")]


def test_a_lone_enter_is_typing():
    assert WedgeDecoder().feed("\r", 0) == [WedgeResult(WedgeKind.TYPING, "\r")]


@pytest.mark.parametrize("gap_ms", [2, 8, 20, 30])
def test_a_scan_tells_how_fast_its_keys_came(gap_ms):
    """The mean gap between a scan's keys after the first, however late the first came:
    what tells a badge scanner from a PIN typed briskly (ui.devices.wedge)."""
    d = WedgeDecoder()
    out = d.feed("1", 1000.0)
    for n, ch in enumerate("111\r"):
        out += d.feed(ch, 1050.0 + n * gap_ms)
    (scan,) = out
    assert scan.kind is WedgeKind.SCAN and scan.text == "1111"
    assert scan.mean_gap_ms == pytest.approx(gap_ms)


# --- serial scanner -----------------------------------------------------------------------

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")


class Collect:
    def __init__(self) -> None:
        self.events: list[object] = []
        self.threads: set[str] = set()
        self.cond = threading.Condition()

    def __call__(self, event: object) -> None:
        with self.cond:
            self.events.append(event)
            self.threads.add(threading.current_thread().name)
            self.cond.notify_all()

    def wait_for(self, count: int, kind: type = DataEvent, timeout: float = 3.0) -> list:
        with self.cond:
            self.cond.wait_for(lambda: len([e for e in self.events if isinstance(e, kind)]) >= count, timeout)
            return [e for e in self.events if isinstance(e, kind)]


@posix_only
def test_serial_scanner_delivers_decoded_scans():
    with SimScanner() as sim:
        events = Collect()
        scanner = SerialScanner(sim.port_path, {"baudrate": 9600})
        scanner.subscribe(events)
        with scanner:
            time.sleep(0.1)  # let the worker open the port
            sim.scan("4006381333931", "]E0")
            sim.scan_preset("Weight 1.250 kg")
            sim.scan("S01-T01-000042")
            got = events.wait_for(3)
        data = [e.data for e in got]
        assert [d.kind for d in data] == [CodeType.GTIN, CodeType.VARIABLE_MEASURE, CodeType.TEXT]
        assert data[0].aim_id == "]E0" and data[0].gtin == "04006381333931"
        assert str(data[1].weight) == "1.250"
        assert data[2].text == "S01-T01-000042"
        assert events.threads == {"scanner:scanner"}  # delivered on the worker thread


@posix_only
def test_serial_scanner_handles_split_lines_and_bare_cr():
    with SimScanner(suffix=b"\r") as sim:
        events = Collect()
        scanner = SerialScanner(sim.port_path)
        scanner.subscribe(events)
        with scanner:
            time.sleep(0.1)
            sim._pty.write(b"9638")  # half a code, then the rest
            time.sleep(0.15)
            sim._pty.write(b"5074\r96385074\r")
            got = events.wait_for(2)
        assert [e.data.text for e in got] == ["96385074", "96385074"]


def test_missing_scanner_reports_once_and_keeps_retrying():
    events = Collect()
    scanner = SerialScanner("/dev/does-not-exist-ttyACM9", reconnect_interval=0.05)
    scanner.subscribe(events)
    with scanner:
        time.sleep(0.3)
    errors = [e for e in events.events if isinstance(e, DeviceErrorEvent)]
    assert len(errors) == 1 and errors[0].error.code is ErrorCode.NO_HARDWARE


def test_serial_scanner_over_pyserial_loop_url():
    # loop:// echoes what is written: the production reader runs unchanged against it
    import serial

    ports = []

    def factory(url, **kwargs):
        port = serial.serial_for_url(url, **kwargs)
        ports.append(port)
        return port

    events = Collect()
    scanner = SerialScanner("loop://", factory=factory)
    scanner.subscribe(events)
    with scanner:
        deadline = time.monotonic() + 2
        while not ports and time.monotonic() < deadline:
            time.sleep(0.01)
        ports[0].write(b"]E04006381333931\r\n")
        got = events.wait_for(1)
    assert got[0].data.gtin == "04006381333931"
