"""hq schema: one-time restore codes, to rebuild a dead lane from the journal HQ holds
(hq/restore.py, `counter restore --from-hq`)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "restore_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=16), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("new_terminal_id", sa.String(length=16), nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("expires_at", STAMP, nullable=False),
        sa.Column("used_at", STAMP, nullable=True),
        sa.Column("head_seq", sa.BigInteger(), nullable=True),
        sa.Column("head_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_restore_codes")),
    )


def downgrade() -> None:
    op.drop_table("restore_codes")
