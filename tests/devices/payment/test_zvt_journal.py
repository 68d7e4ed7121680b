"""Refunds, reversals, end of day and the simulator's memory, over real TCP."""

from __future__ import annotations

from pathlib import Path

import pytest

from counter.payments.terminal import Outcome
from devices.errors import DeviceError, ErrorCode
from devices.payment import open_terminal
from devices.payment.zvt import ZvtTerminal
from devices.sim.zvt_terminal import Fault, SimZvtTerminal
from tests.devices.payment.conftest import DEADLINES, client_for


def test_partial_refunds_up_to_the_original(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    sale = terminal.sale(1000)
    first = terminal.refund(400, sale.reference)
    second = terminal.refund(500, sale.reference)
    third = terminal.refund(200, sale.reference)
    assert (first.outcome, second.outcome) == (Outcome.APPROVED, Outcome.APPROVED)
    assert (first.amount_minor, second.amount_minor) == (400, 500)
    assert third.outcome is Outcome.DECLINED
    assert "Refund exceeds the original payment" in third.text
    refunds = [t for t in sim.transactions if t.kind == "refund"]
    assert [(t.amount_minor, t.approved) for t in refunds] == [(400, True), (500, True), (200, False)]
    assert {t.original_receipt for t in refunds} == {int(sale.receipt_no)}


def test_refund_of_an_unknown_payment_is_declined(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    answer = terminal.refund(100, "0042/000042")
    assert answer.outcome is Outcome.DECLINED
    assert "Original payment not found" in answer.text
    assert not any(t.approved for t in sim.transactions)


def test_a_malformed_reference_is_not_sent(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    for bad in ("", "12", "abc/def", "12345/1"):
        with pytest.raises(DeviceError) as caught:
            terminal.refund(100, bad)
        assert caught.value.code is ErrorCode.CONFIG and "nothing was sent" in caught.value.message
    with pytest.raises(DeviceError):
        terminal.reverse("x")
    assert "06 31" not in sim.commands and "06 30" not in sim.commands


def test_reversal(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    sale = terminal.sale(2500)
    reversal = terminal.reverse(sale.reference)
    assert reversal.outcome is Outcome.APPROVED
    assert reversal.amount_minor == 2500
    assert sim.charged() == []
    again = terminal.reverse(sale.reference)
    assert again.outcome is Outcome.DECLINED and "already reversed" in again.text
    assert terminal.refund(100, sale.reference).outcome is Outcome.DECLINED  # a reversed sale refunds nothing


def test_end_of_day_matches_the_ledger(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    kept = terminal.sale(1000)
    reversed_sale = terminal.sale(300)
    terminal.reverse(reversed_sale.reference)
    sim.brand, sim.pan_last4 = "Mastercard", "5454"
    terminal.sale(700)
    terminal.refund(250, kept.reference)
    sim.fault = Fault.DECLINED
    terminal.sale(5000)  # declined: not in the totals

    totals = terminal.end_of_day()
    assert totals.ok and totals.text
    live = [t for t in sim.transactions if t.approved and not t.reversed and t.kind != "reversal"]
    net = sum(t.amount_minor if t.kind == "sale" else -t.amount_minor for t in live)
    assert totals.amount_minor == net == 1000 + 700 - 250
    assert totals.count == len(live) == 3
    # the refund was made with the Mastercard the simulator now presents
    assert {b: (t.count, t.amount_minor) for b, t in totals.by_brand.items()} == {
        "Visa": (1, 1000),
        "Mastercard": (2, 450),
    }
    assert any("TOTAL" in line for line in totals.receipt_lines)

    after = terminal.end_of_day()  # the batch was reset
    assert after.ok and after.count == 0 and after.amount_minor == 0
    late = terminal.reverse(kept.reference)  # not in the open batch any more
    assert late.outcome is Outcome.DECLINED


def test_last_transaction_is_none_on_a_fresh_terminal(terminal: ZvtTerminal) -> None:
    assert terminal.last_transaction() is None


def test_a_restarted_simulator_remembers(tmp_path: Path) -> None:
    state = tmp_path / "terminal.json"
    first = SimZvtTerminal(state, step_delay=0.001).start()
    client = client_for(first.port)
    sale = client.sale(1500)
    client.close()
    first.stop()

    second = SimZvtTerminal(state, step_delay=0.001).start()
    try:
        client = client_for(second.port)
        assert [t.reference for t in second.transactions] == [sale.reference]
        last = client.last_transaction()
        assert last is not None and last.reference == sale.reference and last.amount_minor == 1500
        refund = client.refund(1500, sale.reference)
        assert refund.approved
        assert int(refund.trace) == int(sale.trace) + 1
        client.close()
    finally:
        second.stop()


def test_open_terminal_sim_starts_and_stops_the_simulator() -> None:
    terminal = open_terminal("sim://terminal", deadlines=DEADLINES)
    simulator = terminal.simulator
    assert isinstance(simulator, SimZvtTerminal)
    assert terminal.sale(100).approved
    terminal.close()
    with pytest.raises(DeviceError):
        client_for(simulator.port).sale(100)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "empty"),
        ("zvt://1.2.3.4", "not a kind of device connection"),
        ("zvt+tcp://", "no card terminal address"),
        ("zvt+tcp://1.2.3.4:99999", "not a port number"),
        ("zvt+serial:///dev/ttyUSB0?baud=9600", "“baud” is not a setting"),
        ("zvt+serial:///dev/ttyUSB0?baudrate=1234", "not a usual baud rate"),
        ("sim://printer", "not a card terminal"),
        ("escpos+tcp://1.2.3.4", "not a card terminal address"),
    ],
)
def test_bad_urls(url: str, words: str) -> None:
    with pytest.raises(DeviceError) as caught:
        open_terminal(url)
    assert caught.value.code is ErrorCode.CONFIG
    assert words in caught.value.message


def test_urls_build_without_connecting() -> None:
    from devices.urls import parse_device_url

    assert parse_device_url("zvt+tcp://192.168.1.60").port == 20007
    assert parse_device_url("zvt+tcp://192.168.1.60:4100").port == 4100
    assert parse_device_url("escpos+tcp://192.168.1.50").port == 9100  # printers unchanged
    assert parse_device_url("zvt+serial:///dev/ttyUSB0?baudrate=19200").serial_settings()["baudrate"] == 19200
    terminal = open_terminal("zvt+tcp://127.0.0.1:1")  # nothing listens: raises only when used
    with pytest.raises(DeviceError) as caught:
        terminal.sale(100)
    assert caught.value.code is ErrorCode.OFFLINE


def test_an_unreadable_journal_starts_empty(tmp_path: Path) -> None:
    state = tmp_path / "terminal.json"
    state.write_text("{not json", encoding="utf-8")
    sim = SimZvtTerminal(state)
    assert sim.transactions == []
