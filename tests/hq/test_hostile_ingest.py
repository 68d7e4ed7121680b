"""HQ takes no lane's word for a number it can derive (issue #13, items 4 and 7): every
route sent malformed, out-of-range, negative, cross-store, replayed and card-carrying
bodies answers 4xx, stores nothing of it, raises an alert where it should, and never a
5xx (which a lane reads as "HQ away" and retries forever); a rogue terminal cannot change
what another store's lane refunds; exceptions name what a person needs to act."""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from counter.journal import GENESIS, make_entry, utc_stamp
from hq import access, schema as hs
from hq.cli import describe_exception
from hq.serve import RunningHq
from tests.hq.conftest import Lane, hq_count

pytestmark = pytest.mark.slow

TABLES = (hs.journal, hs.sales, hs.sale_lines, hs.sale_tenders, hs.returns, hs.return_lines, hs.return_refunds)
TABLES += (hs.return_reservations, hs.customers, hs.voucher_movements, hs.approval_requests)


def counts(engine: Engine) -> dict[str, int]:
    return {t.name: hq_count(engine, t) for t in TABLES}


def alert_kinds(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(hs.alerts.c.kind).order_by(hs.alerts.c.id)).scalars())


class Rogue:
    """An enrolled terminal speaking raw HTTP, building its own (well-chained) journal."""

    def __init__(self, hq: RunningHq, engine: Engine, store: str, terminal: str) -> None:
        answer = httpx.post(f"{hq.url}/v1/enrol", json={"code": access.new_enrol_code(engine, store, terminal)})
        assert answer.status_code == 200, answer.text
        self.http = httpx.Client(base_url=hq.url, headers={"Authorization": f"Bearer {answer.json()['token']}"})
        self.store, self.terminal = store, terminal
        self.seq, self.prev = 0, GENESIS

    def entries(self, *items: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        out, seq, prev = [], self.seq, self.prev
        for kind, body in items:
            seq += 1
            e = make_entry(self.terminal, seq, str(uuid.uuid4()), kind, datetime.now(UTC), body, prev)
            prev = e.hash
            out.append({k: getattr(e, k) for k in ("seq", "id", "type", "at", "body", "prev_hash", "hash")})
        return out

    def push(self, *items: tuple[str, dict[str, Any]]) -> httpx.Response:
        entries = self.entries(*items)
        batch = {"store": self.store, "terminal": self.terminal, "sent_at": utc_stamp(datetime.now(UTC))}
        r = self.http.post("/v1/journal", json={**batch, "entries": entries})
        if r.status_code == 200:
            self.seq, self.prev = entries[-1]["seq"], entries[-1]["hash"]
        return r


@pytest.fixture
def rogue(hq: RunningHq, hq_engine: Engine) -> Iterator[Callable[..., Rogue]]:
    made: list[Rogue] = []

    def make(terminal: str = "T66", store: str = "S01") -> Rogue:
        made.append(Rogue(hq, hq_engine, store, terminal))
        return made[-1]

    yield make
    for r in made:
        r.http.close()


def sale(store: str = "S01", qty: int = 2, unit: int = 999, tax: int = 165, inclusive: bool = False) -> dict[str, Any]:
    """A SaleCompleted body that adds up: one line of ``qty`` × ``unit``, paid in cash."""
    amount = qty * unit
    gross = amount if inclusive else amount + tax
    return {
        "sale_id": str(uuid.uuid4()),
        "receipt_number": f"{store}-X-{uuid.uuid4().hex[:10]}",
        "store": store,
        "cashier": "u-cashier-1",
        "currency": "USD",
        "prices_include_tax": inclusive,
        "lines": [
            {
                "line_id": str(uuid.uuid4()),
                "item_id": "item-000001",
                "sku": "APP-00004",
                "name": "Crew neck shirt",
                "qty": qty,
                "unit_price": unit,
                "line_discount": 0,
                "order_discount": 0,
                "amount": amount,
                "tax": tax,
                "gross": gross,
                "tax_code": "A",
                "tax_rate": "0.0825",
            }
        ],
        "taxes": [{"code": "A", "rate": "0.0825", "base": amount - tax if inclusive else amount, "tax": tax}],
        "tenders": [{"kind": "cash", "amount": gross, "tendered": gross}],
        "rounding": 0,
        "total": gross,
    }


def refund(of: dict[str, Any], qty: int, gross: int, tax: int, *, tender: bool = False) -> dict[str, Any]:
    """A ReturnProcessed body for ``qty`` of the sale's line refunding ``gross``."""
    line = of["lines"][0]
    return {
        "return_id": str(uuid.uuid4()),
        "return_number": f"R-{uuid.uuid4().hex[:10]}",
        "request_id": str(uuid.uuid4()),
        "original_sale_id": of["sale_id"],
        "original_receipt": of["receipt_number"],
        "cashier": "u-cashier-1",
        "currency": "USD",
        "lines": [
            {
                "sale_line_id": line["line_id"],
                "item_id": line["item_id"],
                "sku": line["sku"],
                "qty": qty,
                "amount": gross - tax,
                "tax": tax,
                "gross": gross,
                "fee": 0,
                "tax_code": line.get("tax_code", "A"),
                "tax_rate": line.get("tax_rate", "0.0825"),
                "reason": "changed_mind",
                "condition": "new",
                "disposition": "restock",
            }
        ],
        "refunds": [{"kind": "cash", "amount": gross, "original_tender": 1 if tender else None, "reference": ""}],
        "exchange_credit": 0,
        "fee_total": 0,
        "refund_total": gross,
        "hq_reserved": False,
    }


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node: Any = out
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    node[int(keys[-1]) if isinstance(node, list) else keys[-1]] = value
    return out


SALE_BREAKS: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]], str]] = [
    ("negative quantity", lambda b: _set(b, "lines.0.qty", -2), "negative"),
    ("negative total", lambda b: _set(_set(b, "total", -100), "tenders.0.amount", -100), "negative"),
    ("amount of 10^30", lambda b: _set(b, "lines.0.amount", 10**30), "out_of_range"),
    ("total past 64 bits", lambda b: _set(b, "total", 2**70), "out_of_range"),
    ("gross is not amount + tax", lambda b: _set(b, "lines.0.gross", 99_999), "line_total"),
    ("line not qty x price", lambda b: _set(b, "lines.0.unit_price", 1), "line_total"),
    ("total is not the lines", lambda b: _set(_set(b, "total", 1), "tenders.0.amount", 1), "sale_total"),
    ("tenders do not settle", lambda b: _set(b, "tenders.0.amount", 5), "settlement"),
    ("taxes do not add up", lambda b: _set(b, "taxes.0.tax", 1), "sale_taxes"),
    ("another store", lambda b: _set(b, "store", "S02"), "another_store"),
    ("a card number in a name", lambda b: _set(b, "lines.0.name", "Shirt 4111 1111 1111 1111"), "card_data"),
    ("a quantity as text", lambda b: _set(b, "lines.0.qty", "2"), "bad_number"),
    ("a NUL in a name", lambda b: _set(b, "lines.0.name", "Shirt\x00"), "bad_text"),
    ("a huge name", lambda b: _set(b, "lines.0.name", "x" * 100_000), "bad_text"),
    ("lines as an object", lambda b: _set(b, "lines", {"a": 1}), "bad_shape"),
]


