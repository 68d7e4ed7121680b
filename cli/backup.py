"""``counter backup ...`` and ``counter restore ...`` (docs/backup.md).

    counter backup now [--to DIR]            a backup now (the configured folder, or DIR), checked; to HQ if enrolled
    counter backup list [--in DIR]           each backup: when, why, size, checked OK or not, journal heads
    counter backup check [BACKUP] [--in DIR] check a backup again (default: every backup in the folder)
    counter backup key --out FILE            the installation key sealed with a passphrase (key escrow)
    counter restore --from BACKUP [--yes] [--force] [--key FILE]

The restore's source is a mutually exclusive group (``--from`` here; ``--from-hq`` joins
it): ``restore_source`` adds to it. A passphrase is asked twice (never echoed), or read from
``COUNTER_BACKUP_PASSPHRASE`` (automation and tests). Exit codes: 0 done, 1 refused or
failed (a sentence says why, and what is left as it was), 2 a usage error.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from app.backups import back_up, backup_folder
from app.config import load_settings
from app.instance_lock import holding
from counter.errors import CounterError
from counter.i18n import _, pgettext
from db.backup import BackupError, list_backups, load_backup, unfinished, verify_backup
from db.upgrade import KEEP_EARLIER_COPIES, PRE_MIGRATION_DIR, pre_migration_copies

PASSPHRASE_ENV = "COUNTER_BACKUP_PASSPHRASE"


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    backup = sub.add_parser("backup", help="back up this lane's store, list and check backups, escrow the key")
    bsub = backup.add_subparsers(dest="backup_command", required=True)
    now = bsub.add_parser("now", parents=[common], help="take a backup now and check it")
    now.add_argument("--to", type=Path, help="this folder instead of backup_dir (counter.toml)")
    now.add_argument("--no-hq", action="store_true", help="do not send it to HQ even when enrolled")
    listing = bsub.add_parser("list", parents=[common], help="the backups in the folder, newest first")
    listing.add_argument("--in", dest="folder", type=Path, help="this folder instead of backup_dir")
    check = bsub.add_parser("check", parents=[common], help="check backups again (SHA-256, integrity, journal)")
    check.add_argument("backup", nargs="?", type=Path, help="one backup file (default: every backup in the folder)")
    check.add_argument("--in", dest="folder", type=Path, help="this folder instead of backup_dir")
    key = bsub.add_parser("key", parents=[common], help="write the installation key sealed with a passphrase")
    key.add_argument("--out", type=Path, required=True, help="the escrow file to write (keep it apart from backups)")

    restore = sub.add_parser("restore", parents=[common], help="restore the store from a backup")
    restore_source(restore).add_argument("--from", dest="backup", type=Path, help="a backup file (.sqlite3)")
    restore.add_argument("--yes", action="store_true", help="do not ask to confirm")
    restore.add_argument(
        "--force", action="store_true", help="restore even over unsynced sales or another lane's store (kept aside)"
    )
    restore.add_argument("--key", type=Path, help="the key escrow file, when this machine lacks the backup's key")
    from cli.restore_hq import add_from_hq_arguments

    add_from_hq_arguments(restore, restore_source(restore))  # a dead lane rebuilt from HQ (docs/restore.md)


def restore_source(restore: argparse.ArgumentParser) -> Any:
    """Where a restore comes from: one of a group (``--from-hq`` is added to it there)."""
    group = getattr(restore, "_counter_source", None)
    if group is None:
        group = restore.add_mutually_exclusive_group(required=True)
        restore._counter_source = group  # type: ignore[attr-defined]
    return group


def run(args: argparse.Namespace, data_dir: Path) -> int:
    try:
        if args.command == "restore":
            if args.from_hq:
                from cli.restore_hq import run_from_hq

                with holding(data_dir, doing="restore"):  # never under a running Counter (app/instance_lock.py)
                    return run_from_hq(args, data_dir)
            if args.code or args.new_chain or args.store_settings:
                print(
                    _("counter restore: --code, --new-chain and --store-settings go with --from-hq URL."),
                    file=sys.stderr,
                )
                return 2
            with holding(data_dir, doing="restore"):
                return _restore(args, data_dir)
        settings = load_settings(data_dir)
        if args.backup_command == "now":
            return _now(args, data_dir, settings)
        if args.backup_command == "key":
            return _key(args.out)
        folder = args.folder or backup_folder(data_dir, settings)
        if args.backup_command == "list":
            return _list(folder, data_dir)
        return _check(args.backup, folder)
    except CounterError as exc:
        print(_("counter: {problem}").format(problem=f"{exc.message} {exc.hint}".strip()), file=sys.stderr)
        return 1


def _now(args: argparse.Namespace, data_dir: Path, settings: Any) -> int:
    from db.engine import DB_FILENAME

    store = data_dir / DB_FILENAME
    if not store.exists():
        raise BackupError(
            _("There is no store in {folder} to back up.").format(folder=data_dir), _("Check --data-dir.")
        )
    run = back_up(data_dir, store, settings, "manual", to=args.to, send=not args.no_hq)
    if run.problem is not None:
        raise run.problem
    for line in run.lines():
        print(line)
    return 0 if run.ok else 1


def _list(folder: Path, data_dir: Path) -> int:
    found = list_backups(folder)
    if not found:
        print(_("No backups in {folder}.").format(folder=folder))
    checked, failed = _("checked OK"), _("check FAILED")
    state_width = max(12, len(checked), len(failed))
    for b in found:
        state = checked if b.checked_ok else failed
        store, terminal = b.lane
        # Translators: "journal" names the backup's journal heads that follow it
        heads = _("journal {heads}").format(heads=b.describe_heads())
        print(
            f"{b.created_at}  {b.reason:<13} {b.size / 1_000_000:8.1f} MB  {state:<{state_width}}  {store}-{terminal}  "
            f"{heads}  {b.path.name}"
        )
    for path in unfinished(folder):
        print(_("UNFINISHED (no manifest; not a backup): {file}").format(file=path.name))
    copies_folder = data_dir / PRE_MIGRATION_DIR
    copies = pre_migration_copies(copies_folder)
    if copies:
        print(
            _(
                "Copies of the store taken before database upgrades, in {folder} (the next upgrade keeps the "
                "newest {keep} of them and adds its own):"
            ).format(folder=copies_folder, keep=KEEP_EARLIER_COPIES)
        )
        for path, old, new, stamp in copies:
            taken = f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}Z"
            # Translators: a database upgrade, from one version to another ("0018 -> 0019")
            upgrade = _("upgrade {old} -> {new}").format(old=old, new=new)
            print(f"{taken}  {path.stat().st_size / 1_000_000:8.1f} MB  {upgrade}  {path.name}")
    return 0


def _check(one: Path | None, folder: Path) -> int:
    backups = [load_backup(one)] if one is not None else list_backups(folder)
    if not backups:
        print(_("No backups in {folder}.").format(folder=folder))
        return 1
    ok = True
    for b in backups:
        check = verify_backup(b)
        ok &= check.ok
        outcome = pgettext("backup check", "OK") if check.ok else pgettext("backup check", "FAILED")
        print(f"{b.path.name}: {outcome}")
        for line in check.lines:
            print(f"  {line}")
    return 0 if ok else 1


def ask_passphrase(prompt: str, *, twice: bool) -> str:
    """From ``COUNTER_BACKUP_PASSPHRASE``, else typed (not echoed), twice for a new one."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise CounterError(
            _("A passphrase is needed and there is no terminal to type it in."),
            _("Run it in a terminal, or set {variable}.").format(variable=PASSPHRASE_ENV),
        )
    first = getpass.getpass(prompt)
    if twice and getpass.getpass(_("Type it again: ")) != first:
        raise CounterError(_("The two passphrases differ; nothing was written."), _("Run the command again."))
    return first


