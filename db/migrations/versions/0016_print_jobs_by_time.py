"""print jobs by time: the status bar asks after every sale which of the newest 200 jobs did
not print (``recent_print_jobs``); without an index that read every job of the store file and
sorted them, so a long shift slowed each sale (issue #22: 8 ms a call after 300 sales, 16 ms
after 1,500, twice a sale).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a store made at the head and then set back (the tests' way of making a store behind)
    # has it already
    have = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("print_jobs")}
    if "ix_print_jobs_created_at" not in have:
        op.create_index("ix_print_jobs_created_at", "print_jobs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_print_jobs_created_at", table_name="print_jobs")