@pytest.mark.parametrize(("what", "mutate", "rule"), SALE_BREAKS, ids=[s[0] for s in SALE_BREAKS])
def test_a_pushed_sale_that_does_not_add_up_refuses_the_whole_push(
    rogue: Callable[..., Rogue], hq_engine: Engine, what: str, mutate: Callable[[Any], Any], rule: str
) -> None:
    lane = rogue()
    before = counts(hq_engine)
    good, bad = sale(), mutate(sale())
    r = lane.push(("SaleCompleted", good), ("NoteTaken", {"n": 1}), ("SaleCompleted", bad))
    assert r.status_code == 422, (what, r.status_code, r.text)
    answer = r.json()
    assert answer["error"] == "entry_refused" and answer["seq"] == 3 and answer["rule"] == rule, answer
    assert "Entry 3" in answer["message"] and "call support" in answer["message"]
    assert "4111" not in r.text
    assert counts(hq_engine) == before  # nothing of the push, not even the good sale before it
    assert alert_kinds(hq_engine) == [f"entry_refused:{rule}"]
    # the same lane's honest push still goes through
    assert lane.push(("SaleCompleted", good)).status_code == 200


def test_a_note_with_a_card_number_and_a_float_amount_are_refused(
    rogue: Callable[..., Rogue], hq_engine: Engine
) -> None:
    lane = rogue()
    before = counts(hq_engine)
    r = lane.push(("NoteTaken", {"note": "customer paid with 4111111111111111"}))
    assert r.status_code == 422 and r.json()["rule"] == "card_data" and "4111" not in r.text
    entries = lane.entries(("SaleCompleted", sale()))
    body = json.loads(entries[0]["body"])
    body["total"] = 1e30  # a float can only arrive as raw JSON: the chain check refuses it
    entries[0]["body"] = json.dumps(body, sort_keys=True, separators=(",", ":"))
    batch = {"store": "S01", "terminal": lane.terminal, "sent_at": utc_stamp(datetime.now(UTC)), "entries": entries}
    r = lane.http.post("/v1/journal", json=batch)
    assert r.status_code == 422 and r.json()["error"] == "chain_broken"
    assert counts(hq_engine) == before
    assert alert_kinds(hq_engine) == ["entry_refused:card_data", "chain_broken"]


