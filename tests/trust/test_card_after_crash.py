"""A crash at any moment of a card payment or a card refund leaves at most one charge, and
the next start resolves it (issue #20 point 4).

A subprocess takes card payments (or card refunds) one after the other against the ZVT
simulator, which lives in this process over real TCP and so outlives the kill; it is
SIGKILLed at a random moment (seeded). The next start asks the terminal about what was left
pending (``resolve_cards``, what the sign-in runs first). Then the journal and the terminal
agree exactly: every approved sale payment the terminal holds is one approved answer in the
journal and one part payment, and the other way round; nothing is pending; the derived
tables still derive from the journal."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter.payments.card_sale import resolve_cards
from db.derive import derive_and_compare
from devices.sim.zvt_terminal import SimZvtTerminal
from tests.db.support import TestStore
from tests.devices.payment.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimZvtTerminal]:
    simulator = SimZvtTerminal(step_delay=0.004, customer_timeout=0.05, ack_timeout=1.0).start()
    yield simulator
    simulator.stop()


def run_and_kill(store: Path, port: int, what: str, rng: random.Random) -> int:
    """Start the worker, let it reach ``ready``, kill it after a random delay; how many it
    finished (lines printed after ready)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.trust.card_then_crash", str(store), str(port), what],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", line
    time.sleep(rng.uniform(0.0, 0.5))
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL  # killed, not stopped by an error of its own
    return len([x for x in proc.stdout.read().splitlines() if x.strip()])


def agree(shop: TestStore, sim: SimZvtTerminal) -> None:
    """The journal (after resolution) and the terminal hold the same money movements."""
    with shop.read_uow() as uow:
        assert uow.cards.pending(shop.terminal.terminal_id) == []
        conn = uow.connection
        rows = conn.exec_driver_sql(
            "SELECT r.op, r.for_kind, r.for_id, r.seq, a.reference FROM card_requests r "
            "JOIN card_answers a ON a.request_id = r.request_id WHERE a.outcome = 'approved'"
        ).all()
        parts = {
            (str(sale_id), int(seq))
            for sale_id, seq in conn.exec_driver_sql("SELECT sale_id, seq FROM part_payments WHERE kind = 'card'")
        }
    journal = sorted((op, ref) for op, _, _, _, ref in rows)
    terminal = sorted((t.kind, t.reference) for t in sim.transactions if t.approved)
    assert journal == terminal  # every approved movement once on each side, none lost
    sales = [(for_id, seq) for op, kind, for_id, seq, _ in rows if op == "sale"]
    assert len(sales) == len(set(sales))  # no tender charged twice
    assert set(sales) <= parts  # each charge is its sale's part payment
    assert derive_and_compare(shop.db.write).ok


@pytest.mark.parametrize("seed", range(6))
def test_a_kill_during_card_payments_leaves_at_most_one_charge_each_resolved_at_restart(
    store_dir: Path, sim: SimZvtTerminal, seed: int
) -> None:
    rng = random.Random(seed)
    run_and_kill(store_dir, sim.port, "sale", rng)
    shop = TestStore(store_dir)
    try:
        resolutions = resolve_cards(shop.user("Maria"), **deps(shop, client_for(sim.port)))
        assert all(r.outcome != "pending" for r in resolutions)
        agree(shop, sim)
    finally:
        shop.close()


@pytest.mark.parametrize("seed", range(6))
def test_a_kill_during_card_refunds_leaves_at_most_one_refund_each_resolved_at_restart(
    store_dir: Path, sim: SimZvtTerminal, seed: int
) -> None:
    rng = random.Random(100 + seed)
    run_and_kill(store_dir, sim.port, "refund", rng)
    shop = TestStore(store_dir)
    try:
        resolve_cards(shop.user("Maria"), **deps(shop, client_for(sim.port)))
        agree(shop, sim)
        with shop.read_uow() as uow:  # a refund the terminal never made keeps its return open
            owed = uow.cards.open_refunds(shop.terminal.terminal_id)
        assert all(not r.approved and r.answer is not None for r in owed)
    finally:
        shop.close()


def deps(shop: TestStore, terminal: object) -> dict[str, object]:
    return {"uow_factory": shop.uow, "clock": shop.clock, "store": shop.cfg, "terminal": shop.terminal,
            "card_terminal": terminal}  # fmt: skip
