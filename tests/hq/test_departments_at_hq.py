"""Departments are HQ's data, and a referral's due date and escalation are HQ's (issue #17,
point 6): departments edited at HQ reach the lanes on their pull, a department HQ closed
takes no new referral at a lane, and a referral made at T01 that is past HQ's due date is
escalated to the store manager once, seen escalated at T02.

Real store files recording through the desk's own commands, a real uvicorn, the real
PostgreSQL; HQ's clock for escalation is given (the lanes' clocks are the real one)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, select, text, update

from cli.main import main
from counter.desk.cases import Case, ContactKind, LogContact, log_contact
from counter.desk.referrals import Priority, Referral, add_department_note, refer_case
from counter.desk.service import DeskError
from counter.journal import EventType
from db import schema as ls
from db.desk_queries import case_by_number, department_queue, desk_config, find_customers, get_case
from db.queries import write_settings
from hq import access, escalation, schema as hs
from hq.serve import RunningHq
from hq.store import alembic_config, make_engine
from tests.hq.conftest import Lane, _admin_engine, hq_count, run_threads
from tests.hq.test_desk_at_hq import api, customer, sync

pytestmark = pytest.mark.slow

ZONE = "America/Chicago"  # the demo store's


def admin(hq: RunningHq, hq_engine: Engine) -> httpx.Client:
    token = access.new_admin_token(hq_engine, "desk-test")
    return httpx.Client(base_url=hq.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def departments_at(lane: Lane) -> dict[str, tuple[str, bool, int | None, str]]:
    return {
        d.code: (d.name, d.active, d.referral_days, d.escalate_to) for d in desk_config(lane.store.db.read).departments
    }


def local_today(lane: Lane) -> date:
    return lane.store.clock.now().astimezone(lane.store.cfg.zone).date()


def jane(lane: Lane) -> str:
    """Jane Okafor's id at ``lane`` (on file once)."""
    found = find_customers(lane.store.db.read, "Jane Okafor")
    return found[0].id if found else customer(lane)


def complaint(lane: Lane) -> Case:
    logged = log_contact(
        lane.store.user("Maria"),
        LogContact(jane(lane), ContactKind.COMPLAINT, "Product quality", "It leaks.", "", ()),
        uow_factory=lane.store.uow,
        clock=lane.store.clock,
        terminal=lane.store.terminal,
    )
    return logged.case


def refer(
    lane: Lane, department: str, *, due_on: date | None = None, note: str = "Check the seal", case: Case | None = None
) -> Referral:
    return refer_case(
        lane.store.user("Maria"),
        (case or complaint(lane)).id,
        department,
        Priority.HIGH,
        due_on,
        note,
        config=desk_config(lane.store.db.read),
        uow_factory=lane.store.uow,
        clock=lane.store.clock,
        store=lane.store.cfg,
    )


def hq_referral(engine: Engine, referral_id: str) -> Any:
    r = hs.referrals
    with engine.connect() as conn:
        return conn.execute(select(r.c.due_on, r.c.hq_due_on).where(r.c.id == referral_id)).one()


def at_noon(day: date) -> datetime:
    """HQ's clock at noon of ``day`` in the store's zone."""
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(12), ZoneInfo(ZONE)).astimezone(UTC)


def alerts(engine: Engine, kind: str) -> list[str]:
    with engine.connect() as conn:
        a = hs.alerts
        return list(conn.execute(select(a.c.detail).where(a.c.kind == kind).order_by(a.c.id)).scalars())


def cli(tmp_path: Path, pg_url: str, *args: str) -> int:
    return main(["--data-dir", str(tmp_path), "hq", *args, "--database-url", pg_url])


# ========================================================== departments reach the lanes