def test_a_copy_of_a_sale_hq_holds_is_refused_not_a_500(rogue: Callable[..., Rogue], hq_engine: Engine) -> None:
    one, two = rogue("T61"), rogue("T62")
    sold = sale()
    assert one.push(("SaleCompleted", sold)).status_code == 200
    before = counts(hq_engine)
    for copy_of in (sold, {**sale(), "sale_id": sold["sale_id"]}, {**sale(), "receipt_number": sold["receipt_number"]}):
        r = two.push(("NoteTaken", {"n": 1}), ("SaleCompleted", copy_of))
        assert r.status_code == 422 and r.json()["rule"] == "duplicate_id" and r.json()["seq"] == 2, r.text
    twice = sale()
    r = two.push(("SaleCompleted", twice), ("SaleCompleted", {**sale(), "sale_id": twice["sale_id"]}))
    assert r.status_code == 422 and r.json()["rule"] == "duplicate_id"
    assert counts(hq_engine) == before
    assert alert_kinds(hq_engine) == ["entry_refused:duplicate_id"] * 4


def test_a_pushed_return_must_follow_from_its_sale(rogue: Callable[..., Rogue], hq_engine: Engine) -> None:
    seller, returner = rogue("T61"), rogue("T62")
    sold = sale(qty=2, unit=999, tax=165)  # 21.63 for two
    other = sale()
    assert seller.push(("SaleCompleted", sold), ("SaleCompleted", other)).status_code == 200
    before = counts(hq_engine)
    breaks = {
        "negative": refund(sold, 1, -1000, 0),
        "over_refund": refund(sold, 1, 2163, 165),  # one of two units, the whole line's money
        "over_return": refund(sold, 3, 2163, 165),  # three in one visit, two sold
        "unknown_line": _set(refund(sold, 1, 1082, 83), "lines.0.sale_line_id", other["lines"][0]["line_id"]),
        "refund_total": _set(refund(sold, 1, 1082, 83), "refund_total", 5000),
        "refunds": _set(refund(sold, 1, 1082, 83, tender=True), "refunds.0.original_tender", 7),
        "card_data": _set(refund(sold, 1, 1082, 83), "lines.0.reason", "card 4111-1111-1111-1111"),
        "out_of_range": refund(sold, 1, 2**70, 0),
    }
    for rule, body in breaks.items():
        r = returner.push(("ReturnProcessed", body))
        assert r.status_code == 422 and r.json()["rule"] == rule, (rule, r.text)
    assert counts(hq_engine) == before
    assert alert_kinds(hq_engine) == [f"entry_refused:{rule}" for rule in breaks]
    # what an honest lane sends is taken, twice over the two units
    assert returner.push(("ReturnProcessed", refund(sold, 1, 1082, 83, tender=True))).status_code == 200
    r = returner.push(("ReturnProcessed", refund(sold, 1, 1082, 83)))  # 21.64 for 21.63: a cent too many
    assert r.status_code == 200  # within the rounding of a lane that had not seen the first (SLACK)
    r = returner.push(("ReturnProcessed", refund(sold, 1, 1082, 83)))
    assert r.status_code == 200  # a third unit of two: an over-return, kept and flagged, not refused
    assert hq_count(hq_engine, hs.exceptions, kind="over_return") == 1


# ------------------------------------------------------------------------ the rogue


