"""Wrong enrolment codes and wrong tokens, counted per client address.

After ``limit`` failures within ``window`` seconds an address is refused (429 with
``Retry-After``) for ``window`` seconds on every call that presents a credential, right
or wrong, so guessing codes or tokens stays hopeless; the first failure past the limit
raises one alert (kind ``auth_burst``) per burst. Per process and in memory (HQ keeps no
other state between requests): with N uvicorn workers an address gets at most N times
the limit. Behind a reverse proxy every lane has the proxy's address: put the limit in
the proxy instead, or serve TLS from HQ itself (README).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

LIMIT = 10
WINDOW_SECONDS = 60.0


@dataclass
class _Address:
    failures: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


class FailureLimiter:
    """Thread-safe; ``clock`` is monotonic seconds (tests may pass their own)."""

    def __init__(
        self, limit: int = LIMIT, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._by_address: dict[str, _Address] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._by_address.clear()

    def retry_after(self, address: str) -> int | None:
        """Seconds this address must still wait, or None when it may try."""
        with self._lock:
            entry = self._by_address.get(address)
            if entry is None:
                return None
            left = entry.blocked_until - self.clock()
            return math.ceil(left) if left > 0 else None

    def failed(self, address: str) -> bool:
        """Count one failure; True when it starts a burst (the address is now blocked:
        alert once)."""
        now = self.clock()
        with self._lock:
            if len(self._by_address) > 50_000:  # bounded: forget addresses quiet for a window
                for key in [
                    k for k, v in self._by_address.items() if not v.failures or v.failures[-1] < now - self.window
                ]:
                    del self._by_address[key]
            entry = self._by_address.setdefault(address, _Address())
            while entry.failures and entry.failures[0] <= now - self.window:
                entry.failures.popleft()
            entry.failures.append(now)
            if len(entry.failures) >= self.limit and entry.blocked_until <= now:
                entry.blocked_until = now + self.window
                entry.failures.clear()
                return True
            return False
