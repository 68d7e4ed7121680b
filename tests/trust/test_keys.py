"""The installation key: PIN verifiers keyed with it, badges hashed with it, the key file
kept outside the store with tight permissions, a store tied to its key, and an older
store upgraded (entries sealed, plain verifiers keyed) by migration 0006."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import select

from counter.errors import StoreError
from counter.people.users import KEYED, PinHasher, badge_digest
from db import schema as s
from db.engine import DB_FILENAME, alembic_config, open_database, pin_key
from db.keys import load_secret
from tests.trust.support import audit


def test_the_key_file_is_created_private_and_outside_the_store(tmp_path: Path) -> None:
    secret = load_secret(tmp_path / "cfg" / "secret.key")
    assert len(secret.key) == 32
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / "cfg" / "secret.key").stat().st_mode) == 0o600
    assert load_secret(tmp_path / "cfg" / "secret.key").key == secret.key
    os.chmod(tmp_path / "cfg" / "secret.key", 0o644)
    load_secret(tmp_path / "cfg" / "secret.key")
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / "cfg" / "secret.key").stat().st_mode) == 0o600
    (tmp_path / "bad.key").write_text("not a key\n")
    with pytest.raises(StoreError, match="not a Counter key"):
        load_secret(tmp_path / "bad.key")


def test_stored_pin_verifiers_are_keyed_and_useless_without_the_key(store_dir: Path) -> None:
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        verifiers = dict(conn.execute("SELECT id, pin_hash FROM users").fetchall())
    assert all(v.startswith(KEYED) for v in verifiers.values())
    stolen = verifiers["u-cashier-1"]
    # With the database alone: no PIN of the 10,000 matches, not even the right one.
    assert not PinHasher().matches(stolen, "1111")
    assert not PinHasher(key=b"x" * 32).matches(stolen, "1111")
    assert PinHasher(key=pin_key(load_secret())).matches(stolen, "1111")
    assert not PinHasher(key=pin_key(load_secret())).matches(stolen, "1112")


def test_a_plain_verifier_is_keyed_without_knowing_the_pin() -> None:
    plain = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("4321")
    hasher = PinHasher(key=b"k" * 32)
    keyed = hasher.wrap(plain)
    assert keyed.startswith(KEYED) and plain.rsplit("$", 1)[1] not in keyed
    assert hasher.matches(keyed, "4321") and not hasher.matches(keyed, "4320")
    assert hasher.matches(plain, "4321")  # a plain one (pulled from HQ) still signs in...
    assert hasher.needs_upgrade(plain) and not hasher.needs_upgrade(keyed)  # ...and is keyed then


@pytest.mark.parametrize("params", ["m=4194304,t=1,p=1", "m=1024,t=99,p=1", "m=1024,t=1,p=99"])
def test_a_tampered_verifier_cannot_make_sign_in_slow(params: str) -> None:
    hasher = PinHasher(time_cost=1, memory_cost=1024, key=b"k" * 32)
    parts = hasher.hash("1234").split("$")  # ['', 'ck1', 'argon2id', 'v=19', 'm=..,t=..,p=..', 'l=32', salt, mac]
    assert hasher.matches("$".join(parts), "1234")
    parts[4] = params
    assert not hasher.matches("$".join(parts), "1234")


def test_badges_are_stored_only_as_keyed_digests() -> None:
    assert badge_digest(b"a" * 32, "EMP-004211") != badge_digest(b"b" * 32, "EMP-004211")
    assert "004211" not in badge_digest(b"a" * 32, "EMP-004211")
    assert badge_digest(b"a" * 32, " EMP-004211\n") == badge_digest(b"a" * 32, "EMP-004211")


def test_a_store_refuses_another_installation_key(store_dir: Path, tmp_path: Path) -> None:
    other = load_secret(tmp_path / "other.key")
    with pytest.raises(StoreError, match="another installation key"):
        open_database(store_dir, secret=other)
    open_database(store_dir).dispose()  # its own key still opens it


def test_an_older_store_is_sealed_and_keyed_by_the_upgrade(store_dir: Path) -> None:
    db = open_database(store_dir)
    cfg = alembic_config()
    with db.write.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    plain = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("1111")
    with db.write.begin() as conn:
        conn.execute(s.users.update().where(s.users.c.id == "u-cashier-1").values(pin_hash=plain))
    db.dispose()
    with sqlite3.connect(store_dir / DB_FILENAME) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(journal)")]
    assert "seal" not in columns
    db = open_database(store_dir)  # upgrades to the head revision
    with db.read.connect() as conn:
        verifier = conn.execute(select(s.users.c.pin_hash).where(s.users.c.id == "u-cashier-1")).scalar_one()
    db.dispose()
    assert verifier.startswith(KEYED)
    assert PinHasher(key=pin_key(load_secret())).matches(verifier, "1111")
    result = audit(store_dir)
    assert result.ok, result.lines()
