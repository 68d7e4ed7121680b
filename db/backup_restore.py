"""Restoring a backup into a data folder (docs/backup.md, "Restore").

``plan_restore`` decides, writing nothing: the backup must be the file its manifest names
and pass its checks; its installation key must be this machine's or come out of the key
escrow file with the store's passphrase; a store already in the folder must be the same
lane, and its journal entries that neither the backup nor HQ holds (sales not yet in any
backup or at HQ) are listed and refuse the restore unless forced. ``carry_out`` then
swaps: the backup is copied beside the store and checked again, the current store (with
its ``-wal``) is renamed aside, never deleted, the copy renamed into place, the key put in
place if it came from escrow (the one it replaces kept aside too); the restored store is
opened (migrated to this app's schema) and verified. If any step fails, what was set aside
is put back.

Any thread; the command line (cli/backup.py) asks the questions.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from counter.errors import CounterError
from counter.i18n import _, ngettext
from db.audit import audit_store
from db.backup import (
    STORE_FILE,
    Backup,
    BackupError,
    Check,
    file_digest,
    load_backup,
    open_read_only,
    read_meta,
    verify_backup,
)
from db.engine import open_database, script_head
from db.key_escrow import EscrowedKey, open_key, read_escrow
from db.keys import InstallationSecret, default_secret_path, load_secret

log = logging.getLogger(__name__)

SIDE_FILES = ("-wal", "-shm")


@dataclass(frozen=True)
class Loss:
    """A terminal's entries in the current store that neither the backup nor HQ holds."""

    terminal: str
    after_seq: int
    count: int
    receipts: list[str]  # the sales among them, newest first
    newest_at: str

    def describe(self) -> str:
        shown = ", ".join(self.receipts[:5]) + (" …" if len(self.receipts) > 5 else "")
        n = len(self.receipts)
        sales = ngettext("{n} sale(s) ({receipts})", "{n} sale(s) ({receipts})", n).format(n=n, receipts=shown)
        said = ngettext(
            "{terminal}: {count} journal entries after entry {seq}, the newest at {newest}, with {sales}",
            "{terminal}: {count} journal entries after entry {seq}, the newest at {newest}, with {sales}",
            self.count,
        )
        return said.format(
            terminal=self.terminal,
            count=self.count,
            seq=self.after_seq,
            newest=self.newest_at,
            sales=sales if self.receipts else _("no sales"),
        )


@dataclass
class RestorePlan:
    backup: Backup
    check: Check
    secret: InstallationSecret  # the backup's key (this machine's, or out of escrow)
    from_escrow: bool
    current: dict[str, object] | None  # what the store in the folder says of itself; None: no store
    losses: list[Loss] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def what_is_replaced(self) -> list[str]:
        b = self.backup
        out = [
            _("Restore {name}: made {made} ({reason}), journal {heads}.").format(
                name=b.path.name, made=b.created_at, reason=b.reason, heads=b.describe_heads()
            )
        ]
        if self.current is None:
            out.append(_("The data folder holds no store now."))
        else:
            heads = self.current.get("heads") or {}
            assert isinstance(heads, dict)
            where = [_("{terminal} at {seq}").format(terminal=t, seq=h["seq"]) for t, h in sorted(heads.items())]
            out.append(
                _("It replaces the store in the data folder (journal {heads}); that file is kept aside.").format(
                    heads=", ".join(where) or _("empty journal")
                )
            )
        if self.from_escrow:
            out.append(
                _("The installation key comes from the escrow file; this machine's key file is replaced (kept aside).")
            )
        out += [_("Would be lost: {loss}").format(loss=loss.describe()) for loss in self.losses]
        return out + self.notes


