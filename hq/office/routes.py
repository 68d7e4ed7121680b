"""The back office's page routers beside its own (sign-in, password): each area's pages are
a router of their own module, listed here once."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Engine


def office_routers(engine: Engine) -> list[APIRouter]:
    from hq.office import (
        analysis_pages,
        approval_pages,
        audit,
        catalog_pages,
        desk_pages,
        exception_pages,
        lane_pages,
        people_pages,
        staff_pages,
    )

    return [
        desk_pages.router(engine),
        approval_pages.router(engine),
        exception_pages.router(engine),
        analysis_pages.router(engine),
        catalog_pages.router(engine),
        lane_pages.router(engine),
        staff_pages.router(engine),
        people_pages.router(engine),
        audit.router(engine),
    ]
