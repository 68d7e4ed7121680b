"""bench/generate.py splits a sale's tax and order discount over its lines with integer
arithmetic; the rows it makes must be the app's (``counter.money.allocate``), equal
remainders included (a 10M-line run once stopped on one, when the app compared 28-digit
Decimal remainders; both are exact now, and a tie goes to the earlier line)."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings, strategies as st

from counter.money import allocate

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from generate import _allocate  # noqa: E402

CENT = Decimal("0.01")


def app(total: int, weights: list[int]) -> list[int]:
    return [int(p / CENT) for p in allocate(Decimal(total) * CENT, [Decimal(w) * CENT for w in weights], CENT)]


def test_equal_remainders_of_a_small_and_a_large_share_go_where_the_app_puts_them() -> None:
    # 3 cents over 3 + 10 + 1 + 7: the first two shares (0.43 and 1.43) have the same
    # remainder 9/21; the earlier line gets the cent (28-digit Decimals once gave it to the
    # second, whose rounded remainder came out larger in its last digit)
    assert _allocate(3, [3, 10, 1, 7]) == app(3, [3, 10, 1, 7]) == [1, 1, 0, 1]
    assert _allocate(15, [7, 333, 100, 10]) == app(15, [7, 333, 100, 10]) == [0, 11, 4, 0]  # 1/3 and 1/3: the earlier
    assert _allocate(8, [7, 100, 1000, 333]) == app(8, [7, 100, 1000, 333]) == [0, 1, 5, 2]  # 5/9 and 5/9: the earlier
    assert _allocate(10, [1, 2, 3, 4]) == [1, 2, 3, 4]  # no remainder at all


@settings(max_examples=400, deadline=None)
@given(
    total=st.integers(0, 10_000),
    weights=st.lists(
        st.sampled_from([1, 2, 3, 7, 10, 25, 99, 100, 250, 333, 1000, 4999, 123457]), min_size=1, max_size=12
    ),
)
def test_the_generators_split_is_the_apps(total: int, weights: list[int]) -> None:
    assert _allocate(total, weights) == app(total, weights)
