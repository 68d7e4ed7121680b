"""trust: every journal entry sealed with the installation key, the journal head
(truncation evidence), entries appended only in order, forward-only receipt counters,
fixed fields of open shifts and print jobs, users never deleted, hashed staff badges.

Revision ID: 0006
Revises: 0005

A seal is ``counter_seal(terminal, seq, hash)`` (entries) or ``counter_head_seal(...)``
(heads), SQL functions (HMAC-SHA256 under sub-keys of the installation key, db/keys.py)
that ``db.engine`` registers on every connection of the write engine. A connection
without them (the sqlite3 shell) cannot append to the journal while the triggers are in
place, and an entry written with the triggers dropped has no valid seal. See
docs/trust.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

GENESIS = "0" * 64

TRIGGERS = {
    # Each entry is the next of its terminal and links to the one before it.
    "journal_insert_in_order": (
        "BEFORE INSERT ON journal WHEN "
        "NEW.seq IS NOT coalesce((SELECT max(seq) FROM journal WHERE terminal_id = NEW.terminal_id), 0) + 1 "
        "OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM journal WHERE terminal_id = NEW.terminal_id "
        f"ORDER BY seq DESC LIMIT 1), '{GENESIS}') "
        "OR NEW.seal IS NOT counter_seal(NEW.terminal_id, NEW.seq, NEW.hash) "
        "BEGIN SELECT RAISE(ABORT, 'journal entries are appended in order, sealed, each linked to the one before'); END"
    ),
    # The head follows every append, in the same transaction.
    "journal_head_advance": (
        "AFTER INSERT ON journal BEGIN "
        "UPDATE journal_head SET seq = NEW.seq, hash = NEW.hash, "
        "seal = counter_head_seal(NEW.terminal_id, NEW.seq, NEW.hash) WHERE terminal_id = NEW.terminal_id; "
        "INSERT INTO journal_head (terminal_id, seq, hash, seal) "
        "SELECT NEW.terminal_id, NEW.seq, NEW.hash, counter_head_seal(NEW.terminal_id, NEW.seq, NEW.hash) "
        "WHERE NOT EXISTS (SELECT 1 FROM journal_head WHERE terminal_id = NEW.terminal_id); END"
    ),
    # ...and only so: a head starts at entry 1 and moves one entry forward at a time, to an
    # entry that exists; it is never deleted.
    "journal_head_guard_insert": (
        "BEFORE INSERT ON journal_head WHEN NEW.seq IS NOT 1 OR NOT EXISTS (SELECT 1 FROM journal "
        "WHERE terminal_id = NEW.terminal_id AND seq = NEW.seq AND hash = NEW.hash) "
        "BEGIN SELECT RAISE(ABORT, 'the journal head only follows the journal'); END"
    ),
    "journal_head_guard_update": (
        "BEFORE UPDATE ON journal_head WHEN NEW.terminal_id IS NOT OLD.terminal_id OR NEW.seq IS NOT OLD.seq + 1 "
        "OR NOT EXISTS (SELECT 1 FROM journal WHERE terminal_id = NEW.terminal_id AND seq = NEW.seq "
        "AND hash = NEW.hash) "
        "BEGIN SELECT RAISE(ABORT, 'the journal head only moves forward with the journal'); END"
    ),
    "journal_head_no_delete": (
        "BEFORE DELETE ON journal_head BEGIN SELECT RAISE(ABORT, 'the journal head is never deleted'); END"
    ),
    # Receipt and return numbers only ever go up by one (gap-free, never reused).
    "counters_forward_only": (
        "BEFORE UPDATE ON counters WHEN NEW.terminal_id IS NOT OLD.terminal_id OR NEW.name IS NOT OLD.name "
        "OR NEW.value IS NOT OLD.value + 1 "
        "BEGIN SELECT RAISE(ABORT, 'document numbers only go up by one'); END"
    ),
    "counters_no_delete": (
        "BEFORE DELETE ON counters BEGIN SELECT RAISE(ABORT, 'document numbers are never deleted'); END"
    ),
    # An open shift may only be closed: who opened it, when, and its float never change.
    "shifts_open_fixed": (
        "BEFORE UPDATE ON shifts WHEN OLD.closed_at IS NULL AND (NEW.id IS NOT OLD.id "
        "OR NEW.terminal_id IS NOT OLD.terminal_id OR NEW.opened_by IS NOT OLD.opened_by "
        "OR NEW.opened_at IS NOT OLD.opened_at OR NEW.float_minor IS NOT OLD.float_minor "
        "OR NEW.float_count IS NOT OLD.float_count) "
        "BEGIN SELECT RAISE(ABORT, 'an open shift can only be closed'); END"
    ),
    # People leave by deactivation: their sales, approvals and journal entries name them.
    "users_no_delete": (
        "BEFORE DELETE ON users BEGIN SELECT RAISE(ABORT, 'users are deactivated, never deleted'); END"
    ),
    # The spool keeps what was sent: only a job's state moves.
    "print_jobs_fixed": (
        "BEFORE UPDATE ON print_jobs WHEN NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind "
        "OR NEW.reference IS NOT OLD.reference OR NEW.copy_number IS NOT OLD.copy_number "
        "OR NEW.payload IS NOT OLD.payload OR NEW.created_at IS NOT OLD.created_at "
        "BEGIN SELECT RAISE(ABORT, 'a print job keeps what it printed: only its state changes'); END"
    ),
    "print_jobs_no_delete": (
        "BEFORE DELETE ON print_jobs BEGIN SELECT RAISE(ABORT, 'print jobs are never deleted'); END"
    ),
}


#: As created by migration 0001; dropped for a moment to seal the existing entries.
JOURNAL_NO_UPDATE = (
    "CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal BEGIN "
    "SELECT RAISE(ABORT, 'journal is append-only: record a correction instead'); END"
)


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch "move and copy" would drop the tables' triggers.
    op.add_column("journal", sa.Column("seal", sa.String(length=64), nullable=True))
    op.execute("DROP TRIGGER journal_no_update")
    op.execute("UPDATE journal SET seal = counter_seal(terminal_id, seq, hash)")
    op.execute(JOURNAL_NO_UPDATE)
    op.create_table(
        "journal_head",
        sa.Column("terminal_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("seal", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id", name=op.f("pk_journal_head")),
    )
    # A store from before this revision: its heads start where its chains end now.
    op.execute(
        "INSERT INTO journal_head (terminal_id, seq, hash, seal) "
        "SELECT j.terminal_id, j.seq, j.hash, counter_head_seal(j.terminal_id, j.seq, j.hash) FROM journal j "
        "WHERE j.seq = (SELECT max(seq) FROM journal WHERE terminal_id = j.terminal_id)"
    )
    op.add_column("users", sa.Column("badge_hash", sa.String(length=64), nullable=True))
    op.create_index(
        "ux_users_badge_hash", "users", ["badge_hash"], unique=True, sqlite_where=sa.text("badge_hash IS NOT NULL")
    )
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ux_users_badge_hash", "users")
    op.execute("ALTER TABLE users DROP COLUMN badge_hash")
    op.drop_table("journal_head")
    op.execute("ALTER TABLE journal DROP COLUMN seal")
