"""A simulated serial barcode scanner: ``scan("4006381333931")`` and the app sees it.

It sits behind a pseudo-terminal, so ``SerialScanner`` reads it through pyserial exactly
as it reads a real CDC-ACM scanner. ``scan`` may be called from any thread (the demo's
hardware panel, a test).
"""

from __future__ import annotations

from devices.sim.pty import PtyPair

#: Codes for a demo "hardware panel": name -> (code, AIM id)
PRESETS: dict[str, tuple[str, str]] = {
    "EAN-13": ("4006381333931", "]E0"),
    "UPC-E": ("04252614", "]E0"),
    "Price label 12.34": ("2301234012349", "]E0"),
    "Weight 1.250 kg": ("2101234012505", "]E0"),
    "GS1-128 with weight": ("0109876543210920310300012310ABC123\x1d17251231", "]C1"),
    "Receipt barcode": ("S01-T01-000042", "]C0"),
    "Bad check digit": ("4006381333932", "]E0"),
}


class SimScanner:
    def __init__(self, *, suffix: bytes = b"\r\n", aim: bool = True) -> None:
        self.suffix = suffix
        self.aim = aim
        self._pty: PtyPair | None = None

    def start(self) -> SimScanner:
        if self._pty is None:
            self._pty = PtyPair()
        return self

    def stop(self) -> None:
        if self._pty is not None:
            self._pty.close()
            self._pty = None

    def __enter__(self) -> SimScanner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port_path(self) -> str:
        return self._pty.path if self._pty else ""

    @property
    def url(self) -> str:
        return f"serial://{self.port_path}"

    def scan(self, code: str, aim_id: str = "") -> None:
        """Send one scan as the scanner would: [AIM id] code suffix."""
        if self._pty is None:
            raise RuntimeError("start() the simulated scanner first")
        prefix = aim_id if self.aim else ""
        self._pty.write((prefix + code).encode("latin-1") + self.suffix)

    def scan_preset(self, name: str) -> None:
        code, aim_id = PRESETS[name]
        self.scan(code, aim_id)
