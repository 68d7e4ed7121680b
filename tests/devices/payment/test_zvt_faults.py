"""Every fault switch of the simulated terminal, over real TCP: the outcome, the cashier's
words, and what the terminal's journal holds (charged at most once)."""

from __future__ import annotations

import time

import pytest

from counter.payments.terminal import Outcome
from devices.errors import DeviceError, ErrorCode
from devices.payment.zvt import ZvtTerminal
from devices.sim.zvt_terminal import Fault, SimZvtTerminal


def test_approved_sale(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    seen: list[str] = []
    answer = terminal.sale(1234, on_status=seen.append)
    assert answer.outcome is Outcome.APPROVED
    assert answer.amount_minor == 1234
    [tx] = sim.transactions
    assert (tx.kind, tx.amount_minor, tx.approved) == ("sale", 1234, True)
    assert answer.reference == f"{tx.receipt_no:04d}/{tx.trace:06d}" == tx.reference
    assert (answer.card_brand, answer.pan_last4, answer.terminal_id) == ("Visa", "4242", "52500042")
    assert answer.result_code == 0 and answer.approval_code
    assert "Insert or tap the card" in seen and "Waiting for the bank" in seen
    assert "AMOUNT EUR 12.34" in answer.receipt_lines
    assert not any("4242 4242" in line for line in answer.receipt_lines)
    assert answer.at.startswith("20")


def test_trace_and_receipt_numbers_go_up(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    first, second = terminal.sale(100), terminal.sale(200)
    assert int(second.trace) == int(first.trace) + 1
    assert int(second.receipt_no) == int(first.receipt_no) + 1
    assert sim.commands.count("06 00") == 1  # registered once per connection


@pytest.mark.parametrize(
    ("fault", "outcome", "words"),
    [
        (Fault.DECLINED, Outcome.DECLINED, "Declined by the card's bank"),
        (Fault.INSUFFICIENT_FUNDS, Outcome.DECLINED, "Declined: insufficient funds. Ask for another card"),
        (Fault.PIN_CANCELLED, Outcome.CANCELLED, "PIN entry cancelled"),
        (Fault.CARD_REMOVED, Outcome.CANCELLED, "Card removed"),
        (Fault.TIMEOUT, Outcome.CANCELLED, "Customer did not respond"),
    ],
)
def test_refusals_at_the_terminal(
    sim: SimZvtTerminal, terminal: ZvtTerminal, fault: Fault, outcome: Outcome, words: str
) -> None:
    sim.fault = fault
    answer = terminal.sale(500)
    assert answer.outcome is outcome
    assert words in answer.text
    assert answer.amount_minor == 500
    assert sim.charged() == []
    assert [t.approved for t in sim.transactions] == [False]
    assert sim.fault is None  # one-shot
    assert terminal.sale(500).approved  # the next one goes through


def test_silent_terminal_is_unknown_and_nothing_charged(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    sim.fault = Fault.SILENT
    answer = terminal.sale(700)
    assert answer.outcome is Outcome.UNKNOWN
    assert answer.amount_minor == 700
    assert "did not confirm" in answer.text
    assert sim.transactions == []
    assert terminal.last_transaction() is None  # resolves: the terminal holds nothing


def test_busy_terminal_raises_before_anything_starts(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    sim.fault = Fault.BUSY
    with pytest.raises(DeviceError) as caught:
        terminal.sale(700)
    assert caught.value.code is ErrorCode.BUSY
    assert "Nothing was charged" in caught.value.message and caught.value.hint
    assert sim.transactions == []


def test_cut_after_auth_is_unknown_and_resolved_by_last_transaction(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    sim.fault = Fault.CUT_AFTER_AUTH
    answer = terminal.sale(999)
    assert answer.outcome is Outcome.UNKNOWN
    assert answer.amount_minor == 999
    assert "dropped" in answer.text
    [tx] = sim.charged()
    assert tx.amount_minor == 999
    last = terminal.last_transaction()  # reconnects and registers again
    assert last is not None
    assert last.outcome is Outcome.APPROVED
    assert (last.amount_minor, last.reference) == (999, tx.reference)
    assert len(sim.charged()) == 1  # asking did not charge again


@pytest.mark.parametrize(
    "fault",
    [Fault.GARBAGE_FRAME, Fault.TRUNCATED_FRAME, Fault.WRONG_LENGTH, Fault.UNKNOWN_BMP, Fault.OTHER_AMOUNT],
)
def test_bad_answers_are_never_an_approval(sim: SimZvtTerminal, terminal: ZvtTerminal, fault: Fault) -> None:
    sim.fault = fault
    answer = terminal.sale(1000)  # any exception but DeviceError fails this test
    assert answer.outcome is Outcome.UNKNOWN
    assert answer.text.startswith("The card terminal")
    [tx] = sim.charged()
    if fault is Fault.OTHER_AMOUNT:
        assert (answer.amount_minor, tx.amount_minor) == (1100, 1100)
        assert answer.reference == tx.reference  # so the caller can reverse it
        assert "11.00 instead of 10.00" in answer.text
    else:
        assert answer.amount_minor == 1000
    if fault is Fault.UNKNOWN_BMP:
        assert "could not be read in full" in answer.text
        assert "AMOUNT EUR 10.00" in answer.receipt_lines  # the exchange ended normally
    last = terminal.last_transaction()
    assert last is not None and last.reference == tx.reference and last.amount_minor == tx.amount_minor


def test_sticky_fault_stays(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    sim.fault, sim.sticky = Fault.DECLINED, True
    assert terminal.sale(100).outcome is Outcome.DECLINED
    assert terminal.sale(100).outcome is Outcome.DECLINED
    assert sim.fault is Fault.DECLINED


def test_unreachable_terminal_raises(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    sim.stop()
    with pytest.raises(DeviceError) as caught:
        terminal.sale(100)
    assert caught.value.code in (ErrorCode.OFFLINE, ErrorCode.TIMEOUT)
    status = terminal.status()
    assert not status.ready and status.text


def test_status_and_diagnosis(terminal: ZvtTerminal) -> None:
    assert terminal.status().ready
    diagnosis = terminal.diagnose()
    assert diagnosis.ready and diagnosis.terminal_id == "52500042"


def test_a_connection_the_terminal_closed_is_reopened_not_unknown(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    assert terminal.sale(100).approved
    sim.hang_up()  # terminals close idle connections
    time.sleep(0.05)  # let the close reach the client's socket
    answer = terminal.sale(200)
    assert answer.outcome is Outcome.APPROVED
    assert sim.commands.count("06 00") == 2  # registered again on the new connection


def test_a_failing_status_display_does_not_lose_the_answer(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    def broken(text: str) -> None:
        raise RuntimeError("display gone")

    assert terminal.sale(100, on_status=broken).approved


def test_receipt_as_a_long_text_block(sim: SimZvtTerminal, terminal: ZvtTerminal) -> None:
    """06 D3 with BMP 06 / TLV 25 / 07 lines, over 254 bytes: the APDU's extended length (FF lo hi)."""
    sim.text_blocks = True
    sim.footer = [f"THANK YOU FOR SHOPPING WITH US {n:02d}" for n in range(10)]
    answer = terminal.sale(100)
    assert answer.approved
    assert answer.receipt_lines[0] == "CUSTOMER COPY"
    assert answer.receipt_lines[-1] == "THANK YOU FOR SHOPPING WITH US 09"
    assert len("".join(answer.receipt_lines)) > 300
