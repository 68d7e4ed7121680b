"""The Linux package: built by the documented command, unpacked into a folder (``dpkg -x``,
nothing installed system-wide), and its programs started there as on a till without Python:
``counter --help``, ``counter init-demo`` and the window under Xvfb on a fresh account.

The build takes minutes (PyInstaller, then xz), so these tests are marked ``package`` and
run only when ``COUNTER_PACKAGE_TEST=1`` (``python3 run.py test`` then runs them as a step of
their own; ``.ci/run`` sets it). A .deb built from the same sources is reused from
/tmp/counter-package-cache (``scripts/build_package.py --cache``), so a second run only
unpacks and starts it. Needs dpkg-deb, Xvfb and xdotool (``.ci/run`` installs them).
With ``COUNTER_PACKAGE_MINIMAL=1`` too, one more installs it with apt on a minimal Debian
made by debootstrap (root and Debian's mirror needed; .ci/run does not set it).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("COUNTER_PACKAGE_CACHE", "/tmp/counter-package-cache"))

pytestmark = [
    pytest.mark.package,
    pytest.mark.skipif(
        os.environ.get("COUNTER_PACKAGE_TEST") != "1",
        reason="the package is built only when COUNTER_PACKAGE_TEST=1 (minutes; python3 run.py test runs it so)",
    ),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the .deb is built on Linux"),
]


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: .ci/run installs it (dpkg, xvfb, xdotool), then run the tests again.")
    return path


@pytest.fixture(scope="module")
def deb() -> Path:
    """The .deb of these sources, by the documented command (kept in CACHE by fingerprint)."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_package.py"),
            "deb",
            "--cache",
            str(CACHE),
            "--venv",
            str(CACHE / "venv"),
            "--out",
            str(CACHE / "work"),
            "--compress",
            "gzip",  # xz (the default) makes it a fifth smaller in a minute more; dpkg reads both
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"the package did not build:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    print(done.stdout.strip().splitlines()[-1])
    found = re.search(r"^(?:Package: )?(\S+\.deb) ", done.stdout.strip().splitlines()[-1])
    assert found, done.stdout
    return Path(found.group(1))


