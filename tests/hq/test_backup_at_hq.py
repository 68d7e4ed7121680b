"""A lane's backups at HQ (issue #19, point 3): an enrolled lane's backup goes to HQ as it is
made; a lane sends and sees only its own; too big, not as described, or HQ away: said in
words, and the backup in the lane's folder stands."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from app.backups import BackupRun, back_up
from app.config import load_settings
from db.backup import Backup
from db.backup_hq import manifest_header
from db.queries import read_settings, write_settings
from hq.serve import RunningHq
from tests.db.test_backup import receipts
from tests.hq.conftest import Lane, dead_url


@pytest.fixture
def shelf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "hq-backups"
    monkeypatch.setenv("COUNTER_HQ_BACKUP_DIR", str(folder))  # HQ runs in this process: read per request
    return folder


def take(lane: Lane, folder: Path, *, send: bool = True) -> tuple[BackupRun, Backup]:
    folder.mkdir(exist_ok=True)
    run = back_up(lane.folder, lane.store.db.path, load_settings(lane.folder), "manual", to=folder, send=send)
    assert run.result is not None, run.lines()
    return run, run.result.backup


def test_an_enrolled_lanes_backup_goes_to_hq_and_only_it_sees_it(
    make_lane: Callable[..., Lane], shelf: Path, tmp_path: Path
) -> None:
    lane = make_lane("T01")
    sale = lane.sell([("apparel", 1)])
    run, local = take(lane, tmp_path / "usb")
    assert run.ok and run.hq.startswith("HQ got a copy"), run.lines()
    kept = shelf / "S01" / "T01" / local.path.name
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == local.manifest["sha256"]
    (listed,) = lane.client.list_backups()
    assert listed["name"] == local.path.name and listed["size"] == local.size and listed["checked_ok"] is True
    assert sale.receipt_number in receipts(kept)  # the sale is in the copy HQ keeps
    other = make_lane("T02")
    assert other.client.list_backups() == []  # a lane sees only its own


def test_a_backup_of_another_lane_is_refused_with_an_alert(
    make_lane: Callable[..., Lane], hq: RunningHq, shelf: Path, tmp_path: Path
) -> None:
    lane, other = make_lane("T01"), make_lane("T02")
    _, backup = take(lane, tmp_path / "usb")
    answer = httpx.put(
        f"{hq.url}/v1/backups/{backup.path.name}",
        content=backup.path.read_bytes(),
        headers={"Authorization": f"Bearer {other.config.token}", "X-Counter-Manifest": manifest_header(backup)},
    )
    assert answer.status_code == 403 and "only its own store's backups" in answer.json()["message"]
    assert not (shelf / "S01" / "T02").exists() or not list((shelf / "S01" / "T02").iterdir())


def test_a_body_that_is_not_what_its_manifest_says_is_refused_and_not_kept(
    make_lane: Callable[..., Lane], hq: RunningHq, shelf: Path, tmp_path: Path
) -> None:
    lane = make_lane("T01")
    _, backup = take(lane, tmp_path / "usb", send=False)
    data = bytearray(backup.path.read_bytes())
    data[5000] ^= 1
    auth = {"Authorization": f"Bearer {lane.config.token}"}
    answer = httpx.put(
        f"{hq.url}/v1/backups/{backup.path.name}",
        content=bytes(data),
        headers={**auth, "X-Counter-Manifest": manifest_header(backup)},
    )
    assert answer.status_code == 422 and "not the file its manifest describes" in answer.json()["message"]
    bad_name = httpx.put(
        f"{hq.url}/v1/backups/..%2Fescape.sqlite3", content=b"x", headers={**auth, "X-Counter-Manifest": "e30="}
    )
    assert bad_name.status_code in (404, 422)
    no_manifest = httpx.put(f"{hq.url}/v1/backups/x.sqlite3", content=b"x", headers=auth)
    assert no_manifest.status_code == 422 and "X-Counter-Manifest" in no_manifest.json()["message"]
    bogus = base64.urlsafe_b64encode(json.dumps({"sha256": "0" * 64, "size": 1}).encode()).decode()
    foreign = httpx.put(f"{hq.url}/v1/backups/x.sqlite3", content=b"x", headers={**auth, "X-Counter-Manifest": bogus})
    assert foreign.status_code == 422 and "no size" in foreign.json()["message"]
    lane_dir = shelf / "S01" / "T01"
    assert not lane_dir.exists() or list(lane_dir.iterdir()) == []  # nothing kept, not even a partial


def test_a_backup_over_hqs_limit_is_said_and_the_local_one_stands(
    make_lane: Callable[..., Lane], shelf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lane = make_lane("T01")
    monkeypatch.setenv("COUNTER_HQ_BACKUP_MAX_MB", "0.1")
    run, backup = take(lane, tmp_path / "usb")
    assert run.ok and backup.path.exists()
    assert "HQ refused this backup" in run.hq and "over HQ's limit of 0.1 MB" in run.hq
    assert not (shelf / "S01" / "T01").exists() or not list((shelf / "S01" / "T01").glob("*.sqlite3"))


def test_hq_away_the_backup_still_stands_and_says_hq_did_not_get_it(
    make_lane: Callable[..., Lane], shelf: Path, tmp_path: Path
) -> None:
    lane = make_lane("T01")
    sync = read_settings(lane.store.db.read)["sync"]
    write_settings(lane.store.db.write, {"sync": {**sync, "hq": dead_url()}})
    run, backup = take(lane, tmp_path / "usb")
    assert run.ok and backup.path.exists()
    assert run.hq.startswith("HQ did not get this backup") and "the next backup will be sent" in run.hq
    assert "HQ did not get this backup" in run.status_line()
