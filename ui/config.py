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
        settings.problems.append(f"The settings file {path} could not be read ({exc}); defaults are used.")
        return
    known = {f.name: f for f in fields(Settings) if f.name != "problems"}
    section = data.get("counter", data)
    for key, value in section.items():
        f = known.get(key)
        if f is None:
            settings.problems.append(f"Unknown setting “{key}” in {path} was ignored.")
            continue
        expected = type(getattr(settings, key))
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            settings.problems.append(f"Setting “{key}” in {path} should be {expected.__name__}; the default is used.")
            continue
        setattr(settings, key, value)