def test_a_rogue_terminal_cannot_change_another_stores_refund(
    make_lane: Callable[..., Lane], rogue: Callable[..., Rogue], hq_engine: Engine
) -> None:
    """The attack of issue #13: a reservation with a negative amount against another
    store's sale made an honest lane refund $1,021.63 on a $21.63 receipt."""
    honest = make_lane("T01")
    sold = honest.sell([("apparel", 2)])
    assert honest.syncer.cycle().backlog == 0
    paid = sold.total
    bad = rogue("T09", store="S02")
    before = counts(hq_engine)
    line = sold.lines[0]
    amounts = {"amount_minor": -100_000, "tax_minor": 0, "gross_minor": -100_000}
    r = bad.http.post(
        "/v1/reservations",
        json={
            "return_id": str(uuid.uuid4()),
            "sale_id": sold.id,
            "lines": [{"sale_line_id": line.id, "quantity": 1, **amounts}],
        },
    )
    assert r.status_code == 422 and r.json()["error"] == "malformed"  # quantities only
    r = bad.http.post(
        "/v1/reservations",
        json={"return_id": str(uuid.uuid4()), "sale_id": sold.id, "lines": [{"sale_line_id": line.id, "quantity": 2}]},
    )
    assert r.status_code == 403 and r.json()["error"] == "another_store" and "S01" in r.json()["message"]
    assert bad.http.get(f"/v1/sales/{sold.receipt_number}").status_code == 403
    # a pushed return of another store's sale: refused as a whole
    body = refund(
        json.loads(
            json.dumps(
                {
                    "sale_id": sold.id,
                    "receipt_number": sold.receipt_number,
                    "lines": [{"line_id": line.id, "item_id": line.item_id, "sku": line.sku}],
                }
            )
        ),
        1,
        1,
        0,
    )
    r = bad.push(("ReturnProcessed", body))
    assert r.status_code == 422 and r.json()["rule"] == "another_store"
    assert counts(hq_engine) == before
    assert alert_kinds(hq_engine) == ["another_store", "entry_refused:another_store"]
    # The honest lane takes both units back, one at a time: capped at what was paid.
    first = honest.take_return(sold, [(0, 1)])
    second = honest.take_return(sold, [(0, 1)])
    assert first.hq_reserved and second.hq_reserved
    assert first.quote.refund_total + second.quote.refund_total == paid
    with pytest.raises(Exception, match="Only 0"):
        honest.take_return(sold, [(0, 1)])
    assert honest.syncer.cycle().backlog == 0


def test_hq_computes_a_reservations_amounts(make_lane: Callable[..., Lane], hq_engine: Engine) -> None:
    lane = make_lane("T01")
    sold = lane.sell([("apparel", 2)])
    lane.syncer.cycle()
    line = sold.lines[0]
    http = lane.client._http
    r = http.post(
        "/v1/reservations",
        json={"return_id": "r-1", "sale_id": sold.id, "lines": [{"sale_line_id": line.id, "quantity": 1}]},
    )
    assert r.status_code == 200, r.text
    got = r.json()["lines"]
    m = sold.currency.to_minor
    assert got[0]["quantity"] == 1 and 0 < got[0]["gross_minor"] <= m(line.gross)
    r = http.post(
        "/v1/reservations",
        json={"return_id": "r-2", "sale_id": sold.id, "lines": [{"sale_line_id": line.id, "quantity": 1}]},
    )
    assert got[0]["gross_minor"] + r.json()["lines"][0]["gross_minor"] == m(line.gross)  # to the cent
    # the same return id from another terminal is not "already reserved"
    other = make_lane("T02")
    r = other.client._http.post(
        "/v1/reservations",
        json={"return_id": "r-1", "sale_id": sold.id, "lines": [{"sale_line_id": line.id, "quantity": 1}]},
    )
    assert r.status_code == 409 and r.json()["error"] == "return_id_taken"
    assert "return_id_taken" in alert_kinds(hq_engine)


# ------------------------------------------------------------------------- fuzzing

NASTY: list[Any] = [
    None, True, -1, 0, 2**63, 2**70, -(2**70), 1e30, -1e308, float("nan"), "", "x" * 70_000, "\x00", "\ud800",
    "4111 1111 1111 1111", [], {}, [[[[[[[[[[[]]]]]]]]]]], {"a": {"b": {"c": {}}}}, "2026-13-45T99:99:99.000000Z",
]  # fmt: skip


class RawBody(bytes):
    """A request body sent as these bytes (what JSON encoders will not write)."""


