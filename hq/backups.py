"""Lanes' backups kept at HQ (issue #19, point 3; docs/backup.md, "At HQ").

``PUT /v1/backups/{name}``: a lane sends a backup of its store (db/backup_hq.py): the body
is the file, the ``X-Counter-Manifest`` header its manifest (base64url JSON). Only a
terminal's token, and only its own backups: a manifest naming another lane is refused (403,
and an alert). HQ streams the body to a hidden file in the lane's folder, at most
``max_bytes`` (413 with words past it; the app-wide body limit of pushes does not apply to
this path, hq/app.py ``BodyLimit``), and keeps it only if it is what the manifest says
(SHA-256 and size), is an SQLite file, and passes ``PRAGMA quick_check`` (422 otherwise,
and nothing kept). HQ cannot check the journal's seals (it has no installation key); the
lane checked them before sending. The newest ``keep`` backups of each lane stay.

``GET /v1/backups``: the caller's own backups, newest first.

Where and how much: ``COUNTER_HQ_BACKUP_DIR`` (default ``lane-backups`` in HQ's platform
data folder, ``~/.local/share/Counter HQ`` on Linux), ``COUNTER_HQ_BACKUP_MAX_MB``
(default 1024) and ``COUNTER_HQ_BACKUP_KEEP`` (default 30), read at each request.
"""

# No "from __future__ import annotations": FastAPI reads the route's annotations at run time.

import base64
import contextlib
import hashlib
import json
import logging
import os
import re
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from platformdirs import user_data_dir
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from counter.i18n import _
from hq import access, ingest
from hq.store import utcnow
from hq.web import Refusal

log = logging.getLogger("hq")

PATH = "/v1/backups"
NAME = re.compile(r"^[A-Za-z0-9_-]{1,150}\.sqlite3$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
MAX_MANIFEST = 8 * 1024
SQLITE_MAGIC = b"SQLite format 3\x00"
MANIFEST_SUFFIX = ".manifest.json"


@dataclass(frozen=True)
class Shelf:
    root: Path
    max_bytes: int
    keep: int

    @classmethod
    def from_env(cls) -> "Shelf":
        root = os.environ.get("COUNTER_HQ_BACKUP_DIR") or str(
            Path(user_data_dir("Counter HQ", appauthor=False)) / "lane-backups"
        )
        try:
            max_mb = float(os.environ.get("COUNTER_HQ_BACKUP_MAX_MB", "1024"))
            keep = int(os.environ.get("COUNTER_HQ_BACKUP_KEEP", "30"))
        except ValueError:
            max_mb, keep = 1024.0, 30
        return cls(Path(root), int(max_mb * 1_000_000), max(1, keep))

    def lane(self, store_id: str, terminal_id: str) -> Path:
        return self.root / store_id / terminal_id


def read_manifest(header: str | None) -> dict[str, Any]:
    if not header:
        raise Refusal(422, "malformed", _("A backup needs its manifest in the X-Counter-Manifest header."))
    if len(header) > MAX_MANIFEST:
        raise Refusal(
            422, "malformed", _("The backup's manifest is over {count} characters.").format(count=MAX_MANIFEST)
        )
    try:
        manifest = json.loads(base64.urlsafe_b64decode(header.encode("ascii")))
    except (ValueError, UnicodeError):
        raise Refusal(422, "malformed", _("The backup's manifest is not base64url-encoded JSON.")) from None
    if not isinstance(manifest, dict):
        raise Refusal(422, "malformed", _("The backup's manifest is not a JSON object."))
    sha, size = manifest.get("sha256"), manifest.get("size")
    if not isinstance(sha, str) or not HEX64.match(sha):
        raise Refusal(422, "malformed", _("The backup's manifest has no SHA-256 (64 lowercase hex digits)."))
    if not isinstance(size, int) or isinstance(size, bool) or size < len(SQLITE_MAGIC):
        raise Refusal(422, "malformed", _("The backup's manifest has no size in bytes."))
    return manifest


def _quick_check(path: Path) -> str:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return "ok" if rows == ["ok"] else "; ".join(rows[:3])


def listing(folder: Path) -> list[dict[str, Any]]:
    found = []
    for path in folder.glob(f"*{MANIFEST_SUFFIX}"):
        with contextlib.suppress(OSError, ValueError):
            found.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: (str(m.get("created_at", "")), str(m.get("name", ""))), reverse=True)


