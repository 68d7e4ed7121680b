"""The ``counter`` command line.

    counter [--data-dir DIR]                 open the app (demo store built on first run)
    counter --manager [--data-dir DIR]       open the app as a manager's station (remote approvals)
    counter init-demo --data-dir DIR         build the demo store without opening a window
    counter journal verify --data-dir DIR    every chain against its sealed head, protections, records
    counter journal export --data-dir DIR --out FILE   JSON lines + FILE.manifest.json for an auditor
    counter hq serve|fingerprint|migrate|enrol-code|revoke|admin-token|import-catalog|report|seed-demo
    counter sync enrol|now|status --data-dir DIR
    counter devices list|test URL|print-test [URL] --data-dir DIR
    counter diagnose [--out FILE] [--with-customer-data] --data-dir DIR   a zip for support
    counter backup now|list|check|key --data-dir DIR   backups, checked (docs/backup.md)
    counter restore --from BACKUP [--yes] [--force] [--key FILE] --data-dir DIR
    counter restore --from-hq URL --code CODE [--new-chain] [--yes] --data-dir NEW_DIR   rebuild a dead lane

Every entry takes ``--data-dir`` so a script or a test can use a throwaway store.
Errors print one clear line (and exit 1), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from app.config import default_data_dir, load_settings
from counter.errors import CounterError
from counter.i18n import _, set_screen_language


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", type=Path, default=None, help="folder of the store to use (default: the platform's data folder)"
    )
    parser = argparse.ArgumentParser(prog="counter", description="Counter point of sale", parents=[common])
    parser.add_argument("--printer", help="receipt printer URL, e.g. escpos+tcp://192.168.1.50:9100 or sim://printer")
    parser.add_argument("--no-demo", action="store_true", help="do not build the demo store when the folder is empty")
    parser.add_argument(
        "--manager", action="store_true", help="start as a manager's station: answer approval requests sent through HQ"
    )
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("init-demo", parents=[common], help="build the demo store without opening a window")
    demo.add_argument("--days", type=int, default=60, help="days of past sales to generate (default 60)")
    demo.add_argument("--profile", choices=("us", "de"), default="us", help="us (default) or de: German store, VAT")
    journal = sub.add_parser("journal", help="the tamper-evident journal")
    jsub = journal.add_subparsers(dest="journal_command", required=True)
    jv = jsub.add_parser(
        "verify", parents=[common], help="verify every chain, its sealed head, the store's protections and records"
    )
    jv.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="TERMINAL:SEQ:HASH",
        help="an entry known from outside the store (a printed Z report, HQ): the chain must pass through it",
    )
    jv.add_argument(
        "--manifest", type=Path, help="an earlier export's manifest: the journal must still reach its last entries"
    )
    je = jsub.add_parser("export", parents=[common], help="write the journal as JSON lines plus a manifest")
    je.add_argument("--out", type=Path, required=True, help="the JSON lines file (FILE.manifest.json is written too)")
    from cli.sync import add_parser as add_sync
    from hq.cli import add_parser as add_hq

    add_hq(sub, common)
    add_sync(sub, common)
    from cli.devices import add_parser as add_devices

    add_devices(sub, common)
    from cli.diagnose import add_parser as add_diagnose

    add_diagnose(sub, common)
    from cli.backup import add_parser as add_backup

    add_backup(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # the command line speaks the system's language (LC_ALL, LC_MESSAGES, LANG; gettext's
    # order), unless COUNTER_LANGUAGE says otherwise (counter.i18n)
    set_screen_language(next((os.environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(v)), None))
    args = _parser().parse_args(argv)
    data_dir: Path = args.data_dir or default_data_dir()
    _configure_logging(data_dir)
    try:
        if args.command == "init-demo":
            return _init_demo(data_dir, args.days, args.profile)
        if args.command == "journal":
            from cli.journal import run as run_journal

            return run_journal(args, data_dir)
        if args.command == "hq":
            from cli.sync import seed_demo
            from hq.cli import run as run_hq

            return seed_demo(args.database_url) if args.hq_command == "seed-demo" else run_hq(args)
        if args.command == "devices":
            from cli.devices import run as run_devices

            return run_devices(args, data_dir)
        if args.command == "diagnose":
            from cli.diagnose import run as run_diagnose

            return run_diagnose(args, data_dir)
        if args.command in ("backup", "restore"):
            from cli.backup import run as run_backup

            return run_backup(args, data_dir)
        if args.command == "sync":
            from cli.sync import run as run_sync

            return run_sync(args, data_dir)
        from ui.main_window import run_app

        return run_app(data_dir, printer=args.printer, demo=not args.no_demo, manager=args.manager)
    except CounterError as exc:
        print(_("counter: {problem}").format(problem=f"{exc.message} {exc.hint}".strip()), file=sys.stderr)
        return 1


def _configure_logging(data_dir: Path) -> None:
    """The rotated, redacted log in ``data_dir/logs`` (app/logs.py), sized by counter.toml."""
    from app.logs import configure_logging

    settings = load_settings(data_dir)
    configure_logging(data_dir, max_kb=settings.log_max_kb, files=settings.log_files)


def _init_demo(data_dir: Path, days: int, profile: str = "us") -> int:
    from db.demo import build_demo
    from db.engine import DB_FILENAME

    if (data_dir / DB_FILENAME).exists():
        print(
            _("counter: {folder} already holds a store; choose an empty folder.").format(folder=data_dir),
            file=sys.stderr,
        )
        return 1
    db = build_demo(data_dir, days=days, profile=profile)
    db.dispose()
    print(_("Demo store built in {folder}").format(folder=data_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
