"""Keep the catalogues in step with the code (docs/i18n.md).

    python scripts/i18n.py extract   # resources/locale/counter.pot from every _(), N_(), ngettext(), pgettext()
    python scripts/i18n.py update    # each counter.po gains the new texts and drops the gone ones
    python scripts/i18n.py status    # how many texts each language still lacks, and which (--list)

The catalogues carry no source locations (sorted by text), so two branches that add texts merge
without conflicts. ``tests/unit/test_i18n_catalogues.py`` fails when the .pot is behind the
code or a language lacks a text.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from counter.i18n import CATALOGUES, DOMAIN, LOCALE_DIR, catalogue_path  # noqa: E402

#: where the texts are: the lane, its devices and documents, the CLI and HQ with its back office
SOURCES = ("app", "cli", "counter", "db", "devices", "hq", "ui")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
STAMP = datetime(2026, 12, 7, tzinfo=UTC)  # fixed, so that the catalogues change only when their texts do
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"


def template() -> Catalog:
    """Every marked text of the code, as a fresh template catalogue."""
    catalog = Catalog(
        project="Counter", domain=DOMAIN, charset="utf-8", fuzzy=False, creation_date=STAMP, revision_date=STAMP
    )
    for folder in SOURCES:
        found: Iterable[tuple[str, int, str | tuple[str, ...], list[str], str | None]]
        found = extract_from_dir(
            str(ROOT / folder), METHODS, OPTIONS, KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
        )
        for filename, lineno, message, comments, context in found:
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, no_location=True, sort_output=True, width=0, omit_header=False)


def extract() -> Catalog:
    catalog = template()
    _write(TEMPLATE, catalog)
    print(f"{TEMPLATE.relative_to(ROOT)}: {len(catalog)} texts")
    return catalog


def read(code: str) -> Catalog:
    path = catalogue_path(code)
    if not path.exists():
        return Catalog(
            locale=code, domain=DOMAIN, project="Counter", fuzzy=False, creation_date=STAMP, revision_date=STAMP
        )
    with path.open("rb") as fh:
        return read_po(fh, locale=code, domain=DOMAIN)


def update(languages: Iterable[str] = CATALOGUES) -> None:
    with TEMPLATE.open("rb") as fh:
        tmpl = read_po(fh)
    for code in languages:
        catalog = read(code)
        catalog.update(tmpl, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write(catalogue_path(code), catalog)
        print(f"{catalogue_path(code).relative_to(ROOT)}: {len(catalog)} texts")


def missing(code: str) -> list[str]:
    """The texts of ``code``'s catalogue without a translation (or with a fuzzy one)."""
    out = []
    for message in read(code):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("extract", "update", "status"))
    parser.add_argument("--list", action="store_true", help="status: list the missing texts")
    parser.add_argument("--language", action="append", help="update/status: only this language")
    args = parser.parse_args(argv)
    languages = tuple(args.language or CATALOGUES)
    if args.command == "extract":
        extract()
    elif args.command == "update":
        update(languages)
    else:
        gaps = 0
        for code in languages:
            lack = missing(code)
            gaps += len(lack)
            print(f"{code}: {len(read(code)) - len(lack)} translated, {len(lack)} missing")
            if args.list:
                for text in lack:
                    print(f"    {text!r}")
        return 1 if gaps else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
