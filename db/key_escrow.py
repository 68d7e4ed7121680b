"""The installation key in escrow: sealed with a passphrase the store chooses, kept apart
from the backups (docs/backup.md, "Key escrow").

A store's backups are sealed (journal seals, PIN verifiers) with the installation key
``secret.key`` (db/keys.py), which lives outside the store. A restore on a new machine needs
that key; this file carries it, encrypted: the passphrase goes through argon2id
(argon2-cffi's ``hash_secret_raw``: 64 MiB, 3 passes, 4 lanes, a random 16-byte salt) to a
256-bit key, which seals the 32 key bytes with AES-256-GCM (the ``cryptography`` package);
the file's format and key id are the authenticated data, so neither can be changed
unnoticed. A wrong passphrase and a changed file look alike to AES-GCM: both are "this
passphrase does not open this file", and nothing is written.

Any thread; the argon2id step takes about a quarter of a second on purpose.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from counter.errors import CounterError
from counter.i18n import _, ngettext
from counter.journal import utc_stamp
from db.keys import InstallationSecret

FORMAT = "counter-key-escrow/1"
MIN_PASSPHRASE = 12
#: argon2id parameters written into each file (a later version may raise them; reading
#: takes what the file says, within bounds)
TIME_COST, MEMORY_KIB, PARALLELISM = 3, 64 * 1024, 4
_BOUNDS = {"time_cost": (1, 20), "memory_kib": (8 * 1024, 1024 * 1024), "parallelism": (1, 16)}


class EscrowError(CounterError):
    """An escrow file that cannot be written, read or opened with the passphrase given."""


@dataclass(frozen=True)
class EscrowedKey:
    key: bytes
    key_id: str


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise EscrowError(
            ngettext(
                "That passphrase is too short ({n} characters); it must have at least {least}.",
                "That passphrase is too short ({n} characters); it must have at least {least}.",
                len(passphrase),
            ).format(n=len(passphrase), least=MIN_PASSPHRASE),
            _("Choose a longer one, e.g. four words you will remember, and keep it apart from the backups."),
        )
    if len(set(passphrase)) < 4:
        raise EscrowError(_("That passphrase repeats too few characters to be safe."), _("Choose another one."))


def _derive(passphrase: str, salt: bytes, time_cost: int, memory_kib: int, parallelism: int) -> bytes:
    return hash_secret_raw(passphrase.encode("utf-8"), salt, time_cost, memory_kib, parallelism, 32, Type.ID)


def _aad(key_id: str) -> bytes:
    return f"{FORMAT}|{key_id}".encode()


def seal_key(secret: InstallationSecret, passphrase: str, out: Path) -> dict[str, Any]:
    """Write ``out`` (mode 0600, never over an existing file): the key sealed with the
    passphrase. Returns what was written."""
    check_passphrase(passphrase)
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    kek = _derive(passphrase, salt, TIME_COST, MEMORY_KIB, PARALLELISM)
    sealed = AESGCM(kek).encrypt(nonce, secret.key, _aad(secret.key_id))
    doc = {
        "format": FORMAT,
        "key_id": secret.key_id,
        "created_at": utc_stamp(datetime.now(UTC)),
        "kdf": {
            "name": "argon2id",
            "time_cost": TIME_COST,
            "memory_kib": MEMORY_KIB,
            "parallelism": PARALLELISM,
            "salt": _b64(salt),
        },
        "cipher": "AES-256-GCM",
        "nonce": _b64(nonce),
        "sealed_key": _b64(sealed),
    }
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise EscrowError(
            _("{path} already exists; it was left as it is.").format(path=out), _("Give a new file name.")
        ) from None
    except OSError as exc:
        raise EscrowError(
            _("{path} cannot be written ({error}).").format(path=out, error=exc.strerror), _("Choose another place.")
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    return doc


def read_escrow(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EscrowError(
            _("There is no key escrow file at {path}.").format(path=path),
            _("Give the file `counter backup key` wrote."),
        ) from None
    except (OSError, ValueError) as exc:
        raise EscrowError(
            _("The key escrow file {path} cannot be read ({error}).").format(path=path, error=exc),
            _("Give another copy of it."),
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise EscrowError(
            _("{path} is not a Counter key escrow file.").format(path=path),
            _("Give the file `counter backup key` wrote."),
        )
    return doc


def open_key(path: Path, passphrase: str) -> EscrowedKey:
    """The installation key in the escrow file ``path``; EscrowError for a wrong
    passphrase (or a file changed since), with nothing written anywhere."""
    doc = read_escrow(path)
    try:
        kdf = doc["kdf"]
        params = {name: int(kdf[name]) for name in _BOUNDS}
        for name, (low, high) in _BOUNDS.items():
            if not low <= params[name] <= high:
                raise ValueError(f"{name} out of range")
        salt, nonce, sealed = _unb64(kdf["salt"]), _unb64(doc["nonce"]), _unb64(doc["sealed_key"])
        key_id = str(doc["key_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise EscrowError(
            _("The key escrow file {path} is damaged ({error}).").format(path=path, error=exc),
            _("Give another copy of it."),
        ) from None
    kek = _derive(passphrase, salt, params["time_cost"], params["memory_kib"], params["parallelism"])
    try:
        key = AESGCM(kek).decrypt(nonce, sealed, _aad(key_id))
    except InvalidTag:
        raise EscrowError(
            _(
                "That passphrase does not open the key escrow file {path} (or the file was changed). "
                "Nothing was changed."
            ).format(path=path),
            _("Type the passphrase chosen when the key was escrowed; it is case-sensitive."),
        ) from None
    opened = InstallationSecret(path, key)
    if len(key) != 32 or opened.key_id != key_id:
        raise EscrowError(
            _("The key in {path} is not a Counter installation key.").format(path=path),
            _("Give another copy of the file."),
        )
    return EscrowedKey(key, key_id)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text), validate=True)
