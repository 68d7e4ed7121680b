"""The shipped catalogues: in step with the code, complete, and true to every placeholder."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from counter.i18n import CATALOGUES, catalogue_path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import i18n as tool  # noqa: E402  scripts/i18n.py

PLACEHOLDER = re.compile(r"\{([^{}]*)\}|%\(([^)]*)\)[sdifr]")


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def _ids(catalog: Catalog) -> set[object]:
    return {(m.context, m.id) for m in catalog if m.id}


@pytest.fixture(scope="module")
def template() -> Catalog:
    return tool.template()


def test_the_template_holds_every_marked_text_of_the_code(template: Catalog) -> None:
    shipped = _read(tool.TEMPLATE)
    new = sorted(str(i) for i in _ids(template) - _ids(shipped))
    gone = sorted(str(i) for i in _ids(shipped) - _ids(template))
    assert not new, (
        f"texts marked in the code but not in the catalogue (python scripts/i18n.py extract && update): {new[:20]}"
    )
    assert not gone, f"texts in the catalogue that the code no longer has: {gone[:20]}"
    assert len(template) > 1000  # the lane, its documents, the CLI and the back office


@pytest.mark.parametrize("code", CATALOGUES)
def test_each_language_translates_every_text(code: str, template: Catalog) -> None:
    catalog = _read(catalogue_path(code))
    assert _ids(catalog) == _ids(template), "python scripts/i18n.py update"
    missing = tool.missing(code)
    assert not missing, f"{code}: {len(missing)} texts without a translation, e.g. {missing[:10]}"


def _names(text: str) -> list[str]:
    return sorted(a or b for a, b in PLACEHOLDER.findall(text))


def _forms(message: Message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return ids, strings


@pytest.mark.parametrize("code", CATALOGUES)
def test_translations_keep_every_placeholder_and_plural_form(code: str) -> None:
    catalog = _read(catalogue_path(code))
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids, strings = _forms(message)
        if isinstance(message.id, tuple):
            assert len(strings) == catalog.num_plurals, (code, message.id)
        wanted = _names(ids[-1])
        for text in strings:
            if text and _names(text) != wanted and _names(text) != _names(ids[0]):
                wrong.append((ids[0], text))
    assert not wrong, f"{code}: placeholders renamed, lost or added: {wrong[:10]}"