@pytest.fixture(scope="module")
def installed(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package unpacked into a folder of its own, as dpkg would lay it out under /."""
    root = tmp_path_factory.mktemp("root")
    subprocess.run([_need("dpkg-deb"), "-x", str(deb), str(root)], check=True)
    return root


def _field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True).stdout.strip()


def _clean_env(home: Path, **extra: str) -> dict[str, str]:
    """What a fresh account on a till has: no Python, no virtualenv, no PYTHONPATH."""
    return {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **extra}


def _no_python(command: list[str]) -> list[str]:
    """``command`` with every Python of this machine hidden (an empty folder over each, in a
    mount namespace of its own): the interpreter that runs these tests, its standard library,
    the system's, and this checkout with its .venv. What starts then needs no Python here."""
    hidden = {Path(sys.base_prefix), Path(sys.prefix), ROOT, CACHE / "venv"}
    hidden |= set(Path("/usr/lib").glob("python3*")) | set(Path("/usr/local/lib").glob("python3*"))
    hidden = {p.resolve() for p in hidden if p.is_dir() and p not in (Path("/usr"), Path("/"))}
    hidden = {p for p in hidden if not any(p != q and p.is_relative_to(q) for q in hidden)}
    mounts = " && ".join(f"mount -t tmpfs none '{p}'" for p in sorted(hidden))
    return ["unshare", "--mount", "sh", "-c", f'{mounts} && exec "$@"', "sh", *command]


@pytest.fixture(scope="module")
def can_hide_python() -> bool:
    done = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    return done.returncode == 0


def test_control_fields_name_the_package_and_the_system_libraries_qt_needs(deb: Path) -> None:
    assert _field(deb, "Package") == "counter-pos"
    assert re.fullmatch(r"\d+\.\d+\.\d+(\+\d{12}\.[0-9a-f]+)?", _field(deb, "Version"))
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    assert _field(deb, "Architecture") == arch
    depends = {part.strip().split(" ")[0] for part in _field(deb, "Depends").split(",")}
    # README's line for Debian and Ubuntu, as written there
    readme = (ROOT / "README.md").read_text()
    line = next(row for row in readme.splitlines() if row.startswith("| Debian, Ubuntu |"))
    wanted = set(line.split("apt-get install -y", 1)[1].strip(" `|").split())
    assert wanted and wanted <= depends, f"missing from Depends: {sorted(wanted - depends)}"
    assert "libc6" in depends
    assert int(_field(deb, "Installed-Size")) > 50_000  # KiB: Python and Qt are in it


def test_the_package_holds_the_app_the_command_the_launcher_and_the_printer_rules(deb: Path) -> None:
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    entries = {line.split()[5].rstrip("/"): line for line in listing.splitlines()}
    assert "./opt/counter/counter" in entries and entries["./opt/counter/counter"].startswith("-rwxr-xr-x root/root")
    assert "-> /opt/counter/counter" in entries["./usr/bin/counter"]
    for path in (
        "./usr/share/applications/counter.desktop",
        "./lib/udev/rules.d/60-counter-printers.rules",
        "./usr/share/icons/hicolor/scalable/apps/counter.svg",
        "./opt/counter/_internal/db/migrations/env.py",
        "./opt/counter/_internal/hq/migrations/env.py",
        "./opt/counter/_internal/hq/office/templates/base.html",
        "./opt/counter/_internal/resources/style.qss",
        "./opt/counter/_internal/PySide6/Qt/plugins/platforms/libqxcb.so",
    ):
        assert path in entries, f"{path} is not in the package"
    assert not [e for e in entries if "/translations/" in e or "libqgtk3" in e or "libgtk-3" in e]
    assert not [e for e in entries if e.endswith((".pyc", ".py")) and "/migrations/" not in e and "_internal" in e]


def test_the_udev_rules_give_the_lp_group_each_printer_vendor(installed: Path) -> None:
    rules = (installed / "lib/udev/rules.d/60-counter-printers.rules").read_text()
    vendors = set(re.findall(r'ATTR\{idVendor\}=="([0-9a-f]{4})"', rules))
    assert {"04b8", "0519", "1504", "1d90"} <= vendors  # Epson, Star, Bixolon, Citizen
    for line in rules.splitlines():
        if line.startswith("ATTR{idVendor}"):
            assert 'GROUP="lp"' in line and 'MODE="0664"' in line and 'TAG+="uaccess"' in line, line
    desktop = (installed / "usr/share/applications/counter.desktop").read_text()
    assert "\nExec=counter\n" in desktop and "\nType=Application\n" in desktop and "\nIcon=counter\n" in desktop


def test_help_and_the_demo_store_from_the_unpacked_package(
    installed: Path, tmp_path: Path, can_hide_python: bool
) -> None:
    program = str(installed / "opt/counter/counter")
    wrap = _no_python if can_hide_python else (lambda c: c)
    env = _clean_env(tmp_path / "home")
    if can_hide_python:  # the Python that runs these tests cannot start where the app is started
        python = Path(sys.base_prefix) / "bin" / "python3"
        assert subprocess.run(wrap([str(python), "-c", "import encodings"]), capture_output=True).returncode != 0
    shown = subprocess.run(wrap([program, "--help"]), env=env, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "init-demo" in shown.stdout and "diagnose" in shown.stdout
    store = tmp_path / "store"
    made = subprocess.run(
        wrap([program, "init-demo", "--data-dir", str(store), "--days", "2"]),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    checked = subprocess.run(
        wrap([program, "journal", "verify", "--data-dir", str(store)]), env=env, capture_output=True, text=True
    )
    assert checked.returncode == 0 and "OK" in checked.stdout, checked.stdout + checked.stderr
    bundle = tmp_path / "support.zip"
    support = subprocess.run(
        wrap([program, "diagnose", "--data-dir", str(store), "--out", str(bundle)]),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert support.returncode == 0, support.stderr
    with zipfile.ZipFile(bundle) as z:
        versions = z.read("versions.txt").decode()
    ours = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f"Counter {ours}\n" in versions and "(not installed)" not in versions, versions
    with sqlite3.connect(store / "counter.sqlite3") as conn:
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        (users,) = conn.execute("SELECT count(*) FROM users").fetchone()
    heads = sorted(p.name.split("_")[0] for p in (ROOT / "db/migrations/versions").glob("[0-9]*.py"))
    assert revision == heads[-1]  # the migrations ran from the package's own copy
    assert users == 5
    if not can_hide_python:
        pytest.skip("no mount namespace here (unshare): ran with a clean environment, Python not hidden")


@pytest.fixture
def display(tmp_path: Path) -> Iterator[str]:
    n = next(
        n
        for n in range(140, 190)
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists()
    )
    xvfb = subprocess.Popen(
        [_need("Xvfb"), f":{n}", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    # its socket first, then an answer to a client (the socket can be there a moment before)
    while not Path(f"/tmp/.X11-unix/X{n}").exists() or not _answers(f":{n}"):
        if time.monotonic() > deadline or xvfb.poll() is not None:
            xvfb.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    try:
        yield f":{n}"
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def _answers(display: str) -> bool:
    """The X server at ``display`` answers a client (xdotool asks its screen's size)."""
    probe = subprocess.run(
        [_need("xdotool"), "getdisplaygeometry"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        timeout=10,
    )
    return probe.returncode == 0


def _windows(display: str, name: str) -> list[str]:
    done = subprocess.run(
        [_need("xdotool"), "search", "--onlyvisible", "--name", name],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
    )
    return done.stdout.split()


def test_the_installed_app_opens_the_demo_store_on_a_fresh_account_under_xvfb(
    installed: Path, display: str, tmp_path: Path, can_hide_python: bool
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    wrap = _no_python if can_hide_python else (lambda c: c)
    log = tmp_path / "app.err"
    with log.open("wb") as err:
        app = subprocess.Popen(
            wrap([str(installed / "opt/counter/counter")]),
            env=_clean_env(home, DISPLAY=display),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 120
        found: list[str] = []
        while not found:
            assert app.poll() is None, f"the app stopped: {log.read_text(errors='replace')[-2000:]}"
            assert time.monotonic() < deadline, "no Counter window within 120 s"
            found = _windows(display, "^Counter — Harbor & Main General Store")
            time.sleep(0.2)
        # it keeps running with its window up (10 s), not only for its first moment
        time.sleep(10)
        assert app.poll() is None, f"the app stopped: {log.read_text(errors='replace')[-2000:]}"
        assert _windows(display, "^Counter — ")
        if shutil.which("import"):  # ImageMagick, when there: a picture of the screen, for a person
            shot = tmp_path / "signin.png"
            on_screen = {**os.environ, "DISPLAY": display}
            subprocess.run(["import", "-window", "root", str(shot)], env=on_screen, check=False)
        store = home / ".local/share/Counter/counter.sqlite3"
        assert store.exists(), f"no demo store in the account's data folder: {sorted(map(str, home.rglob('*')))}"
        assert (home / ".config/Counter/secret.key").exists()
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
            (sign_ins,) = conn.execute("SELECT count(*) FROM users").fetchone()
        assert sign_ins == 5
    finally:
        app.terminate()
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def _in_debian(root: Path, command: list[str]) -> list[str]:
    """``command`` inside the Debian tree at ``root`` (chroot), with /proc, a pseudo-terminal
    file system of its own and the host's X11 sockets mounted in a mount namespace that ends
    with the command: nothing stays mounted under ``root`` afterwards, so deleting it later
    can never reach the host's /dev or /tmp."""
    mounts = (
        f"mount -t proc proc '{root}/proc'"
        f" && mount -t devpts -o newinstance,ptmxmode=0666 devpts '{root}/dev/pts'"
        f" && ln -sf pts/ptmx '{root}/dev/ptmx'"
        f" && mount --bind /tmp/.X11-unix '{root}/tmp/.X11-unix'"
    )
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", f'{mounts} && exec chroot "$@"', "sh"] + [
        str(root),
        *command,
    ]


@pytest.mark.skipif(
    os.environ.get("COUNTER_PACKAGE_MINIMAL") != "1",
    reason="a minimal Debian is made only when COUNTER_PACKAGE_MINIMAL=1 (root, debootstrap, Debian's mirror)",
)
def test_apt_installs_it_on_a_minimal_debian_without_python_where_it_opens_and_purge_keeps_the_store(
    deb: Path, display: str, tmp_path: Path
) -> None:
    """The package on what a store's IT starts from: Debian's minimal base system (no Python,
    no X11 libraries, no fonts). apt must find every dependency from the package's Depends;
    then the program opens the sign-in window, and a purge removes the program and leaves the
    account's store and key."""
    for tool in ("debootstrap", "unshare", "chroot"):
        _need(tool)
    if os.geteuid() != 0:
        pytest.skip("debootstrap and chroot need root")
    release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    codename = release.get("VERSION_CODENAME", "bookworm").strip('"')
    mirror = os.environ.get("COUNTER_DEBIAN_MIRROR", "http://deb.debian.org/debian")
    root = tmp_path / "debian"
    try:
        _minimal_debian(root, codename, mirror, deb, display, tmp_path)
    finally:  # 500 MB; nothing is mounted under it (each mount ended with its namespace)
        shutil.rmtree(root, ignore_errors=True)


def _minimal_debian(root: Path, codename: str, mirror: str, deb: Path, display: str, tmp_path: Path) -> None:
    made = subprocess.run(
        ["debootstrap", "--variant=minbase", codename, str(root), mirror], capture_output=True, text=True, timeout=900
    )
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    assert not list((root / "usr/bin").glob("python*")), "the minimal system has a Python"
    shutil.copyfile("/etc/resolv.conf", root / "etc/resolv.conf")
    shutil.copyfile(deb, root / "tmp" / deb.name)
    (root / "tmp/.X11-unix").mkdir(exist_ok=True)
    apt = f"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/{deb.name}"
    installed = subprocess.run(_in_debian(root, ["sh", "-c", apt]), capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    assert (root / "usr/bin/counter").is_symlink() and (root / "opt/counter/counter").exists()
    till = ["env", "-i", "HOME=/home/till", "PATH=/usr/bin:/bin", f"DISPLAY={display}", "LANG=C.UTF-8"]
    log = tmp_path / "app.err"
    with log.open("wb") as err:
        app = subprocess.Popen(_in_debian(root, [*till, "counter"]), stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 120
        while not _windows(display, "^Counter — Harbor & Main General Store"):
            assert app.poll() is None, f"the app stopped: {log.read_text(errors='replace')[-2000:]}"
            assert time.monotonic() < deadline, "no Counter window within 120 s"
            time.sleep(0.2)
        time.sleep(10)
        assert app.poll() is None, f"the app stopped: {log.read_text(errors='replace')[-2000:]}"
    finally:
        app.terminate()
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
    store = root / "home/till/.local/share/Counter/counter.sqlite3"
    key = root / "home/till/.config/Counter/secret.key"
    assert store.exists() and key.exists()
    purge = "DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq counter-pos"
    purged = subprocess.run(_in_debian(root, ["sh", "-c", purge]), capture_output=True, text=True, timeout=300)
    assert purged.returncode == 0, purged.stdout[-2000:] + purged.stderr[-2000:]
    assert not (root / "opt/counter").exists() and not (root / "usr/bin/counter").is_symlink()
    assert not (root / "lib/udev/rules.d/60-counter-printers.rules").exists()
    assert store.exists() and key.exists(), "a purge must leave the account's store and key"
