"""A lane's backup sent to HQ when the lane is enrolled (hq/backups.py keeps them).

HQ away or refusing is never a failed backup: the backup stands in its folder, and the
answer says HQ did not get it; the next backup is sent again in full. Runs on the thread
that made the backup (the app's backup worker, or the command line).
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

from counter.errors import CounterError
from counter.i18n import _
from counter.sync.upstream import UpstreamUnavailable
from db.backup import Backup, read_only_engine
from db.hq_client import HqClient, HqRefused
from db.sync import sync_config

log = logging.getLogger(__name__)

#: a backup is a big body: HQ reads, hashes and checks it before it answers
UPLOAD_TIMEOUT = 120.0
#: what of the manifest goes to HQ (the check's lines stay in the folder)
SENT = ("format", "file", "created_at", "reason", "app_version", "schema_revision", "store_id", "terminal_id",
        "heads", "key_id", "sha256", "size")  # fmt: skip


def manifest_header(backup: Backup) -> str:
    sent = {k: backup.manifest.get(k) for k in SENT}
    sent["checked_ok"] = backup.checked_ok
    return base64.urlsafe_b64encode(json.dumps(sent, separators=(",", ":")).encode()).decode("ascii")


def send_to_hq(db_path: Path, backup: Backup) -> str:
    """Send ``backup`` to HQ when the store at ``db_path`` is enrolled: a sentence saying
    what happened ("" when the lane is not enrolled)."""
    engine = read_only_engine(db_path)
    try:
        config = sync_config(engine)
    except CounterError as exc:
        return _("HQ did not get this backup: {reason}").format(reason=exc.message)
    finally:
        engine.dispose()
    if config is None:
        return ""
    # a long read and write (HQ hashes and checks the file before it answers), a short connect
    client = HqClient(config.hq, config.token, timeout=UPLOAD_TIMEOUT, trust=config.trust, connect_timeout=5.0)
    try:
        with backup.path.open("rb") as fh:
            client.upload_backup(backup.path.name, manifest_header(backup), fh)
    except UpstreamUnavailable as exc:
        log.info("backup %s not sent to HQ: %s", backup.path.name, exc.message)
        return _("HQ did not get this backup ({reason}); the next backup will be sent.").format(
            reason=exc.message.rstrip(".")
        )
    except HqRefused as exc:
        log.info("HQ refused backup %s: %s %s", backup.path.name, exc.status, exc.message)
        return _("HQ refused this backup: {reason} The backup in the folder stands.").format(reason=exc.message)
    except OSError as exc:
        return _("HQ did not get this backup: it could not be read ({error}).").format(error=exc.strerror)
    finally:
        client.close()
    return _("HQ got a copy ({hq}).").format(hq=config.hq)
