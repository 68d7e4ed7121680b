"""hq schema: the back office on the web: staff logins (argon2id passwords, lockout, one-time
passwords), their roles, browser sessions with their form tokens, every action taken there,
and the acknowledgement of an exception or an alert (by whom, when, with a note)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "office_logins",
        sa.Column("login", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("must_change", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", STAMP, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("login", name=op.f("pk_office_logins")),
        sa.UniqueConstraint("user_id", name=op.f("uq_office_logins_user_id")),
    )
    op.create_table(
        "office_roles",
        sa.Column("login", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("login", name=op.f("pk_office_roles")),
    )
    op.create_table(
        "office_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("login", sa.String(length=40), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("seen_at", STAMP, nullable=False),
        sa.Column("expires_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_office_sessions")),
    )
    op.create_index(op.f("ix_office_sessions_login"), "office_sessions", ["login"], unique=False)
    op.create_table(
        "office_actions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("login", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=True),
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_actions")),
    )
    op.create_index(op.f("ix_office_actions_at"), "office_actions", ["at"], unique=False)
    for table in ("exceptions", "alerts"):
        op.add_column(table, sa.Column("acknowledged_at", STAMP, nullable=True))
        op.add_column(table, sa.Column("acknowledged_by", sa.String(length=40), nullable=True))
        op.add_column(table, sa.Column("ack_note", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in ("exceptions", "alerts"):
        op.drop_column(table, "ack_note")
        op.drop_column(table, "acknowledged_by")
        op.drop_column(table, "acknowledged_at")
    op.drop_index(op.f("ix_office_actions_at"), table_name="office_actions")
    op.drop_table("office_actions")
    op.drop_index(op.f("ix_office_sessions_login"), table_name="office_sessions")
    op.drop_table("office_sessions")
    op.drop_table("office_roles")
    op.drop_table("office_logins")