def plan_restore(
    backup_file: Path,
    data_dir: Path,
    *,
    key_file: Path | None = None,
    passphrase: Callable[[], str] | None = None,
    force: bool = False,
) -> RestorePlan:
    """Everything a restore checks before it writes (BackupError, EscrowError: nothing written)."""
    backup = load_backup(backup_file)
    key_id = backup.manifest.get("key_id")
    secret, from_escrow = _the_key(backup, str(key_id) if key_id else None, key_file, passphrase)
    # A backup at an older schema (before a migration, or by an older version) is verified
    # after the restore has migrated it (carry_out); here its file and integrity are checked.
    check = verify_backup(backup, secret, journal=backup.manifest.get("schema_revision") == script_head())
    if not check.ok:
        raise BackupError(
            _(
                "The backup {name} does not pass its check, so it was not restored; the store is untouched: {problems}"
            ).format(name=backup.path.name, problems="; ".join(line for line in check.lines if "BAD" in line)),
            _(
                "Restore an older backup (counter backup list), "
                "or `counter restore --from-hq` if this lane is enrolled."
            ),
        )
    store = data_dir / STORE_FILE
    current = _current_meta(store)
    plan = RestorePlan(backup, check, secret, from_escrow, current)
    if current is not None and current.get("unreadable"):
        plan.notes.append(
            _(
                "The store in the data folder cannot be read (damaged?): what it holds beyond the backup cannot be "
                "listed. It is kept aside, not deleted."
            )
        )
    elif current is not None:
        if (current["store_id"], current["terminal_id"]) != backup.lane and not force:
            raise BackupError(
                _(
                    "The backup is of store {store} terminal {terminal}, and the store in {folder} "
                    "is store {current_store} terminal {current_terminal}: a foreign backup. Nothing was changed."
                ).format(
                    store=backup.lane[0],
                    terminal=backup.lane[1],
                    folder=data_dir,
                    current_store=current["store_id"],
                    current_terminal=current["terminal_id"],
                ),
                _("Give this lane's backup, or another --data-dir; --force replaces the store anyway (kept aside)."),
            )
        plan.losses, plan.notes = _losses(store, backup)
        if plan.losses and not force:
            raise BackupError(
                _(
                    "The store has journal entries that are neither in this backup nor at HQ; restoring would lose "
                    "them. Nothing was changed:\n  {losses}"
                ).format(losses="\n  ".join(loss.describe() for loss in plan.losses)),
                _(
                    "Let the lane sync with HQ first (counter sync now), or take a backup of it now (counter backup "
                    "now) and keep it; --force restores anyway and keeps the current store aside."
                ),
            )
    return plan


def _the_key(
    backup: Backup, key_id: str | None, key_file: Path | None, passphrase: Callable[[], str] | None
) -> tuple[InstallationSecret, bool]:
    try:
        mine: InstallationSecret | None = load_secret(create=False)
    except CounterError:
        mine = None
    if mine is not None and (key_id is None or mine.key_id == key_id):
        return mine, False
    if key_file is None:
        said = (
            _(
                "The backup {name} is sealed with installation key {key}, and this machine's key is {mine}. "
                "Nothing was changed."
            )
            if mine is not None
            else _(
                "The backup {name} is sealed with installation key {key}, and this machine has no installation key. "
                "Nothing was changed."
            )
        )
        raise BackupError(
            said.format(name=backup.path.name, key=key_id, mine=mine.key_id if mine is not None else ""),
            _("Give the key escrow file made by `counter backup key` with --key FILE; its passphrase will be asked."),
        )
    held = str(read_escrow(key_file).get("key_id"))
    if held != key_id:
        raise BackupError(
            _(
                "The key escrow file {path} holds installation key {held}, and the backup needs {key}: "
                "it is another installation's key, or the backup is another store's. Nothing was changed."
            ).format(path=key_file, held=held, key=key_id),
            _("Give the escrow file of the installation that made this backup."),
        )
    if passphrase is None:
        raise BackupError(_("The key escrow file needs its passphrase."), _("Run the restore where it can be typed."))
    opened: EscrowedKey = open_key(key_file, passphrase())
    return InstallationSecret(default_secret_path(), opened.key), True


def _current_meta(store: Path) -> dict[str, object] | None:
    if not store.exists():
        return None
    try:
        return read_meta(store)
    except BackupError:
        return {"store_id": "?", "terminal_id": "?", "heads": {}, "unreadable": True}


def _losses(store: Path, backup: Backup) -> tuple[list[Loss], list[str]]:
    """Per terminal of the current store: its entries beyond both the backup (where the
    backup's head is on the same chain) and HQ's acknowledgement."""
    notes: list[str] = []
    losses: list[Loss] = []
    try:
        conn = open_read_only(store)
    except sqlite3.Error:
        return [], [_("The current store cannot be read; what it holds beyond the backup is not known.")]
    try:
        heads = dict(conn.execute("SELECT terminal_id, seq FROM journal_head").fetchall())
        try:
            acked = dict(conn.execute("SELECT terminal_id, acked_seq FROM sync_state").fetchall())
        except sqlite3.Error:
            acked = {}
        for terminal, top in sorted(heads.items()):
            theirs = backup.heads.get(terminal) or {}
            in_backup = int(theirs.get("seq", 0))
            if in_backup:
                row = conn.execute(
                    "SELECT hash FROM journal WHERE terminal_id = ? AND seq = ?", (terminal, in_backup)
                ).fetchone()
                if row is None or row[0] != theirs.get("hash"):
                    notes.append(
                        _("{terminal}: the backup's journal is not on this store's chain.").format(terminal=terminal)
                    )
                    in_backup = 0
            at_hq = int(acked.get(terminal, 0))
            if at_hq > in_backup:
                said = _(
                    "{terminal}: HQ holds entries {first}..{last} that the backup does not: after the restore this "
                    "lane is behind HQ, and HQ refuses its next entries until it is rebuilt from HQ (docs/backup.md)."
                )
                notes.append(said.format(terminal=terminal, first=in_backup + 1, last=at_hq))
            after = max(in_backup, at_hq)
            if int(top) <= after:
                continue
            rows = conn.execute(
                "SELECT type, at, body FROM journal WHERE terminal_id = ? AND seq > ? ORDER BY seq DESC",
                (terminal, after),
            ).fetchall()
            receipts = []
            for type_, _at, body in rows:
                if type_ == "SaleCompleted":
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        receipts.append(str(json.loads(body)["receipt_number"]))
            losses.append(Loss(terminal, after, len(rows), receipts, str(rows[0][1]) if rows else ""))
    except sqlite3.Error as exc:
        notes.append(
            _(
                "The current store's journal cannot be read ({error}); what it holds beyond the backup is not known."
            ).format(error=exc)
        )
    finally:
        conn.close()
    return losses, notes


