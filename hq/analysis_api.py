"""HQ's route of the returns and complaints analysis (hq/analysis.py) for the back office:

* ``GET /v1/analysis?since=YYYY-MM-DD&until=YYYY-MM-DD[&store=S01][&format=csv]``: the
  analysis of those whole days (inclusive, each store's own time zone). An admin token reads
  every store, or the one named; a terminal token its own store only. JSON by default
  (counter.desk.chain_analysis.to_json), a CSV sheet with ``format=csv``.

Refusals: 403 a terminal asking for another store; 422 a date that is not YYYY-MM-DD, a
period that ends before it starts or is longer than MAX_DAYS, a malformed store id or an
unknown format; each with what to do.
"""

# No "from __future__ import annotations": FastAPI reads the route's annotations at run time.

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import Engine

from counter.desk import chain_analysis
from counter.i18n import _
from hq import access
from hq.office import analysis_days
from hq.web import Refusal

STORE = r"^[A-Za-z0-9_-]{1,16}$"
MAX_DAYS = 400


def _day(name: str, text: str | None) -> date:
    if not text:
        raise Refusal(
            422, "malformed", _("Give the period's {name} day: ?{name}=YYYY-MM-DD (like 2026-12-01).").format(name=name)
        )
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise Refusal(
            422,
            "malformed",
            _("'{text}' is not a day: give {name} as YYYY-MM-DD (like 2026-12-01).").format(text=text[:20], name=name),
        ) from None


def period(since: str | None, until: str | None) -> tuple[date, date]:
    first, last = _day("since", since), _day("until", until)
    if last < first:
        raise Refusal(
            422,
            "malformed",
            _("The period ends ({last}) before it starts ({first}): swap the days.").format(last=last, first=first),
        )
    if (last - first).days >= MAX_DAYS:
        raise Refusal(
            422, "malformed", _("A period is at most {count} days: ask for a shorter one.").format(count=MAX_DAYS)
        )
    return first, last


def router(engine: Engine, caller: Callable[..., Any]) -> APIRouter:
    """Mounted by ``hq.app.create_app`` with its token dependency (admin or terminal)."""
    api = APIRouter(tags=["analysis"])
    Anyone = Annotated[access.Caller, Depends(caller)]  # noqa: N806 - a type alias

    @api.get("/v1/analysis", response_model=None)
    def analysed(
        who: Anyone,
        since: str | None = None,
        until: str | None = None,
        store: str | None = None,
        format: str = "json",  # noqa: A002 - the query parameter's name
    ) -> dict[str, Any] | Response:
        first, last = period(since, until)
        if store is not None and not re.fullmatch(STORE, store):
            raise Refusal(
                422, "malformed", _("A store id has 1..16 letters, digits, dashes or underscores (like S01).")
            )
        if who.kind == "terminal":
            if store is not None and store != who.store_id:
                raise Refusal(403, "forbidden", _("A terminal reads its own store's analysis only."))
            store = who.store_id
        if format not in ("json", "csv"):
            raise Refusal(422, "malformed", _("Ask for format=json (the default) or format=csv."))
        result = analysis_days.read(engine, first, last, store).chain  # the kept days: the rows' analysis
        if format == "csv":
            name = f"analysis-{store or 'all'}-{first}-{last}.csv"
            return Response(
                chain_analysis.to_csv(result),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        return {"store": store, **chain_analysis.to_json(result)}

    return api
