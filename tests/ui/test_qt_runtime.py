"""The Qt binding the app is installed with must not lose references to None.

PySide6 6.12.0 on Python 3.11 drops one reference to ``None`` in every call of a Qt
method that returns nothing (``setText``, ``update``, ``show``...). None's count is
~50,000 at start, so after a few hundred sales the process aborts with "none_dealloc"
(found by bench/cold_start.py). constraints.txt pins a build without the bug and
pyproject.toml excludes 6.12.0; this test fails on any binding that leaks."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel, QWidget


def test_qt_calls_keep_nones_reference_count(qtbot) -> None:  # type: ignore[no-untyped-def]
    label, widget = QLabel(), QWidget()
    qtbot.addWidget(label)
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(20_000):
        label.setText("x")
        widget.update()
        label.setVisible(False)
    lost = before - sys.getrefcount(None)
    assert lost < 100, f"{lost} references to None lost in 60,000 Qt calls: this PySide6 build would abort the app"
