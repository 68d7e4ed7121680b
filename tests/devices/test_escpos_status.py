"""DLE EOT parsing: every field is UNKNOWN unless a well-formed byte says otherwise."""

from __future__ import annotations

import pytest

from devices.escpos.status import (
    UNKNOWN,
    Paper,
    PrinterStatus,
    encode_status,
    parse_status,
    status_request,
    valid_reply,
)

OK1, OK2, OK3, OK4 = b"\x12", b"\x12", b"\x12", b"\x12"


@pytest.mark.parametrize(
    "reply, valid",
    [
        (b"\x12", 0x12),
        (b"\x16", 0x16),  # drawer pin 3 high
        (b"\x1e", 0x1E),
        (b"\x72", 0x72),  # paper end bits
        (None, None),
        (b"", None),
        (b"\x12\x12", None),  # two bytes: not an answer to one request
        (b"\x00", None),  # fixed bits missing (a common emulator bug)
        (b"\x02", None),  # bit 4 missing
        (b"\x13", None),  # bit 0 set
        (b"\x92", None),  # bit 7 set
        (b"\xff", None),
    ],
)
def test_valid_reply(reply, valid):
    assert valid_reply(reply) == valid


def st(online, cover, paper, cutter, drawer, recoverable=False, unrecoverable=False):
    return PrinterStatus(online, cover, paper, cutter, drawer, recoverable, unrecoverable, True)


@pytest.mark.parametrize(
    "replies, expected",
    [
        ({1: OK1, 2: OK2, 3: OK3, 4: OK4}, st(True, False, Paper.OK, False, False)),
        ({1: b"\x1a", 2: b"\x16", 3: OK3, 4: OK4}, st(False, True, Paper.OK, False, False)),
        ({1: b"\x1a", 2: b"\x32", 3: OK3, 4: b"\x72"}, st(False, False, Paper.EMPTY, False, False)),
        ({1: OK1, 2: OK2, 3: OK3, 4: b"\x1e"}, st(True, False, Paper.NEAR_END, False, False)),
        ({1: OK1, 2: OK2, 3: b"\x1a", 4: OK4}, st(True, False, Paper.OK, True, False)),
        ({1: b"\x16", 2: OK2, 3: OK3, 4: OK4}, st(True, False, Paper.OK, False, True)),
        ({1: b"\x12", 2: b"\x32"}, st(True, False, Paper.EMPTY, None, False, None, None)),
    ],
    ids=["ready", "cover-open", "paper-out", "near-end", "cutter", "drawer-open", "paper-stop-without-4"],
)
def test_parse_tables(replies, expected):
    assert parse_status(replies) == expected


@pytest.mark.parametrize(
    "replies",
    [{}, {1: None}, {1: b""}, {1: b"\x00", 2: b"\x00", 3: b"\x00", 4: b"\x00"}, {1: b"\xff\xff"}],
    ids=["nothing", "none", "empty", "zero-bytes", "garbage"],
)
def test_missing_or_malformed_is_unknown_never_ok(replies):
    status = parse_status(replies)
    assert status == UNKNOWN
    assert status.paper is Paper.UNKNOWN and status.online is None and not status.ready
    assert status.describe() == "Not answering"


def test_paper_without_reply_4_is_unknown_even_if_online():
    status = parse_status({1: OK1, 2: OK2, 3: OK3, 4: b"\x00"})
    assert status.online is True and status.paper is Paper.UNKNOWN


def test_drawer_polarity_and_no_sensor():
    assert parse_status({1: b"\x16"}, drawer_open_when_high=False).drawer_open is False
    assert parse_status({1: b"\x12"}, drawer_open_when_high=False).drawer_open is True
    assert parse_status({1: b"\x16"}, drawer_open_when_high=None).drawer_open is None


def test_encode_round_trips_through_parse():
    replies = {n: encode_status(n, cover_open=True, offline=True, paper_near_end=True) for n in (1, 2, 3, 4)}
    status = parse_status(replies)
    assert (status.online, status.cover_open, status.paper) == (False, True, Paper.NEAR_END)
    assert status.describe() == "Cover open"


def test_requests():
    assert status_request(1) == b"\x10\x04\x01"
    with pytest.raises(ValueError):
        status_request(5)
