"""outbox: the documents due after a commit (a sale's receipt, a return's receipt and credit
note), written in the commit's own transaction, so a crash between the commit and the printer
leaves them due and the next sign-in offers them (counter.trust.outbox, app.reactions)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TRIGGERS = {
    # What is due keeps its content; only its state moves, and only away from pending.
    "outbox_fixed": (
        "BEFORE UPDATE ON outbox WHEN NEW.id IS NOT OLD.id OR NEW.due IS NOT OLD.due "
        "OR NEW.reference IS NOT OLD.reference OR NEW.document IS NOT OLD.document "
        "OR NEW.created_at IS NOT OLD.created_at OR OLD.state IS NOT 'pending' "
        "BEGIN SELECT RAISE(ABORT, 'a due document keeps its content, and is settled once'); END"
    ),
    "outbox_no_delete": (
        "BEFORE DELETE ON outbox BEGIN SELECT RAISE(ABORT, 'due documents are settled, never deleted'); END"
    ),
}


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("due", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("settled_at", sa.String(length=32), nullable=True),
        sa.Column("settled_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(op.f("ix_outbox_reference"), "outbox", ["reference"], unique=False)
    op.create_index("ix_outbox_pending", "outbox", ["created_at"], sqlite_where=sa.text("state = 'pending'"))
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_index(op.f("ix_outbox_reference"), table_name="outbox")
    op.drop_table("outbox")
