"""The journal's rules asserted by their verdicts, word for word (issue 14): the canonical
text that is hashed, what a body may hold, timestamps, the fast envelope (the same bytes
as the slow one), and ``verify``/``verify_chain`` naming the first bad entry, the reason and
how many entries before it are good, for every way a chain can be broken or cut short."""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from counter.journal import (
    GENESIS,
    EventType,
    JournalEntry,
    JournalHead,
    Verification,
    canonical,
    chain_hash,
    envelope,
    envelope_text,
    make_entry,
    utc_stamp,
    verify,
    verify_chain,
)

AT = datetime(2026, 11, 25, 3, 23, 14, 5, tzinfo=UTC)


def chain(n: int, start: int = 1, prev: str = GENESIS) -> list[JournalEntry]:
    entries = []
    for i in range(start, start + n):
        e = make_entry("T01", i, f"id-{i}", EventType.SALE_COMPLETED, AT, {"n": i, "name": "Café"}, prev)
        entries.append(e)
        prev = e.hash
    return entries


# ---- canonical bodies -------------------------------------------------------------------


def test_genesis_is_64_zeros() -> None:
    assert GENESIS == "0" * 64


def test_canonical_is_sorted_compact_utf8() -> None:
    assert canonical({"b": 1, "a": ["é", None, False]}) == '{"a":["é",null,false],"b":1}'.encode()


@pytest.mark.parametrize(
    "body",
    [
        {"a": 1.5},
        {"a": [Decimal("1.5")]},
        {"a": {"b": 2.0}},
        {"a": ("x", 1.0)},
        OrderedDict(a=OrderedDict(b=Decimal(1))),
        {"a": [[1.0]]},
        [1.0],
        (Decimal(0),),
    ],
)
def test_floats_and_decimals_are_refused_at_any_depth(body: object) -> None:
    with pytest.raises(TypeError) as err:
        canonical(body)
    assert str(err.value) == "journal bodies never hold floats or Decimals: use minor units or strings"


@pytest.mark.parametrize("body", [{1: "a"}, {"a": {2: "b"}}, OrderedDict({3: "c"}), {"a": OrderedDict({4: 1})}])
def test_keys_are_strings(body: object) -> None:
    with pytest.raises(TypeError) as err:
        canonical(body)
    assert str(err.value) == "journal keys are strings"


def test_a_str_subclass_key_is_a_string() -> None:
    assert canonical({EventType.SALE_COMPLETED: 1}) == b'{"SaleCompleted":1}'
    assert canonical(OrderedDict({EventType.SALE_VOIDED: [1]})) == b'{"SaleVoided":[1]}'


def test_other_objects_are_refused_by_name() -> None:
    with pytest.raises(TypeError) as err:
        canonical({"a": {1, 2}})
    assert str(err.value) == "journal bodies hold only str, int, bool, None, lists and dicts, not set"


def test_nested_plain_bodies_serialise() -> None:
    body = OrderedDict(z=[{"y": [1, True]}, ("t", None)], a=OrderedDict(b="c"))
    assert canonical(body) == b'{"a":{"b":"c"},"z":[{"y":[1,true]},["t",null]]}'


# ---- timestamps and hashes ---------------------------------------------------------------


def test_stamps_are_utc_with_microseconds_and_z() -> None:
    local = datetime(2026, 11, 24, 21, 23, 14, 5, tzinfo=timezone(timedelta(hours=-6)))
    assert utc_stamp(local) == "2026-11-25T03:23:14.000005Z"


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError) as err:
        utc_stamp(datetime(2026, 11, 25))
    assert str(err.value) == "journal timestamps must be timezone-aware"


def test_the_hash_is_sha256_of_prev_newline_and_the_canonical_envelope() -> None:
    e = make_entry("T01", 1, "id-1", "SaleCompleted", AT, {"n": 1}, GENESIS)
    text = (
        '{"at":"2026-11-25T03:23:14.000005Z","body":{"n":1},"id":"id-1","seq":1,'
        '"terminal":"T01","type":"SaleCompleted"}'
    )
    assert e.hash == hashlib.sha256((GENESIS + "\n" + text).encode()).hexdigest()
    assert e.hash == chain_hash(GENESIS, envelope("T01", 1, "id-1", "SaleCompleted", e.at, {"n": 1}))
    assert (e.terminal, e.seq, e.id, e.type, e.at, e.body, e.prev_hash) == (
        "T01", 1, "id-1", "SaleCompleted", "2026-11-25T03:23:14.000005Z", '{"n":1}', GENESIS
    )  # fmt: skip
    assert e.body_data() == {"n": 1}
    assert e.computed_hash() == e.hash


