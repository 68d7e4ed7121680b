"""What the back office's page timings changed (issue #18, bench/office_pages.py): a queue
longer than a page holds keeps the most pressing referrals (open before answered, then by
due date, then by priority), not the first ones PostgreSQL happens to read; the analysis
over every store still finds every store with data, now by skipping along the indexes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert

from hq import schema as hs
from hq.office import desk_pages
from hq.office.auth import Office
from tests.hq.conftest import reset_hq

STAMP = "2026-12-01T10:00:00.000000Z"
HQ_STAFF = Office("dana.w", "u-admin", "Jordan Reyes", "hq_staff", None, None, "csrf")


def _referral(engine: Engine, n: int, status: str, priority: str, due: str) -> None:
    origin = {"store_id": "S01", "origin_terminal": "T01", "origin_seq": n}
    with engine.begin() as conn:
        conn.execute(
            insert(hs.cases).values(
                **origin, id=f"case-{n}", number=f"S01-T01-C{n:06d}", customer_id="cust-1", kind="complaint",
                category="Product quality", status="referred", opened_at=STAMP, opened_by="u-cashier-1",
                updated_at=STAMP,
            )
        )  # fmt: skip
        conn.execute(
            insert(hs.referrals).values(
                **origin, id=f"ref-{n}", case_id=f"case-{n}", department="warranty",
                department_name="Warranty and repair", priority=priority, due_on=due, status=status,
                referred_at=STAMP, referred_by="u-cashier-1", hq_due_on=due,
            )
        )  # fmt: skip


def test_a_long_queue_keeps_the_most_pressing(
    hq_engine: Engine, reference_data: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    reset_hq(hq_engine, reference_data)
    # written least pressing first: a limit taken before the order would keep these
    _referral(hq_engine, 1, "answered", "urgent", "2026-12-01")
    _referral(hq_engine, 2, "open", "low", "2026-12-20")
    _referral(hq_engine, 3, "open", "normal", "2026-12-09")
    _referral(hq_engine, 4, "open", "high", "2026-12-09")
    _referral(hq_engine, 5, "open", "low", "2026-12-05")
    monkeypatch.setattr(desk_pages, "QUEUE_LIMIT", 3)
    with hq_engine.connect() as conn:
        rows = desk_pages.queue_rows(conn, HQ_STAFF, None, include_answered=True)
    assert [r["id"] for r in rows] == ["ref-5", "ref-4", "ref-3"]
    monkeypatch.setattr(desk_pages, "QUEUE_LIMIT", 2000)
    with hq_engine.connect() as conn:
        rows = desk_pages.queue_rows(conn, HQ_STAFF, None, include_answered=True)
    assert [r["id"] for r in rows] == ["ref-5", "ref-4", "ref-3", "ref-2", "ref-1"]
    # a page at a time, in that order, nothing twice and nothing left out
    monkeypatch.setattr(desk_pages, "QUEUE_LIMIT", 2)
    with hq_engine.connect() as conn:
        pages = [[r["id"] for r in desk_pages.queue_rows(conn, HQ_STAFF, None, True, n)] for n in range(4)]
    assert pages == [["ref-5", "ref-4"], ["ref-3", "ref-2"], ["ref-1"], []]


def test_the_chain_analysis_finds_every_store_with_data(hq_engine: Engine, reference_data: dict[str, object]) -> None:
    """The stores the analysis over every store reads (``hq.analysis.stores_with_data``,
    found by skipping along the indexes): a store with only sales, only a return, only a
    case (and its contact) or only a lane is each found, and none twice."""
    from hq import analysis

    reset_hq(hq_engine, reference_data)
    with hq_engine.begin() as conn:
        for n, store in enumerate(("S02", "S05", "S05"), start=1):  # sales only
            conn.execute(
                insert(hs.sales).values(
                    id=f"sale-{n}", receipt_number=f"{store}-T01-{n:06d}", store_id=store, terminal_id="T01", seq=n,
                    cashier_id="u-cashier-1", completed_at=STAMP, currency="USD", prices_include_tax=False,
                    total_minor=100, rounding_minor=0, body="{}",
                )
            )  # fmt: skip
        conn.execute(
            insert(hs.returns).values(
                id="ret-1", return_number="S07-T01-R000001", store_id="S07", terminal_id="T01", seq=9,
                completed_at=STAMP, refund_minor=100, reserved=False,
            )
        )  # fmt: skip
        conn.execute(
            insert(hs.terminals).values(store_id="S09", terminal_id="T01", enrolled_at=datetime.now(UTC), head_hash="0")
        )
    for n, store in enumerate(("S03", "S11"), start=1):  # a case only, then a case and its contact
        origin = {"store_id": store, "origin_terminal": "T01", "origin_seq": n}
        with hq_engine.begin() as conn:
            conn.execute(
                insert(hs.cases).values(
                    **origin, id=f"case-{n}", number=f"{store}-T01-C{n:06d}", customer_id="cust-1", kind="complaint",
                    category="Product quality", status="open", opened_at=STAMP, opened_by="u-cashier-1",
                    updated_at=STAMP,
                )
            )  # fmt: skip
            if store == "S11":
                conn.execute(
                    insert(hs.contacts).values(
                        **origin, id="contact-1", case_id=f"case-{n}", customer_id="cust-1", kind="complaint",
                        category="Product quality", handled_by="u-cashier-1", at=STAMP,
                    )
                )  # fmt: skip
    with hq_engine.connect() as conn:
        assert list(analysis.stores_with_data(conn)) == ["S02", "S03", "S05", "S07", "S09", "S11"]
