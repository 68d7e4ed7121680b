"""departments from HQ: the chain's departments (whether each takes new referrals, its
referral days, where HQ escalates an overdue referral) and HQ's escalations of this store's
referrals, pulled on the change feed (db/sync_desk.py); the settings' list of departments
stays the fallback of a lane that never synced

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("referral_days", sa.Integer(), nullable=False),
        sa.Column("escalate_to", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_table(
        "referral_escalations",
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
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_referral_escalations")),
    )
    op.create_index("ix_referral_escalations_escalated_to", "referral_escalations", ["escalated_to"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_referral_escalations_escalated_to", table_name="referral_escalations")
    op.drop_table("referral_escalations")
    op.drop_table("departments")
