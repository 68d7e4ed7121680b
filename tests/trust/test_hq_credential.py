"""The lane's HQ credential and the store file are not readable by other local users, and
the token is not in the store's database (issue #13, item 6; db/credentials.py)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import httpx
import pytest

from db.credentials import TOKEN_FILENAME, token_path
from db.engine import DB_FILENAME, open_database
from db.queries import read_settings, write_settings
from db.sync import enrol, sync_config

TOKEN = "lane-token-Zq8w3Jx7Lr2VtYb9Kc4Nd6Hf1Gs5Pm0A"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _hq_answering_enrol() -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/enrol"
        return httpx.Response(200, json={"store": "S01", "terminal": "T01", "token": TOKEN})

    return httpx.MockTransport(handle)


def _bytes_of_store(folder: Path) -> bytes:
    found = b""
    for name in (DB_FILENAME, DB_FILENAME + "-wal"):
        if (folder / name).exists():
            found += (folder / name).read_bytes()
    return found


def test_the_token_is_in_a_private_file_not_in_the_database(store_dir: Path) -> None:
    db = open_database(store_dir)
    try:
        config = enrol(db.write, "http://127.0.0.1:8765", "ABCD-EFGH-JKLM", transport=_hq_answering_enrol())
        assert config.token == TOKEN
        path = token_path(store_dir)
        assert path.name == TOKEN_FILENAME and path.read_text().strip() == TOKEN
        assert _mode(path) == 0o600
        kept = read_settings(db.read)["sync"]
        assert kept == {"hq": "http://127.0.0.1:8765", "store": "S01", "terminal": "T01"}
        assert sync_config(db.read) == config
        assert TOKEN.encode() not in _bytes_of_store(store_dir)
        # someone loosened the file: it is tightened again when read
        os.chmod(path, 0o644)
        assert sync_config(db.read) is not None and _mode(path) == 0o600
        # without the file the lane says how to recover, instead of failing later
        path.unlink()
        with pytest.raises(Exception, match="token file"):
            sync_config(db.read)
    finally:
        db.dispose()


def test_a_clear_token_in_settings_is_moved_out_on_start(store_dir: Path) -> None:
    db = open_database(store_dir)
    write_settings(  # a store enrolled before the token file: the token in settings, in clear
        db.write, {"sync": {"hq": "http://127.0.0.1:8765", "token": TOKEN, "store": "S01", "terminal": "T01"}}
    )
    db.dispose()
    assert TOKEN.encode() in _bytes_of_store(store_dir)
    os.chmod(store_dir / DB_FILENAME, 0o644)

    db = open_database(store_dir)  # start-up: the token goes to hq.token, out of the database
    try:
        assert _mode(token_path(store_dir)) == 0o600
        assert token_path(store_dir).read_text().strip() == TOKEN
        assert "token" not in read_settings(db.read)["sync"]
        config = sync_config(db.read)
        assert config is not None and config.token == TOKEN and config.terminal == "T01"
        assert _mode(store_dir / DB_FILENAME) == 0o600  # an existing store is tightened too
    finally:
        db.dispose()
    assert TOKEN.encode() not in _bytes_of_store(store_dir)  # overwritten (secure_delete), not left in free pages


def test_a_store_counter_creates_is_private(tmp_path: Path, demo_template: Path) -> None:
    fresh = tmp_path / "fresh"
    db = open_database(fresh)
    try:
        assert _mode(fresh / DB_FILENAME) == 0o600
        with db.write.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t_probe (x)")
        assert _mode(fresh / (DB_FILENAME + "-wal")) == 0o600  # SQLite gives the WAL the file's mode
    finally:
        db.dispose()
    copied = tmp_path / "copied"
    copied.mkdir()
    shutil.copy(demo_template / DB_FILENAME, copied / DB_FILENAME)
    os.chmod(copied / DB_FILENAME, 0o644)
    open_database(copied).dispose()
    assert _mode(copied / DB_FILENAME) == 0o600
