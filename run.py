#!/usr/bin/env python3
"""Install Counter into ./.venv and start it, or run the test suite.

    python3 run.py start [counter options]   install (once) and open the demo store
    python3 run.py test  [pytest options]    install (once) and run the whole test suite
                                             (first the .deb's build-and-start tests;
                                             COUNTER_PACKAGE_TEST=0 leaves them out)
    python3 run.py mutate [modules] [options] install (once) and mutation-test the money modules
                                             (scripts/mutate.py; docs/testing.md)

Uses only the Python standard library so that it works on a fresh machine with
nothing but Python 3.11+. Versions come from constraints.txt, so a fresh install
is the install that was tested. Works the same on Windows (``py run.py start``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_installed() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py is started by any python3, to say this
        sys.exit(f"Counter needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PY.exists():
        print("Creating a virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing Counter and its pinned dependencies ...", flush=True)
    subprocess.check_call(
        [
            str(PY),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            str(ROOT / "constraints.txt"),
            "-e",
            f"{ROOT}[test]",
        ]
    )
    STAMP.write_text(wanted)


def qt_problem(args: list[str]) -> str | None:
    """What stops Qt from opening the window on this machine, said with what to do, or
    None (scripts/qt_check.py: missing system libraries, no display; Linux only)."""
    try:
        from scripts.qt_check import check, opens_window
    except ImportError:  # a copy of run.py without scripts/: start as before
        return None
    return check(VENV) if opens_window(args) else None


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"start", "test", "mutate"}:
        print(__doc__)
        return 2
    ensure_installed()
    verb, rest = argv[0], argv[1:]
    if verb == "start":
        problem = qt_problem(rest)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        cmd = [str(PY), "-m", "cli.main", *rest]
    elif verb == "mutate":
        cmd = [str(PY), str(ROOT / "scripts" / "mutate.py"), *rest]
    else:
        return run_tests(rest)
    return subprocess.call(cmd, cwd=ROOT)


def run_tests(rest: list[str]) -> int:
    """pytest. The whole suite (no arguments): first the Linux package's tests
    (tests/test_package.py, marker ``package``: a PyInstaller build, 1-2 minutes; a build of
    the same sources is reused) as a step of their own, then the rest, so that the suite's
    summary is the last line; COUNTER_PACKAGE_TEST=0 leaves the package out. The suite runs
    in this process; COUNTER_TEST_WORKERS=3 runs it in three (pytest-xdist, a file's tests
    together in one of them: about 7 minutes instead of 14 on two cores). Not the default
    yet: two of three runs in three processes met a fault the single process had not shown
    (a worker thread's garbage collection crashing in Qt, a message changing under load)."""
    pytest = [str(PY), "-m", "pytest"]
    wanted = os.environ.get("COUNTER_PACKAGE_TEST", "1") == "1" and sys.platform.startswith("linux")
    if not wanted or rest:
        return subprocess.call([*pytest, *rest], cwd=ROOT)
    print("The Linux package: build, unpack, start (tests/test_package.py); then the suite", flush=True)
    env = dict(os.environ, COUNTER_PACKAGE_TEST="1")
    package = subprocess.call([*pytest, "-m", "package", "tests/test_package.py"], cwd=ROOT, env=env)
    workers = os.environ.get("COUNTER_TEST_WORKERS", "0")
    spread = ["-n", workers, "--dist", "loadfile"] if workers != "0" else []
    return subprocess.call([*pytest, "-m", "not package", *spread], cwd=ROOT) or package


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
