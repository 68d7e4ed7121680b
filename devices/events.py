"""Typed events that device services hand to their subscribers.

Subscribers are plain callables invoked **on the device's worker thread**; the UI wraps
them in a QObject whose signals are queued to the GUI thread (devices never import Qt).
Five kinds, in the spirit of UnifiedPOS (notes §2.4): status changes (only on change),
output completion, errors, scanned data, and drawer changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from devices.errors import DeviceError
from devices.escpos.status import PrinterStatus

if TYPE_CHECKING:
    from devices.barcodes import ScanData


@dataclass(frozen=True)
class StatusChanged:
    """The printer's status differs from the last one reported."""

    device: str
    status: PrinterStatus
    previous: PrinterStatus | None = None


@dataclass(frozen=True)
class OutputComplete:
    """A job was sent and the status after it was fine."""

    device: str
    job_id: str


@dataclass(frozen=True)
class DeviceErrorEvent:
    """A job (``job_id``) or an operation (``job_id`` None) failed."""

    device: str
    error: DeviceError
    job_id: str | None = None


@dataclass(frozen=True)
class DrawerChanged:
    """The cash drawer opened or closed (``opened`` None: no sensor / unknown)."""

    device: str
    opened: bool | None


@dataclass(frozen=True)
class DataEvent:
    """Input from a scanner (already decoded, see ``devices.barcodes``)."""

    device: str
    data: ScanData


DeviceEvent = StatusChanged | OutputComplete | DeviceErrorEvent | DrawerChanged | DataEvent
