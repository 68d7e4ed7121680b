"""Real windows under Xvfb, driven with xdotool at a person's and a scanner's speed.

The app runs as its own process (``python -m cli.main --data-dir ...``) on an X server of
the screen size a test asks for; keys come from xdotool, as from a keyboard or a USB
scanner in keyboard mode, so the wedge filter sees real key timing. What happened is read
back from the store file and from the window's geometry, not from inside the process.
``.ci/run`` installs Xvfb and xdotool when they are missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: install xvfb and xdotool (.ci/run does), then run the suite again.")
    return path


def _free_display() -> int:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number between :90 and :139")


@dataclass
class Screen:
    display: str
    width: int
    height: int

    def run(self, *args: str) -> str:
        env = {**os.environ, "DISPLAY": self.display}
        done = subprocess.run([_need("xdotool"), *args], env=env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise AssertionError(f"xdotool {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def type(self, text: str, delay_ms: int) -> None:
        """Keys as a person (40-150 ms) or a scanner (2-20 ms) sends them; "\\n" is Enter
        (xdotool's own newline is a keysym Qt does not take for Return). One xdotool run,
        chained, so Enter follows the last key after the same delay. xdotool's --delay is
        spent half after the press and half after the release: measured under Xvfb, 110
        gives key presses 57-61 ms apart and 16 gives 9-10 ms, so it is given twice the gap."""
        delay = str(2 * delay_ms)
        args: list[str] = []
        for n, part in enumerate(text.split("\n")):
            if n:
                args += ["key", "--delay", delay, "Return"]
            if part:
                args += ["type", "--delay", delay, "--args", "1", part]
        self.run(*args)

    def key(self, *keys: str, delay_ms: int = 120) -> None:
        self.run("key", "--delay", str(2 * delay_ms), *keys)

    def screenshot(self, path: Path) -> None:
        env = {**os.environ, "DISPLAY": self.display}
        if shutil.which("import"):
            subprocess.run(["import", "-window", "root", str(path)], env=env, timeout=30, check=False)


@pytest.fixture
def screen(request: pytest.FixtureRequest) -> Iterator[Screen]:
    width, height = getattr(request, "param", (1024, 768))
    n = _free_display()
    xvfb = subprocess.Popen(
        [_need("Xvfb"), f":{n}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if time.monotonic() > deadline or xvfb.poll() is not None:
            xvfb.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    try:
        yield Screen(f":{n}", width, height)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


@dataclass
class App:
    proc: subprocess.Popen[bytes]
    window: str
    data_dir: Path
    log: Path


@pytest.fixture
def app(screen: Screen, store_dir: Path, tmp_path: Path) -> Iterator[Callable[..., App]]:
    started: list[App] = []

    def start(data_dir: Path | None = None) -> App:
        """The app on the test's store (or on ``data_dir``: another lane's, say)."""
        folder = data_dir or store_dir
        log = tmp_path / f"app-{len(started)}.err"
        env = {
            **os.environ,
            "DISPLAY": screen.display,
            "QT_QPA_PLATFORM": "xcb",
            "COUNTER_DATA_DIR": str(folder),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "--data-dir", str(folder)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        deadline = time.monotonic() + 60
        window = ""
        while not window:
            if proc.poll() is not None:
                pytest.fail(f"the app stopped: {log.read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("the window did not open within 60 s")
            try:
                window = screen.run("search", "--onlyvisible", "--name", "Counter").split()[0]
            except (AssertionError, IndexError):
                time.sleep(0.2)
        screen.run("windowfocus", "--sync", window)
        time.sleep(0.5)  # the sign-in list is filled and the PIN field has the focus
        app = App(proc, window, folder, log)
        started.append(app)
        return app

    yield start
    for a in started:
        a.proc.terminate()
        try:
            a.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            a.proc.kill()
