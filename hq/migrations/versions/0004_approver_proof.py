"""hq: approvers prove who they are at HQ (a PIN per answer, with lockout)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 18:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("approval_requests", sa.Column("answer_auth", sa.String(length=16), nullable=True))
    op.create_table(
        "approver_pins",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_approver_pins")),
    )


def downgrade() -> None:
    op.drop_table("approver_pins")
    op.drop_column("approval_requests", "answer_auth")
