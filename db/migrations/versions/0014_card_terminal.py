"""the integrated card terminal: each request journaled before the terminal is asked
(card_requests), its answer (card_answers), card refunds paid another way
(card_refunds_closed) and the terminal's ends of day (card_days); all append-only
(counter.payments.requests, counter.projection.card_requests)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

APPEND_ONLY = ("card_requests", "card_answers", "card_refunds_closed", "card_days")


def upgrade() -> None:
    op.create_table(
        "card_requests",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("for_kind", sa.String(length=16), nullable=False),
        sa.Column("for_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=True),
        sa.Column("original", sa.String(length=64), nullable=False),
        sa.Column("prior_trace", sa.String(length=16), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_card_requests")),
    )
    op.create_index("ix_card_requests_for", "card_requests", ["for_kind", "for_id", "seq"])
    op.create_index("ix_card_requests_terminal_sent", "card_requests", ["terminal_id", "sent_at"])
    op.create_table(
        "card_answers",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("answered_at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("approver_id", sa.String(length=36), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("trace", sa.String(length=16), nullable=False),
        sa.Column("receipt_no", sa.String(length=16), nullable=False),
        sa.Column("approval_code", sa.String(length=16), nullable=False),
        sa.Column("card_brand", sa.String(length=32), nullable=False),
        sa.Column("card_last4", sa.String(length=4), nullable=False),
        sa.Column("device_terminal_id", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_card_answers")),
    )
    op.create_table(
        "card_refunds_closed",
        sa.Column("return_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("approver_id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("voucher_code", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("return_id", "seq", name=op.f("pk_card_refunds_closed")),
    )
    op.create_index("ix_card_refunds_closed_terminal_at", "card_refunds_closed", ["terminal_id", "closed_at"])
    op.create_table(
        "card_days",
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("by_brand", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", "closed_at", name=op.f("pk_card_days")),
    )
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, '{table} is append-only: record a correction instead'); END"
            )


def downgrade() -> None:
    for table in APPEND_ONLY:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    op.drop_table("card_days")
    op.drop_index("ix_card_refunds_closed_terminal_at", table_name="card_refunds_closed")
    op.drop_table("card_refunds_closed")
    op.drop_table("card_answers")
    op.drop_index("ix_card_requests_terminal_sent", table_name="card_requests")
    op.drop_index("ix_card_requests_for", table_name="card_requests")
    op.drop_table("card_requests")
