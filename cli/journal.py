"""``counter journal verify`` and ``counter journal export``: the auditor's commands.

Both open the store in audit mode (db.engine.open_database): a store whose protective
triggers were dropped still opens, so that the report can say so, and nothing is written. A
store an older Counter wrote is checked on an upgraded temporary copy (db/audit_copy.py):
the store itself is only read.
``verify`` exits 0 when every check passes, 1 otherwise; each line names a terminal and
its first bad record, or what else is wrong. See docs/trust.md and the README.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from counter.errors import CounterError
from counter.i18n import _
from db.audit import audit_store, export_journal, manifest_path
from db.audit_copy import audit_folder
from db.engine import Database, open_database


class AnchorError(CounterError):
    """An anchor given on the command line that cannot be read."""


def run(args: argparse.Namespace, data_dir: Path) -> int:
    with audit_folder(data_dir) as (folder, older):
        if older is not None:
            print(
                _(
                    "The store is at database version {revision}, older than this Counter's: a copy of it was "
                    "upgraded in a temporary folder and is what is checked here; the store itself was not changed."
                ).format(revision=older)
            )
        return _run(args, folder)


def _run(args: argparse.Namespace, data_dir: Path) -> int:
    db = open_database(data_dir, create=False, audit=True)
    try:
        if args.journal_command == "export":
            manifest = export_journal(db.read, db.secret, args.out)
            for terminal, info in sorted(manifest["terminals"].items()):
                print(
                    _("{terminal}: {count} entries, last hash {hash}").format(
                        terminal=terminal, count=info["count"], hash=info["last_hash"]
                    )
                )
            wrote = _("Wrote {file} and {manifest} ({count} entries).")
            print(wrote.format(file=args.out, manifest=manifest_path(args.out), count=manifest["entries"]))
            if not manifest["store_verification"]["ok"]:
                print(_("WARNING: the store does not verify; the manifest says why:"))
                for line in manifest["store_verification"]["report"]:
                    print(f"  {line}")
                return 1
            return 0
        ok, lines = verify_report(db, parse_anchors(args.anchor, args.manifest))
        for line in lines:
            print(line)
        return 0 if ok else 1
    finally:
        db.dispose()


def verify_report(db: Database, anchors: dict[str, dict[int, str]] | None = None) -> tuple[bool, list[str]]:
    """What ``counter journal verify`` says of the store (also bundled by ``counter
    diagnose``): whether every check passed, and its lines."""
    audit = audit_store(db.read, db.secret, anchors)
    lines = audit.lines()
    if db.secret is None:
        lines.append(
            _("NOTE: the installation key (secret.key) is missing or not this store's: seals were not checked.")
        )
    return audit.ok, lines


def parse_anchors(texts: list[str], manifest: Path | None) -> dict[str, dict[int, str]]:
    anchors: dict[str, dict[int, str]] = {}
    for text in texts:
        terminal, _colon, rest = text.partition(":")
        seq, _colon, digest = rest.partition(":")
        if not (terminal and seq.isdigit() and len(digest) == 64):
            raise AnchorError(
                _("The anchor {anchor} is not TERMINAL:SEQ:HASH.").format(anchor=repr(text)),
                _("Example: T01:1234:<64 hex digits>."),
            )
        anchors.setdefault(terminal, {})[int(seq)] = digest.lower()
    if manifest is not None:
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            for terminal, info in data["terminals"].items():
                if info.get("last_seq"):
                    anchors.setdefault(terminal, {})[int(info["last_seq"])] = str(info["last_hash"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AnchorError(
                _("The manifest {file} cannot be read ({reason}).").format(file=manifest, reason=exc),
                _("Give the .manifest.json file."),
            ) from None
    return anchors