def _key(out: Path) -> int:
    from db.key_escrow import check_passphrase, seal_key
    from db.keys import load_secret

    secret = load_secret(create=False)
    if out.exists():
        raise CounterError(
            _("{file} already exists; it was left as it is.").format(file=out), _("Give a new file name.")
        )
    passphrase = ask_passphrase(_("Passphrase for the key escrow (at least 12 characters): "), twice=True)
    check_passphrase(passphrase)
    seal_key(secret, passphrase, out)
    print(_("Wrote {file}: installation key {key}, sealed with your passphrase.").format(file=out, key=secret.key_id))
    print(_("Keep it apart from the backups (another drive, the office safe), and the passphrase apart from both."))
    return 0


def _restore(args: argparse.Namespace, data_dir: Path) -> int:
    from db.backup_restore import carry_out, plan_restore

    plan = plan_restore(
        args.backup,
        data_dir,
        key_file=args.key,
        passphrase=lambda: ask_passphrase(_("Passphrase of {file}: ").format(file=args.key), twice=False),
        force=args.force,
    )
    for line in plan.what_is_replaced():
        print(line)
    if not args.yes and not _confirmed():
        print(_("Nothing was changed."))
        return 1
    outcome = carry_out(plan, data_dir)
    for line in outcome.verify_lines:
        print(f"  {line}")
    print(_("Restored into {store}; the journal verifies.").format(store=outcome.store))
    for path in outcome.kept_aside:
        print(_("Kept aside: {path}").format(path=path))
    return 0


def _confirmed() -> bool:
    if not sys.stdin.isatty():
        print(_("counter: not confirmed (no terminal to ask in); give --yes to restore."), file=sys.stderr)
        return False
    try:
        # Translators: the person types the English word "yes", whatever the language
        return input(_("Type yes to restore: ")).strip().lower() == "yes"
    except EOFError:
        return False
