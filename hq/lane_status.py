"""``POST /v1/lane-status``: a lane's report of its state after a sync cycle's push (issue
#18, point 6): its backlog (journal entries HQ has not acknowledged), its app version, its
printer's state in a few words ("Ready", "Out of paper", "Not connected") and the other
lanes' desk events it holds and has not applied. HQ keeps the newest report per lane in
``lane_status`` (hq/office/schema_lanes.py), stamped with HQ's own clock, for the back
office's lanes page (hq/office/lane_pages.py).

Only a terminal's token may report, and only for itself (403 and an alert otherwise). A
report out of shape (a length, a range, a control character) is refused with 422 and
says which field; nothing of it is kept.
"""

# No "from __future__ import annotations": FastAPI reads the route's annotations at run time.

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert

from counter.i18n import _
from hq import access, ingest, schema as s
from hq.store import utcnow
from hq.web import Refusal

log = logging.getLogger("hq")

LANE = r"^[A-Za-z0-9_-]{1,16}$"
WORDS = r"^[^\x00-\x1f\x7f]+$"  # printable text: no control characters
MAX_BACKLOG = 10**9
MAX_DESK_WAITING = 10**6


class LaneStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store: str = Field(pattern=LANE)
    terminal: str = Field(pattern=LANE)
    backlog: int = Field(ge=0, le=MAX_BACKLOG)
    app_version: str = Field(min_length=1, max_length=40, pattern=WORDS)
    printer: str = Field(min_length=1, max_length=60, pattern=WORDS)
    desk_waiting: int = Field(ge=0, le=MAX_DESK_WAITING)


def keep(engine: Engine, store_id: str, terminal_id: str, report: LaneStatusIn) -> None:
    values = {
        "store_id": store_id,
        "terminal_id": terminal_id,
        "reported_at": utcnow(),
        "backlog": report.backlog,
        "app_version": report.app_version,
        "printer": report.printer,
        "desk_waiting": report.desk_waiting,
    }
    stmt = pg_insert(s.lane_status).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["store_id", "terminal_id"],
        set_={k: stmt.excluded[k] for k in values if k not in ("store_id", "terminal_id")},
    )
    with engine.begin() as conn:
        conn.execute(stmt)


def router(engine: Engine, terminal: Callable[..., access.Caller]) -> APIRouter:
    """Mounted by ``hq.app.create_app`` with its terminal-token dependency."""
    api = APIRouter(tags=["lanes"])
    Terminal = Annotated[access.Caller, Depends(terminal)]  # noqa: N806 - a type alias

    @api.post("/v1/lane-status")
    def lane_status(report: LaneStatusIn, who: Terminal) -> dict[str, Any]:
        assert who.store_id and who.terminal_id
        if (report.store, report.terminal) != (who.store_id, who.terminal_id):
            detail = f"{who.name} tried to report the state of {report.store}-{report.terminal}"
            ingest.record_alert(engine, "forbidden", who.store_id, who.terminal_id, None, detail)
            raise Refusal(403, "forbidden", _("A terminal may report only its own state."))
        keep(engine, who.store_id, who.terminal_id, report)
        return {"kept": True}

    return api
