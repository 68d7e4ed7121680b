"""The command line's logging (rotated, capped, redacted: issue #19, point 6) and the folders
tests may touch (issue #16, point 7)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import default_config_file, default_data_dir
from app.logs import configure_logging, log_files
from cli.main import _configure_logging


@pytest.fixture
def root_handlers() -> Iterator[list[logging.Handler]]:
    root = logging.getLogger()
    before = list(root.handlers)
    yield before
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()


def test_configuring_twice_logs_each_line_once(tmp_path: Path, root_handlers: list[logging.Handler]) -> None:
    _configure_logging(tmp_path)
    _configure_logging(tmp_path)  # a second command in the same process (tests do this)
    added = [h for h in logging.getLogger().handlers if h not in root_handlers]
    assert len(added) == 2  # the console and the file, not four
    logging.getLogger("counter.test").warning("a line said once")
    for handler in added:
        handler.flush()
    text = (tmp_path / "logs" / "counter.log").read_text(encoding="utf-8")
    assert text.count("a line said once") == 1


def test_a_second_folder_takes_over_the_log(tmp_path: Path, root_handlers: list[logging.Handler]) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    _configure_logging(first)
    _configure_logging(second)
    logging.getLogger("counter.test").warning("after the move")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "after the move" in (second / "logs" / "counter.log").read_text(encoding="utf-8")
    assert "after the move" not in (first / "logs" / "counter.log").read_text(encoding="utf-8")


def test_the_suite_never_touches_the_real_home_folders() -> None:
    """tests/conftest.py points the XDG folders at the session's own: the command line run
    without --data-dir, and the app's defaults, write there and not in ~/.local/share/Counter."""
    home = Path.home()
    for path in (default_data_dir(), default_config_file()):
        assert not path.is_relative_to(home), path
    assert Path(os.environ["XDG_DATA_HOME"]).name == "xdg_data_home"


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def test_the_log_is_rotated_and_capped(tmp_path: Path, root_handlers: list[logging.Handler]) -> None:
    """16 KB × 3 files: ~300 KB of records leave three files, none over 16 KB, the newest
    records in counter.log and the oldest gone."""
    path = configure_logging(tmp_path, max_kb=16, files=3)
    assert path == tmp_path / "logs" / "counter.log"
    log = logging.getLogger("counter.test.rotation")
    for n in range(3000):
        log.info("record %05d %s", n, "x" * 60)
    _flush()
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["counter.log", "counter.log.1", "counter.log.2"]
    sizes = [p.stat().st_size for p in (tmp_path / "logs").iterdir()]
    assert all(size <= 16 * 1024 for size in sizes), sizes
    assert sum(sizes) > 2 * 16 * 1024  # the older two are full: it did rotate, not stop
    assert "record 02999" in (tmp_path / "logs" / "counter.log").read_text(encoding="utf-8")
    everything = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "logs").iterdir())
    assert "record 00000" not in everything
    assert log_files(tmp_path) == [tmp_path / "logs" / name for name in files]  # newest first


def test_counter_toml_sizes_the_log(tmp_path: Path, root_handlers: list[logging.Handler]) -> None:
    (tmp_path / "counter.toml").write_text("log_max_kb = 20\nlog_files = 2\n", encoding="utf-8")
    _configure_logging(tmp_path)  # what every `counter` command runs first
    log = logging.getLogger("counter.test.rotation")
    for n in range(2000):
        log.warning("record %05d %s", n, "y" * 60)
    _flush()
    logs = list((tmp_path / "logs").iterdir())
    assert sorted(p.name for p in logs) == ["counter.log", "counter.log.1"]
    assert all(p.stat().st_size <= 20 * 1024 for p in logs)
    assert max(p.stat().st_size for p in logs) > 16 * 1024  # 20 KB, not the floor of 16


def test_settings_out_of_bounds_are_taken_to_the_nearest(tmp_path: Path, root_handlers: list[logging.Handler]) -> None:
    configure_logging(tmp_path, max_kb=1, files=0)  # 16 KB, two files (one alone would never rotate)
    log = logging.getLogger("counter.test.rotation")
    for n in range(1000):
        log.info("record %05d %s", n, "z" * 60)
    _flush()
    logs = list((tmp_path / "logs").iterdir())
    assert sorted(p.name for p in logs) == ["counter.log", "counter.log.1"]
    assert all(p.stat().st_size <= 16 * 1024 for p in logs)
    assert max(p.stat().st_size for p in logs) > 8 * 1024


def test_the_file_gets_no_pin_or_card_and_the_old_log_is_listed_last(
    tmp_path: Path, root_handlers: list[logging.Handler]
) -> None:
    (tmp_path / "counter.log").write_text("an old unrotated log\n", encoding="utf-8")
    _configure_logging(tmp_path)
    logging.getLogger("counter.test").warning("pin=%s card %s", "2468", "4111 1111 1111 1111")
    _flush()
    text = (tmp_path / "logs" / "counter.log").read_text(encoding="utf-8")
    assert "2468" not in text and "4111 1111" not in text and "pin=[redacted] card •••• 1111" in text
    assert log_files(tmp_path) == [tmp_path / "logs" / "counter.log", tmp_path / "counter.log"]
