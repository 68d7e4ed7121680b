"""Which store a receipt number names (counter.store.receipt_store)."""

from __future__ import annotations

import pytest

from counter.store import TerminalIdentity, receipt_store


@pytest.mark.parametrize(
    ("number", "store"),
    [
        ("S01-T01-000123", "S01"),
        ("S010-T01-000001", "S010"),
        ("S01-T01-R000001", "S01"),  # a return number
        ("NORTH-1-T02-000009", "NORTH-1"),  # a store id with a dash keeps it
        ("12345", None),
        ("S01-T01", None),
        ("S01-T01-", None),
        ("-T01-000001", None),
        ("S01--000001", None),
        ("S01-T01-00012A", None),
        ("S01-T01-R", None),
        ("", None),
    ],
)
def test_the_store_a_receipt_number_names(number: str, store: str | None) -> None:
    assert receipt_store(number) == store


def test_every_number_a_terminal_gives_names_its_store() -> None:
    for identity in (TerminalIdentity("S01", "T01"), TerminalIdentity("EAST-2", "T10")):
        assert receipt_store(identity.receipt_number(1)) == identity.store_id
        assert receipt_store(identity.receipt_number(999_999)) == identity.store_id
