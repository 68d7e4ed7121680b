"""What the device services need from a byte transport, whatever the cable.

A link is used by exactly one worker thread at a time (the device's worker), so it
needs no locking. Every method either succeeds within its deadline or raises
``DeviceError``; raw socket/serial/OS exceptions never escape a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Deadlines:
    """Seconds allowed for each kind of I/O (notes §7.3). Tests pass short ones."""

    connect: float = 3.0
    write: float = 10.0
    status: float = 1.0


class Link(Protocol):
    #: shown in logs and diagnostics, e.g. "tcp 192.168.1.50:9100"
    description: str

    def open(self) -> None:
        """Connect. Raises DeviceError (OFFLINE, NO_HARDWARE, TIMEOUT, ...)."""

    def close(self) -> None:
        """Disconnect; never raises."""

    def write(self, data: bytes) -> None:
        """Send all of ``data`` within the write deadline, in one go."""

    def query(self, request: bytes, reply_size: int = 1) -> bytes | None:
        """Send a real-time request and read up to ``reply_size`` bytes.

        Returns None when nothing arrives within the status deadline (the printer may
        not support status). Raises DeviceError when the connection itself fails.
        """
