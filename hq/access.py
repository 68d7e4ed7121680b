"""Who may call HQ: enrolment codes, terminal tokens and admin tokens.

A token is 256 random bits, shown once; HQ keeps only its SHA-256 (a hash of a random
secret of that size needs no salt or stretching). An enrolment code is short enough to
read out over the phone, single-use and valid for a day; it too is stored hashed.
Revoking a terminal revokes all its tokens at once; calls get 401 from then on, at the
latest ``TOKEN_CACHE_SECONDS`` later: each HQ process keeps the callers of tokens it
checked recently in memory for that long (``TokenCache``), so that a busy lane's pushes
do not each cost a database look-up. The cache is only a shortcut (every process still
reads the database when an entry expires), so HQ stays stateless.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, Engine, insert, select, update

from counter.i18n import _
from counter.journal import GENESIS
from hq import schema as s
from hq.store import utcnow

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_VALID = timedelta(hours=24)
TOKEN_CACHE_SECONDS = 2.0  # how long a revoked token may still be taken by a process that saw it live


class AccessError(Exception):
    """A refused credential; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, *, revoked: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.revoked = revoked  # a real token, revoked (not a guess: not rate-limited)


@dataclass(frozen=True)
class Caller:
    kind: str  # terminal | admin
    store_id: str | None
    terminal_id: str | None
    name: str
    token_hash: str = ""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_enrol_code(engine: Engine, store_id: str, terminal_id: str) -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(12))
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(s.enrol_codes).values(
                code_hash=digest(raw),
                store_id=store_id,
                terminal_id=terminal_id,
                created_at=now,
                expires_at=now + CODE_VALID,
            )
        )
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _new_token(conn: Connection, kind: str, name: str, store_id: str | None, terminal_id: str | None) -> str:
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(s.tokens).values(
            token_hash=digest(token),
            kind=kind,
            store_id=store_id,
            terminal_id=terminal_id,
            name=name,
            created_at=utcnow(),
        )
    )
    return token


def enrol(engine: Engine, code: str) -> tuple[str, str, str]:
    """Spend an enrolment code: (store_id, terminal_id, token). Re-enrolling a terminal
    keeps its chain head (a replaced machine resumes where HQ is) and revokes the old token."""
    now = utcnow()
    with engine.begin() as conn:
        row = (
            conn.execute(
                select(s.enrol_codes).where(s.enrol_codes.c.code_hash == digest(normalise_code(code))).with_for_update()
            )
            .mappings()
            .first()
        )
        if row is None or row["used_at"] is not None or row["expires_at"] < now:
            raise AccessError(401, _("That enrolment code is not valid (unknown, used or expired)."))
        store_id, terminal_id = row["store_id"], row["terminal_id"]
        conn.execute(update(s.enrol_codes).where(s.enrol_codes.c.code_hash == row["code_hash"]).values(used_at=now))
        known = conn.execute(
            select(s.terminals.c.store_id).where(
                s.terminals.c.store_id == store_id, s.terminals.c.terminal_id == terminal_id
            )
        ).first()
        if known is None:
            conn.execute(
                insert(s.terminals).values(
                    store_id=store_id, terminal_id=terminal_id, enrolled_at=now, head_seq=0, head_hash=GENESIS
                )
            )
        _revoke(conn, store_id, terminal_id, now)
        token = _new_token(conn, "terminal", f"{store_id}-{terminal_id}", store_id, terminal_id)
    return store_id, terminal_id, token


def new_admin_token(engine: Engine, name: str) -> str:
    with engine.begin() as conn:
        return _new_token(conn, "admin", name, None, None)


def _revoke(conn: Connection, store_id: str | None, terminal_id: str, now: object) -> int:
    stmt = update(s.tokens).where(s.tokens.c.terminal_id == terminal_id, s.tokens.c.revoked_at.is_(None))
    if store_id is not None:
        stmt = stmt.where(s.tokens.c.store_id == store_id)
    return conn.execute(stmt.values(revoked_at=now)).rowcount


def revoke(engine: Engine, terminal_id: str, store_id: str | None = None) -> int:
    """Revoke every live token of a terminal (of any store unless ``store_id``)."""
    with engine.begin() as conn:
        return _revoke(conn, store_id, terminal_id, utcnow())


class TokenCache:
    """Callers of recently accepted tokens, by token hash, for ``ttl`` seconds (only
    accepted ones: an unknown or revoked token is looked up every time). Bounded in size;
    safe to share between the threads of one process."""

    def __init__(self, ttl: float = TOKEN_CACHE_SECONDS, max_size: int = 20_000) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> Caller | None:
        hit = self._entries.get(token_hash)
        if hit is None:
            return None
        if time.monotonic() >= hit[0]:
            with self._lock:
                self._entries.pop(token_hash, None)
            return None
        return hit[1]

    def forget(self, token_hash: str) -> None:
        with self._lock:
            self._entries.pop(token_hash, None)

    def put(self, token_hash: str, who: Caller) -> None:
        with self._lock:
            if len(self._entries) >= self.max_size:
                now = time.monotonic()
                for key in [k for k, (until, _who) in self._entries.items() if until <= now]:
                    del self._entries[key]
                if len(self._entries) >= self.max_size:
                    self._entries.clear()
            self._entries[token_hash] = (time.monotonic() + self.ttl, who)


def bearer_hash(header: str | None) -> str:
    """The SHA-256 of the bearer token in an Authorization header (AccessError if none)."""
    if not header or not header.startswith("Bearer "):
        raise AccessError(401, _("Missing bearer token: enrol this terminal with `counter sync enrol`."))
    return digest(header[len("Bearer ") :].strip())


def caller_of(conn: Connection, token_hash: str) -> Caller:
    row = (
        conn.execute(
            select(
                s.tokens.c.kind, s.tokens.c.store_id, s.tokens.c.terminal_id, s.tokens.c.name, s.tokens.c.revoked_at
            ).where(s.tokens.c.token_hash == token_hash)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise AccessError(401, _("Unknown token."))
    if row["revoked_at"] is not None:
        raise AccessError(401, _("This token was revoked: enrol the terminal again."), revoked=True)
    return Caller(row["kind"], row["store_id"], row["terminal_id"], row["name"], token_hash)
