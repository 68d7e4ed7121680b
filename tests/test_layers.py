"""The layer arrows of docs/architecture.md, checked by walking every import."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "counter": {
        "PySide6",
        "sqlalchemy",
        "alembic",
        "escpos",
        "serial",
        "reportlab",
        "httpx",
        "ui",
        "db",
        "devices",
        "hq",
        "app",
        "cli",
    },
    "db": {"PySide6", "ui", "devices", "escpos", "serial", "app", "cli"},
    "devices": {"PySide6", "ui", "db", "sqlalchemy", "alembic", "hq", "app", "cli"},
    "hq": {"PySide6", "ui", "devices", "db", "app", "cli"},  # HQ has its own store; the terminal's is db/
    # The application layer: no Qt, no screens, no HQ server (it reaches HQ over HTTP, db/).
    "app": {"PySide6", "ui", "hq", "cli"},
    # The screens draw: no HQ server internals, and the command line stands above them.
    "ui": {"hq", "cli"},
}

#: Scripts that measure or photograph real windows, and so need the screens; every other
#: bench or script file builds what it needs from app/, never from ui/.
WINDOW_SCRIPTS = {
    "bench/cold_start.py",
    "bench/scan_to_paint.py",
    "scripts/screenshots.py",
    "scripts/office_screenshots.py",
    "scripts/desk_screenshots.py",
}


def imported_roots(path: Path) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.module.split(".")[0], node.lineno))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_arrows(package: str) -> None:
    offences = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name, line in imported_roots(path):
            if name in FORBIDDEN[package]:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not offences, "\n".join(offences)


def test_nobody_imports_ui() -> None:
    offences = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in ("counter", "db", "devices", "hq", "app")
        for path in (ROOT / package).rglob("*.py")
        for name, line in imported_roots(path)
        if name == "ui"
    ]
    assert not offences


def test_bench_and_scripts_use_the_app_not_the_screens() -> None:
    offences = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in ("bench", "scripts")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in WINDOW_SCRIPTS
        for name, line in imported_roots(path)
        if name == "ui"
    ]
    assert not offences, "\n".join(offences)


def test_the_command_line_reaches_hq_only_through_hqs_own_command_line() -> None:
    offences = []
    for path in sorted((ROOT / "cli").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offences += [
                f"{path.relative_to(ROOT)}:{node.lineno} imports {m}"
                for m in modules
                if m.split(".")[0] == "hq" and m != "hq.cli"
            ]
    assert not offences, "\n".join(offences)


def test_the_walker_sees_a_crossed_arrow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom sqlalchemy import select\n")
    assert ("sqlalchemy", 2) in imported_roots(bad)


def test_no_screen_reads_a_raw_engine() -> None:
    """Screens read through ``ctx.reads`` (app/reads.py) and write through commands in
    units of work; none holds the store's engines (issue #15)."""
    pattern = re.compile(r"\.db\.(read|write)\b|\bctx\.db\b")
    offences = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "ui").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert not offences, "\n".join(offences)


def test_the_engine_check_sees_a_raw_read(tmp_path: Path) -> None:
    assert re.search(r"\.db\.(read|write)\b", "rows = list_users(self.ctx.db.read)")


PACKAGES = ("app", "cli", "counter", "db", "devices", "hq", "ui")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines |= set(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def run_time_imports(path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` this file imports when it runs (anywhere in the file, in a
    function too; not under ``if TYPE_CHECKING``), resolved to the module that holds the name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_lines(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in typing_only:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        for target in targets:
            if target in known:
                found.add(target)
    return found


def import_cycles(paths: list[Path]) -> list[list[str]]:
    """The circles of imports among these files (strongly connected components of more than one)."""
    names = {module_name(p): p for p in paths}
    graph = {name: run_time_imports(path, set(names)) - {name} for name, path in names.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


@pytest.mark.parametrize("package", PACKAGES)
def test_no_circle_of_imports_inside_a_package(package: str) -> None:
    cycles = import_cycles(sorted((ROOT / package).rglob("*.py")))
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_sees_a_circle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from pkg.b import g\n")
    (pkg / "b.py").write_text("from pkg import a\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import f\n")
    assert import_cycles(sorted(pkg.rglob("*.py"))) == [["pkg.a", "pkg.b"]]


#: The most lines a source file may hold: past it a file holds more than one idea.
MAX_LINES = 600


def test_no_file_over_about_six_hundred_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {n} lines"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert not long, "\n".join(long)


#: The composition root: the one ui module that knows the whole window and builds it.
COMPOSITION_ROOT = "ui/main_window.py"


def modules_imported(path: Path) -> set[tuple[str, int]]:
    """Every module this file names in an import, with its line: under ``if TYPE_CHECKING``
    too, and ``from pkg import mod`` as ``pkg.mod`` (a name that is not a module is harmless)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(alias.name, node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.module, node.lineno))
            found |= {(f"{node.module}.{alias.name}", node.lineno) for alias in node.names}
    return found


def main_window_imports(paths: list[Path]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports ui.main_window"
        for path in paths
        if path.relative_to(ROOT).as_posix() != COMPOSITION_ROOT
        for line in sorted(
            {
                line
                for name, line in modules_imported(path)
                if name == "ui.main_window" or name.startswith("ui.main_window.")
            }
        )
    ]


def test_no_ui_module_but_the_window_itself_imports_the_main_window() -> None:
    """Wiring gets the pieces it uses, not MainWindow (issue #15): the devices', trust's and
    the manager station's wiring, like every screen, is handed screens, callables and
    status-bar items by ``build_window``; none imports ``ui.main_window``, not even for a
    type, so no module can reach into the window and no circle of imports can form."""
    offences = main_window_imports(sorted((ROOT / "ui").rglob("*.py")))
    assert not offences, "\n".join(offences)


def test_the_main_window_check_sees_an_import_for_a_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "ui" / "trust").mkdir(parents=True)
    typed = tmp_path / "ui" / "trust" / "typed.py"
    typed.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ui.main_window import MainWindow\n")
    plain = tmp_path / "ui" / "plain.py"
    plain.write_text("from ui import main_window\n")
    root = tmp_path / "ui" / "main_window.py"
    root.write_text("from ui.main_window import MainWindow\n")  # the window itself may
    assert main_window_imports([typed, plain, root]) == [
        "ui/trust/typed.py:3 imports ui.main_window",
        "ui/plain.py:1 imports ui.main_window",
    ]
