"""Settings, each declared once with its type, default and meaning.

Read from ``counter.toml`` in the data directory (so a throwaway store carries its own
settings), else from the platform's config directory; command-line flags override both.
A setting file that cannot be read is reported, never fatal: defaults apply.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from counter.i18n import _

APP = "Counter"


def default_data_dir() -> Path:
    return Path(os.environ.get("COUNTER_DATA_DIR") or user_data_dir(APP, appauthor=False))


def default_config_file() -> Path:
    return Path(user_config_dir(APP, appauthor=False)) / "counter.toml"


@dataclass
class Settings:
    #: Receipt printer URL: ``sim://printer`` (the built-in simulated network printer),
    #: ``escpos+tcp://HOST:9100``, ``escpos+serial:///dev/ttyUSB0?baudrate=19200``, ...
    printer: str = "sim://printer"
    #: Characters per line of the receipt printer (42 for 80 mm paper, 32 for 58 mm).
    printer_columns: int = 42
    #: Code page the printer is set to; text is encoded in it and it is selected each job.
    printer_codepage: str = "CP858"
    #: Show the receipt preview pane on the sale screen.
    show_receipt_preview: bool = True
    #: Cash drawer: ``printer`` (kicked through the receipt printer's drawer port, the
    #: demo's simulated printer included), ``serial:///dev/ttyS0`` (a drawer on its own
    #: port), ``sim://drawer`` (a simulated serial drawer), or ``none``.
    drawer: str = "printer"
    #: After a drawer opened, the next sale waits until the drawer reports it is closed
    #: (only drawers with a sensor report it).
    drawer_wait_closed: bool = False
    #: Serial barcode scanner: ``serial:///dev/ttyACM0?baudrate=9600``, ``sim://scanner``,
    #: or empty for keyboard-wedge scanners only (USB scanners that "type" the code).
    scanner: str = ""
    #: Tell keyboard-wedge scans from typing (the wedge filter); off, every key is typing.
    wedge: bool = True
    #: A wedge scan's keys arrive at most this many milliseconds apart (people are slower).
    wedge_max_gap_ms: int = 80
    #: A wedge scan has at least this many characters before its terminator (Enter).
    wedge_min_length: int = 4
    #: Optional prefix programmed into the wedge scanner (e.g. "]"); empty for none.
    wedge_prefix: str = ""
    #: Optional suffix programmed into the wedge scanner, sent between the code and its Enter
    #: (e.g. "#"): it marks a burst as a scan and is stripped from the code; empty for none.
    wedge_suffix: str = ""
    #: Customer line display (2 rows of 20): ``serial:///dev/ttyUSB1?baudrate=9600``,
    #: ``sim://display`` (simulated), or ``none``.
    display: str = "sim://display"
    #: Its command set: ``epson`` (ESC/POS displays) or ``cd5220``.
    display_command_set: str = "epson"
    #: First row of the display between sales; the second row is the store's name.
    display_welcome: str = "Welcome!"
    #: Card terminal (integrated, semi-integrated: the card never touches Counter):
    #: ``zvt+tcp://HOST:20007``, ``zvt+serial:///dev/ttyUSB0?baudrate=9600``, ``sim://terminal``
    #: (the built-in simulated terminal), or ``none`` (cards keyed from a standalone terminal).
    card_terminal: str = "sim://terminal"
    #: The terminal prints its own receipts; off, the till's printer prints the terminal's receipt text.
    card_terminal_prints: bool = False
    #: Minutes without a key press, a click or a scan before the counter locks itself back
    #: to the sign-in screen (an open sale is kept for whoever signs back in); 0 never locks.
    idle_lock_minutes: int = 2
    #: Check the whole file (``PRAGMA quick_check``) behind the sign-in screen at every
    #: start. Off only for benchmarks, which time that check on its own (bench/cold_start.py).
    integrity_check_at_start: bool = True
    #: The log (``logs/counter.log`` in the data folder) is rotated when it reaches this many
    #: kilobytes (16 to 102400); app/logs.py.
    log_max_kb: int = 1024
    #: How many log files are kept, the one being written included (2 to 100): the log takes
    #: at most about ``log_max_kb`` × ``log_files``.
    log_files: int = 5
    #: Where backups go (docs/backup.md): a folder on a USB drive or a share, e.g.
    #: ``/media/counter-usb/backups``; empty: ``backups`` in the data folder (same disk as
    #: the store: it guards against damage, not against the disk dying).
    backup_dir: str = ""
    #: How many backups of this lane the folder keeps (1 to 1000); the newest good one always.
    backup_keep: int = 14
    #: Hours between backups while the app runs (0: only after each Z report and by hand).
    backup_every_hours: int = 4
    #: How the screens look: ``standard`` or ``high-contrast`` (white on black, yellow focus;
    #: ui/theme.py).
    theme: str = "standard"
    #: The screens' text size: 1.0, 1.25, 1.5 or 2.0 times the standard (1.0 to 3.0).
    text_scale: float = 1.0
    #: Problems met while reading the settings, shown once at start-up.
    problems: list[str] = field(default_factory=list)


def load_settings(data_dir: Path, overrides: dict[str, object] | None = None) -> Settings:
    settings = Settings()
    for path in (data_dir / "counter.toml", default_config_file()):
        if path.exists():
            _apply_file(settings, path)
            break
    for key, value in (overrides or {}).items():
        if value is not None:
            setattr(settings, key, value)
    return settings


def _apply_file(settings: Settings, path: Path) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        problem = _("The settings file {path} could not be read ({reason}); defaults are used.")
        settings.problems.append(problem.format(path=path, reason=exc))
        return
    known = {f.name: f for f in fields(Settings) if f.name != "problems"}
    section = data.get("counter", data)
    if not isinstance(section, dict):
        problem = _("“counter” in {path} should be a table of settings; defaults are used.")
        settings.problems.append(problem.format(path=path))
        return
    for key, value in section.items():
        f = known.get(key)
        if f is None:
            settings.problems.append(
                _("Unknown setting “{setting}” in {path} was ignored.").format(setting=key, path=path)
            )
            continue
        expected = type(getattr(settings, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # text_scale = 2 means 2.0
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            problem = _("Setting “{setting}” in {path} should be {type}; the default is used.")
            settings.problems.append(problem.format(setting=key, path=path, type=expected.__name__))
            continue
        setattr(settings, key, value)
    _check_look(settings, path)


#: the screens' looks (ui/theme.py) and the text sizes they are made for
THEMES = ("standard", "high-contrast")
TEXT_SCALES = (1.0, 3.0)


def _check_look(settings: Settings, path: Path) -> None:
    if settings.theme not in THEMES:
        problem = _("Theme “{theme}” in {path} is not one Counter has ({themes}); the standard one is used.")
        settings.problems.append(problem.format(theme=settings.theme, path=path, themes=", ".join(THEMES)))
        settings.theme = "standard"
    low, high = TEXT_SCALES
    if not low <= settings.text_scale <= high:
        problem = _("Text scale {scale} in {path} is outside {low} to {high}; 1.0 is used.")
        settings.problems.append(problem.format(scale=settings.text_scale, path=path, low=low, high=high))
        settings.text_scale = 1.0
