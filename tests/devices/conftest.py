"""Fixtures of the device tests: a sample receipt, a simulated printer, job results."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from counter.documents import Receipt
from devices.sim.netprinter import SimNetworkPrinter
from tests.devices.support import JobResults, make_receipt


@pytest.fixture
def receipt() -> Receipt:
    return make_receipt()


@pytest.fixture
def sim() -> Iterator[SimNetworkPrinter]:
    printer = SimNetworkPrinter().start()
    yield printer
    printer.stop()


@pytest.fixture
def done() -> JobResults:
    return JobResults()
