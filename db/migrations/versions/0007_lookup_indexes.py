"""lookup indexes at store scale: a receipt by its total on a day, by a card's last 4, an
item's recent prices (no-receipt return); drop the index that the unique (sale_id, line_no)
already provides.

Revision ID: 0007
Revises: 0006

Measured on 1M items and 10M sale lines (docs/benchmarks.md): finding a sale by card's last
4 272 -> 2.6 ms, the lowest recent price of an item ~1 s -> 0.2 ms, one day + exact total
3.45 -> 0.02 ms (raw SQL). Building them on that store takes ~12 s once, at the first start
after the upgrade.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tenders_card_last4", "tenders", ["card_last4"])
    op.create_index("ix_sale_lines_item_id", "sale_lines", ["item_id"])
    op.create_index("ix_sales_total_completed", "sales", ["total_minor", "completed_at"])
    op.drop_index("ix_sales_total_minor", table_name="sales")
    op.drop_index("ix_sale_lines_sale_id", table_name="sale_lines")


def downgrade() -> None:
    op.create_index("ix_sale_lines_sale_id", "sale_lines", ["sale_id"])
    op.create_index("ix_sales_total_minor", "sales", ["total_minor"])
    op.drop_index("ix_sales_total_completed", table_name="sales")
    op.drop_index("ix_sale_lines_item_id", table_name="sale_lines")
    op.drop_index("ix_tenders_card_last4", table_name="tenders")
