"""The lanes' own reports of their state (HQ migration 0011), on ``hq.schema``'s metadata.

* ``lane_status``: one row per lane, replaced at every report (``POST /v1/lane-status``,
  hq/lane_status.py) a lane sends after each sync cycle's push: its backlog (journal
  entries not yet acknowledged), its app version, its printer's state in a few words, and
  the other lanes' desk events it holds and has not applied. The back office's lanes page
  (hq/office/lane_pages.py) shows it beside the lane's chain head in ``terminals``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, PrimaryKeyConstraint, String, Table

Stamp = DateTime(timezone=True)


def define(metadata: MetaData) -> dict[str, Table]:
    t: dict[str, Table] = {}
    t["lane_status"] = Table(
        "lane_status",
        metadata,
        Column("store_id", String(16), nullable=False),
        Column("terminal_id", String(16), nullable=False),
        Column("reported_at", Stamp, nullable=False),  # HQ's clock when the report arrived
        Column("backlog", BigInteger, nullable=False),
        Column("app_version", String(40), nullable=False),
        Column("printer", String(60), nullable=False),
        Column("desk_waiting", Integer, nullable=False),
        PrimaryKeyConstraint("store_id", "terminal_id"),
    )
    return t
