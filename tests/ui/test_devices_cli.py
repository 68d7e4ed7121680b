"""``counter devices ...`` as a person runs it: a subprocess, one line per result, exit codes
0 (fine), 1 (the device is not) and 2 (the address or command is wrong). Real TCP to a
simulated printer, real serial I/O over a pseudo-terminal (``os.openpty``)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

from devices.escpos.decode import decode
from devices.sim.netprinter import SimNetworkPrinter

ROOT = Path(__file__).resolve().parent.parent.parent


def counter(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args, "--data-dir", str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def test_list_shows_each_configured_device_and_its_state(tmp_path: Path) -> None:
    result = counter("devices", "list", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["printer", "drawer", "scanner", "display", "terminal"]
    assert "sim://printer" in lines[0] and "OK" in lines[0] and "Ready" in lines[0]
    assert "printer" in lines[1].split()[1] and "closed" in lines[1]
    assert "keyboard wedge" in lines[2]
    assert "sim://display" in lines[3] and "OK" in lines[3]
    assert "sim://terminal" in lines[4] and "OK" in lines[4] and "reaches its bank" in lines[4]
    assert "Traceback" not in result.stderr


def test_list_names_a_missing_device_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "counter.toml").write_text('display = "serial:///dev/counter-no-such-port"\n', encoding="utf-8")
    result = counter("devices", "list", data_dir=tmp_path)
    assert result.returncode == 1
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("display")]
    assert "FAILED" in line and "cannot be found" in line and "plugged in" in line
    assert "WARNING" not in result.stderr  # the details go to counter.log, not the terminal


def test_test_prints_one_clear_line_and_the_exit_code_says_how_it_went(tmp_path: Path) -> None:
    ok = counter("devices", "test", "sim://display", data_dir=tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith("OK: Customer display sim://display shows")

    with SimNetworkPrinter() as printer:
        url = printer.url
        ready = counter("devices", "test", url, data_dir=tmp_path)
        assert ready.returncode == 0 and ready.stdout.strip() == f"OK: Receipt printer {url}: Ready."
        printer.paper_out = True
        empty = counter("devices", "test", url, data_dir=tmp_path)
        assert empty.returncode == 1 and "Out of paper" in empty.stderr
    gone = counter("devices", "test", url, data_dir=tmp_path)  # the printer is off now
    assert gone.returncode == 1
    (line,) = gone.stderr.strip().splitlines()
    assert line.startswith(f"FAILED: Receipt printer {url}: Not connected.") and "switched on" in line


def test_bad_addresses_and_ambiguous_ones_exit_2(tmp_path: Path) -> None:
    typo = counter("devices", "test", "escpos+tpc://10.0.0.5", data_dir=tmp_path)
    assert typo.returncode == 2 and "Did you mean escpos+tcp://?" in typo.stderr
    serial = counter("devices", "test", "serial:///dev/ttyS0", data_dir=tmp_path)
    assert serial.returncode == 2 and "--kind scanner, --kind drawer or --kind display" in serial.stderr
    wrong = counter("devices", "test", "sim://display", "--kind", "printer", data_dir=tmp_path)
    assert wrong.returncode == 2 and "not a printer" in wrong.stderr
    for result in (typo, serial, wrong):
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_print_test_prints_the_test_page_over_tcp(tmp_path: Path) -> None:
    with SimNetworkPrinter() as printer:
        result = counter("devices", "print-test", printer.url, data_dir=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"OK: Test page printed on {printer.url} (Ready)."
        text = decode(printer.wait_for_jobs(1)[-1]).text()
    assert "PRINTER TEST" in text and "[CUT partial]" in text


def test_print_test_uses_the_configured_printer_and_says_when_it_fails(tmp_path: Path) -> None:
    with SimNetworkPrinter() as printer:
        (tmp_path / "counter.toml").write_text(f'printer = "{printer.url}"\n', encoding="utf-8")
        printer.cover_open = True
        result = counter("devices", "print-test", data_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("FAILED: The test page did not print:") and "cover" in result.stderr


def test_a_serial_display_and_scanner_over_a_pseudo_terminal(tmp_path: Path) -> None:
    master, slave = os.openpty()
    try:
        port = os.ttyname(slave)
        result = counter("devices", "test", f"serial://{port}?baudrate=9600", "--kind", "display", data_dir=tmp_path)
        assert result.returncode == 0, result.stderr
        received = b""
        while select.select([master], [], [], 0.2)[0]:
            received += os.read(master, 4096)
        assert b"Counter display test" in received and b"12345678901234567890" in received

        scanner = counter("devices", "test", f"serial://{port}", "--kind", "scanner", data_dir=tmp_path)
        assert scanner.returncode == 0 and "the port is open" in scanner.stdout
    finally:
        os.close(master)
        os.close(slave)
