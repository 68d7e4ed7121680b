"""Before ``run.py start`` opens Counter's window on Linux: can Qt's X11 platform plugin
load, and is there a display to open it on?

Qt's own message when a system library is missing ("Could not load the Qt platform plugin
xcb") suggests libxcb-cursor0 whichever library is missing, and Qt then aborts. This module
asks the dynamic loader instead: ``ldd`` on PySide6's ``libqxcb.so`` and on
``libQt6XcbQpa.so.6`` lists every library that is "not found", each soname is mapped to the
package that provides it on the machine's distribution (``/etc/os-release``), and the person
is given the one command that installs them.

Standard library only: ``run.py`` imports it with the system Python that made the venv.
A check that cannot run (no ``ldd``, no PySide6 in the venv, anything unexpected) says
nothing, and the app starts as before: the check may only ever stop a start that would
have failed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: points the check at another platform plugin file (its libQt6XcbQpa.so.6 is looked for
#: at ``../../lib`` beside it, as in PySide6); tests use it to check a plugin that lacks a library
PLUGIN_ENV = "COUNTER_QT_CHECK_PLUGIN"

#: the package families, in the order the unknown-distribution message lists them
FAMILIES = ("apt", "dnf", "zypper", "pacman")

#: soname -> the package that provides it with (apt, dnf, zypper, pacman). The system
#: libraries that PySide6's xcb plugin and the Qt libraries it loads ask for (ldd on
#: PySide6 6.x), and those of the Wayland plugin.
PACKAGES: dict[str, tuple[str, str, str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": (
        "libxcb-render-util0",
        "xcb-util-renderutil",
        "libxcb-render-util0",
        "xcb-util-renderutil",
    ),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "libxcb-util1", "xcb-util"),
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb1", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb-xkb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libX11-xcb1", "libx11"),
    "libX11.so.6": ("libx11-6", "libX11", "libX11-6", "libx11"),
    "libXau.so.6": ("libxau6", "libXau", "libXau6", "libxau"),
    "libXdmcp.so.6": ("libxdmcp6", "libXdmcp", "libXdmcp6", "libxdmcp"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx", "Mesa-libGL1", "libglvnd"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx", "libglvnd", "libglvnd"),
    "libGLdispatch.so.0": ("libglvnd0", "libglvnd", "libglvnd", "libglvnd"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl", "Mesa-libEGL1", "libglvnd"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl", "libglvnd", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "libfreetype6", "freetype2"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "libglib-2_0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2", "libgthread-2_0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "libdbus-1-3", "dbus"),
    "libpng16.so.16": ("libpng16-16", "libpng", "libpng16-16", "libpng"),
    "libz.so.1": ("zlib1g", "zlib", "libz1", "zlib"),
    "libzstd.so.1": ("libzstd1", "libzstd", "libzstd1", "zstd"),
    "libexpat.so.1": ("libexpat1", "expat", "libexpat1", "expat"),
    "libpcre2-8.so.0": ("libpcre2-8-0", "pcre2", "libpcre2-8-0", "pcre2"),
    "libbrotlidec.so.1": ("libbrotli1", "libbrotli", "libbrotlidec1", "brotli"),
    "libbrotlicommon.so.1": ("libbrotli1", "libbrotli", "libbrotlicommon1", "brotli"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client", "libwayland-client0", "wayland"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor", "libwayland-cursor0", "wayland"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl", "libwayland-egl1", "wayland"),
}


@dataclass(frozen=True)
class Family:
    """How one family of distributions installs packages and finds the one with a file."""

    key: str
    label: str
    install: str  # the command before the package names
    find: str  # how to find the package of a soname not in PACKAGES; {} is the soname
    xvfb: str  # the package with xvfb-run


_FAMILY = {
    "apt": Family("apt", "Debian/Ubuntu", "apt-get install -y", "apt-file search {}  (package apt-file)", "xvfb"),
    "dnf": Family("dnf", "Fedora/RHEL", "dnf install -y", "dnf provides '*/{}'", "xorg-x11-server-Xvfb"),
    "zypper": Family("zypper", "openSUSE", "zypper install -y", "zypper search --provides '{}()(64bit)'", "xvfb-run"),
    "pacman": Family("pacman", "Arch", "pacman -S --needed", "pacman -F {}", "xorg-server-xvfb"),
}

#: an os-release ID or ID_LIKE word -> its family (derivatives name their parent in ID_LIKE)
_IDS = {
    "debian": "apt",
    "ubuntu": "apt",
    "fedora": "dnf",
    "rhel": "dnf",
    "centos": "dnf",
    "suse": "zypper",
    "sles": "zypper",
    "opensuse": "zypper",
    "arch": "pacman",
}


def parse_ldd(text: str) -> list[str]:
    """The sonames ldd could not find, in its order, each once. glibc's ldd writes
    ``\\tlibxcb-icccm.so.4 => not found``; musl's ``Error loading shared library X: ...``."""
    missing: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        name = ""
        if line.endswith("=> not found"):
            name = line.split("=>", 1)[0].strip()
        elif line.startswith("Error loading shared library "):
            name = line[len("Error loading shared library ") :].split(":", 1)[0].strip()
        if name and name not in missing:
            missing.append(name)
    return missing


