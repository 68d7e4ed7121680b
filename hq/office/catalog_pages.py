"""The catalog and the return policies in the back office (issue #18, point 7): find an item
by SKU, barcode or name and change its name, price, category or whether it is sold; change a
category's return policy (days, final sale, receipt required, restocking fee). HQ staff and
admins edit (the catalog is the chain's); store managers read. Every change is a new
version of the row under the downstream writers' lock (``hq.catalog.upsert``), so the lanes
take it on their next pull, and an office action with what it was and what it became."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, Engine, or_, select

from counter.i18n import _
from hq import analysis_dirty, catalog, schema as s
from hq.office.auth import Office, record
from hq.office.web import field, form_of, not_found, not_saved, not_yours, page, signed_in
from hq.store import lock_downstream

MAX_PRICE = Decimal("1000000")
CENT = Decimal("0.01")


def _may_read(who: Office) -> None:
    if who.role == "agent":
        raise not_yours(who, _("The catalog is not in what your role lets you see; nothing is shown."))


def _may_edit(who: Office) -> None:
    if who.role not in ("hq_staff", "admin"):
        raise not_yours(who, _("Changing the catalog is not in what your role lets you see; nothing is shown."))


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _categories(conn: Connection) -> list[dict[str, Any]]:
    c = s.categories
    return [dict(r) for r in conn.execute(select(c).where(c.c.deleted.is_(False)).order_by(c.c.name)).mappings()]


def _price(who: Office, text: str) -> int:
    try:
        price = Decimal(text.replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        raise not_saved(who, _("{text} is not a price: type it like 12.99.").format(text=repr(text[:20]))) from None
    if not price.is_finite() or price < 0 or price > MAX_PRICE or price != price.quantize(CENT):
        raise not_saved(
            who,
            _("{text} is not a price: 0.00 to {limit}, in cents.").format(
                text=repr(text[:20]), limit=f"{MAX_PRICE:,.2f}"
            ),
        )
    return int(price * 100)


def router(engine: Engine) -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/office/catalog")
    async def items(request: Request, q: str = "") -> Response:
        who = await signed_in(engine, request)
        _may_read(who)
        q = q.strip()[:60]
        i = s.items
        found: list[dict[str, Any]] = []
        if q:
            with engine.connect() as conn:
                found = [
                    dict(r)
                    for r in conn.execute(
                        select(i)
                        .where(
                            or_(i.c.sku == q.upper(), i.c.barcode.like(f"%{q}"), i.c.name.ilike(_like(q), escape="\\"))
                        )
                        .order_by(i.c.name)
                        .limit(50)
                    ).mappings()
                ]
        return page(request, "catalog.html", who, q=q, items=found)

    @api.get("/office/catalog/items/{item_id}")
    async def item(request: Request, item_id: str, said: str = "") -> Response:
        who = await signed_in(engine, request)
        _may_read(who)
        with engine.connect() as conn:
            row = conn.execute(select(s.items).where(s.items.c.id == item_id[:36])).mappings().first()
            if row is None:
                raise not_found(who, _("There is no such item."))
            cats = _categories(conn)
            vendors = conn.execute(select(s.items.c.vendor).where(s.items.c.vendor.is_not(None)).distinct()).scalars()
            known = sorted(str(v) for v in vendors)[:500]
        return page(request, "item.html", who, item=dict(row), categories=cats, vendors=known, said=said[:200])

    @api.post("/office/catalog/items/{item_id}")
    async def save_item(request: Request, item_id: str) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        _may_edit(who)
        name = field(form, "name")
        if not 1 <= len(name) <= 200:
            raise not_saved(who, _("An item's name is 1 to 200 characters."))
        price = _price(who, field(form, "price"))
        category = field(form, "category_id")
        vendor = " ".join(field(form, "vendor").split()) or None
        if vendor is not None and len(vendor) > 80:
            raise not_saved(who, _("A vendor's name is at most 80 characters."))
        active = field(form, "active") == "yes"
        with engine.begin() as conn:
            lock_downstream(conn)
            row = conn.execute(select(s.items).where(s.items.c.id == item_id[:36]).with_for_update()).mappings().first()
            if row is None:
                raise not_found(who, _("There is no such item."))
            if category not in {c["id"] for c in _categories(conn)}:
                raise not_saved(who, _("Pick the item's category from the list."))
            after = {"name": name, "price_minor": price, "category_id": category, "vendor": vendor, "active": active}
            changed = {k: (row[k], v) for k, v in after.items() if row[k] != v}
            if changed:
                catalog.upsert(conn, "item", [{**{k: row[k] for k in ("id", "sku", "barcode", "tax_code")}, **after}])
            if "category_id" in changed or "vendor" in changed:
                analysis_dirty.forget(conn)  # its sales and returns count under the new category or vendor
        said = _("Nothing changed.") if not changed else _("Saved: the lanes take it on their next sync.")
        if changed:
            detail = "; ".join(f"{k} {_shown(k, a)} → {_shown(k, b)}" for k, (a, b) in changed.items())
            record(engine, who, "item_changed", f"{row['sku']}", detail)
        return RedirectResponse(f"/office/catalog/items/{quote(item_id)}?said={quote(said)}", status_code=303)

    @api.get("/office/policies")
    async def policies(request: Request, said: str = "") -> Response:
        who = await signed_in(engine, request)
        _may_read(who)
        with engine.connect() as conn:
            cats = _categories(conn)
        return page(request, "policies.html", who, categories=cats, said=said[:200])

    @api.post("/office/policies/{category_id}")
    async def save_policy(request: Request, category_id: str) -> Response:
        who = await signed_in(engine, request)
        form = await form_of(request, who)
        _may_edit(who)
        try:
            days = int(field(form, "return_days"))
            fee = Decimal(field(form, "restocking_fee_percent") or "0")
        except (ValueError, InvalidOperation):
            raise not_saved(who, _("Days are a whole number and the fee a percentage like 15.")) from None
        if not 0 <= days <= 365:
            raise not_saved(who, _("A return window is 0 to 365 days."))
        if not fee.is_finite() or not 0 <= fee <= 100 or fee != fee.quantize(CENT):
            raise not_saved(who, _("A restocking fee is 0 to 100 percent."))
        after = {
            "return_days": days,
            "final_sale": field(form, "final_sale") == "yes",
            "receipt_required": field(form, "receipt_required") == "yes",
            "restocking_fee_percent": str(fee.normalize() if fee else Decimal(0)),
        }
        with engine.begin() as conn:
            lock_downstream(conn)
            c = s.categories
            row = conn.execute(select(c).where(c.c.id == category_id[:36]).with_for_update()).mappings().first()
            if row is None:
                raise not_found(who, _("There is no such category."))
            changed = {k: (row[k], v) for k, v in after.items() if str(row[k]) != str(v)}
            if changed:
                catalog.upsert(
                    conn, "category", [{"id": row["id"], "name": row["name"], "tax_code": row["tax_code"], **after}]
                )
        if changed:
            detail = "; ".join(f"{k} {a} → {b}" for k, (a, b) in changed.items())
            record(engine, who, "policy_changed", str(row["name"]), detail)
        said = (
            _("{category}: saved, the lanes take it on their next sync.").format(category=row["name"])
            if changed
            else _("Nothing changed.")
        )
        return RedirectResponse(f"/office/policies?said={quote(said)}", status_code=303)

    return api


def _shown(key: str, value: Any) -> str:
    return f"{int(value) / 100:.2f}" if key == "price_minor" else str(value)
