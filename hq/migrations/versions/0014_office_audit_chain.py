"""hq schema: the back office's actions on a hash chain (each row's hash and the one before
it) with the chain's head; the actions recorded before are put on the chain in the order
they were recorded

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
FIELDS = ("login", "user_id", "action", "store_id", "target", "detail")


def _hash(prev: str, row: dict) -> str:  # type: ignore[type-arg]
    # as hq/office/audit.py row_hash (frozen here: a migration never changes with the code)
    doc = {"at": row["at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), **{k: row[k] for k in FIELDS}}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(prev.encode("ascii") + b"\n" + text).hexdigest()


def upgrade() -> None:
    op.add_column("office_actions", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("office_actions", sa.Column("hash", sa.String(length=64), nullable=True))
    op.create_table(
        "office_audit_head",
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_office_audit_head")),
    )
    conn = op.get_bind()
    prev, n = GENESIS, 0
    rows = conn.execute(sa.text("SELECT id, at, " + ", ".join(FIELDS) + " FROM office_actions ORDER BY id"))
    for row in rows.mappings().all():
        digest = _hash(prev, dict(row))
        conn.execute(
            sa.text("UPDATE office_actions SET prev_hash = :p, hash = :h WHERE id = :id"),
            {"p": prev, "h": digest, "id": row["id"]},
        )
        prev, n = digest, n + 1
    head = sa.text("INSERT INTO office_audit_head (chain, hash, rows) VALUES ('office', :h, :n)")
    conn.execute(head, {"h": prev, "n": n})
    op.alter_column("office_actions", "prev_hash", nullable=False)
    op.alter_column("office_actions", "hash", nullable=False)


def downgrade() -> None:
    op.drop_table("office_audit_head")
    op.drop_column("office_actions", "hash")
    op.drop_column("office_actions", "prev_hash")
