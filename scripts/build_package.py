#!/usr/bin/env python3
"""Build Counter as a self-contained app (no Python needed where it runs) and, on Debian
and Ubuntu, as a .deb for a store's IT (docs/install.md).

    python3 scripts/build_package.py deb    the .deb: build/package/counter-pos_VERSION_ARCH.deb
    python3 scripts/build_package.py app    only the one-folder app: build/package/dist/counter/
    python3 scripts/build_package.py fingerprint   the source fingerprint a build is kept under

Options: ``--venv DIR`` the Python environment PyInstaller runs in (made and filled from
constraints.txt with the ``[package]`` extra when missing or out of date; default
build/package/venv); ``--out DIR`` (default build/package); ``--cache DIR`` keep the .deb
in DIR/FINGERPRINT-COMPRESSION/ and reuse it when the sources have not changed
(tests/test_package.py uses /tmp/counter-package-cache); ``--compress gzip`` a larger
package made in seconds instead of xz's minute (the tests use it).

Standard library only, like run.py: it runs with the system's python3 (3.11 or newer).
PyInstaller builds for the system it runs on: the Windows and macOS recipes are in
docs/install.md and packaging/windows, packaging/macos.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
import tomllib
import venv
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "counter.spec"
PACKAGE = "counter-pos"
INSTALL_DIR = "opt/counter"

#: What a build is made of: a change to any of these files makes another build.
SOURCES = (
    "app",
    "cli",
    "counter",
    "db",
    "devices",
    "hq",
    "ui",
    "resources",
    "packaging",
    "scripts/build_package.py",
    "scripts/qt_check.py",
    "pyproject.toml",
    "constraints.txt",
)

#: README's "System packages" line for Debian and Ubuntu: what Qt's X11 platform plugin
#: loads from the system. The package depends on them, and on whatever else the build's
#: files link to outside the build (found with ldd and dpkg when the package is made).
QT_SYSTEM_PACKAGES = (
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-image0",
    "libxcb-render-util0",
    "libxcb-randr0",
    "libxcb-shape0",
    "libxcb-sync1",
    "libxcb-xfixes0",
    "libxkbcommon-x11-0",
    "libx11-xcb1",
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libglib2.0-0",
    "libdbus-1-3",
)

#: a font, so that the window has letters on a machine that has no fonts yet
RECOMMENDS = ("fonts-dejavu-core",)


class BuildError(Exception):
    """A step that failed, said with what to do."""


# --- the source fingerprint -------------------------------------------------------------


def source_files() -> list[Path]:
    """The files of SOURCES that git tracks or would track (ignored files left out); every
    file under them when this is not a git checkout."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *SOURCES],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        names = sorted({name for name in out.decode().split("\0") if name})
        return [ROOT / name for name in names if (ROOT / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        files: list[Path] = []
        for name in SOURCES:
            path = ROOT / name
            files += [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        return sorted(p for p in files if "__pycache__" not in p.parts)


def fingerprint() -> str:
    """sha256 over the sources' paths and contents (a changed working tree counts, not only
    commits), the Python version and the machine: what decides the build's bytes."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:2]} {platform.machine()} {sys.platform}\n".encode())
    for path in source_files():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:20]


def version() -> str:
    """pyproject's version, then the last commit's date and id when this is a checkout
    (0.1.0+20261207.30449ce): later builds sort later, as dpkg and the fleet tools compare."""
    base = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    try:
        stamp = subprocess.run(
            ["git", "log", "-1", "--format=%cd.%h", "--date=format:%Y%m%d%H%M"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return base
    return f"{base}+{stamp}" if stamp else base


# --- the Python environment PyInstaller runs in ------------------------------------------


def _python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(env_dir: Path) -> Path:
    """A venv with Counter (editable, from this tree) and the ``[package]`` extra, at the
    versions of constraints.txt; made again when pyproject.toml or constraints.txt change."""
    python = _python(env_dir)
    stamp = env_dir / ".counter-package"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes())
    if python.exists() and stamp.exists() and stamp.read_text() == wanted.hexdigest():
        return python
    if not python.exists():
        print(f"Creating the build environment in {env_dir} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(env_dir)
    print("Installing Counter and PyInstaller (constraints.txt) ...", flush=True)
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            str(ROOT / "constraints.txt"),
            "-e",
            f"{ROOT}[package]",
        ],
        "Installing the build environment failed (above). Check the network to the package index and run again.",
    )
    stamp.write_text(wanted.hexdigest())
    return python


# --- the one-folder app -------------------------------------------------------------------


def build_app(python: Path, out: Path) -> Path:
    """PyInstaller with packaging/counter.spec: ``out/dist/counter/`` (counter or
    counter.exe and its _internal folder). Returns that folder."""
    dist, work = out / "dist", out / "work"
    shutil.rmtree(dist / "counter", ignore_errors=True)
    _run(
        [
            str(python),
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(SPEC),
        ],
        "PyInstaller failed (above).",
    )
    folder = dist / "counter"
    if not (folder / ("counter.exe" if os.name == "nt" else "counter")).exists():
        raise BuildError(f"PyInstaller finished but {folder} has no counter program.")
    return folder


# --- the .deb -----------------------------------------------------------------------------


def _elf_files(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def system_libraries(app: Path) -> set[str]:
    """The libraries outside the build that its programs and libraries load, as ``ldd``
    resolves them on this machine (the build's own libraries found first, as the app's
    launcher arranges). A library that ldd cannot find at all is an error: the package
    would not start anywhere."""
    internal = app / "_internal"
    search = ":".join(str(p) for p in (internal, internal / "PySide6" / "Qt" / "lib"))
    env = {**os.environ, "LD_LIBRARY_PATH": search}
    outside: set[str] = set()
    missing: set[str] = set()
    for path in _elf_files(app):
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
        for line in done.stdout.splitlines():
            name, arrow, rest = line.strip().partition("=>")
            target = rest.split("(")[0].strip() if arrow else ""
            if rest.strip() == "not found":
                missing.add(name.strip())
            elif target.startswith("/") and not Path(target).resolve().is_relative_to(app.resolve()):
                outside.add(target)
    # Qt's optional plugins may name libraries a till need not have (Wayland's, Vulkan's):
    # Qt skips such a plugin. Only the rest is an error.
    optional = {n for n in missing if n.startswith(("libwayland-", "libvulkan"))}
    if missing - optional:
        raise BuildError(
            "These libraries are needed by the build but not found on this machine: "
            + ", ".join(sorted(missing - optional))
            + ". Install them and build again."
        )
    return outside


def owning_packages(paths: Iterable[str]) -> set[str]:
    """The Debian packages that own these files (``dpkg -S``; /lib and /usr/lib are the same
    folder on a merged-/usr system, and dpkg knows a file under one of the two names)."""
    owners: set[str] = set()
    for path in sorted(paths):
        candidates = [path, str(Path(path).resolve())]
        candidates += [c.replace("/usr/lib/", "/lib/", 1) for c in candidates if c.startswith("/usr/lib/")]
        candidates += [c.replace("/lib/", "/usr/lib/", 1) for c in candidates if c.startswith("/lib/")]
        for candidate in dict.fromkeys(candidates):
            done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if done.returncode == 0:
                owners.add(done.stdout.split(":", 1)[0].strip())
                break
        else:
            raise BuildError(f"{path} is needed by the build but no Debian package owns it.")
    return owners


def depends(app: Path) -> list[str]:
    glibc = platform.libc_ver()[1]
    packages = owning_packages(system_libraries(app)) | set(QT_SYSTEM_PACKAGES)
    packages.discard("libc6")
    return [f"libc6 (>= {glibc})" if glibc else "libc6", *sorted(packages)]


def _tree_size_kib(folder: Path) -> int:
    total = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    return -(-total // 1024)


def control_text(app: Path, pkg_version: str, arch: str, size_kib: int) -> str:
    return "\n".join(
        [
            f"Package: {PACKAGE}",
            f"Version: {pkg_version}",
            f"Architecture: {arch}",
            f"Maintainer: {os.environ.get('COUNTER_DEB_MAINTAINER', 'Counter developers <counter@example.invalid>')}",
            f"Installed-Size: {size_kib}",
            f"Depends: {', '.join(depends(app))}",
            f"Recommends: {', '.join(RECOMMENDS)}",
            "Section: misc",
            "Priority: optional",
            "Description: Counter point of sale (self-contained build)",
            " An offline-first point of sale for the service and returns counter of a retail",
            " store: sales, returns, cash, receipts and the service desk, with a tamper-evident",
            " journal. This package carries its own Python and Qt in /opt/counter; the",
            " command is /usr/bin/counter. Each account's store lives in its own data folder",
            " (~/.local/share/Counter), which the package never touches.",
            "",
        ]
    )


def stage_deb(app: Path, root: Path, pkg_version: str, arch: str, source: str) -> None:
    """The package's tree: /opt/counter (the build), /usr/bin/counter, the launcher entry,
    its icon, the udev rules for USB receipt printers, the copyright note, DEBIAN/."""
    shutil.rmtree(root, ignore_errors=True)
    linux = PACKAGING / "linux"
    shutil.copytree(app, root / INSTALL_DIR, symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/counter").symlink_to(f"/{INSTALL_DIR}/counter")
    places = {
        "counter.desktop": "usr/share/applications/counter.desktop",
        "counter.svg": "usr/share/icons/hicolor/scalable/apps/counter.svg",
        "60-counter-printers.rules": "lib/udev/rules.d/60-counter-printers.rules",
    }
    for name, place in places.items():
        (root / place).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(linux / name, root / place)
        (root / place).chmod(0o644)
    doc = root / "usr/share/doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Counter point of sale\n"
        "License: AGPL-3.0-or-later (/usr/share/common-licenses/AGPL-3 on Debian-like systems).\n"
        "The build in /opt/counter also carries Python, Qt (LGPL-3.0) through PySide6, and the\n"
        "Python libraries listed in the source's constraints.txt, each under its own licence.\n"
    )
    (root / INSTALL_DIR / "BUILD-INFO").write_text(f"version {pkg_version}\nsource {source}\n")
    debian = root / "DEBIAN"
    debian.mkdir()
    for script in ("postinst", "postrm"):
        shutil.copyfile(linux / script, debian / script)
        (debian / script).chmod(0o755)
    (debian / "control").write_text(control_text(app, pkg_version, arch, _tree_size_kib(root)))
    for path in [root, *root.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


def build_deb(app: Path, out: Path, source: str, compress: str = "xz") -> Path:
    if not shutil.which("dpkg-deb"):
        raise BuildError("dpkg-deb is not installed: the .deb is built on Debian or Ubuntu (package dpkg).")
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    pkg_version = version()
    root = out / "deb-root"
    stage_deb(app, root, pkg_version, arch, source)
    deb = out / f"{PACKAGE}_{pkg_version}_{arch}.deb"
    deb.unlink(missing_ok=True)
    _run(
        ["dpkg-deb", "--root-owner-group", f"-Z{compress}", "-z6", "--build", str(root), str(deb)],
        "dpkg-deb could not build the package (above).",
    )
    shutil.rmtree(root)
    return deb


def prune_cache(cache: Path, keep: Path, builds: int = 3) -> None:
    """The newest ``builds`` kept packages stay (each is 70-90 MB); older ones go."""
    kept = [p for p in cache.iterdir() if p.is_dir() and list(p.glob(f"{PACKAGE}_*.deb"))]
    kept.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[builds:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


# --- the command --------------------------------------------------------------------------


def _run(cmd: Sequence[str], failed: str) -> None:
    done = subprocess.run(list(cmd))
    if done.returncode != 0:
        raise BuildError(failed)


def _size(path: Path) -> str:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    size = sum(p.stat().st_size for p in files)
    return f"{size / 1_000_000:.1f} MB"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="build_package.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("deb", "app", "fingerprint"))
    parser.add_argument("--venv", type=Path, default=ROOT / "build" / "package" / "venv")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "package")
    parser.add_argument("--cache", type=Path, default=None, help="reuse a .deb built from the same sources")
    parser.add_argument(
        "--compress",
        choices=("xz", "gzip"),
        default="xz",
        help="xz: the smallest package, 40-80 s here (default); gzip: a third larger, in seconds (the tests)",
    )
    args = parser.parse_args(argv)
    if args.what == "fingerprint":
        print(fingerprint())
        return 0
    if sys.version_info < (3, 11):  # noqa: UP036 - said plainly to whoever runs an older python3
        print(f"The build needs Python 3.11 or newer; this is {platform.python_version()}.", file=sys.stderr)
        return 1
    started = time.monotonic()
    source = fingerprint()  # once: a file changed during the build does not mislabel it
    try:
        if args.what == "deb" and args.cache is not None:
            kept = args.cache / f"{source}-{args.compress}"
            found = sorted(kept.glob(f"{PACKAGE}_*.deb"))
            if found:
                print(f"{found[-1]} (kept from a build of the same sources, {_size(found[-1])})")
                return 0
        args.out.mkdir(parents=True, exist_ok=True)
        app = build_app(ensure_venv(args.venv), args.out)
        print(f"App: {app} ({_size(app)}) in {time.monotonic() - started:.0f} s", flush=True)
        if args.what == "deb":
            deb = build_deb(app, args.out, source, args.compress)
            if args.cache is not None:
                kept = args.cache / f"{source}-{args.compress}"
                kept.mkdir(parents=True, exist_ok=True)
                tmp = kept / (deb.name + ".part")
                shutil.copyfile(deb, tmp)
                tmp.replace(kept / deb.name)  # whole or not at all, for a test that runs alongside
                deb = kept / deb.name
                prune_cache(args.cache, keep=kept)
            print(f"Package: {deb} ({_size(deb)}) in {time.monotonic() - started:.0f} s")
    except BuildError as exc:
        print(f"build_package: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