def _rotate(folder: Path, keep: int) -> None:
    for old in listing(folder)[keep:]:
        name = str(old.get("name", ""))
        if NAME.match(name):
            for path in (folder / name, folder / name.replace(".sqlite3", MANIFEST_SUFFIX)):
                with contextlib.suppress(OSError):
                    path.unlink()


def router(engine: Engine, terminal: Callable[..., access.Caller]) -> APIRouter:
    """Mounted by ``hq.app.create_app`` with its terminal-token dependency."""
    api = APIRouter(tags=["backups"])
    Terminal = Annotated[access.Caller, Depends(terminal)]  # noqa: N806 - a type alias

    @api.put(PATH + "/{name}")
    async def upload(
        name: str,
        request: Request,
        who: Terminal,
        x_counter_manifest: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        assert who.store_id and who.terminal_id
        shelf = Shelf.from_env()
        if not NAME.match(name):
            raise Refusal(422, "malformed", _("A backup's name is 1-150 letters, digits, '-' or '_', then .sqlite3."))
        manifest = read_manifest(x_counter_manifest)
        if (manifest.get("store_id"), manifest.get("terminal_id")) != (who.store_id, who.terminal_id):
            detail = f"{who.name} tried to send a backup of {manifest.get('store_id')}-{manifest.get('terminal_id')}"
            lane = (who.store_id, who.terminal_id)
            await run_in_threadpool(ingest.record_alert, engine, "forbidden", *lane, None, detail)
            raise Refusal(403, "forbidden", _("A terminal may send only its own store's backups."))
        too_big = Refusal(
            413,
            "too_large",
            _(
                "This backup is over HQ's limit of {size} MB; it was not kept. "
                "The backup in the lane's folder stands; HQ's administrator can raise COUNTER_HQ_BACKUP_MAX_MB."
            ).format(size=f"{shelf.max_bytes / 1_000_000:g}"),
        )
        declared = request.headers.get("content-length", "")
        if int(manifest["size"]) > shelf.max_bytes or (declared.isdigit() and int(declared) > shelf.max_bytes):
            raise too_big
        folder = shelf.lane(who.store_id, who.terminal_id)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.error("backup folder %s cannot be made: %s", folder, exc)
            raise Refusal(
                507, "no_room", _("HQ cannot keep backups now (its backup folder); try again later.")
            ) from None
        partial = folder / f".upload-{uuid.uuid4().hex}.partial"
        digest, size = hashlib.sha256(), 0
        try:
            # Written as it arrives (chunks of ~64 KiB to a local file): the body is never held whole.
            with partial.open("wb") as fh:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > shelf.max_bytes:
                        raise too_big
                    digest.update(chunk)
                    fh.write(chunk)
            if (digest.hexdigest(), size) != (manifest["sha256"], manifest["size"]):
                raise Refusal(
                    422,
                    "not_as_described",
                    _(
                        "The backup received ({size} bytes) is not the file its manifest describes; it was not kept. "
                        "It is sent again with the lane's next backup."
                    ).format(size=size),
                )
            with partial.open("rb") as fh:
                magic = fh.read(len(SQLITE_MAGIC))
            if magic != SQLITE_MAGIC:
                raise Refusal(422, "not_a_store", _("That file is not an SQLite store; it was not kept."))
            problem = await run_in_threadpool(_quick_check, partial)
            if problem != "ok":
                raise Refusal(
                    422, "damaged", _("The backup is damaged ({problem}); it was not kept.").format(problem=problem)
                )
            kept = {**manifest, "name": name, "received_at": utcnow().isoformat()}
            os.replace(partial, folder / name)
            (folder / name.replace(".sqlite3", MANIFEST_SUFFIX)).write_text(json.dumps(kept), encoding="utf-8")
        finally:
            with contextlib.suppress(OSError):
                partial.unlink()
        _rotate(folder, shelf.keep)
        log.info("kept backup %s of %s-%s (%d bytes)", name, who.store_id, who.terminal_id, size)
        return {"kept": True, "name": name, "size": size}

    @api.get(PATH)
    def backups(who: Terminal) -> dict[str, Any]:
        assert who.store_id and who.terminal_id
        found = listing(Shelf.from_env().lane(who.store_id, who.terminal_id))
        shown = ("name", "created_at", "reason", "size", "sha256", "received_at", "heads", "checked_ok")
        return {"backups": [{k: m.get(k) for k in shown} for m in found]}

    return api