def _mutations(template: dict[str, Any], rng: random.Random, n: int) -> Iterator[Any]:
    paths: list[list[Any]] = []

    def walk(node: Any, path: list[Any]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, [*path, k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, [*path, i])

    walk(template, [])
    for _ in range(n):
        body = copy.deepcopy(template)
        path = rng.choice(paths[1:])
        node: Any = body
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = rng.choice(NASTY)
        yield body
    yield [template]
    yield "not an object"
    yield {**template, "extra": 1}
    yield RawBody(b'{"a":' * 5000 + b"{}" + b"}" * 5000)  # deeper than any parser's recursion


def _send(http: httpx.Client, method: str, url: str, body: Any) -> httpx.Response:
    if isinstance(body, RawBody):
        raw = bytes(body)
    else:  # NaN and 1e30 as raw JSON, a lone surrogate as bytes: as an attacker sends them
        raw = json.dumps(body, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return http.request(method, url, content=raw, headers={"Content-Type": "application/json"})


def test_no_body_on_any_route_gets_a_5xx(
    make_lane: Callable[..., Lane], rogue: Callable[..., Rogue], hq_engine: Engine
) -> None:
    lane = make_lane("T01")
    sold = lane.sell([("apparel", 2)])
    lane.syncer.cycle()
    bad = rogue("T08")
    rng = random.Random(13)
    now = utc_stamp(datetime.now(UTC))
    templates: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/v1/reservations"): {
            "return_id": "r-f", "sale_id": sold.id, "lines": [{"sale_line_id": sold.lines[0].id, "quantity": 1}],
        },
        ("POST", "/v1/customers"): {"customers": [{
            "id": "c-1", "name": "Pat", "created_at": now, "created_by": "u-1", "updated_at": now,
            "address": {"line1": "1 Main St"},
        }]},
        ("POST", "/v1/approvals"): {
            "id": "a-1", "request_id": "q-1", "kinds": ["cash_over_limit"], "amount_minor": 100, "currency": "USD",
            "what": "a refund", "requester_id": "u-1", "requester_name": "Dana",
        },
        ("POST", "/v1/approvals/a-1/answer"): {"approve": True, "approver_id": "u-2", "note": ""},
        ("POST", "/v1/journal"): {"store": "S01", "terminal": "T08", "sent_at": now, "entries": bad.entries(
            ("SaleCompleted", sale()), ("ReturnProcessed", refund(sale(), 1, 10, 1)))},
    }  # fmt: skip
    statuses: list[int] = []
    for (method, url), template in templates.items():
        for body in _mutations(template, rng, 60):
            r = _send(bad.http, method, url, body)
            assert r.status_code < 500, (url, body if len(str(body)) < 300 else str(body)[:300], r.text)
            statuses.append(r.status_code)
    for path in ("/v1/sales/" + "9" * 40, "/v1/approvals/%00", "/v1/sales/%00"):
        assert bad.http.get(path).status_code < 500, path
    for path in ("/v1/reservations/%00", "/v1/reservations/" + "x" * 100):
        assert bad.http.delete(path).status_code < 500, path
    assert any(400 <= s < 500 for s in statuses)


# ----------------------------------------------------------------------- exceptions


def test_an_over_return_names_the_receipt_returns_lanes_item_and_amount(
    make_lane: Callable[..., Lane], hq: RunningHq, hq_engine: Engine
) -> None:
    seller = make_lane("T01")
    sold = seller.sell([("apparel", 2)])
    seller.syncer.cycle()
    other = make_lane("T02")
    other.take_return(sold, [(0, 1)])
    seller.go_offline()
    other.go_offline()
    mine = seller.take_return(sold, [(0, 2)])
    other.take_return(sold, [(0, 1)])
    for lane in (seller, other):
        lane.go_online()
        assert lane.syncer.cycle().backlog == 0
    admin = httpx.Client(
        base_url=hq.url, headers={"Authorization": f"Bearer {access.new_admin_token(hq_engine, 'ops')}"}
    )
    found = admin.get("/v1/exceptions").json()["exceptions"]
    assert found
    line = sold.lines[0]
    for x in found:
        assert x["kind"] == "over_return" and x["receipt_number"] == sold.receipt_number
        assert x["sku"] == line.sku and x["item_name"] == line.name and x["amount_minor"] > 0
        assert "S01-T01" in x["lanes"] and "S01-T02" in x["lanes"]
        assert all(n.strip().startswith("S01-T0") for n in x["return_numbers"].split(","))
    flagged = {x["return_id"]: x for x in found}
    if mine.id in flagged:
        assert mine.return_number in flagged[mine.id]["return_numbers"]
    text = describe_exception(found[0])
    assert sold.receipt_number in text and line.name in text and "S01-T02" in text
