"""hq schema: the chain's departments (seeded with the desk's four), each store's time zone,
HQ's own due date of every referral, and the escalations of referrals past it; the desk
events HQ's journal already holds are projected here (moved from 0006, whose tables this
revision changes)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _versioned() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("referral_days", sa.Integer(), nullable=False),
        sa.Column("escalate_to", sa.String(length=32), nullable=True),
        *_versioned(),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_index(op.f("ix_departments_version"), "departments", ["version"], unique=False)
    op.create_table(
        "stores",
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_stores")),
    )
    op.create_table(
        "referral_escalations",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("case_number", sa.String(length=32), nullable=False),
        sa.Column("origin_terminal", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("department_name", sa.String(length=80), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("referred_at", sa.String(length=32), nullable=False),
        sa.Column("lane_due_on", sa.String(length=10), nullable=False),
        sa.Column("hq_due_on", sa.String(length=10), nullable=False),
        sa.Column("escalated_to", sa.String(length=32), nullable=False),
        sa.Column("escalated_to_name", sa.String(length=80), nullable=False),
        sa.Column("escalated_at", sa.String(length=32), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("settled_at", sa.String(length=32), nullable=True),
        *_versioned(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_escalations")),
        sa.UniqueConstraint("store_id", "referral_id", name=op.f("uq_referral_escalations_store_id_referral_id")),
    )
    op.create_index(op.f("ix_referral_escalations_version"), "referral_escalations", ["version"], unique=False)
    op.create_index(
        op.f("ix_referral_escalations_store_id_escalated_to"),
        "referral_escalations",
        ["store_id", "escalated_to"],
        unique=False,
    )
    op.add_column("referrals", sa.Column("hq_due_on", sa.String(length=10), nullable=True))

    # Today's code on today's tables, as at ingest: a later migration that changes these
    # tables must move these calls after it (as this one moved the backfill from 0006).
    from hq.departments import seed_defaults
    from hq.desk import backfill
    from hq.escalation import set_due_dates
    from hq.schema import DESK, referrals

    conn = op.get_bind()
    seed_defaults(conn)
    # HQ's due date of the referrals projected before this revision (reckoned in UTC: no
    # store has a zone yet) ...
    held = conn.execute(
        sa.select(
            referrals.c.store_id,
            referrals.c.origin_terminal,
            referrals.c.origin_seq,
            referrals.c.id,
            referrals.c.department,
            referrals.c.department_name,
            referrals.c.referred_at,
        )
    ).all()
    for r in held:
        row = {
            "id": r.id,
            "department": r.department,
            "department_name": r.department_name,
            "referred_at": r.referred_at,
        }
        set_due_dates(conn, r.store_id, r.origin_terminal, [(r.origin_seq, row)])
        conn.execute(
            sa.update(referrals)
            .where(referrals.c.store_id == r.store_id, referrals.c.id == r.id)
            .values(hq_due_on=row["hq_due_on"])
        )
    # ... and, on an HQ that never ran 0006's backfill (a new one, since it moved here), the
    # desk events its journal holds. An HQ that did holds desk rows, and is not projected twice.
    # No analysis day is marked stale: that table comes with 0013, which keeps none yet (an
    # HQ from before 0006 holding desk entries stopped here with "analysis_dirty does not
    # exist", tests/hq/test_upgrade_from_every_version.py).
    if all(conn.execute(sa.select(t).limit(1)).first() is None for t in DESK.values()):
        backfill(conn, analysis=False)


def downgrade() -> None:
    op.drop_column("referrals", "hq_due_on")
    op.drop_index(op.f("ix_referral_escalations_store_id_escalated_to"), table_name="referral_escalations")
    op.drop_index(op.f("ix_referral_escalations_version"), table_name="referral_escalations")
    op.drop_table("referral_escalations")
    op.drop_table("stores")
    op.drop_index(op.f("ix_departments_version"), table_name="departments")
    op.drop_table("departments")
