"""The command line's logging and the folders tests may touch (issue #16, point 7)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import default_config_file, default_data_dir
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
    text = (tmp_path / "counter.log").read_text(encoding="utf-8")
    assert text.count("a line said once") == 1


def test_a_second_folder_takes_over_the_log(tmp_path: Path, root_handlers: list[logging.Handler]) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    _configure_logging(first)
    _configure_logging(second)
    logging.getLogger("counter.test").warning("after the move")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "after the move" in (second / "counter.log").read_text(encoding="utf-8")
    assert "after the move" not in (first / "counter.log").read_text(encoding="utf-8")


def test_the_suite_never_touches_the_real_home_folders() -> None:
    """tests/conftest.py points the XDG folders at the session's own: the command line run
    without --data-dir, and the app's defaults, write there and not in ~/.local/share/Counter."""
    home = Path.home()
    for path in (default_data_dir(), default_config_file()):
        assert not path.is_relative_to(home), path
    assert Path(os.environ["XDG_DATA_HOME"]).name == "xdg_data_home"
