"""The layer arrows of docs/architecture.md, checked by walking every import."""

from __future__ import annotations

import ast
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
    },
    "db": {"PySide6", "ui", "devices", "escpos", "serial"},
    "devices": {"PySide6", "ui", "db", "sqlalchemy", "alembic", "hq"},
    "hq": {"PySide6", "ui", "devices", "db"},  # HQ has its own store; the terminal's is db/
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
        for package in ("counter", "db", "devices", "hq")
        for path in (ROOT / package).rglob("*.py")
        for name, line in imported_roots(path)
        if name == "ui"
    ]
    assert not offences


def test_the_walker_sees_a_crossed_arrow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom sqlalchemy import select\n")
    assert ("sqlalchemy", 2) in imported_roots(bad)
