"""Reservations at HQ that their return never confirmed expire, so the quantities can be
returned again; a confirmed one keeps counting (real uvicorn, real PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from counter.sync.upstream import Reservation, ReservationRefused, ReservedLine
from hq import ledger, schema as hs
from tests.hq.conftest import Lane

pytestmark = pytest.mark.slow


def reservation(lane: Lane, sale_id: str, receipt: str, line_id: str, qty: int) -> Reservation:
    return Reservation(str(uuid.uuid4()), sale_id, receipt, (ReservedLine(line_id, qty, 100 * qty, 0, 100 * qty),))


def age(engine: Engine, minutes: float) -> None:
    """Every reservation made ``minutes`` earlier (HQ's clock is the one that counts)."""
    rr = hs.return_reservations
    with engine.begin() as conn:
        conn.execute(update(rr).values(created_at=rr.c.created_at - timedelta(minutes=minutes)))


def states(engine: Engine) -> dict[str, str]:
    rr = hs.return_reservations
    with engine.connect() as conn:
        return {r.return_id: r.state for r in conn.execute(select(rr.c.return_id, rr.c.state))}


def test_an_unconfirmed_reservation_expires_and_frees_its_quantities(
    make_lane: Callable[..., Lane], hq_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ledger.TTL_ENV, raising=False)
    one, two = make_lane("T01"), make_lane("T02")
    sale = one.sell([("apparel", 2)])
    one.syncer.cycle()
    line = sale.lines[0].id
    # lane 2 reserves both units, then crashes before its return commits
    crashed = reservation(two, sale.id, sale.receipt_number, line, 2)
    two.upstream.reserve(crashed)
    with pytest.raises(ReservationRefused, match="Only 0 of"):
        one.upstream.reserve(reservation(one, sale.id, sale.receipt_number, line, 1))
    age(hq_engine, 14)  # not yet 15 minutes: still held
    with pytest.raises(ReservationRefused, match="Only 0 of"):
        one.upstream.reserve(reservation(one, sale.id, sale.receipt_number, line, 1))
    age(hq_engine, 2)  # 16 minutes: expired
    looked = one.client.lookup(sale.receipt_number)
    assert looked is not None and looked["returned"] == {}
    record = one.take_return(sale, [(0, 2)])  # the whole line again, reserved and recorded
    assert record.hq_reserved
    got = states(hq_engine)
    assert got[crashed.return_id] == "expired" and got[record.id] == "reserved"
    # the crashed lane's return, asked again with the same id, is refused clearly
    with pytest.raises(ReservationRefused, match="expired; start the return again"):
        two.upstream.reserve(crashed)


def test_a_confirmed_reservation_never_expires(
    make_lane: Callable[..., Lane], hq_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ledger.TTL_ENV, "15")
    one, two = make_lane("T01"), make_lane("T02")
    sale = one.sell([("apparel", 2)])
    one.syncer.cycle()
    taken = two.take_return(sale, [(0, 2)])
    two.syncer.cycle()  # its ReturnProcessed reaches HQ: the reservation is confirmed
    assert states(hq_engine)[taken.id] == "confirmed"
    age(hq_engine, 60 * 24)
    with pytest.raises(ReservationRefused, match="Only 0 of"):
        one.upstream.reserve(reservation(one, sale.id, sale.receipt_number, sale.lines[0].id, 1))
    looked = one.client.lookup(sale.receipt_number)
    assert looked is not None and looked["returned"][sale.lines[0].id]["qty"] == 2


def test_the_lifetime_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ledger.TTL_ENV, "2.5")
    assert ledger.reservation_ttl() == timedelta(minutes=2.5)
    for bad in ("", "soon", "-3", "0"):
        monkeypatch.setenv(ledger.TTL_ENV, bad)
        assert ledger.reservation_ttl() == ledger.DEFAULT_TTL
