"""``counter restore --from-hq``: rebuild a dead lane's store from the journal HQ holds
(db/restore_hq.py, docs/restore.md). It joins ``counter restore --from-hq`` when the file
restore (``counter restore --from BACKUP``) is merged: ``add_from_hq_arguments`` and
``run_from_hq`` are written to be called from that command too.

    counter restore --from-hq --from-hq URL --code CODE [--new-chain] [--store-settings FILE]
                            [--hq-fingerprint SHA256 | --ca-file F] [--yes] --data-dir NEW_DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from counter.i18n import _
from counter.sync.upstream import UpstreamUnavailable


def add_from_hq_arguments(parser: argparse.ArgumentParser, source: Any = None) -> None:
    """The arguments of a restore from HQ on ``counter restore``'s parser, ``--from-hq`` in its
    group of sources (``source``: one of ``--from BACKUP`` or ``--from-hq URL``); an option the
    parser has already, such as ``--yes``, is kept."""
    known = set(parser._option_string_actions)

    def add(*names: str, **kwargs: Any) -> None:
        if not known.intersection(names):
            parser.add_argument(*names, **kwargs)

    (source or parser).add_argument(
        "--from-hq", metavar="URL", default=None, help="HQ's address, e.g. https://hq.example:8765"
    )
    add("--code", default=None, help="the code printed by `counter hq restore-code`")
    add(
        "--new-chain",
        action="store_true",
        help="start the declared new chain the code names (a new terminal id), linked to the old one",
    )
    add(
        "--store-settings",
        type=Path,
        default=None,
        help="a JSON file with the store's details ('store': name, address, currency...); default: the demo's",
    )
    add("--hq-fingerprint", default=None, help="SHA-256 of HQ's certificate, as `counter hq serve` printed it")
    add("--ca-file", default=None, help="instead of a fingerprint: the CA that signed HQ's certificate")
    add("--yes", action="store_true", help="do not ask before going ahead")


def run_from_hq(args: argparse.Namespace, data_dir: Path) -> int:
    from db.hq_client import HqRefused
    from db.restore_hq import restore_from_hq

    if not args.from_hq or not args.code:
        print(_("counter restore: give HQ's address and the restore code: --from-hq URL --code CODE."), file=sys.stderr)
        return 1
    if not args.yes:
        print(
            _(
                "This rebuilds a store in {folder} from the journal HQ holds. Spending the code revokes the old "
                "terminal's access to HQ for good: the old machine can never send its unsynced sales."
            ).format(folder=data_dir),
            file=sys.stderr,
        )
        if not sys.stdin.isatty():
            print(_("counter restore: add --yes to go ahead (no one is here to answer)."), file=sys.stderr)
            return 1
        # Translators: the person types the English word "yes", whatever the language
        if input(_("Type yes to go ahead: ")).strip().lower() != "yes":
            print(_("Nothing was done."), file=sys.stderr)
            return 1
    try:
        report = restore_from_hq(
            data_dir,
            args.from_hq,
            args.code,
            new_chain=args.new_chain,
            store_settings=args.store_settings,
            fingerprint=args.hq_fingerprint,
            ca_file=args.ca_file,
            say=print,
        )
    except HqRefused as exc:
        if exc.status in (404, 405):  # an HQ from before restores (hq/restore.py)
            print(
                _(
                    "counter restore: HQ at {hq} does not offer restores (it answered {status}: an "
                    "older HQ). Nothing was restored and the code is not spent: upgrade HQ first, then try again."
                ).format(hq=args.from_hq, status=exc.status),
                file=sys.stderr,
            )
            return 1
        if exc.message.startswith("HQ"):
            said = _("counter restore: {problem} Nothing was restored.").format(problem=exc.message)
        else:
            said = _("counter restore: HQ refused: {problem} Nothing was restored.").format(problem=exc.message)
        print(said, file=sys.stderr)
        return 1
    except UpstreamUnavailable as exc:
        print(_("counter restore: {problem} Nothing was restored.").format(problem=exc.message), file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    return 0
