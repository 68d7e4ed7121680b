"""other lanes' desk work: the mark of each other lane's desk event held here
(desk_received, derived from DeskEventReceived entries), the events pulled from HQ that
wait to be applied (desk_inbox), and the typed text of this lane's own desk entries, sent
to HQ before them (desk_texts); db/desk_feed.py

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_received",
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", "seq", name=op.f("pk_desk_received")),
    )
    op.create_table(
        "desk_inbox",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_inbox")),
    )
    op.create_index(op.f("ix_desk_inbox_version"), "desk_inbox", ["version"], unique=False)
    op.create_table(
        "desk_texts",
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("private", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", "seq", name=op.f("pk_desk_texts")),
    )


def downgrade() -> None:
    op.drop_table("desk_texts")
    op.drop_index(op.f("ix_desk_inbox_version"), table_name="desk_inbox")
    op.drop_table("desk_inbox")
    op.drop_table("desk_received")
