"""The back office's tables (HQ migration 0010), on ``hq.schema``'s metadata.

* ``office_logins``: a staff member's web credential (a ``users`` row of the chain):
  the login name, the argon2id hash of the password (never the password), failed attempts
  and the lockout, and whether the password is a one-time one an admin set (to be changed
  at the first sign-in).
* ``office_roles``: what a login may see: ``agent`` (a department's queue, in one store or
  every store), ``store_manager`` (a store), ``hq_staff`` (every store), ``admin`` (every
  store, and the staff).
* ``office_sessions``: a signed-in browser: the SHA-256 of the cookie's random token, the
  form token (CSRF) and when it expires (idle and absolute).
* ``office_actions``: every action taken in the back office, with who took it, on a hash
  chain whose newest hash and length are in ``office_audit_head`` (hq/office/audit.py).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text

Stamp = DateTime(timezone=True)


def define(metadata: MetaData) -> dict[str, Table]:
    t: dict[str, Table] = {}
    t["office_logins"] = Table(
        "office_logins",
        metadata,
        Column("login", String(40), primary_key=True),
        Column("user_id", String(36), nullable=False, unique=True),
        Column("password_hash", Text, nullable=False),
        Column("must_change", Boolean, nullable=False),
        Column("failed_attempts", Integer, nullable=False),
        Column("locked_until", Stamp, nullable=True),
        Column("active", Boolean, nullable=False),
        Column("created_at", Stamp, nullable=False),
    )
    t["office_roles"] = Table(
        "office_roles",
        metadata,
        Column("login", String(40), primary_key=True),
        Column("role", String(16), nullable=False),  # agent | store_manager | hq_staff | admin
        Column("store_id", String(16), nullable=True),  # None: every store
        Column("department", String(32), nullable=True),  # an agent's department
    )
    t["office_sessions"] = Table(
        "office_sessions",
        metadata,
        Column("token_hash", String(64), primary_key=True),
        Column("login", String(40), nullable=False, index=True),
        Column("csrf", String(64), nullable=False),
        Column("created_at", Stamp, nullable=False),
        Column("seen_at", Stamp, nullable=False),
        Column("expires_at", Stamp, nullable=False),
    )
    t["office_actions"] = Table(
        "office_actions",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("at", Stamp, nullable=False),
        Column("login", String(40), nullable=False),
        Column("user_id", String(36), nullable=False),
        Column("action", String(40), nullable=False),
        Column("store_id", String(16), nullable=True),
        Column("target", String(80), nullable=False),
        Column("detail", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),  # the chain (hq/office/audit.py, migration 0014)
        Column("hash", String(64), nullable=False),
    )
    Index(None, t["office_actions"].c.at)
    t["office_audit_head"] = Table(
        "office_audit_head",
        metadata,
        Column("chain", String(16), primary_key=True),
        Column("hash", String(64), nullable=False),
        Column("rows", BigInteger, nullable=False),
    )
    return t
