"""The back office's actions on a hash chain (hq/office/audit.py, HQ migration 0014): every
action a person takes in the back office is recorded with who took it, each row chained to
the one before; an admin reads them on the audit page, and a row changed, removed or cut
off the end behind HQ's back is found and named there and by ``counter hq office-audit``.

The real HQ on the real PostgreSQL, over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, delete, insert, select, text, update

from hq import schema as hs
from hq.office import audit, audit_chain
from hq.store import utcnow
from tests.hq.conftest import scratch_hq
from tests.hq.office_browser import make_login
from tests.hq.test_departments_at_hq import cli
from tests.hq.test_office_staff import admin, office, post  # noqa: F401

pytestmark = pytest.mark.slow


def check(engine: Engine) -> audit_chain.Check:
    with engine.connect() as conn:
        return audit_chain.verify(conn)


def test_every_action_is_on_the_chain_and_an_admin_reads_it(
    hq_engine: Engine,
    admin: httpx.Client,  # noqa: F811
    office: Callable[[str], httpx.Client],  # noqa: F811
) -> None:
    added = post(admin, "/office/staff/add", {"login": "wanda", "user_id": "u-supervisor", "role": "agent",
                                              "store": "S01", "department": "warranty"})  # fmt: skip
    assert added.status_code == 200
    post(admin, "/office/staff/reset", {"login": "wanda"})
    with hq_engine.connect() as conn:
        rows = conn.execute(select(hs.office_actions).order_by(hs.office_actions.c.id)).mappings().all()
    assert [r["action"] for r in rows][-2:] == ["login_added", "password_reset"]
    assert rows[0]["prev_hash"] == "0" * 64
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(rows, rows[1:], strict=False))
    assert check(hq_engine).ok and check(hq_engine).rows == len(rows)

    page = admin.get("/office/audit")
    assert page.status_code == 200 and "Intact." in page.text and f"{len(rows):,} actions" in page.text
    assert "login_added" in page.text and "wanda" in page.text
    only = admin.get("/office/audit", params={"action": "password_reset"}).text
    assert "password_reset" in only and "login_added" not in only.split("<tbody>")[1]
    make_login(hq_engine, "alex", "u-manager", "store_manager", store_id="S01")
    refused = office("alex").get("/office/audit")
    assert refused.status_code == 403 and "wanda" not in refused.text


@pytest.mark.parametrize("tamper", ["changed", "removed", "cut_off", "inserted"])
def test_an_action_changed_removed_or_added_behind_hqs_back_is_found_and_named(
    tamper: str,
    hq_engine: Engine,
    admin: httpx.Client,  # noqa: F811
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for login in ("p.one", "p.two", "p.three"):
        post(admin, "/office/staff/add", {"login": login, "user_id": "u-supervisor", "role": "hq_staff"})
    a = hs.office_actions
    with hq_engine.connect() as conn:
        ids = list(conn.execute(select(a.c.id).order_by(a.c.id)).scalars())
    assert check(hq_engine).ok and len(ids) >= 3
    with hq_engine.begin() as conn:
        if tamper == "changed":  # someone with the database rewrites what was done
            conn.execute(update(a).where(a.c.id == ids[-2]).values(detail="hq_staff every store (nothing)"))
        elif tamper == "removed":
            conn.execute(delete(a).where(a.c.id == ids[-2]))
        elif tamper == "cut_off":
            conn.execute(delete(a).where(a.c.id == ids[-1]))
        else:
            last = conn.execute(select(a).where(a.c.id == ids[-1])).mappings().one()
            forged = {k: last[k] for k in ("login", "user_id", "action", "store_id", "target", "detail")}
            # a row that copies a real one's hashes cannot fit after it
            conn.execute(insert(a).values(at=utcnow(), prev_hash=last["hash"], hash=last["hash"], **forged))
    found = check(hq_engine)
    assert not found.ok and found.problem
    expected = {"changed": ids[-2], "removed": ids[-1], "cut_off": None}.get(tamper)
    if tamper != "inserted":
        assert found.bad_id == expected, found
    page = admin.get("/office/audit").text
    assert "Altered." in page and "The chain does not hold" in page
    assert cli(tmp_path, pg_url, "office-audit", "--last", "2") == 1
    assert "The chain does not hold" in capsys.readouterr().err


def test_the_migration_puts_the_actions_recorded_before_it_on_the_chain(pg_url: str) -> None:
    with scratch_hq(pg_url, "0013") as (engine, upgrade):
        with engine.begin() as conn:
            for n in range(3):
                conn.execute(
                    text(
                        "INSERT INTO office_actions (at, login, user_id, action, store_id, target, detail) "
                        "VALUES (now() + make_interval(secs => :n), 'jordan', 'u-admin', 'item_changed', NULL, "
                        ":t, 'price 2.00 → 1.50 «é»')"
                    ),
                    {"n": n, "t": f"SKU-{n}"},
                )
        upgrade("0014")
        found = check(engine)
        assert found.ok and found.rows == 3, found
        with engine.begin() as conn:  # the next action continues the same chain
            audit_chain.append(conn, "jordan", "u-admin", "item_changed", "SKU-9", "name", None)
        assert check(engine).ok and check(engine).rows == 4


def test_the_page_checks_the_newest_and_every_action_when_asked(
    hq_engine: Engine,
    admin: httpx.Client,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for login in ("q.one", "q.two", "q.three", "q.four"):
        post(admin, "/office/staff/add", {"login": login, "user_id": "u-supervisor", "role": "hq_staff"})
    monkeypatch.setattr(audit, "PAGE_ROWS", 2)
    a = hs.office_actions
    with hq_engine.begin() as conn:  # an old action rewritten: beyond the newest two
        first = conn.execute(select(a.c.id).order_by(a.c.id).limit(1)).scalar_one()
        conn.execute(update(a).where(a.c.id == first).values(detail="rewritten"))
    quick = admin.get("/office/audit").text
    assert "Intact." in quick and "Checked: the newest 2 and the chain" in quick and "whole=1" in quick
    whole = admin.get("/office/audit", params={"whole": "1"}).text
    assert "Altered." in whole and f"action #{first}" in whole
    with hq_engine.begin() as conn:  # the newest one rewritten: the page's own check finds it
        conn.execute(update(a).where(a.c.id == first).values(detail=""))
        newest = conn.execute(select(a.c.id).order_by(a.c.id.desc()).limit(1)).scalar_one()
        conn.execute(update(a).where(a.c.id == newest).values(detail="rewritten"))
    assert "Altered." in admin.get("/office/audit").text
