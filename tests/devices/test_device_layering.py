"""devices/ may use counter/ but never Qt, SQLAlchemy, ui/ or db/ (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

DEVICES = Path(__file__).resolve().parents[2] / "devices"
FORBIDDEN = ("PySide6", "shiboken6", "sqlalchemy", "alembic", "ui", "db")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_devices_imports_no_ui_db_qt_or_sqlalchemy():
    offenders = []
    for path in sorted(DEVICES.rglob("*.py")):
        for name in imported_modules(path):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(DEVICES.parent)} imports {name}")
    assert offenders == []


def test_no_device_module_grows_past_600_lines():
    long = [p.name for p in DEVICES.rglob("*.py") if len(p.read_text(encoding="utf-8").splitlines()) > 600]
    assert long == []
