"""``run.py start`` checks, before Qt aborts, that the X11 platform plugin finds every system
library and that there is a display, and says the one command that fixes it
(scripts/qt_check.py, issue #19)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.qt_check import (
    FAMILIES,
    PACKAGES,
    PLUGIN_ENV,
    diagnose,
    family_of,
    missing_libraries,
    missing_message,
    opens_window,
    parse_ldd,
    parse_os_release,
    platforms_dir,
    requested_platform,
)

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)
LDD = shutil.which("ldd")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or LDD is None, reason="Linux with ldd only")

#: ldd on PySide6's libQt6XcbQpa.so.6 on a Debian 12 that lacks libxcb-icccm4 and
#: libxcb-keysyms1 (the machine of issue #19), as glibc's ldd prints it
LDD_TWO_MISSING = """\
\tlinux-vdso.so.1 (0x00007f8561b64000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f8561a8a000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f8561a7b000)
\tlibxcb-image.so.0 => /lib/x86_64-linux-gnu/libxcb-image.so.0 (0x00007f8561a75000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-randr.so.0 => /lib/x86_64-linux-gnu/libxcb-randr.so.0 (0x00007f8561a62000)
\tlibQt6Gui.so.6 => /opt/counter/.venv/lib/python3.11/site-packages/PySide6/Qt/lib/libQt6Gui.so.6 (0x00007f8560600000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f855fc1e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f8561b66000)
"""

DEBIAN = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
"""
UBUNTU = """PRETTY_NAME="Ubuntu 24.04.1 LTS"
ID=ubuntu
ID_LIKE=debian
"""
MINT = """NAME="Linux Mint"
ID=linuxmint
ID_LIKE="ubuntu debian"
"""
FEDORA = """NAME="Fedora Linux"
VERSION="40 (Workstation Edition)"
ID=fedora
"""
ROCKY = """NAME="Rocky Linux"
ID="rocky"
ID_LIKE="rhel centos fedora"
"""
OPENSUSE = """NAME="openSUSE Tumbleweed"
ID="opensuse-tumbleweed"
ID_LIKE="opensuse suse"
"""
ARCH = """NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
"""
MANJARO = """NAME="Manjaro Linux"
ID=manjaro
ID_LIKE=arch
"""
NIXOS = """NAME=NixOS
ID=nixos
PRETTY_NAME="NixOS 24.05 (Uakari)"
"""


@pytest.mark.parametrize(
    ("os_release", "command"),
    [
        (DEBIAN, "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1"),
        (UBUNTU, "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1"),
        (MINT, "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1"),
        (FEDORA, "sudo dnf install -y xcb-util-wm xcb-util-keysyms"),
        (ROCKY, "sudo dnf install -y xcb-util-wm xcb-util-keysyms"),
        (OPENSUSE, "sudo zypper install -y libxcb-icccm4 libxcb-keysyms1"),
        (ARCH, "sudo pacman -S --needed xcb-util-wm xcb-util-keysyms"),
        (MANJARO, "sudo pacman -S --needed xcb-util-wm xcb-util-keysyms"),
    ],
)
def test_two_missing_libraries_get_the_one_install_command_of_the_distribution(os_release: str, command: str) -> None:
    missing = parse_ldd(LDD_TWO_MISSING)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    message = missing_message(missing, parse_os_release(os_release), root=False)
    lines = message.splitlines()
    assert "  libxcb-icccm.so.4" in lines and "  libxcb-keysyms.so.1" in lines
    commands = [line.strip() for line in lines if line.strip().startswith("sudo ")]
    assert commands == [command]  # one command, the one of this distribution


def test_as_root_the_command_has_no_sudo() -> None:
    """A fresh container runs as root and often has no sudo at all."""
    message = missing_message(parse_ldd(LDD_TWO_MISSING), parse_os_release(DEBIAN), root=True)
    assert "  apt-get install -y libxcb-icccm4 libxcb-keysyms1" in message.splitlines()
    assert "sudo" not in message


def test_an_unknown_distribution_gets_the_libraries_and_the_packages_of_every_family() -> None:
    message = missing_message(parse_ldd(LDD_TWO_MISSING), parse_os_release(NIXOS), root=False)
    lines = message.splitlines()
    assert any(line.startswith("  libxcb-icccm.so.4") and "dnf xcb-util-wm" in line for line in lines)
    assert any(line.startswith("  libxcb-keysyms.so.1") and "apt libxcb-keysyms1" in line for line in lines)
    assert "NixOS 24.05 (Uakari)" in message
    for command in (
        "Debian/Ubuntu:  sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1",
        "Fedora/RHEL:    sudo dnf install -y xcb-util-wm xcb-util-keysyms",
        "openSUSE:       sudo zypper install -y libxcb-icccm4 libxcb-keysyms1",
        "Arch:           sudo pacman -S --needed xcb-util-wm xcb-util-keysyms",
    ):
        assert f"  {command}" in lines


def test_packages_shared_by_several_libraries_are_named_once() -> None:
    missing = ["libxcb-randr.so.0", "libxcb-shape.so.0", "libxcb-icccm.so.4"]
    message = missing_message(missing, parse_os_release(FEDORA), root=False)
    assert "  sudo dnf install -y libxcb xcb-util-wm" in message.splitlines()


def test_a_library_with_no_known_package_is_named_with_how_to_find_its_package() -> None:
    missing = ["libxcb-icccm.so.4", "libcounter-absent.so.1"]
    fedora = missing_message(missing, parse_os_release(FEDORA), root=False).splitlines()
    assert "  sudo dnf install -y xcb-util-wm" in fedora
    assert "  dnf provides '*/libcounter-absent.so.1'" in fedora
    arch = missing_message(["libcounter-absent.so.1"], parse_os_release(ARCH), root=False).splitlines()
    assert "  pacman -F libcounter-absent.so.1" in arch
    assert not any("sudo" in line for line in arch)


def test_qts_own_libraries_missing_mean_a_broken_venv_not_a_package() -> None:
    message = missing_message(["libQt6Gui.so.6"], parse_os_release(DEBIAN), root=False)
    assert "Remove the .venv folder" in message
    assert "apt-get" not in message and "apt-file" not in message


def test_ldd_output_of_glibc_and_musl_and_os_release_quoting() -> None:
    assert parse_ldd("\tlibfoo.so.1 => not found\n\tlibfoo.so.1 => not found\n") == ["libfoo.so.1"]
    musl = "Error loading shared library libxcb-icccm.so.4: No such file or directory (needed by /x/libqxcb.so)"
    assert parse_ldd(musl) == ["libxcb-icccm.so.4"]
    assert parse_ldd("\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n") == []
    fields = parse_os_release("# comment\nID='opensuse-leap'\nID_LIKE=\"suse opensuse\"\nVERSION_ID=15.6\n")
    assert fields == {"ID": "opensuse-leap", "ID_LIKE": "suse opensuse", "VERSION_ID": "15.6"}
    assert family_of(fields) == "zypper"
    assert family_of(parse_os_release(NIXOS)) is None
    assert family_of({}) is None


def test_the_platform_qt_is_asked_for() -> None:
    assert requested_platform({}) is None
    assert requested_platform({"QT_QPA_PLATFORM": ""}) is None
    assert requested_platform({"QT_QPA_PLATFORM": "xcb"}) == "xcb"
    assert requested_platform({"QT_QPA_PLATFORM": "xcb:dpi=96"}) == "xcb"
    assert requested_platform({"QT_QPA_PLATFORM": "wayland;xcb"}) == "wayland"
    assert requested_platform({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"


# The real plugin of this venv, and real plugins built here that lack a library.


def test_the_installed_xcb_plugin_finds_every_library_on_this_machine() -> None:
    """This machine has the packages the README lists; the check must find nothing missing
    (a check that cried wolf here would stop every start)."""
    folder = platforms_dir(VENV)
    assert folder is not None, f"no PySide6 platform plugins under {VENV}"
    files = [folder / "libqxcb.so", folder.parent.parent / "lib" / "libQt6XcbQpa.so.6"]
    assert all(file.is_file() for file in files)
    assert missing_libraries(files, LDD) == []
    env = {"DISPLAY": ":0"}
    assert diagnose(VENV, env, parse_os_release(DEBIAN), ldd=LDD, root=False) is None


def _build(target: Path, needs_missing: bool) -> None:
    """A real shared object at ``target``; with ``needs_missing`` it needs
    ``libcounter-absent.so.1``, built against a stub of that name that is then deleted, so
    the dynamic loader (and ldd) cannot find it, as on a machine without the package."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler to build a plugin that lacks a library")
    work = target.parent
    source = work / "f.c"
    source.write_text("int counter_fake(void) { return 1; }\n")
    build = [cc, "-shared", "-fPIC", str(source)]
    libs = ["-lc"]
    stub = work / "libcounter-absent.so.1"
    if needs_missing:
        subprocess.run([*build, "-o", str(stub), "-Wl,-soname,libcounter-absent.so.1"], check=True)
        libs = ["-Wl,--no-as-needed", f"-L{work}", "-l:libcounter-absent.so.1", "-lc"]
    subprocess.run([*build, "-o", str(target), *libs], check=True)
    source.unlink()
    stub.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def plugin_lacking_a_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plugin laid out like PySide6's libqxcb.so that lacks a library."""
    platforms = tmp_path_factory.mktemp("fake-qt") / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    plugin = platforms / "libqxcb.so"
    _build(plugin, needs_missing=True)
    return plugin


def test_a_plugin_that_lacks_a_library_is_reported(plugin_lacking_a_library: Path) -> None:
    assert missing_libraries([plugin_lacking_a_library], LDD) == ["libcounter-absent.so.1"]
    env = {"DISPLAY": ":0", PLUGIN_ENV: str(plugin_lacking_a_library)}
    message = diagnose(VENV, env, parse_os_release(FEDORA), ldd=LDD, root=False)
    assert message is not None
    assert "  libcounter-absent.so.1" in message.splitlines()
    assert "  dnf provides '*/libcounter-absent.so.1'" in message.splitlines()


def test_offscreen_and_wayland_are_not_checked(plugin_lacking_a_library: Path) -> None:
    for platform in ("offscreen", "wayland", "minimal", "wayland;xcb"):
        env = {PLUGIN_ENV: str(plugin_lacking_a_library), "QT_QPA_PLATFORM": platform}
        assert diagnose(VENV, env, parse_os_release(DEBIAN), ldd=LDD, root=False) is None
    env = {PLUGIN_ENV: str(plugin_lacking_a_library), "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}
    assert diagnose(VENV, env, parse_os_release(DEBIAN), ldd=LDD, root=False) is not None


def test_a_wayland_session_is_stopped_only_when_neither_plugin_loads(plugin_lacking_a_library: Path) -> None:
    """Qt picks its Wayland plugin in a Wayland session and falls back to xcb: a Wayland
    plugin that loads is enough, and no X display is needed."""
    wayland = plugin_lacking_a_library.parent / "libqwayland.so"
    env = {"WAYLAND_DISPLAY": "wayland-0", PLUGIN_ENV: str(plugin_lacking_a_library)}
    debian = parse_os_release(DEBIAN)
    _build(wayland, needs_missing=False)
    try:
        assert diagnose(VENV, env, debian, ldd=LDD, root=False) is None
        _build(wayland, needs_missing=True)
        message = diagnose(VENV, env, debian, ldd=LDD, root=False)
        assert message is not None and "  libcounter-absent.so.1" in message.splitlines()
        assert "Qt's Wayland platform plugin needs" in message and "no display" not in message
        message = diagnose(VENV, {**env, "DISPLAY": ":0"}, debian, ldd=LDD, root=False)  # XWayland: xcb
        assert message is not None and "Qt's X11 platform plugin (xcb) needs" in message
        assert diagnose(VENV, {**env, "QT_QPA_PLATFORM": "wayland"}, debian, ldd=LDD, root=False) is None
    finally:
        wayland.unlink()


def test_no_display_says_so_and_how_to_start_anyway() -> None:
    message = diagnose(VENV, {}, parse_os_release(DEBIAN), ldd=LDD, root=False)
    assert message is not None
    assert "no display" in message
    assert "xvfb-run -a python3 run.py start" in message and "(package xvfb)" in message
    assert "QT_QPA_PLATFORM=offscreen" in message


def test_a_check_that_cannot_run_lets_the_app_start(tmp_path: Path, plugin_lacking_a_library: Path) -> None:
    env = {"DISPLAY": ":0", PLUGIN_ENV: str(plugin_lacking_a_library)}
    debian = parse_os_release(DEBIAN)
    assert diagnose(VENV, env, debian, ldd=None, root=False) is None  # no ldd on the machine
    assert diagnose(VENV, env, debian, ldd=str(tmp_path / "no-ldd"), root=False) is None
    not_elf = tmp_path / "libqxcb.so"
    not_elf.write_text("not a library")
    assert diagnose(VENV, {**env, PLUGIN_ENV: str(not_elf)}, debian, ldd=LDD, root=False) is None
    assert diagnose(tmp_path / "no-venv", {"DISPLAY": ":0"}, debian, ldd=LDD, root=False) is None


def test_only_the_window_is_checked_not_the_subcommands() -> None:
    assert opens_window([])
    assert opens_window(["--data-dir", "/tmp/shop", "--manager"])
    assert opens_window(["--data-dir", "journal"])  # a folder named journal
    assert not opens_window(["init-demo", "--data-dir", "/tmp/shop"])
    assert not opens_window(["--data-dir", "/tmp/shop", "journal", "verify"])
    assert not opens_window(["--help"])


# run.py itself, as a person starts it.


def _run_start(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}}
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "start", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_run_py_start_names_the_missing_library_and_exits_without_a_traceback(
    tmp_path: Path, plugin_lacking_a_library: Path
) -> None:
    shop = tmp_path / "shop"
    done = _run_start(["--data-dir", str(shop)], {"DISPLAY": ":0", PLUGIN_ENV: str(plugin_lacking_a_library)})
    assert done.returncode == 1, done.stderr
    assert "Qt's X11 platform plugin (xcb) needs these system libraries" in done.stderr
    assert "  libcounter-absent.so.1" in done.stderr.splitlines()
    assert "Traceback" not in done.stdout + done.stderr
    assert not shop.exists()  # the app was not started (it makes its folder first thing)


def test_run_py_start_without_a_display_says_what_to_do(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    done = _run_start(["--data-dir", str(shop)], {})
    assert done.returncode == 1, done.stderr
    assert "there is no display" in done.stderr and "xvfb-run" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not shop.exists()


def test_run_py_start_with_a_subcommand_is_not_stopped(tmp_path: Path, plugin_lacking_a_library: Path) -> None:
    """`run.py start init-demo` opens no window: neither the missing library nor the
    missing display stops it."""
    shop = tmp_path / "shop"
    args = ["init-demo", "--data-dir", str(shop), "--days", "1"]
    done = _run_start(args, {PLUGIN_ENV: str(plugin_lacking_a_library)})
    assert done.returncode == 0, done.stderr
    assert "Demo store built" in done.stdout


def test_the_readmes_commands_name_only_packages_the_check_knows_for_that_family() -> None:
    """The README's table and the check's map say the same packages, so a typo in either
    (or a renamed package fixed in one only) shows here."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    installs = {"apt": "apt-get install -y ", "dnf": "dnf install -y ", "zypper": "zypper install -y "}
    installs["pacman"] = "pacman -S --needed "
    for family, install in installs.items():
        rows = [line for line in readme.splitlines() if line.startswith("| ") and f"`sudo {install}" in line]
        assert len(rows) == 1, f"one README row installs with {install}"
        named = rows[0].split(f"`sudo {install}", 1)[1].split("`", 1)[0].split()
        known = {packages[FAMILIES.index(family)] for packages in PACKAGES.values()}
        assert named and set(named) <= known, f"{family}: {sorted(set(named) - known)} unknown to the check"
        for soname in ("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"):
            assert PACKAGES[soname][FAMILIES.index(family)] in named, f"{family} row lacks the package of {soname}"