def parse_os_release(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or key.startswith("#"):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        fields[key.strip()] = value
    return fields


def family_of(os_release: Mapping[str, str]) -> str | None:
    """ "apt", "dnf", "zypper" or "pacman" from ID, then ID_LIKE; None when none fits."""
    words = [os_release.get("ID", ""), *os_release.get("ID_LIKE", "").split()]
    for word in words:
        word = word.lower()
        key = "opensuse" if word.startswith("opensuse") else word
        if key in _IDS:
            return _IDS[key]
    return None


def read_os_release() -> str:
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    return ""


def packages_for(family: str, sonames: Iterable[str]) -> list[str]:
    """The packages that provide the known sonames, each once, in order."""
    column = FAMILIES.index(family)
    found: list[str] = []
    for name in sonames:
        if name in PACKAGES and PACKAGES[name][column] not in found:
            found.append(PACKAGES[name][column])
    return found


def install_command(family: str, packages: Sequence[str], root: bool) -> str:
    sudo = "" if root else "sudo "
    return f"{sudo}{_FAMILY[family].install} {' '.join(packages)}"


def missing_message(
    missing: Sequence[str], os_release: Mapping[str, str], root: bool, plugin: str = "X11 platform plugin (xcb)"
) -> str:
    """What to tell a person whose machine lacks ``missing``: the one command for their
    distribution, or every family's packages when the distribution is not known."""
    bundled = [name for name in missing if name.startswith(_BUNDLED)]
    system = [name for name in missing if name not in bundled]
    lines: list[str] = []
    if system:
        lines.append(
            f"Counter cannot open its window: Qt's {plugin} needs these system libraries, which are not installed:"
        )
        family = family_of(os_release)
        lines += _unknown_family(system, os_release, root) if family is None else _known_family(system, family, root)
    if bundled:
        lines.append(
            "Counter cannot open its window: Qt's own libraries are missing from .venv ("
            + ", ".join(bundled)
            + "): its install is incomplete. Remove the .venv folder; the next start installs it afresh."
        )
    lines.append("Then start Counter again: python3 run.py start")
    return "\n".join(lines)


#: libraries that PySide6 ships inside .venv: missing, they mean a broken install, not a package to add
_BUNDLED = ("libQt6", "libicu", "libpyside6", "libshiboken6")


def _known_family(missing: Sequence[str], family: str, root: bool) -> list[str]:
    lines = [f"  {name}" for name in missing]
    packages = packages_for(family, missing)
    unknown = [name for name in missing if name not in PACKAGES]
    if packages:
        lines += ["Install them with:", f"  {install_command(family, packages, root)}"]
    if unknown:
        lines.append(("For the others, find" if packages else "Find") + " the package that provides each with:")
        lines += [f"  {_FAMILY[family].find.format(name)}" for name in unknown]
        lines.append("and install it.")
    return lines


def _unknown_family(missing: Sequence[str], os_release: Mapping[str, str], root: bool) -> list[str]:
    width = max(len(name) for name in missing)
    lines = [f"  {name.ljust(width)}  {_all_packages(name)}" for name in missing]
    name = os_release.get("PRETTY_NAME") or os_release.get("ID") or "this system"
    lines.append(f"Counter does not know the packages of {name}; on the distributions it knows they are:")
    for key in FAMILIES:
        packages = packages_for(key, missing)
        if packages:
            lines.append(f"  {_FAMILY[key].label + ':':<15} {install_command(key, packages, root)}")
    lines.append("Install the packages that provide these libraries on yours.")
    return lines


def _all_packages(soname: str) -> str:
    if soname not in PACKAGES:
        return "(no package known)"
    return ", ".join(f"{key} {package}" for key, package in zip(FAMILIES, PACKAGES[soname], strict=True))


def no_display_message(os_release: Mapping[str, str]) -> str:
    family = family_of(os_release)
    xvfb = f" (package {_FAMILY[family].xvfb})" if family else ""
    return "\n".join(
        [
            "Counter cannot open its window: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set).",
            "Start it from a desktop session, or over ssh with X forwarding (ssh -X).",
            f"On a machine without a screen, give it a virtual one with xvfb-run{xvfb}:",
            "  xvfb-run -a python3 run.py start",
            "To try it without any window at all (for testing only, nothing is shown):",
            "  QT_QPA_PLATFORM=offscreen python3 run.py start",
        ]
    )


#: the ``counter`` subcommands that do their work without a window (cli/main.py)
_WINDOWLESS = {"init-demo", "journal", "hq", "sync", "devices", "-h", "--help"}
#: the options of ``counter`` that take a value, so that a value is not taken for a subcommand
_VALUED = {"--data-dir", "--printer"}


def opens_window(args: Sequence[str]) -> bool:
    """Whether ``counter ARGS`` opens the app's window (not a subcommand or --help)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif arg in _WINDOWLESS:
            return False
    return True


def requested_platform(env: Mapping[str, str]) -> str | None:
    """The first platform QT_QPA_PLATFORM asks for ("xcb:option" and "wayland;xcb" lists
    included), or None when it is unset and Qt chooses."""
    value = env.get("QT_QPA_PLATFORM", "").strip()
    if not value:
        return None
    return value.split(";", 1)[0].split(":", 1)[0].strip().lower()


def platforms_dir(venv: Path) -> Path | None:
    """PySide6's platform plugins inside the venv, or None when PySide6 is not there."""
    for site in sorted(venv.glob("lib*/python3*/site-packages")):
        folder = site / "PySide6" / "Qt" / "plugins" / "platforms"
        if folder.is_dir():
            return folder
    return None


def missing_libraries(files: Sequence[Path], ldd: str | None) -> list[str] | None:
    """The sonames ``ldd`` finds missing for ``files``, or None when it cannot tell (no ldd,
    a file it refuses, a hang): then the check is skipped rather than guessed."""
    if ldd is None:
        return None
    missing: list[str] = []
    for file in files:
        try:
            done = subprocess.run([ldd, str(file)], capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        found = parse_ldd(done.stdout + "\n" + done.stderr)
        if done.returncode != 0 and not found:
            return None
        missing += [name for name in found if name not in missing]
    return missing


def diagnose(
    venv: Path,
    env: Mapping[str, str],
    os_release: Mapping[str, str],
    *,
    ldd: str | None,
    root: bool,
) -> str | None:
    """The message that stops the start, or None to start. Only when Qt will use its xcb
    plugin (QT_QPA_PLATFORM unset or xcb): offscreen, minimal and Wayland need neither X
    libraries nor an X display, and in a Wayland session (QT_QPA_PLATFORM unset) a Wayland
    plugin that loads is enough."""
    platform = requested_platform(env)
    if platform not in (None, "xcb"):
        return None
    hooked = env.get(PLUGIN_ENV)
    folder = Path(hooked).parent if hooked else platforms_dir(venv)
    if folder is None:
        return None
    plugin = Path(hooked) if hooked else folder / "libqxcb.so"
    if not plugin.is_file():
        return None
    if platform is None and env.get("WAYLAND_DISPLAY"):
        # Qt may choose its Wayland plugin here; a Wayland plugin that loads is enough
        wayland = [folder / name for name in ("libqwayland.so", "libqwayland-generic.so")]
        present = [file for file in wayland if file.is_file()]
        wayland_missing = missing_libraries(present[:1], ldd) if present else None
        if wayland_missing == []:
            return None
        if wayland_missing and not env.get("DISPLAY"):  # no X display to fall back to
            return missing_message(wayland_missing, os_release, root, plugin="Wayland platform plugin")
    files = [plugin]
    qpa = folder.parent.parent / "lib" / "libQt6XcbQpa.so.6"
    if qpa.is_file():
        files.append(qpa)
    missing = missing_libraries(files, ldd)
    problems: list[str] = []
    if missing:
        problems.append(missing_message(missing, os_release, root))
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        problems.append(no_display_message(os_release))
    return "\n\n".join(problems) or None


def check(venv: Path, env: Mapping[str, str] | None = None) -> str | None:
    """``diagnose`` for this machine, never raising: a check that fails unexpectedly lets
    the app start, which then fails (or not) as it did before there was a check."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return diagnose(
            venv,
            os.environ if env is None else env,
            parse_os_release(read_os_release()),
            ldd=shutil.which("ldd"),
            root=os.geteuid() == 0,
        )
    except Exception:  # whatever goes wrong here must not stop a start that may work
        return None
