"""card pending: which card requests still wait for their answer, kept by the projection of
CardRequestSent (a row, unsettled) and CardRequestSettled (settled), with a partial index on
the waiting ones. Before each card payment the lane asks which of its requests wait
(``SqlCardRequests.pending``); as "requests without an answer" that looked up an answer for
every request the lane ever sent: 1.1 s at 300,000 requests (issue #22, a long shift's
growth). ``counter journal verify`` derives the table like every other projection.

Revision ID: 0018
Revises: 0017

The upgrade fills a row for every existing request, settled when it has an answer.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a store made at this head and then set back (the tests' way of making a store behind)
    if "card_pending" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "card_pending",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.String(length=32), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_card_pending")),
    )
    op.create_index(
        "ix_card_pending_waiting",
        "card_pending",
        ["terminal_id", "sent_at"],
        sqlite_where=sa.text("settled = 0"),
    )
    op.execute(
        "INSERT INTO card_pending (request_id, terminal_id, sent_at, settled) "
        "SELECT r.request_id, r.terminal_id, r.sent_at, a.request_id IS NOT NULL "
        "FROM card_requests r LEFT JOIN card_answers a ON a.request_id = r.request_id"
    )


def downgrade() -> None:
    op.drop_index("ix_card_pending_waiting", table_name="card_pending")
    op.drop_table("card_pending")
