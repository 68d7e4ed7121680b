"""hq: approval requests for remote approval (a lane asks, a manager's station answers)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 06:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("kinds", sa.String(length=400), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("requester_id", sa.String(length=36), nullable=False),
        sa.Column("requester_name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("answered_by_id", sa.String(length=36), nullable=True),
        sa.Column("answered_by_name", sa.String(length=120), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_terminal", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_requests")),
    )
    op.create_index("ix_approval_requests_store_state", "approval_requests", ["store_id", "state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_approval_requests_store_state", table_name="approval_requests")
    op.drop_table("approval_requests")
