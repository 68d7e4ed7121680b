"""Who is signed in to the back office, and what they may see (issue #18, point 1).

* **Credentials**: a login per staff member (a ``users`` row of the chain), its password
  hashed with argon2id (``argon2-cffi``); a wrong password counts, and the fifth in a row
  locks the login for ``LOCK_MINUTES`` (the same answer for an unknown login, so a login
  cannot be guessed by its answer). An admin sets a one-time password (``reset``), which
  must be changed at the next sign-in. Every sign-in, failure and lockout is an action.
* **Sessions**: a random 256-bit token in an HTTP-only, SameSite=Strict cookie (Secure over
  https), kept at HQ as its SHA-256 only, with a form token (CSRF) of its own; it ends after
  ``IDLE_MINUTES`` without a request, or ``MAX_HOURS`` after sign-in, or at sign-out.
* **Roles** (``Office``): ``agent`` (a department's queue: one store, or every store),
  ``store_manager`` (one store), ``hq_staff`` (every store), ``admin`` (every store and the
  staff). ``Office.sees_store`` and ``sees_department`` are the one place access is decided.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, insert, select, update

from counter.i18n import N_, _
from hq import schema as s
from hq.office import audit_chain
from hq.store import utcnow

MAX_FAILURES = 5
LOCK_MINUTES = 15
IDLE_MINUTES = 30
MAX_HOURS = 12
MIN_PASSWORD = 10
ROLES = ("agent", "store_manager", "hq_staff", "admin")
ROLE_LABELS = {  # shown with _()
    "agent": N_("Department agent"),
    "store_manager": N_("Store manager"),
    "hq_staff": N_("HQ staff"),
    "admin": N_("Administrator"),
}
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
COOKIE = "counter_office"

# argon2id with OWASP's settings for a password store (19 MiB, two passes, one lane): about
# a third of the library's default cost, which took 150-200 ms a sign-in on a busy HQ
# (docs/benchmarks.md); hashes made with other settings still verify (they carry theirs).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified when the login is unknown, so an unknown login costs what a known one does.
_DUMMY = _HASHER.hash("not a password of anyone")


class OfficeError(Exception):
    """What went wrong, in words for the page, and what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Office:
    """A signed-in person, as every page sees them."""

    login: str
    user_id: str
    name: str
    role: str
    store_id: str | None  # None: every store
    department: str | None
    csrf: str
    must_change: bool = False

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def sees_store(self, store_id: str) -> bool:
        return self.store_id is None or self.store_id == store_id

    def sees_department(self, department: str) -> bool:
        if self.role == "agent":
            return self.department == department
        return True

    @property
    def approves(self) -> bool:
        return self.role in ("store_manager", "admin")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password_rules(password: str, login: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise OfficeError(
            _("The password is too short: at least {count} characters.").format(count=MIN_PASSWORD),
            _("Choose a longer one."),
        )
    if login and login.lower() in password.lower():
        raise OfficeError(_("The password must not contain the login name."), _("Choose another one."))


def _action(
    conn: Connection, login: str, user_id: str, action: str, target: str, detail: str = "", store: str | None = None
) -> None:
    audit_chain.append(conn, login, user_id, action, target, detail, store)


def record(engine: Engine, who: Office, action: str, target: str, detail: str = "", store: str | None = None) -> None:
    """An action taken in the back office, with who took it."""
    with engine.begin() as conn:
        _action(conn, who.login, who.user_id, action, target, detail, store)


def sign_in(engine: Engine, login: str, password: str, now: datetime | None = None) -> tuple[str, Office]:
    """A new session for the login: (cookie token, who). OfficeError when refused: the same
    words for an unknown login and a wrong password; a lockout says until when."""
    now = now or utcnow()
    login = login.strip().lower()
    refused = OfficeError(_("The login or the password is not right."), _("Check both and try again."))
    problem: OfficeError | None = None
    with engine.begin() as conn:  # a failure is counted and committed before it is said
        row = (
            conn.execute(select(s.office_logins).where(s.office_logins.c.login == login).with_for_update())
            .mappings()
            .first()
        )
        if row is None or not row["active"]:
            _verify(_DUMMY, password)
            problem = refused
        elif row["locked_until"] is not None and row["locked_until"] > now:
            until = row["locked_until"].strftime("%H:%M UTC")
            problem = OfficeError(
                _("This login is locked after {count} wrong passwords, until {time}.").format(
                    count=MAX_FAILURES, time=until
                ),
                _("Wait, or ask an administrator to set a new password."),
            )
        elif not _verify(str(row["password_hash"]), password):
            failures = int(row["failed_attempts"]) + 1
            locked = now + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES else None
            conn.execute(
                update(s.office_logins)
                .where(s.office_logins.c.login == login)
                .values(failed_attempts=0 if locked else failures, locked_until=locked)
            )
            _action(conn, login, str(row["user_id"]), "lockout" if locked else "sign_in_failed", login)
            problem = (
                OfficeError(
                    _("That was the {count}th wrong password: this login is locked for {minutes} minutes.").format(
                        count=MAX_FAILURES, minutes=LOCK_MINUTES
                    ),
                    _("Wait, or ask an administrator to set a new password."),
                )
                if locked
                else refused
            )
        else:
            conn.execute(
                update(s.office_logins)
                .where(s.office_logins.c.login == login)
                .values(failed_attempts=0, locked_until=None)
            )
            token = secrets.token_urlsafe(32)
            conn.execute(
                insert(s.office_sessions).values(
                    token_hash=_digest(token),
                    login=login,
                    csrf=secrets.token_urlsafe(32),
                    created_at=now,
                    seen_at=now,
                    expires_at=now + timedelta(hours=MAX_HOURS),
                )
            )
            _action(conn, login, str(row["user_id"]), "sign_in", login)
            who = _office(conn, token, now)
    if problem is not None:
        raise problem
    assert who is not None
    return token, who


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def current(engine: Engine, token: str | None, now: datetime | None = None) -> Office | None:
    """Who holds this session (and it is seen now), or None: no session, ended or expired."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    with engine.begin() as conn:
        who = _office(conn, token, now)
        if who is not None:
            conn.execute(
                update(s.office_sessions).where(s.office_sessions.c.token_hash == _digest(token)).values(seen_at=now)
            )
        return who


def _office(conn: Connection, token: str, now: datetime) -> Office | None:
    sess, lg, rl, u = s.office_sessions, s.office_logins, s.office_roles, s.users
    row = conn.execute(
        select(
            sess.c.csrf, sess.c.seen_at, sess.c.expires_at, lg.c.login, lg.c.user_id, lg.c.must_change, lg.c.active,
            rl.c.role, rl.c.store_id, rl.c.department, u.c.name, u.c.active.label("user_active"),
        )
        .join(lg, lg.c.login == sess.c.login)
        .join(rl, rl.c.login == lg.c.login)
        .join(u, u.c.id == lg.c.user_id)
        .where(sess.c.token_hash == _digest(token))
    ).first()  # fmt: skip
    if row is None:
        return None
    idle = row.seen_at + timedelta(minutes=IDLE_MINUTES) <= now
    if idle or row.expires_at <= now or not row.active or not row.user_active:
        conn.execute(delete(sess).where(sess.c.token_hash == _digest(token)))
        return None
    return Office(
        row.login, row.user_id, row.name, row.role, row.store_id, row.department, row.csrf, bool(row.must_change)
    )


def csrf_ok(who: Office, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(who.csrf, str(sent))


def sign_out(engine: Engine, token: str | None) -> None:
    if token:
        with engine.begin() as conn:
            conn.execute(delete(s.office_sessions).where(s.office_sessions.c.token_hash == _digest(token)))


def change_password(engine: Engine, who: Office, old: str, new: str, again: str) -> None:
    if new != again:
        raise OfficeError(_("The two new passwords are not the same."), _("Type the new password twice."))
    check_password_rules(new, who.login)
    with engine.begin() as conn:
        row = conn.execute(select(s.office_logins).where(s.office_logins.c.login == who.login)).mappings().one()
        if not _verify(str(row["password_hash"]), old):
            raise OfficeError(_("The present password is not right."), _("Type the password you signed in with."))
        conn.execute(
            update(s.office_logins)
            .where(s.office_logins.c.login == who.login)
            .values(password_hash=hash_password(new), must_change=False)
        )
        _action(conn, who.login, who.user_id, "password_changed", who.login)


def add_login(
    engine: Engine,
    login: str,
    user_id: str,
    role: str,
    *,
    store_id: str | None = None,
    department: str | None = None,
    by: str = "admin (command line)",
    by_user: str = "",
) -> str:
    """A login for a staff member with a role; returns its one-time password (to be
    changed at the first sign-in). OfficeError for a bad login name, role or person."""
    login = login.strip().lower()
    if not LOGIN.match(login):
        raise OfficeError(
            _("A login name is 2 to 40 lower-case letters, digits, dots, dashes or underscores."),
            _("For example: {example}").format(example="dana.w"),
        )
    if role not in ROLES:
        raise OfficeError(_("{role} is not a role: {roles}.").format(role=repr(role), roles=", ".join(ROLES)))
    if role == "agent" and not department:
        raise OfficeError(_("A department agent needs a department."), _("Give --department, e.g. warranty."))
    if role == "store_manager" and not store_id:
        raise OfficeError(_("A store manager needs a store."), _("Give --store, e.g. S01."))
    password = secrets.token_urlsafe(12)
    now = utcnow()
    with engine.begin() as conn:
        if conn.execute(select(s.users.c.id).where(s.users.c.id == user_id, s.users.c.active)).first() is None:
            raise OfficeError(
                _("No active staff member has the id {id}.").format(id=user_id), _("See `counter hq office-users`.")
            )
        if conn.execute(select(s.office_logins.c.login).where(s.office_logins.c.login == login)).first() is not None:
            raise OfficeError(_("The login {login} is taken.").format(login=login), _("Choose another login name."))
        if conn.execute(select(s.office_logins.c.login).where(s.office_logins.c.user_id == user_id)).first():
            raise OfficeError(_("{id} has a login already.").format(id=user_id), _("Reset its password instead."))
        conn.execute(
            insert(s.office_logins).values(
                login=login, user_id=user_id, password_hash=hash_password(password), must_change=True,
                failed_attempts=0, locked_until=None, active=True, created_at=now,
            )
        )  # fmt: skip
        conn.execute(insert(s.office_roles).values(login=login, role=role, store_id=store_id, department=department))
        detail = f"{role} {store_id or 'every store'} {department or ''}".strip()
        _action(conn, by, by_user, "login_added", login, detail, store_id)
    return password


def reset(engine: Engine, login: str, by: str = "admin (command line)", by_user: str = "") -> str:
    """A new one-time password for the login (unlocked; its sessions end)."""
    password = secrets.token_urlsafe(12)
    with engine.begin() as conn:
        done = conn.execute(
            update(s.office_logins)
            .where(s.office_logins.c.login == login)
            .values(password_hash=hash_password(password), must_change=True, failed_attempts=0, locked_until=None)
        ).rowcount
        if not done:
            raise OfficeError(_("There is no login {login}.").format(login=login), _("See `counter hq office-users`."))
        conn.execute(delete(s.office_sessions).where(s.office_sessions.c.login == login))
        _action(conn, by, by_user, "password_reset", login)
    return password


def set_active(engine: Engine, login: str, active: bool, by: Office) -> None:
    """Deactivate a login (its sessions end; it cannot sign in) or make it active again."""
    if not active and login == by.login:
        raise OfficeError(_("You cannot deactivate your own login."), _("Ask another administrator."))
    with engine.begin() as conn:
        done = conn.execute(
            update(s.office_logins).where(s.office_logins.c.login == login).values(active=active)
        ).rowcount
        if not done:
            raise OfficeError(_("There is no login {login}.").format(login=login), _("Reload the staff page."))
        if not active:
            conn.execute(delete(s.office_sessions).where(s.office_sessions.c.login == login))
        _action(conn, by.login, by.user_id, "login_reactivated" if active else "login_deactivated", login)


def logins(engine: Engine) -> list[dict[str, Any]]:
    lg, rl, u = s.office_logins, s.office_roles, s.users
    with engine.connect() as conn:
        rows = conn.execute(
            select(lg.c.login, lg.c.user_id, lg.c.active, lg.c.locked_until, lg.c.must_change, rl.c.role,
                   rl.c.store_id, rl.c.department, u.c.name)
            .join(rl, rl.c.login == lg.c.login)
            .join(u, u.c.id == lg.c.user_id)
            .order_by(lg.c.login)
        ).mappings().all()  # fmt: skip
    return [dict(r) for r in rows]