@dataclass(frozen=True)
class RestoreOutcome:
    store: Path
    kept_aside: list[Path]
    verify_lines: list[str]


def carry_out(plan: RestorePlan, data_dir: Path, *, now: datetime | None = None) -> RestoreOutcome:
    """Swap the backup in (see the module docstring); BackupError with everything put back."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(
            _("The data folder {folder} cannot be made ({error}).").format(folder=data_dir, error=exc.strerror),
            _("Choose another --data-dir."),
        ) from None
    store = data_dir / STORE_FILE
    staging = data_dir / f".{STORE_FILE}.restoring"
    try:
        shutil.copyfile(plan.backup.path, staging)
        os.chmod(staging, 0o600)  # the store is the owner's only, as Counter makes it
        digest, size = file_digest(staging)
    except OSError as exc:
        with contextlib.suppress(OSError):
            staging.unlink()
        raise BackupError(
            _("The backup could not be copied into {folder} ({error}). The store is untouched.").format(
                folder=data_dir, error=exc.strerror
            ),
            _("Make room on the disk, or check the folder's permissions."),
        ) from None
    if (digest, size) != (plan.backup.manifest.get("sha256"), plan.backup.manifest.get("size")):
        staging.unlink()
        raise BackupError(
            _("The backup's copy in the data folder is not the backup (the disk?); the store is untouched."),
            _("Check the disk."),
        )
    moved: list[tuple[Path, Path]] = []  # (original, aside)
    present = {p for p in _store_files(store) if p.exists()}

    def aside(path: Path) -> None:
        target = path.with_name(f"{STORE_FILE}.before-restore-{stamp}{path.name.removeprefix(STORE_FILE)}")
        os.replace(path, target)
        moved.append((path, target))

    try:
        for suffix in ("", *SIDE_FILES):
            path = store.with_name(STORE_FILE + suffix)
            if path.exists():
                aside(path)
        if plan.from_escrow:
            _install_key(plan.secret, stamp, moved)
        os.replace(staging, store)
        lines = _open_and_verify(data_dir, plan.secret)
    except Exception as exc:  # whatever failed, the folder goes back to what it was
        _put_back(store, staging, present, moved)
        if isinstance(exc, CounterError):
            raise BackupError(_("The restore was undone: {reason}").format(reason=exc.message), exc.hint) from None
        log.exception("restore of %s failed; undone", plan.backup.path)
        what = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise BackupError(
            _("The restore was undone ({what}); the store is as it was.").format(what=what),
            _("Check the disk; details are in the log."),
        ) from None
    kept = [target for _original, target in moved if target != Path()]
    log.info("restored %s into %s (kept aside: %s)", plan.backup.path, data_dir, [str(t) for t in kept])
    return RestoreOutcome(store, kept, lines)


def _install_key(secret: InstallationSecret, stamp: str, moved: list[tuple[Path, Path]]) -> None:
    path = default_secret_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        target = path.with_name(f"{path.name}.before-restore-{stamp}")
        os.replace(path, target)
        moved.append((path, target))
    tmp = path.with_name(path.name + ".restoring")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret.key.hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    moved.append((path, Path()))  # put back: remove the key written here (the aside one returns)


def _open_and_verify(data_dir: Path, secret: InstallationSecret) -> list[str]:
    db = open_database(data_dir, create=False, secret=secret)
    try:
        audit = audit_store(db.read, db.secret)
    finally:
        db.dispose()
    if not audit.ok:
        raise BackupError(
            _("the restored store does not verify: {problems}").format(problems="; ".join(audit.lines()[:3])),
            _("Try an older backup."),
        )
    return audit.lines()


def _store_files(store: Path) -> list[Path]:
    return [store.with_name(STORE_FILE + suffix) for suffix in ("", *SIDE_FILES)]


def _put_back(store: Path, staging: Path, present: set[Path], moved: list[tuple[Path, Path]]) -> None:
    """Undo a restore: what stands at a store path now is new if that path's file was set
    aside or was not there before; the files set aside go back."""
    originals = {original for original, _target in moved}
    for path in (*_store_files(store), staging):
        if path in originals or path not in present:
            with contextlib.suppress(OSError):
                path.unlink()
    for original, target in reversed(moved):
        with contextlib.suppress(OSError):
            if target == Path():
                original.unlink()
            else:
                os.replace(target, original)
