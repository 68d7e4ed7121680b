"""The per-installation secret: a random key kept outside the database.

It keys the PIN verifiers (a copied database file alone does not give PINs away), the
badge look-up hashes, and the seal on every journal entry and each terminal's journal
head (an attacker with raw SQL but without this file cannot add, rewrite or rewind
entries unnoticed). See docs/trust.md.

The file is ``secret.key`` in the platform's config folder (``~/.config/Counter`` on
Linux), or wherever ``COUNTER_SECRET_FILE`` points; 32 random bytes as hex, created on
first use with permissions 0600. Back it up apart from the store: a store restored
without its key refuses to open (see README, "Recovering a damaged store").

Each use gets its own sub-key (``HMAC(key, purpose)``), so one use never leaks into
another. Any thread (read once at start-up).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir

from counter.errors import StoreError
from counter.i18n import _

log = logging.getLogger(__name__)

ENV = "COUNTER_SECRET_FILE"
FILENAME = "secret.key"


def default_secret_path() -> Path:
    return Path(os.environ.get(ENV) or Path(user_config_dir("Counter", appauthor=False)) / FILENAME)


@dataclass(frozen=True)
class InstallationSecret:
    path: Path
    key: bytes

    def subkey(self, purpose: str) -> bytes:
        return hmac.new(self.key, f"counter/{purpose}".encode(), hashlib.sha256).digest()

    @property
    def key_id(self) -> str:
        """A fingerprint that names the key without revealing it (kept in the store)."""
        return self.subkey("key-id").hex()[:16]

    def seal(self, terminal: str, seq: int, entry_hash: str) -> str:
        """The seal on a journal entry: HMAC-SHA256 over ``terminal|seq|hash`` under the
        journal sub-key."""
        message = f"{terminal}|{seq}|{entry_hash}".encode()
        return hmac.new(self.subkey("journal-seal"), message, hashlib.sha256).hexdigest()

    def head_seal(self, terminal: str, seq: int, entry_hash: str) -> str:
        """The seal on a journal head, under its own sub-key: unlike entry seals, which
        stay in the store, the head seal for an earlier entry existed only while that
        entry was the last one, so copying a seal does not rewind the head."""
        message = f"head|{terminal}|{seq}|{entry_hash}".encode()
        return hmac.new(self.subkey("journal-head"), message, hashlib.sha256).hexdigest()


def load_secret(path: Path | None = None, *, create: bool = True) -> InstallationSecret:
    """Read the installation secret, creating it (0600) when missing and ``create``."""
    path = path or default_secret_path()
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            raise StoreError(
                _("The installation key {path} is missing.").format(path=path),
                _("Restore secret.key from your backup (see the README)."),
            ) from None
        return _create(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(
            _("The installation key {path} cannot be read ({error}).").format(path=path, error=exc),
            _("Check the file and its permissions."),
        ) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise StoreError(
            _("The installation key {path} is not a Counter key.").format(path=path),
            _("Restore secret.key from your backup."),
        )
    _tighten(path)
    return InstallationSecret(path, key)


def _create(path: Path) -> InstallationSecret:
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago: use theirs
        return load_secret(path, create=False)
    except OSError as exc:
        raise StoreError(
            _("Cannot create the installation key {path} ({error}).").format(path=path, error=exc.strerror),
            _("Check the folder's permissions."),
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    log.info("created the installation key %s", path)
    return InstallationSecret(path, key)


def _tighten(path: Path) -> None:
    """Group or others may not read the key (POSIX); fix it and say so."""
    if os.name != "posix":
        return
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(path, 0o600)
            log.warning("the installation key %s was readable by others; its permissions are now 0600", path)
    except OSError:
        pass
