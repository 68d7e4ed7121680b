"""Saving settings to counter.toml: values set in place, comments and other tables kept,
the result always valid TOML that ``app.config.load_settings`` reads back."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app.config import load_settings
from app.settings_file import SettingsFileError, save_settings, toml_value, update_toml


def test_values_are_set_in_place_with_their_comments_and_new_ones_are_appended() -> None:
    text = '# the till by the door\nprinter = "sim://printer"   # demo\nprinter_columns = 42\n\n[hq]\nurl = "x"\n'
    out = update_toml(text, {"printer": "escpos+tcp://10.0.0.5:9100", "display": "none", "wedge": False})
    assert out == (
        "# the till by the door\n"
        'printer = "escpos+tcp://10.0.0.5:9100"   # demo\n'
        "printer_columns = 42\n"
        'display = "none"\n'
        "wedge = false\n"
        "\n"
        "[hq]\n"
        'url = "x"\n'
    )
    assert tomllib.loads(out)["hq"] == {"url": "x"}


def test_a_counter_table_is_where_the_settings_go() -> None:
    text = 'title = "x"\n[counter]\nscanner = ""\n[other]\nscanner = "keep"\n'
    data = tomllib.loads(update_toml(text, {"scanner": "sim://scanner", "drawer_wait_closed": True}))
    assert data["counter"] == {"scanner": "sim://scanner", "drawer_wait_closed": True}
    assert data["other"] == {"scanner": "keep"} and data["title"] == "x"


@pytest.mark.parametrize("value", ['C:\\ports\\"COM3"', "tab\there", "bell\x07", "crème brûlée", ""])
def test_strings_round_trip(value: str) -> None:
    assert tomllib.loads(f"v = {toml_value(value)}")["v"] == value


def test_saved_settings_are_what_the_app_reads(tmp_path: Path) -> None:
    save_settings(tmp_path / "counter.toml", {"display": "serial:///dev/ttyUSB1?baudrate=9600", "wedge_max_gap_ms": 60})
    settings = load_settings(tmp_path)
    assert settings.problems == []
    assert (settings.display, settings.wedge_max_gap_ms) == ("serial:///dev/ttyUSB1?baudrate=9600", 60)


def test_the_platform_file_is_the_starting_point_when_the_folder_has_none(tmp_path: Path) -> None:
    platform = tmp_path / "platform.toml"
    platform.write_text('printer_codepage = "CP437"\n', encoding="utf-8")
    save_settings(tmp_path / "store" / "counter.toml", {"drawer": "none"}, template=platform)
    assert tomllib.loads((tmp_path / "store" / "counter.toml").read_text()) == {
        "printer_codepage": "CP437",
        "drawer": "none",
    }


def test_a_file_that_cannot_be_updated_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "counter.toml"
    original = 'printer = """\nmulti-line\n"""\n'
    path.write_text(original, encoding="utf-8")
    with pytest.raises(SettingsFileError) as caught:
        save_settings(path, {"printer": "sim://printer"})
    assert "nothing was saved" in caught.value.message
    assert path.read_text(encoding="utf-8") == original


def test_the_theme_and_text_scale_are_read_and_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.config import load_settings

    (tmp_path / "counter.toml").write_text('[counter]\ntheme = "high-contrast"\ntext_scale = 2\n', encoding="utf-8")
    settings = load_settings(tmp_path)
    assert (settings.theme, settings.text_scale, settings.problems) == ("high-contrast", 2.0, [])
    (tmp_path / "counter.toml").write_text('[counter]\ntheme = "dark"\ntext_scale = 9.0\n', encoding="utf-8")
    settings = load_settings(tmp_path)
    assert (settings.theme, settings.text_scale) == ("standard", 1.0)
    assert len(settings.problems) == 2 and "dark" in settings.problems[0] and "9.0" in settings.problems[1]
