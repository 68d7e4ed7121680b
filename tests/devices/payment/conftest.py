"""A simulated ZVT terminal on TCP and a client with short deadlines, for the payment tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devices.payment.zvt import ZvtDeadlines, ZvtTerminal
from devices.payment.zvt_link import LinkDeadlines, TcpZvtLink
from devices.sim.zvt_terminal import SimZvtTerminal

DEADLINES = ZvtDeadlines(ack=1.0, idle=1.0, total=5.0)
LINK = LinkDeadlines(connect=1.0, write=1.0, frame=0.3, link_ack=0.5)


def client_for(port: int) -> ZvtTerminal:
    return ZvtTerminal(
        lambda: TcpZvtLink("127.0.0.1", port, deadlines=LINK, device="card terminal"), deadlines=DEADLINES
    )


@pytest.fixture
def sim() -> Iterator[SimZvtTerminal]:
    simulator = SimZvtTerminal(step_delay=0.001, customer_timeout=0.05, ack_timeout=1.0).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def terminal(sim: SimZvtTerminal) -> Iterator[ZvtTerminal]:
    client = client_for(sim.port)
    yield client
    client.close()
