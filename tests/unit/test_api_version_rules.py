"""The API version policy: each release speaks its own version and the one before, the
highest common one is used, and a refusal says which side to upgrade."""

from __future__ import annotations

import pytest

from counter.sync.api_version import (
    API_VERSION,
    BEFORE_NEGOTIATION,
    HQ_SERVES,
    LANE_SPEAKS,
    ApiRange,
    agree,
    refusal,
    speaks,
)


@pytest.mark.parametrize(
    ("text", "found"),
    [("1", ApiRange(1, 1)), ("1-2", ApiRange(1, 2)), (" 2 - 3 ", ApiRange(2, 3)), ("12", ApiRange(12, 12))],
)
def test_a_version_or_a_range_is_read(text: str, found: ApiRange) -> None:
    assert ApiRange.parse(text) == found


@pytest.mark.parametrize("text", ["", "v1", "2-1", "0", "1-", "1,2", "1-2-3", "99999"])
def test_anything_else_is_not_a_version(text: str) -> None:
    assert ApiRange.parse(text) is None


def test_a_release_speaks_its_own_version_and_the_one_before() -> None:
    assert speaks(1) == ApiRange(1, 1)
    assert speaks(4) == ApiRange(3, 4)
    assert LANE_SPEAKS == HQ_SERVES == speaks(API_VERSION)
    assert str(ApiRange(1, 1)) == "1" and ApiRange(1, 1).header() == "1-1" and str(ApiRange(2, 3)) == "2-3"


@pytest.mark.parametrize(
    ("lane", "hq", "agreed"),
    [
        (speaks(4), speaks(4), 4),  # same release
        (speaks(3), speaks(4), 3),  # the lane one release behind (HQ upgraded first)
        (speaks(5), speaks(4), 4),  # the lane one release ahead
        (speaks(2), speaks(4), None),  # two behind
        (speaks(6), speaks(4), None),  # two ahead
        (BEFORE_NEGOTIATION, speaks(2), 1),  # a lane from before the negotiation, one release behind
        (BEFORE_NEGOTIATION, speaks(3), None),
    ],
)
def test_the_highest_version_both_speak_is_used(lane: ApiRange, hq: ApiRange, agreed: int | None) -> None:
    assert agree(lane, hq) == agreed


def test_a_lane_too_old_is_told_to_upgrade_itself() -> None:
    words = refusal(speaks(2), speaks(4), "1.4.0")
    assert words.startswith("This lane (Counter 1.4.0) speaks HQ's API versions 1 to 2, and this HQ serves API")
    assert "versions 3 to 4" in words and "Upgrade this lane" in words and "version 3 or later" in words


def test_a_lane_ahead_of_hq_is_told_to_have_hq_upgraded_first() -> None:
    words = refusal(speaks(6), speaks(4))
    assert words.startswith("This lane speaks HQ's API versions 5 to 6") and "Upgrade HQ first" in words


def test_a_version_that_cannot_be_read_is_said_so() -> None:
    assert "cannot read" in refusal(None, speaks(1))
