"""The chain's staff members in the back office (issue #18, point 7), for administrators: add
a person with a role, a store (or every store) and a first PIN; change their role or store;
deactivate them or make them active again; set a new PIN. Each is a new version of the
``users`` row under the downstream writers' lock, so every lane takes it on its next pull
(who may sign in at the till, with what rights and what PIN), and an office action with who
took it (never the PIN). A PIN is hashed with argon2id here (``PinHasher``, as HQ checks a
manager's PIN); the lanes key it with their own PIN key on arrival."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, Engine, select
from starlette.datastructures import FormData

from counter.errors import SignInError
from counter.i18n import N_, _
from counter.people.users import PinHasher, Role, check_pin_format
from hq import catalog, schema as s
from hq.office.auth import Office, record
from hq.office.web import STORE_ID, PageRefusal, field, form_of, not_found, not_saved, page, signed_in
from hq.store import lock_downstream

# the lanes' roles: a list's words, and the same in a sentence ("added as cashier"); shown with _()
ROLE_WORDS = {
    Role.CASHIER.value: N_("Cashier"),
    Role.SUPERVISOR.value: N_("Supervisor"),
    Role.MANAGER.value: N_("Manager"),
    Role.ADMIN.value: N_("Administrator"),
}
ROLE_IN_SENTENCE = {
    Role.CASHIER.value: N_("cashier"),
    Role.SUPERVISOR.value: N_("supervisor"),
    Role.MANAGER.value: N_("manager"),
    Role.ADMIN.value: N_("administrator"),
}


def role_words() -> dict[str, str]:
    return {code: _(words) for code, words in ROLE_WORDS.items()}


_HASHER = PinHasher()


def _admin_only(who: Office) -> None:
    if who.role != "admin":
        raise PageRefusal(
            403, _("Administrators only"), _("The staff members are for administrators only; nothing was changed."),
            _("Ask an administrator."), who,
        )  # fmt: skip


def _checked(who: Office, form: FormData, name: str | None = None) -> tuple[str, str, str | None]:
    name = field(form, "name") if name is None else name
    role, store = field(form, "role"), field(form, "store") or None
    if not 2 <= len(name) <= 120:
        raise not_saved(who, _("A name is 2 to 120 characters."))
    if role not in ROLE_WORDS:
        raise not_saved(who, _("Pick a role: {roles}.").format(roles=", ".join(role_words().values())))
    if store is not None and not STORE_ID.fullmatch(store):
        raise not_saved(who, _("A store id is 1 to 16 letters, digits, dashes or underscores (like S01), or empty."))
    return name, role, store


def _pin(who: Office, pin: str) -> str:
    try:
        return _HASHER.hash(check_pin_format(pin))
    except SignInError as exc:
        raise not_saved(who, exc.message) from None


def _save(conn: Connection, row: dict[str, Any]) -> None:
    lock_downstream(conn)
    catalog.upsert(conn, "user", [row])


def router(engine: Engine) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/office/people")
    async def people(request: Request, said: str = "") -> Response:
        who = await signed_in(engine, request)
        _admin_only(who)
        u = s.users
        with engine.connect() as conn:
            rows = [
                dict(r)
                for r in conn.execute(
                    select(u.c.id, u.c.name, u.c.role, u.c.store_id, u.c.active).order_by(u.c.active.desc(), u.c.name)
                ).mappings()
            ]
        return page(request, "people.html", who, people=rows, roles=role_words(), said=said[:200])

    @api.post("/office/people")
    async def add(request: Request) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        _admin_only(who)
        name, role, store = _checked(who, form)
        pin_hash = _pin(who, field(form, "pin"))
        user_id = f"u-{uuid.uuid4().hex[:12]}"
        with engine.begin() as conn:
            _save(
                conn,
                {"id": user_id, "store_id": store, "name": name, "role": role, "pin_hash": pin_hash, "active": True},
            )
        record(engine, who, "staff_added", user_id, f"{name}, {role}, {store or 'every store'}", store)
        said = _("{name} added as {role}: they sign in at the tills after the next sync.").format(
            name=name, role=_(ROLE_IN_SENTENCE[role])
        )
        return RedirectResponse(f"/office/people?said={quote(said)}", status_code=303)

    @api.post("/office/people/{user_id}")
    async def change(request: Request, user_id: str) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        _admin_only(who)
        action = field(form, "action")
        with engine.begin() as conn:
            row = conn.execute(select(s.users).where(s.users.c.id == user_id[:36]).with_for_update()).mappings().first()
            if row is None:
                raise not_found(who, _("There is no such staff member."))
            new = {k: row[k] for k in ("id", "store_id", "name", "role", "pin_hash", "active")}
            if action == "pin":
                new["pin_hash"] = _pin(who, field(form, "pin"))
                detail = "a new PIN"
                said = _("{name}: new PIN set; it works at the tills after the next sync.").format(name=row["name"])
            elif action in ("deactivate", "activate"):
                if row["id"] == who.user_id:
                    raise not_saved(who, _("You cannot deactivate yourself."))
                new["active"] = action == "activate"
                detail = "active" if new["active"] else "deactivated"
                if new["active"]:
                    said = _("{name} active: the tills take it at the next sync.").format(name=row["name"])
                else:
                    said = _("{name} deactivated: the tills take it at the next sync.").format(name=row["name"])
            elif action == "role":
                _name, role, store = _checked(who, form, str(row["name"]))
                new.update(role=role, store_id=store)
                detail = f"role {row['role']} → {role}, store {row['store_id'] or 'every'} → {store or 'every'}"
                if store:
                    said = _("{name}: {role} at {store} from the next sync.").format(
                        name=row["name"], role=_(ROLE_IN_SENTENCE[role]), store=store
                    )
                else:
                    said = _("{name}: {role} at every store from the next sync.").format(
                        name=row["name"], role=_(ROLE_IN_SENTENCE[role])
                    )
            else:
                raise not_saved(who, _("Pick what to change."))
            _save(conn, new)
        record(engine, who, f"staff_{action}", str(row["id"]), detail, new["store_id"])
        return RedirectResponse(f"/office/people?said={quote(said)}", status_code=303)

    return api