def test_the_fast_envelope_is_the_canonical_envelope_with_quotes_and_unicode() -> None:
    body = '{"k":"v"}'
    args = ('T"1\\', 7, "id\n€", "Type\u2028", "2026-01-01T00:00:00.000000Z")
    fast = envelope_text(*args[:5], body)  # type: ignore[arg-type]
    assert fast == canonical(envelope(*args, json.loads(body)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args",
    [
        ("T01", True, "i", "t", "a"),  # a bool is not an int seq
        (1, 2, "i", "t", "a"),
        ("T01", 2, 3, "t", "a"),
        ("T01", 2, "i", None, "a"),
        ("T01", 2, "i", "t", 4),
    ],
)
def test_an_envelope_with_fields_that_are_not_strings_goes_the_long_way(args: tuple) -> None:  # type: ignore[type-arg]
    assert envelope_text(*args, '{"n":1}') == canonical(envelope(*args, {"n": 1}))


# ---- verify --------------------------------------------------------------------------------


def test_a_good_chain_reports_its_count_and_last_hash() -> None:
    entries = chain(4)
    result = verify(entries)
    assert result == Verification(True, 4, None, "", entries[-1].hash)
    assert result.describe() == f"OK: 4 entries verified, last hash {entries[-1].hash}"


def test_an_empty_chain_is_good_with_genesis() -> None:
    assert verify([]) == Verification(True, 0, None, "", GENESIS)


def test_a_gap_names_the_expected_sequence_number() -> None:
    entries = chain(4)
    del entries[2]
    result = verify(entries)
    assert result == Verification(False, 2, 4, "expected sequence number 3", entries[1].hash)
    assert result.describe() == "BAD: entry 4: expected sequence number 3 (2 entries before it are good)"


def test_a_broken_link_is_named() -> None:
    entries = chain(3)
    entries[2] = replace(entries[2], prev_hash="f" * 64)
    assert verify(entries) == Verification(False, 2, 3, "does not link to the entry before it", entries[1].hash)


def test_an_edit_is_named_with_the_last_good_hash() -> None:
    entries = chain(3)
    entries[1] = replace(entries[1], type="SaleVoided")
    assert verify(entries) == Verification(False, 1, 2, "content does not match its hash", entries[0].hash)


@pytest.mark.parametrize("body", ['{"n":1.5}', '{"n":NaN}', '{"n":Infinity}', "{not json"])
def test_a_body_that_is_not_canonical_json_is_named(body: str) -> None:
    entries = chain(2)
    entries[1] = replace(entries[1], body=body)
    assert verify(entries) == Verification(False, 1, 2, "body is not canonical JSON", entries[0].hash)


def test_a_body_not_in_canonical_form_is_named() -> None:
    entries = chain(2)
    entries[0] = replace(entries[0], body='{"name":"Café","n":1}')
    assert verify(entries) == Verification(False, 0, 1, "body is not in canonical form", GENESIS)


def test_truncation_against_a_count_names_how_many_are_missing() -> None:
    entries = chain(3)
    assert verify(entries, expected_count=5) == Verification(
        False, 3, 4, "missing: 2 entries truncated", entries[-1].hash
    )
    assert verify(entries, expected_count=3).ok


def test_a_chain_continues_after_an_entry_already_verified() -> None:
    head = chain(2)
    rest = chain(2, start=3, prev=head[-1].hash)
    assert verify(rest, after_seq=2, after_hash=head[-1].hash) == Verification(True, 2, None, "", rest[-1].hash)
    assert verify(rest, after_seq=1, after_hash=head[-1].hash).reason == "expected sequence number 2"
    assert verify(rest, after_seq=2).reason == "does not link to the entry before it"


def test_describe_of_a_bad_record_that_is_not_an_entry() -> None:
    v = Verification(False, 3, None, "it is gone", where="journal head")
    assert v.describe() == "BAD: journal head: it is gone (3 entries are good)"
    ok = Verification(True, 2, None, "", "abc", note="seal not checked")
    assert ok.describe() == "OK: 2 entries verified, last hash abc (seal not checked)"


# ---- verify_chain --------------------------------------------------------------------------


def head_of(entries: list[JournalEntry], sealed: bool | None = True) -> JournalHead:
    return JournalHead(entries[-1].seq, entries[-1].hash, sealed)


def test_a_chain_that_ends_at_its_sealed_head_is_good() -> None:
    entries = chain(3)
    assert verify_chain(entries, head=head_of(entries)) == Verification(True, 3, None, "", entries[-1].hash)


def test_without_a_key_the_seal_is_not_checked_and_said_so() -> None:
    entries = chain(3)
    result = verify_chain(entries, head=head_of(entries, None))
    assert result.ok
    assert result.note == "journal head seal not checked: no installation key"


def test_a_broken_chain_is_reported_before_the_head() -> None:
    entries = chain(3)
    entries[1] = replace(entries[1], id="other")
    assert verify_chain(entries, head=None).reason == "content does not match its hash"


def test_no_head_and_no_entries_is_an_empty_journal() -> None:
    assert verify_chain([], head=None) == Verification(True, 0, None, "", GENESIS)


def test_a_deleted_head_is_named() -> None:
    entries = chain(2)
    assert verify_chain(entries, head=None) == Verification(
        False, 2, None, "missing: it was deleted, so entries may have been removed from the end",
        entries[-1].hash, where="journal head",
    )  # fmt: skip


def test_entries_cut_from_the_end_are_named_from_the_head() -> None:
    entries = chain(5)
    result = verify_chain(entries[:3], head=head_of(entries))
    assert result == Verification(
        False, 3, 4, "missing: the journal head says the journal goes to entry 5; entries 4 to 5 were removed",
        entries[2].hash,
    )  # fmt: skip


def test_entries_beyond_the_head_were_written_behind_counters_back() -> None:
    entries = chain(5)
    result = verify_chain(entries, head=head_of(entries[:3]))
    assert result == Verification(
        False, 3, 4, "not covered by the journal head (which ends at entry 3): written behind Counter's back",
        entries[-1].hash,
    )  # fmt: skip


def test_a_head_with_another_hash_is_named_at_the_last_entry() -> None:
    entries = chain(3)
    result = verify_chain(entries, head=JournalHead(3, "e" * 64, True))
    assert result == Verification(
        False, 2, 3, "does not match the hash the journal head recorded for it", entries[-1].hash
    )


def test_a_head_whose_seal_fails_is_named() -> None:
    entries = chain(3)
    result = verify_chain(entries, head=head_of(entries, False))
    assert result == Verification(
        False, 3, None, "its seal does not match this installation's key: the head was rewritten",
        entries[-1].hash, where="journal head",
    )  # fmt: skip


def test_the_chain_must_pass_through_every_anchor() -> None:
    entries = chain(5)
    anchors = {2: entries[1].hash, 4: entries[3].hash}
    assert verify_chain(entries, head=head_of(entries), anchors=anchors).ok
    wrong = {2: entries[1].hash, 4: "d" * 64}
    assert verify_chain(entries, head=head_of(entries), anchors=wrong) == Verification(
        False, 3, 4, "does not match its anchor's hash: the journal was rewritten up to here", entries[-1].hash
    )


def test_an_anchor_beyond_the_end_shows_entries_were_removed() -> None:
    entries = chain(5)
    anchors = {2: entries[1].hash, 5: entries[4].hash}
    assert verify_chain(entries[:4], head=head_of(entries[:4]), anchors=anchors) == Verification(
        False, 4, 5, "missing: an anchor shows the journal reached entry 5; entries from here were removed",
        entries[3].hash,
    )  # fmt: skip
    assert verify_chain(entries, head=head_of(entries), anchors={5: entries[4].hash}).ok


def test_anchors_are_checked_in_order_the_first_wrong_one_is_named() -> None:
    entries = chain(5)
    anchors = {4: "d" * 64, 2: "c" * 64}
    assert verify_chain(entries, head=head_of(entries), anchors=anchors).first_bad_seq == 2


def test_a_later_body_not_in_canonical_form_reports_the_last_good_hash() -> None:
    entries = chain(3)
    entries[2] = replace(entries[2], body='{"name":"Café","n":3}')
    assert verify(entries) == Verification(False, 2, 3, "body is not in canonical form", entries[1].hash)


class _Row(list):  # type: ignore[type-arg]
    """A list of another type than list (a row type some caller might hand in)."""


@pytest.mark.parametrize("body", [{"a": _Row([1, 2.5])}, _Row([Decimal("0.10")]), OrderedDict(a=1.5)])
def test_floats_inside_list_and_mapping_subclasses_are_refused_too(body: object) -> None:
    with pytest.raises(TypeError) as err:
        canonical(body)
    assert str(err.value) == "journal bodies never hold floats or Decimals: use minor units or strings"


def test_stamps_are_utc_whatever_the_machines_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/Chicago")
    time.tzset()
    try:
        assert utc_stamp(datetime(2026, 11, 25, 3, 23, 14, 5, tzinfo=UTC)) == "2026-11-25T03:23:14.000005Z"
    finally:
        monkeypatch.undo()
        time.tzset()
