"""Fixtures of the store tests: ``shop``, a demo store opened through Counter's own write
path (tests/db/support.py), closed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.db.support import TestStore


@pytest.fixture
def shop(store_dir: Path) -> Iterator[TestStore]:
    store = TestStore(store_dir)
    yield store
    store.close()
