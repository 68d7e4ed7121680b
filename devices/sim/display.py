"""A simulated 2x20 customer display behind a pseudo-terminal.

``DisplayScreen`` interprets the bytes a display would receive (both command sets of
``devices.display``, plus the common cursor controls) into rows of text; it is also the
preview for a dev "hardware panel". ``SimLineDisplay`` feeds it from a pty on its own
thread; ``rows`` may be read from any thread.
"""

from __future__ import annotations

import threading
import time

from devices.escpos.codepages import DEFAULT_PAGE, CodePage, page_for_slot
from devices.sim.pty import PtyPair


class DisplayScreen:
    def __init__(self, columns: int = 20, rows: int = 2) -> None:
        self.columns = columns
        self.row_count = rows
        self.page: CodePage = DEFAULT_PAGE
        self._cells = [[" "] * columns for _ in range(rows)]
        self.x = 0
        self.y = 0
        self._pending = bytearray()

    @property
    def rows(self) -> tuple[str, ...]:
        return tuple("".join(row) for row in self._cells)

    def clear(self) -> None:
        self._cells = [[" "] * self.columns for _ in range(self.row_count)]
        self.x = self.y = 0

    def feed(self, data: bytes) -> None:
        buf = self._pending + data
        i = 0
        while i < len(buf):
            used = self._step(buf, i)
            if used == 0:
                break  # an incomplete command: wait for more bytes
            i += used
        self._pending = bytearray(buf[i:])

    def _step(self, buf: bytearray, i: int) -> int:
        b = buf[i]
        left = len(buf) - i
        if b == 0x1B:  # ESC
            if left < 2:
                return 0
            c = buf[i + 1]
            if c == ord("@"):
                self.clear()
                self.page = DEFAULT_PAGE
                return 2
            if c == ord("t"):
                if left < 3:
                    return 0
                self.page = page_for_slot(buf[i + 2]) or self.page
                return 3
            if c == ord("Q"):  # CD5220: ESC Q A|B text CR
                end = buf.find(b"\r", i + 3)
                if left < 3 or end < 0:
                    return 0
                row = 0 if buf[i + 2] == ord("A") else 1
                text = bytes(buf[i + 3 : end]).decode(self.page.codec, errors="replace")
                self._cells[row] = list(text[: self.columns].ljust(self.columns))
                return end + 1 - i
            return 2  # other ESC x: ignored
        if b == 0x1F:  # US
            if left < 2:
                return 0
            if buf[i + 1] == ord("$"):
                if left < 4:
                    return 0
                self.x = max(0, min(self.columns - 1, buf[i + 2] - 1))
                self.y = max(0, min(self.row_count - 1, buf[i + 3] - 1))
                return 4
            return 2
        if b == 0x0C:  # FF: clear, home
            self.clear()
        elif b == 0x0B:  # home
            self.x = self.y = 0
        elif b == 0x0D:
            self.x = 0
        elif b == 0x0A:
            self.y = min(self.row_count - 1, self.y + 1)
        elif b == 0x08:
            self.x = max(0, self.x - 1)
        elif b >= 0x20:
            self._put(bytes([b]).decode(self.page.codec, errors="replace"))
        return 1

    def _put(self, ch: str) -> None:
        self._cells[self.y][self.x] = ch
        self.x += 1
        if self.x >= self.columns:  # overwrite mode wraps to the next row
            self.x = 0
            self.y = (self.y + 1) % self.row_count


class SimLineDisplay:
    def __init__(self, columns: int = 20, rows: int = 2) -> None:
        self.screen = DisplayScreen(columns, rows)
        self._pty: PtyPair | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self._cond = threading.Condition()

    def start(self) -> SimLineDisplay:
        if self._pty is None:
            self._pty = PtyPair()
            self._running = True
            self._thread = threading.Thread(target=self._loop, name="sim-display", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._pty is not None:
            self._pty.close()
            self._pty = None

    def __enter__(self) -> SimLineDisplay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port_path(self) -> str:
        return self._pty.path if self._pty else ""

    @property
    def rows(self) -> tuple[str, ...]:
        with self._cond:
            return self.screen.rows

    def wait_for(self, *rows: str, timeout: float = 3.0) -> tuple[str, ...]:
        """Wait until the display shows ``rows`` (trailing blanks ignored); returns what it shows."""
        want = tuple(r.rstrip() for r in rows)
        deadline = time.monotonic() + timeout
        with self._cond:
            while tuple(r.rstrip() for r in self.screen.rows) != want:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self.screen.rows

    def _loop(self) -> None:
        while self._running and self._pty is not None:
            data = self._pty.read(0.05)
            if data:
                with self._cond:
                    self.screen.feed(data)
                    self._cond.notify_all()
