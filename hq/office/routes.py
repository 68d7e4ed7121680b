"""The back office's page routers beside its own (sign-in, password): each area's pages are
a router of their own module, listed here once."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Engine


def office_routers(engine: Engine) -> list[APIRouter]:
    from hq.office import desk_pages, lane_pages, staff_pages

    return [desk_pages.router(engine), lane_pages.router(engine), staff_pages.router(engine)]
