"""shifts and the cash office: shifts (one open per drawer), recounts, cash movements,
Z reports with perpetual grand totals; a closed shift can never be edited.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

APPEND_ONLY = ("shift_recounts", "cash_movements", "z_reports")


def upgrade() -> None:
    op.create_table(
        "shifts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.String(length=36), nullable=False),
        sa.Column("opened_at", sa.String(length=32), nullable=False),
        sa.Column("float_minor", sa.Integer(), nullable=False),
        sa.Column("float_count", sa.Text(), nullable=False),
        sa.Column("closed_at", sa.String(length=32), nullable=True),
        sa.Column("closed_by", sa.String(length=36), nullable=True),
        sa.Column("counted_minor", sa.Integer(), nullable=True),
        sa.Column("expected_minor", sa.Integer(), nullable=True),
        sa.Column("closing_count", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"], name=op.f("fk_shifts_opened_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    op.create_index(
        "ux_shifts_open_per_terminal", "shifts", ["terminal_id"], unique=True, sqlite_where=sa.text("closed_at IS NULL")
    )
    op.create_table(
        "shift_recounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("counted_minor", sa.Integer(), nullable=False),
        sa.Column("count", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_shift_recounts_shift_id_shifts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_recounts")),
    )
    op.create_index(op.f("ix_shift_recounts_shift_id"), "shift_recounts", ["shift_id"], unique=False)
    op.create_table(
        "cash_movements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shift_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_cash_movements_movement_positive")),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_cash_movements_shift_id_shifts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_movements")),
    )
    op.create_index(op.f("ix_cash_movements_shift_id"), "cash_movements", ["shift_id"], unique=False)
    op.create_table(
        "z_reports",
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.String(length=32), nullable=False),
        sa.Column("taken_by", sa.String(length=36), nullable=False),
        sa.Column("sales_minor", sa.Integer(), nullable=False),
        sa.Column("returns_minor", sa.Integer(), nullable=False),
        sa.Column("grand_sales_minor", sa.Integer(), nullable=False),
        sa.Column("grand_returns_minor", sa.Integer(), nullable=False),
        sa.Column("shift_ids", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", "number", name=op.f("pk_z_reports")),
    )
    # Sales and refunds are read by shift period: index the time columns by terminal.
    op.create_index("ix_sales_terminal_completed", "sales", ["terminal_id", "completed_at"])
    op.create_index("ix_returns_terminal_completed", "returns", ["terminal_id", "completed_at"])
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, '{table} is append-only: record a correction instead'); END"
            )
    op.execute(
        "CREATE TRIGGER shifts_closed_no_update BEFORE UPDATE ON shifts WHEN OLD.closed_at IS NOT NULL BEGIN "
        "SELECT RAISE(ABORT, 'a closed shift can never be edited: record a recount instead'); END"
    )
    op.execute(
        "CREATE TRIGGER shifts_no_delete BEFORE DELETE ON shifts BEGIN "
        "SELECT RAISE(ABORT, 'shifts are never deleted'); END"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS shifts_no_delete")
    op.execute("DROP TRIGGER IF EXISTS shifts_closed_no_update")
    for table in APPEND_ONLY:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    op.drop_index("ix_returns_terminal_completed", "returns")
    op.drop_index("ix_sales_terminal_completed", "sales")
    op.drop_table("z_reports")
    op.drop_table("cash_movements")
    op.drop_table("shift_recounts")
    op.drop_index("ux_shifts_open_per_terminal", "shifts")
    op.drop_table("shifts")
