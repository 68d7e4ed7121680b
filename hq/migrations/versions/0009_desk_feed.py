"""hq schema: the desk's change feed (every lane's desk events, handed to the other lanes of
its store) and the typed text the lanes send beside their desk entries; the desk entries
HQ's journal already holds go on the feed, in the order HQ took them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from counter.trust.desk_rules import DESK_KINDS

    op.create_table(
        "desk_feed",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("origin_terminal", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("private", sa.Text(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_feed")),
    )
    op.create_index(op.f("ix_desk_feed_version"), "desk_feed", ["version"], unique=False)
    op.create_index(op.f("ix_desk_feed_store_id_version"), "desk_feed", ["store_id", "version"], unique=False)
    op.create_table(
        "desk_texts",
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("private", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "terminal_id", "seq", name=op.f("pk_desk_texts")),
    )
    kinds = ", ".join(f"'{k}'" for k in sorted(DESK_KINDS))
    op.execute(
        "INSERT INTO desk_feed (id, store_id, origin_terminal, seq, type, at, body, private, version, deleted) "
        "SELECT store_id || ':' || terminal_id || ':' || seq, store_id, terminal_id, seq, type, at, body, NULL, "
        "nextval('change_seq'), false FROM ("
        f"  SELECT * FROM journal WHERE type IN ({kinds}) ORDER BY received_at, store_id, terminal_id, seq"
        ") AS taken"
    )


def downgrade() -> None:
    op.drop_table("desk_texts")
    op.drop_index(op.f("ix_desk_feed_store_id_version"), table_name="desk_feed")
    op.drop_index(op.f("ix_desk_feed_version"), table_name="desk_feed")
    op.drop_table("desk_feed")
