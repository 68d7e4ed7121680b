"""Shared fixtures. The demo store is built once per test session into a template
folder and copied for each test that needs one (Anki's habit: copy a prepared database
rather than rebuild it), so every test gets its own real SQLite file."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# One installation key for the whole session (and the subprocesses it starts), never the
# developer's own ~/.config/Counter/secret.key.
os.environ["COUNTER_SECRET_FILE"] = os.path.join(tempfile.mkdtemp(prefix="counter-key-"), "secret.key")
# Nothing a test runs (the command line without --data-dir, the app's default folders) writes
# to the developer's own ~/.local/share/Counter or ~/.config/Counter: the session gets its own.
_HOME = tempfile.mkdtemp(prefix="counter-home-")
for _name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = os.path.join(_HOME, _name.lower())

# As in the app once its window is built (ui/collector.py): the cyclic collector never runs
# on its own, so never on a worker thread holding no Qt object but freeing one from a cycle
# (an HQ call, a printer thread). Each test's teardown collects what is due, on this thread.
gc.disable()

from counter.people.users import PinHasher  # noqa: E402
from db.demo import build_demo  # noqa: E402
from db.engine import DB_FILENAME, pin_key  # noqa: E402
from db.keys import load_secret  # noqa: E402
from ui.collector import collect_due  # noqa: E402

#: Cheap argon2 parameters for building test stores; verification reads them from the hash.
#: Keyed with the session's installation key, like the app's own hasher.
FAST_HASHER = PinHasher(time_cost=1, memory_cost=1024, key=pin_key(load_secret()))


@pytest.fixture(autouse=True)
def _collect_on_main_thread() -> Iterator[None]:
    yield
    collect_due()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-template")
    db = build_demo(folder, days=3, sales_per_day=(4, 6), hasher=FAST_HASHER)
    db.dispose()
    return folder


@pytest.fixture
def store_dir(demo_template: Path, tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "store"
    target.mkdir()
    shutil.copy2(demo_template / DB_FILENAME, target / DB_FILENAME)
    yield target
