"""How the screens look: the theme and the text scale (GUI thread only).

``resources/style.qss`` is the one style sheet; the high-contrast theme lays
``resources/high_contrast.qss`` over it. The text scale (1.0, 1.5, 2.0; settings
``text_scale``) multiplies every font size of the sheet and the application's font, so
the screens grow their text while the layouts (which follow their text's size) grow with it.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.config import THEMES

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
STYLE = RESOURCES / "style.qss"
HIGH_CONTRAST = RESOURCES / "high_contrast.qss"
SCALES = (1.0, 1.25, 1.5, 2.0)
_SIZE = re.compile(r"(font-size|min-height|min-width)\s*:\s*(\d+(?:\.\d+)?)px")
#: type this large is already display size (the total, 56 px): it keeps its size
DISPLAY_SIZE = 30
DISPLAY_GROWTH = 1.0

log = logging.getLogger(__name__)


def style_sheet(theme: str = "standard", scale: float = 1.0) -> str:
    """The sheet for ``theme`` with every font size (and the heights that hold text) times
    ``scale``."""
    parts = [STYLE.read_text(encoding="utf-8")]
    if theme == "high-contrast":
        parts.append(HIGH_CONTRAST.read_text(encoding="utf-8"))
    sheet = "\n".join(parts)
    if scale != 1.0:
        sheet = _SIZE.sub(lambda m: f"{m.group(1)}: {_grown(float(m.group(2)), scale)}px", sheet)
    return sheet


def _grown(size: float, scale: float) -> int:
    return round(size * (scale if size < DISPLAY_SIZE else min(scale, DISPLAY_GROWTH)))


def text_scale() -> float:
    """The text scale the application was styled with (1.0 before ``apply_style``)."""
    app = QApplication.instance()
    value = app.property("counterTextScale") if app is not None else None
    return float(value) if value else 1.0


def scaled(pixels: int) -> int:
    """A size in pixels that holds text (a dialog's least width, a column's), grown with it."""
    return round(pixels * text_scale())


@functools.cache
def _cached_sheet(theme: str, scale: float) -> str | None:
    try:
        return style_sheet(theme, scale)
    except OSError:
        return None


def apply_style(app: QApplication, theme: str = "standard", scale: float = 1.0) -> None:
    """Style the whole application; an unknown theme is the standard one, a missing sheet the
    platform's style (said in the log, never fatal)."""
    if theme not in THEMES:
        log.warning("unknown theme %r; using the standard one", theme)
        theme = "standard"
    scale = min(max(scale, 1.0), 3.0)
    sheet = _cached_sheet(theme, scale)
    if sheet is None:
        log.warning("style sheet %s not found; using the platform style", STYLE)
        return
    if app.styleSheet() == sheet and app.property("counterTextScale") == scale:
        return  # styled so already: setting it again would re-polish every widget alive
    app.setProperty("counterTextScale", scale)
    app.setStyleSheet(sheet)
    palette = app.palette()  # what a style sheet cannot reach: the hint text in empty fields
    hint = "#e0e0e0" if theme == "high-contrast" else "#6b7280"
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor(hint))
    app.setPalette(palette)
    font = app.font()
    if font.pointSizeF() > 0:
        base = app.property("counterBasePointSize") or font.pointSizeF()
        app.setProperty("counterBasePointSize", base)
        font.setPointSizeF(float(base) * scale)
        app.setFont(font)