def test_departments_edited_at_hq_reach_the_lane_on_its_next_sync_and_set_a_referrals_days(
    make_lane: Callable[..., Lane],
    hq_engine: Engine,
    hq: RunningHq,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one = make_lane("T01", push=False)
    # never synced: the lane's own settings are the desk's list
    write_settings(one.store.db.write, {"service_desk": {"departments": [{"code": "bench", "name": "Repair bench"}]}})
    assert departments_at(one) == {"bench": ("Repair bench", True, None, "")}
    sync(one)
    assert departments_at(one) == {
        "warranty": ("Warranty and repair", True, 5, "manager"),
        "billing": ("Billing", True, 5, "manager"),
        "manager": ("Store manager", True, 5, ""),
        "online": ("Online orders", True, 5, "manager"),
    }

    # edited at HQ: through the admin route and through `counter hq`
    with admin(hq, hq_engine) as http:
        got = http.put("/v1/departments/billing", json={"referral_days": 10})
        assert got.status_code == 200, got.text
        assert got.json()["department"] == {
            "code": "billing", "name": "Billing", "active": True, "referral_days": 10, "escalate_to": "manager"
        }  # fmt: skip
    assert cli(tmp_path, pg_url, "department", "gifts", "--name", "Gift wrap", "--days", "2") == 0
    assert "Saved: gifts" in capsys.readouterr().out
    assert cli(tmp_path, pg_url, "department", "online", "--close") == 0
    assert cli(tmp_path, pg_url, "departments") == 0
    listed = capsys.readouterr().out
    assert "gifts        Gift wrap: open, due in 2 days, escalates to Store manager" in listed
    assert "online       Online orders: closed to new referrals, due in 5 days, escalates to Store manager" in listed
    assert departments_at(one)["billing"][2] == 5  # the lane knows only what it pulled

    sync(one)
    assert departments_at(one) == {
        "warranty": ("Warranty and repair", True, 5, "manager"),
        "billing": ("Billing", True, 10, "manager"),
        "manager": ("Store manager", True, 5, ""),
        "online": ("Online orders", False, 5, "manager"),
        "gifts": ("Gift wrap", True, 2, "manager"),
    }
    # a referral without a due date is due after its department's days at HQ
    billed = refer(one, "billing")
    wrapped = refer(one, "Gift wrap")
    assert billed.due_on == local_today(one) + timedelta(days=10)
    assert (wrapped.department, wrapped.due_on) == ("gifts", local_today(one) + timedelta(days=2))


def test_a_department_hq_closed_takes_no_new_referral_at_the_lane_and_its_queue_stays(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one = make_lane("T01")
    earlier = refer(one, "online", note="Where is the parcel?")
    sync(one)
    with admin(hq, hq_engine) as http:
        assert http.put("/v1/departments/online", json={"active": False}).status_code == 200
    sync(one)

    def referred() -> int:
        with one.store.db.read.connect() as conn:
            j = ls.journal
            return int(conn.execute(select(func.count()).where(j.c.type == EventType.CASE_REFERRED)).scalar_one())

    before = referred()
    case = complaint(one)
    with pytest.raises(DeskError) as refused:
        refer(one, "online", note="Second parcel", case=case)
    assert refused.value.message == "Online orders takes no new referrals: HQ closed it."
    assert refused.value.hint == (
        "Refer the case to another department (Billing, Store manager, Warranty and repair), "
        "or ask HQ to open Online orders again."
    )
    # nothing of the refused referral was recorded: the case it was to be about stays open
    assert referred() == before
    with one.store.db.read.connect() as conn:
        held = conn.execute(select(ls.referrals.c.note).where(ls.referrals.c.department == "online")).scalars()
        assert list(held) == ["Where is the parcel?"]
    assert get_case(one.store.db.read, case.id) == case  # still open, as logged
    # the closed department's queue is still there, to be worked off
    assert [r.id for r in department_queue(one.store.db.read, "online")] == [earlier.id]

    with admin(hq, hq_engine) as http:
        assert http.put("/v1/departments/online", json={"active": True}).status_code == 200
    sync(one)
    assert refer(one, "online", note="Second parcel").department == "online"


def test_hq_refuses_a_department_edit_that_would_break_escalation_and_says_what_to_do(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one = make_lane("T01")
    with admin(hq, hq_engine) as http:
        cases = [
            ("manager", {"active": False}, 409, "Billing, Online orders, Warranty and repair escalate overdue"),
            ("billing", {"escalate_to": "billing"}, 422, "Billing cannot escalate to itself."),
            ("billing", {"escalate_to": "legal"}, 422, "HQ holds no department legal to escalate to."),
            ("legal", {"referral_days": 3}, 404, "give its name to add it"),
            ("Le gal!", {"name": "Legal"}, 422, "is not a department code"),
            ("billing", {"referral_days": 400}, 422, "Malformed request"),
            ("billing", {"colour": "red"}, 422, "Malformed request"),
        ]
        for code, body, status, said in cases:
            got = http.put(f"/v1/departments/{code}", json=body)
            assert (got.status_code, said in got.json()["message"]) == (status, True), (code, got.text)
    with api(hq, one) as lane_http:  # a terminal reads the list, but edits nothing
        assert lane_http.put("/v1/departments/billing", json={"referral_days": 1}).status_code == 403
        assert [d["code"] for d in lane_http.get("/v1/departments").json()["departments"]] == [
            "billing", "online", "manager", "warranty"
        ]  # fmt: skip
    with hq_engine.connect() as conn:
        held = conn.execute(select(hs.departments.c.code, hs.departments.c.referral_days, hs.departments.c.active))
        assert sorted(held) == [("billing", 5, True), ("manager", 5, True), ("online", 5, True), ("warranty", 5, True)]


# ======================================================= due dates and escalation at HQ


def test_a_referral_made_at_t01_past_hqs_due_date_is_escalated_once_and_t02_sees_it_escalated(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq, pg_url: str, tmp_path: Path
) -> None:
    assert cli(tmp_path, pg_url, "store-zone", "S01", ZONE) == 0
    one, two = make_lane("T01"), make_lane("T02")
    today = local_today(one)
    # the desk gave it three weeks; HQ gives warranty five days, and escalates by HQ's
    kettle = refer(one, "warranty", due_on=today + timedelta(days=21), note="Kettle seam leaks")
    boss = refer(one, "manager", note="Refund above the limit?")  # the manager escalates nowhere
    sync(one)
    hq_due = today + timedelta(days=5)
    assert tuple(hq_referral(hq_engine, kettle.id)) == ((today + timedelta(days=21)).isoformat(), hq_due.isoformat())

    mine = {kettle.id, boss.id}  # the demo store's own referrals are at HQ too

    def overdue_on(day: date) -> list[dict[str, Any]]:
        with api(hq, two) as http:
            got = http.get("/v1/desk/referrals/overdue", params={"on": day.isoformat()})
        assert got.status_code == 200, got.text
        assert got.json()["zone"] == ZONE
        return [o for o in got.json()["referrals"] if o["referral_id"] in mine]

    def escalated(run: escalation.EscalationRun) -> list[tuple[str, int, str | None]]:
        return [(o.referral_id, o.days_overdue, o.escalate_to) for o in run.escalated if o.referral_id in mine]

    def said() -> list[str]:
        return [a for a in alerts(hq_engine, "referral_escalated") if kettle.case_number in a]

    assert overdue_on(hq_due) == []  # due that day: not overdue yet
    (late,) = [o for o in overdue_on(hq_due + timedelta(days=1)) if o["referral_id"] == kettle.id]
    assert (late["case_number"], late["department_name"], late["days_overdue"], late["escalate_to"]) == (
        kettle.case_number,
        "Warranty and repair",
        1,
        "manager",
    )
    assert (late["lane_due_on"], late["hq_due_on"], late["escalated_at"]) == (
        kettle.due_on.isoformat(),
        hq_due.isoformat(),
        None,
    )

    # on HQ's due date nothing is escalated; three days after it, once
    assert escalated(escalation.escalate(hq_engine, at_noon(hq_due))) == []
    assert hq_count(hq_engine, hs.referral_escalations, referral_id=kettle.id) == 0
    run = escalation.escalate(hq_engine, at_noon(hq_due + timedelta(days=3)))
    assert escalated(run) == [(kettle.id, 3, "manager")]
    assert said() == [
        f"Case {kettle.case_number} (referred at T01 to Warranty and repair, high priority) is 3 days past "
        f"HQ's due date {hq_due.isoformat()}: escalated to Store manager."
    ]
    # a second run, later, and two at once, add nothing
    assert escalated(escalation.escalate(hq_engine, at_noon(hq_due + timedelta(days=4)))) == []
    later = at_noon(hq_due + timedelta(days=5))
    both = run_threads([lambda: escalation.escalate(hq_engine, later)] * 2)
    assert [type(r).__name__ for r in both] == ["EscalationRun"] * 2
    assert [escalated(r) for r in both if isinstance(r, escalation.EscalationRun)] == [[], []]
    assert hq_count(hq_engine, hs.referral_escalations, referral_id=kettle.id) == 1
    assert len(said()) == 1
    (gone,) = [o for o in overdue_on(hq_due + timedelta(days=3)) if o["referral_id"] == kettle.id]
    assert (gone["escalated_at"] is not None, gone["days_overdue"]) == (True, 3)
    (nowhere,) = [o for o in overdue_on(hq_due + timedelta(days=3)) if o["referral_id"] == boss.id]
    assert (nowhere["escalate_to"], nowhere["escalated_at"]) == (None, None)

    # T02 pulls the escalation: the store manager's queue there shows the case T01 opened,
    # from T02's own copy of it (pulled on the desk feed), so T02 can work it too
    sync(two)
    (seen,) = [r for r in department_queue(two.store.db.read, "manager") if r.id == kettle.id]
    assert (seen.case_number, seen.held_at, seen.escalated_to, seen.days_overdue, seen.hq_due_on) == (
        kettle.case_number,
        "",
        "Store manager",
        3,
        hq_due,
    )
    assert (seen.department_name, seen.customer_name, seen.note) == (
        "Warranty and repair",
        "Jane Okafor",
        "Kettle seam leaks",
    )
    copy = case_by_number(two.store.db.read, kettle.case_number)
    assert copy is not None and copy.id == kettle.case_id
    with api(hq, two) as http:
        body = http.get(f"/v1/desk/cases/{kettle.case_number}").json()
    (ref,) = body["referrals"]
    assert (ref["hq_due_on"], ref["escalation"]["escalated_to"], ref["escalation"]["days_overdue"]) == (
        hq_due.isoformat(),
        "manager",
        3,
    )
    # and T01 sees it in both queues, escalated, from its own row
    sync(one)
    (own,) = [r for r in department_queue(one.store.db.read, "warranty") if r.id == kettle.id]
    assert (own.escalated_to, own.held_at, own.note) == ("Store manager", "", "Kettle seam leaks")
    queue = [r.id for r in department_queue(one.store.db.read, "manager")]
    assert queue.index(kettle.id) < queue.index(boss.id)  # escalated ones first

    # answered at T01: the next run settles it, and the manager's queue at T02 drops it
    store_kw: dict[str, Any] = dict(uow_factory=one.store.uow, clock=one.store.clock)
    add_department_note(one.store.user("Dana"), kettle.id, "New seal fitted.", outcome=True, **store_kw)
    sync(one)
    assert escalation.escalate(hq_engine, later).settled == 1
    assert escalation.escalate(hq_engine, later).settled == 0
    with hq_engine.connect() as conn:
        e = hs.referral_escalations
        assert conn.execute(select(e.c.settled_at).where(e.c.referral_id == kettle.id)).scalar() is not None
    sync(two)
    assert kettle.id not in [r.id for r in department_queue(two.store.db.read, "manager")]


def test_a_referral_to_a_department_hq_does_not_hold_is_due_after_the_default_days_and_raises_an_alert(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq, pg_url: str, tmp_path: Path
) -> None:
    one = make_lane("T01", push=False)  # never synced: its own list has a department HQ lacks
    write_settings(one.store.db.write, {"service_desk": {"departments": [{"code": "bench", "name": "Repair bench"}]}})
    bench = refer(one, "bench", due_on=local_today(one) + timedelta(days=1))
    sync(one)
    (said,) = alerts(hq_engine, "referral_department")
    assert f"Referral {bench.id} went to Repair bench (bench), a department HQ does not hold" in said
    assert "set the department up at HQ (counter hq department)" in said
    with hq_engine.connect() as conn:  # reckoned in UTC: HQ was told no zone for S01
        referred_at = conn.execute(select(hs.referrals.c.referred_at).where(hs.referrals.c.id == bench.id)).scalar()
    day = datetime.strptime(referred_at, "%Y-%m-%dT%H:%M:%S.%fZ").date()
    assert hq_referral(hq_engine, bench.id).hq_due_on == (day + timedelta(days=5)).isoformat()
    with api(hq, one) as http:
        assert http.get("/v1/desk/referrals/overdue").json()["zone"] == "UTC"

    # overdue: the store manager takes it; `counter hq escalate` records it (HQ's own clock)
    with hq_engine.begin() as conn:
        conn.execute(
            update(hs.referrals)
            .where(hs.referrals.c.id == bench.id)
            .values(hq_due_on=(datetime.now(UTC).date() - timedelta(days=2)).isoformat())
        )
    assert cli(tmp_path, pg_url, "escalate") == 0
    assert cli(tmp_path, pg_url, "escalate") == 0
    with hq_engine.connect() as conn:
        rows = conn.execute(select(hs.referral_escalations.c.referral_id, hs.referral_escalations.c.escalated_to))
        assert list(rows) == [(bench.id, "manager")]


def test_the_overdue_route_reads_the_callers_store_only_and_an_admin_names_one(
    make_lane: Callable[..., Lane], hq_engine: Engine, hq: RunningHq
) -> None:
    one = make_lane("T01")
    with api(hq, one) as http:
        assert http.get("/v1/desk/referrals/overdue", params={"store": "S02"}).status_code == 403
        assert http.get("/v1/desk/referrals/overdue", params={"on": "tomorrow"}).status_code == 422
        assert http.post("/v1/desk/escalations").status_code == 403
    with admin(hq, hq_engine) as http:
        refused = http.get("/v1/desk/referrals/overdue")
        assert (refused.status_code, refused.json()["message"]) == (422, "Name the store: ?store=S01.")
        got = http.get("/v1/desk/referrals/overdue", params={"store": "S01"})
        assert (got.status_code, got.json()["referrals"]) == (200, [])
        ran = http.post("/v1/desk/escalations")
        assert (ran.status_code, ran.json()) == (200, {"escalated": [], "settled": 0})


# ================================================================== the migration


def test_hqs_migrations_build_exactly_the_tables_its_schema_describes(hq_engine: Engine) -> None:
    with hq_engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), hs.metadata)
    assert [d for d in diffs if not (d[0] == "remove_table" and d[1].name == "hq_alembic_version")] == []


def test_an_hq_at_0006_gets_departments_and_hqs_due_dates_without_projecting_its_journal_twice(pg_url: str) -> None:
    admin_engine = _admin_engine()  # pg_url: skipped (or failed under CI) as every HQ test without PostgreSQL
    name = f"counter_test_0006_{uuid.uuid4().hex[:8]}"
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(pg_url.rsplit("/", 1)[0] + "/" + name, pool_size=1)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0006")
        with engine.begin() as conn:  # desk rows as 0006 projected them (11 p.m. in Chicago: the next day in UTC)
            origin = {"store_id": "S01", "origin_terminal": "T01"}
            stamp = "2026-12-02T05:00:00.000000Z"
            conn.execute(
                text(
                    "INSERT INTO cases (store_id, origin_terminal, origin_seq, id, number, customer_id, kind, "
                    "category, status, opened_at, opened_by, updated_at) VALUES (:store_id, :origin_terminal, 1, "
                    "'c1', 'S01-T01-C00001', 'cu1', 'complaint', 'Product quality', 'referred', :at, 'u1', :at)"
                ),
                {**origin, "at": stamp},
            )
            conn.execute(  # an entry 0006 already projected: projected again, it would be refused (alerted)
                text(
                    "INSERT INTO journal (store_id, terminal_id, seq, id, type, at, body, prev_hash, hash, "
                    "received_at) VALUES ('S01', 'T01', 2, 'e2', 'CaseReferred', :at, '{}', :h, :h, now())"
                ),
                {"at": stamp, "h": "0" * 64},
            )
            for seq, ref, dept in ((2, "r1", "billing"), (3, "r2", "gifts")):
                conn.execute(
                    text(
                        "INSERT INTO referrals (store_id, origin_terminal, origin_seq, id, case_id, department, "
                        "department_name, priority, due_on, status, referred_at, referred_by) VALUES (:store_id, "
                        ":origin_terminal, :seq, :id, 'c1', :dept, NULL, 'high', '2026-12-20', 'open', :at, 'u1')"
                    ),
                    {**origin, "seq": seq, "id": ref, "dept": dept, "at": stamp},
                )
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with engine.connect() as conn:
            dues = dict(conn.execute(select(hs.referrals.c.id, hs.referrals.c.hq_due_on)).all())
            held = sorted(conn.execute(select(hs.departments.c.code, hs.departments.c.escalate_to)).all())
            said = conn.execute(select(hs.alerts.c.kind, hs.alerts.c.seq, hs.alerts.c.detail)).all()
            cases = conn.execute(select(func.count()).select_from(hs.cases)).scalar_one()
        assert dues == {"r1": "2026-12-07", "r2": "2026-12-07"}  # reckoned in UTC: no zone yet
        assert held == [("billing", "manager"), ("manager", None), ("online", "manager"), ("warranty", "manager")]
        assert [(k, s) for k, s, _ in said] == [("referral_department", 3)]
        assert "Referral r2 went to gifts (gifts), a department HQ does not hold" in said[0][2]
        assert cases == 1  # the journal was not projected again (no desk_backfill alert either)
    finally:
        engine.dispose()
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()
