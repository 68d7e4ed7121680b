from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from counter.journal import GENESIS, canonical, make_entry, verify

AT = datetime(2026, 11, 25, 3, 23, 14, tzinfo=UTC)


def chain(n: int) -> list:
    entries, prev = [], GENESIS
    for i in range(1, n + 1):
        e = make_entry(
            "T01", i, f"00000000-0000-0000-0000-{i:012d}", "SaleCompleted", AT, {"n": i, "name": "Café"}, prev
        )
        entries.append(e)
        prev = e.hash
    return entries


def test_canonical_serialisation_is_pinned() -> None:
    body = {"b": [1, "é", None, True], "a": {"z": 1, "y": "€"}}
    assert canonical(body) == '{"a":{"y":"€","z":1},"b":[1,"é",null,true]}'.encode()
    first = chain(1)[0]
    # Golden hash: changing the serialisation or the envelope must be a deliberate act.
    assert first.at == "2026-11-25T03:23:14.000000Z"
    assert first.hash == "1e00c8a27f158a61a02b494ee50dd52fdf722e51771b16749466154510a9d524"


@pytest.mark.parametrize("value", [1.5, Decimal("1.50")])
def test_no_floats_or_decimals_in_bodies(value: object) -> None:
    with pytest.raises(TypeError):
        canonical({"amount": value})


def test_a_good_chain_verifies() -> None:
    result = verify(chain(5))
    assert result.ok and result.checked == 5


def test_an_edited_body_is_named() -> None:
    entries = chain(5)
    entries[2] = replace(entries[2], body=entries[2].body.replace('"n":3', '"n":4'))
    result = verify(entries)
    assert not result.ok and result.first_bad_seq == 3 and "hash" in result.reason


def test_a_deleted_entry_is_named() -> None:
    entries = chain(5)
    del entries[1]
    result = verify(entries)
    assert not result.ok and result.first_bad_seq == 3


def test_reordering_is_named() -> None:
    entries = chain(5)
    entries[1], entries[2] = entries[2], entries[1]
    result = verify(entries)
    assert not result.ok and result.first_bad_seq == 3


def test_a_rehashed_insertion_breaks_the_link() -> None:
    entries = chain(3)
    forged = make_entry("T01", 2, "x", "SaleCompleted", AT, {"n": 99}, entries[0].hash)
    entries = [entries[0], forged, replace(entries[1], seq=3), replace(entries[2], seq=4)]
    result = verify(entries)
    assert not result.ok and result.first_bad_seq == 3


def test_truncation_is_caught_against_a_known_count() -> None:
    result = verify(chain(3), expected_count=5)
    assert not result.ok and "truncated" in result.reason


def test_non_canonical_body_text_is_caught() -> None:
    entries = chain(2)
    entries[1] = replace(entries[1], body=entries[1].body.replace(",", ", "))
    result = verify(entries)
    assert not result.ok and result.first_bad_seq == 2


def test_a_body_nested_past_reason_is_named_not_a_crash() -> None:
    """A tampered body of 100,000 nested lists: verify names the entry (json would raise
    RecursionError)."""
    entries = chain(3)
    entries[1] = replace(entries[1], body="[" * 100_000 + "]" * 100_000)
    result = verify(entries)
    assert not result.ok and result.first_bad_seq == 2 and "canonical JSON" in result.reason
