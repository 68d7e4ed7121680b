"""Writing settings back to ``counter.toml`` without disturbing what a person wrote there.

The file is edited in place, line by line: a ``key = value`` line of a setting we change
gets its new value (its comment kept), a setting not yet in the file is appended to the
table the app reads (``[counter]`` when the file has one, else the top level), and every
other line (comments, other settings, other tables) stays as it was. The result is parsed
again before it replaces the file, so a bad write never leaves a broken settings file.

Only scalar settings (str, int, bool) are written; that is all ``app.config.Settings`` has.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from counter.errors import CounterError
from counter.i18n import _

Scalar = str | int | bool

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


class SettingsFileError(CounterError):
    """The settings file could not be written."""


def toml_value(value: Scalar) -> str:
    """A TOML literal: a basic string with escapes, an integer, or true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def update_toml(text: str, values: Mapping[str, Scalar]) -> str:
    """``text`` with ``values`` set in the settings table (see the module docstring)."""
    lines = text.splitlines()
    has_section = any((m := _HEADER.match(line)) and m.group(1) == "counter" for line in lines)
    # The span of lines that belongs to our table: [start, end).
    if has_section:
        start = next(i for i, line in enumerate(lines) if (m := _HEADER.match(line)) and m.group(1) == "counter") + 1
    else:
        start = 0
    end = next((i for i in range(start, len(lines)) if _HEADER.match(lines[i])), len(lines))
    pending = dict(values)
    for i in range(start, end):
        match = re.match(r"^(\s*)([A-Za-z0-9_-]+|\"[^\"]*\")(\s*=\s*)(.*)$", lines[i])
        if not match:
            continue
        key = match.group(2).strip('"')
        if key not in pending:
            continue
        comment = _trailing_comment(match.group(4))
        lines[i] = f"{match.group(1)}{key}{match.group(3)}{toml_value(pending.pop(key))}{comment}"
    if pending:
        insert_at = end
        while insert_at > start and not lines[insert_at - 1].strip():
            insert_at -= 1  # keep the blank line before the next table
        new = [f"{key} = {toml_value(value)}" for key, value in pending.items()]
        lines[insert_at:insert_at] = new
    return "\n".join(lines) + "\n"


def _trailing_comment(value_part: str) -> str:
    """The ``  # ...`` after a scalar value, if any (quotes respected)."""
    in_string: str | None = None
    escaped = False
    for n, ch in enumerate(value_part):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\" and in_string == '"':
                escaped = True
            elif ch == in_string:
                in_string = None
        elif ch in ('"', "'"):
            in_string = ch
        elif ch == "#":
            head = value_part[:n]
            return " " * (len(head) - len(head.rstrip())) + value_part[n:]
    return ""


def save_settings(path: Path, values: Mapping[str, Scalar], *, template: Path | None = None) -> None:
    """Set ``values`` in the TOML file at ``path`` (created if missing, starting from
    ``template``'s text when given, so that settings read from the platform folder are
    kept). Raises SettingsFileError with what went wrong and what to do."""
    source = path if path.exists() else template
    try:
        text = source.read_text(encoding="utf-8") if source is not None and source.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsFileError(
            _("The settings file {path} could not be read ({reason}).").format(path=source, reason=exc),
            _("Check the file, or remove it."),
        ) from None
    new_text = update_toml(text, values)
    try:
        data = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsFileError(
            _("The settings file {path} has a line this app cannot update ({reason}); nothing was saved.").format(
                path=path, reason=exc
            ),
            _("Fix the file by hand, or move it away and save again."),
        ) from None
    table = data.get("counter", data)
    wrong = [key for key, value in values.items() if table.get(key) != value]
    if wrong:
        raise SettingsFileError(
            _("The settings file {path} could not be updated for {settings}; nothing was saved.").format(
                path=path, settings=", ".join(wrong)
            ),
            _("Fix the file by hand, or move it away and save again."),
        )
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(new_text, encoding="utf-8")
        os.replace(tmp, path)  # atomic: the old file or the new one, never half of each
    except OSError as exc:
        raise SettingsFileError(
            _("The settings could not be saved to {path} ({reason}).").format(path=path, reason=exc.strerror or exc),
            _("Check that the data folder is writable."),
        ) from None
