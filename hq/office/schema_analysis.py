"""The analysis kept by day (HQ migration 0013, hq/office/analysis_days.py), on
``hq.schema``'s metadata.

* ``analysis_days``: one store's analysis of one day of its zone (the returns and
  complaints analysis and the no-sales and over/short), as JSON, with when it was made.
* ``analysis_chain_days``: every store's analysis of one day, the sum of that day's
  ``analysis_days``; gone as soon as one of them is made again.
* ``analysis_dirty``: the store days whose rows changed since their analysis was made,
  marked by the push that changed them (hq/analysis_dirty.py), in its transaction.
* ``analysis_refreshing``: the store days being made again, so that a refresh cut short
  marks them again rather than losing them.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Index, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text

Stamp = DateTime(timezone=True)


def define(metadata: MetaData) -> dict[str, Table]:
    t: dict[str, Table] = {}
    t["analysis_days"] = Table(
        "analysis_days",
        metadata,
        Column("store_id", String(16), nullable=False),
        Column("day", Date, nullable=False),
        Column("body", Text, nullable=False),
        Column("computed_at", Stamp, nullable=False),
        PrimaryKeyConstraint("store_id", "day"),
    )
    Index("ix_analysis_days_day", t["analysis_days"].c.day)  # every store's days of a period
    t["analysis_chain_days"] = Table(
        "analysis_chain_days",
        metadata,
        Column("day", Date, nullable=False),
        Column("stores", Integer, nullable=False),
        Column("body", Text, nullable=False),
        Column("computed_at", Stamp, nullable=False),
        PrimaryKeyConstraint("day"),
    )
    t["analysis_dirty"] = Table(
        "analysis_dirty",
        metadata,
        Column("store_id", String(16), nullable=False),
        Column("day", Date, nullable=False),
        PrimaryKeyConstraint("store_id", "day"),
    )
    t["analysis_refreshing"] = Table(
        "analysis_refreshing",
        metadata,
        Column("store_id", String(16), nullable=False),
        Column("day", Date, nullable=False),
        Column("started_at", Stamp, nullable=False),
        PrimaryKeyConstraint("store_id", "day"),
    )
    return t
