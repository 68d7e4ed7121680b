"""Rebuild a dead lane from HQ (issue #19, point 4), over the real HQ (PostgreSQL, uvicorn):
the drill (sales synced, sales not synced, the store destroyed, `counter restore --from-hq`
into a new folder on a machine with a new installation key), the declared new chain, and
what is refused: a wrong or used code, a code for the other kind of chain, HQ's head moving
during the restore, HQ away before and during it, a page that does not chain."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select, text

from cli.main import main
from counter.journal import JournalEntry
from counter.people.user_admin import add_user
from counter.people.users import Role
from db.demo import STORE
from db.engine import DB_FILENAME, open_database, pin_key
from db.hq_client import HqClient, HqRefused
from db.keys import load_secret
from db.queries import read_settings
from db.restore_hq import STAGE, RestoreRefused, restore_from_hq
from db.sync import Syncer, enrol, sync_config
from hq import access, schema as hs
from hq.restore import new_restore_code
from hq.serve import RunningHq
from tests.conftest import FAST_HASHER
from tests.db.support import TestStore
from tests.hq.conftest import Lane, dead_url, ensure_shift, hq_journal
from tests.hq.test_desk_feed_at_hq import complaint
from tests.hq.test_people_sync import change, new_customer
from tests.trust.support import audit, drop_triggers, raw, rehash

SALES = [("apparel", 1), ("home-kitchen", 2)]


@pytest.fixture
def new_machine(tmp_path: Path) -> Path:
    """An empty data folder for the rebuilt store."""
    folder = tmp_path / "rebuilt"
    folder.mkdir()
    return folder


def _new_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """From here on, this machine has an installation key of its own (a new machine)."""
    monkeypatch.setenv("COUNTER_SECRET_FILE", str(tmp_path / "new-machine-config" / "secret.key"))


def _hq_sales(hq_engine: Engine, terminal: str) -> dict[str, int]:
    with hq_engine.connect() as conn:
        rows = conn.execute(
            select(hs.sales.c.receipt_number, hs.sales.c.total_minor).where(
                hs.sales.c.store_id == "S01", hs.sales.c.terminal_id == terminal
            )
        )
        return {str(r[0]): int(r[1]) for r in rows}


def _lane_sales(folder: Path, terminal: str) -> dict[str, int]:
    with raw(folder) as conn:
        rows = conn.execute("SELECT receipt_number, total_minor FROM sales WHERE terminal_id = ?", (terminal,))
        return {str(r[0]): int(r[1]) for r in rows}


def _entries(folder: Path, terminal: str, after: int) -> list[JournalEntry]:
    with raw(folder) as conn:
        rows = conn.execute(
            "SELECT terminal_id, seq, id, type, at, body, prev_hash, hash FROM journal "
            "WHERE terminal_id = ? AND seq > ? ORDER BY seq",
            (terminal, after),
        ).fetchall()
    return [JournalEntry(*r) for r in rows]


def _destroy(lane: Lane) -> None:
    lane.close()
    shutil.rmtree(lane.folder)


def _nothing_left(folder: Path) -> None:
    assert not (folder / DB_FILENAME).exists()
    assert not (folder / STAGE).exists()
    assert not (folder / "hq.token").exists()


def _code(capsys: pytest.CaptureFixture[str], pg_url: str, *args: str) -> str:
    assert main(["hq", "restore-code", "--database-url", pg_url, "--store", "S01", *args]) == 0
    return capsys.readouterr().out.strip()


def test_the_drill_every_sale_hq_received_is_back_and_the_chain_continues(
    make_lane,
    hq: RunningHq,
    hq_engine: Engine,
    pg_url: str,
    new_machine: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    lane = make_lane("T01")
    old_key = load_secret().key_id
    synced = [lane.sell(SALES) for _ in range(3)]
    returned = lane.take_return(synced[0], [(0, 1)])  # to store credit: a return, its refund and a voucher
    assert returned.voucher_code is not None
    assert lane.syncer.cycle().backlog == 0
    head_seq = lane.syncer.acked_seq()
    lost = [lane.sell([("footwear", 3)]) for _ in range(2)]  # never synced: lost with the disk
    unsynced = _entries(lane.folder, "T01", head_seq)
    assert len(unsynced) == 2
    at_hq = _hq_sales(hq_engine, "T01")
    assert {s.receipt_number for s in synced} <= set(at_hq)
    assert not {s.receipt_number for s in lost} & set(at_hq)
    old_token = lane.config.token
    _destroy(lane)
    _new_key(monkeypatch, tmp_path)

    code = _code(capsys, pg_url, "--terminal", "T01")
    rc = main(["restore", "--data-dir", str(new_machine), "--from-hq", hq.url, "--code", code, "--yes"])
    said = capsys.readouterr()
    assert rc == 0, said.err
    assert f"HQ had S01-T01's journal up to entry {head_seq}" in said.out
    assert "is LOST" in said.out and "HQ took the LaneRestored entry" in said.out

    # every sale HQ received is back, with its receipt number and total; the lost ones are not
    assert _lane_sales(new_machine, "T01") == at_hq
    with raw(new_machine) as conn:  # and the return, with its store credit
        assert conn.execute("SELECT return_number FROM returns").fetchall() == [(returned.return_number,)]
        credit = conn.execute(
            "SELECT sum(amount_minor) FROM voucher_movements WHERE voucher_code = ?", (returned.voucher_code,)
        ).fetchone()[0]
    assert credit > 0
    # journal verify passes (the CLI), with HQ's head as an anchor, on the new machine's key
    hq_head = hq_journal(hq_engine, "T01")
    assert (
        main(
            [
                "journal",
                "verify",
                "--data-dir",
                str(new_machine),
                "--anchor",
                f"T01:{head_seq}:{hq_head[head_seq - 1][1]}",
            ]
        )
        == 0
    )
    assert "BAD" not in capsys.readouterr().out
    # the LaneRestored entry continues HQ's chain, re-sealed with this machine's key
    entries = _entries(new_machine, "T01", head_seq)
    restored = entries[0]
    assert (restored.seq, restored.type, restored.prev_hash) == (head_seq + 1, "LaneRestored", hq_head[head_seq - 1][1])
    body = json.loads(restored.body)
    assert body["restored_to_seq"] == head_seq and body["new_chain"] is False
    assert body["sealed_with_key"] == load_secret().key_id != old_key

    # the staff HQ holds sign in with their PINs, keyed with the new machine's key
    with raw(new_machine) as conn:
        maria = conn.execute("SELECT pin_hash FROM users WHERE id = 'u-cashier-1'").fetchone()[0]
    new_pins = FAST_HASHER.keyed(pin_key(load_secret()))
    assert new_pins.matches(maria, "1111") and not new_pins.matches(maria, "1112")

    # the next sale continues the chain, and HQ takes its push
    store = TestStore(new_machine)
    try:
        ensure_shift(store)
        sale = store.sell([(store.item_in("apparel"), 1)])
        last_restored = max(at_hq)
        assert sale.receipt_number == f"S01-T01-{int(last_restored.rsplit('-', 1)[1]) + 1:06d}"
        config = sync_config(store.db.read)
        assert config is not None and config.terminal == "T01"
        client = config.client()
        try:
            status = Syncer(store.db.write, store.db.read, client, config).cycle()
        finally:
            client.close()
        assert status.online and not status.problem and status.backlog == 0
        local = [(e.seq, e.hash) for e in _entries(new_machine, "T01", 0)]
    finally:
        store.close()
    assert hq_journal(hq_engine, "T01") == local
    assert sale.receipt_number in _hq_sales(hq_engine, "T01")

    # the dead machine cannot push what it had: its token was revoked by the restore
    old = HqClient(hq.url, old_token)
    try:
        with pytest.raises(HqRefused) as refused:
            old.push("S01", "T01", unsynced, datetime.now(UTC))
    finally:
        old.close()
    assert refused.value.status == 401
    # ...nor could its lost entries fork the chain under the new token: HQ's entry of that
    # seq is the restored lane's now
    new_token = (new_machine / "hq.token").read_text(encoding="ascii").strip()
    forked = HqClient(hq.url, new_token)
    try:
        with pytest.raises(HqRefused) as fork:
            forked.push("S01", "T01", unsynced, datetime.now(UTC))
    finally:
        forked.close()
    assert (fork.value.status, fork.value.error) == (409, "seq_conflict")

    # and a row changed afterwards is caught: an attacker edits a restored sale and rehashes
    with raw(new_machine) as conn:
        drop_triggers(conn)
        seq = conn.execute(
            "SELECT seq FROM journal WHERE terminal_id = 'T01' AND type = 'SaleCompleted' ORDER BY seq LIMIT 1"
        ).fetchone()[0]
        conn.execute(
            "UPDATE journal SET at = '2001-01-01T09:00:00.000000Z' WHERE terminal_id = 'T01' AND seq = ?", (seq,)
        )
        rehash(conn, "T01", seq)
    result = audit(new_machine)
    assert not result.ok
    assert "seal" in result.chains["T01"].describe()


def test_a_new_chain_is_declared_and_linked_to_the_old(
    make_lane, hq: RunningHq, hq_engine: Engine, new_machine: Path
) -> None:
    lane = make_lane("T01")
    synced = [lane.sell(SALES) for _ in range(2)]
    lane.syncer.cycle()
    head_seq, head_hash = hq_journal(hq_engine, "T01")[-1]
    _destroy(lane)

    code = new_restore_code(hq_engine, "S01", "T01", "T05")
    with pytest.raises(HqRefused) as refused:  # the code says new chain: the lane must say so too
        restore_from_hq(new_machine, hq.url, code)
    assert refused.value.error == "chain_choice" and "--new-chain" in refused.value.message
    _nothing_left(new_machine)

    report = restore_from_hq(new_machine, hq.url, code, new_chain=True)  # not spent by the refusal
    assert (report.terminal, report.source, report.restored_seq, report.pushed) == ("T05", "T01", head_seq, True)
    assert "new chain S01-T05" in "\n".join(report.lines())
    first = _entries(new_machine, "T05", 0)[0]
    body = json.loads(first.body)
    assert (first.seq, first.type, first.prev_hash) == (1, "LaneRestored", "0" * 64)
    assert (body["source_terminal"], body["restored_to_seq"], body["restored_to_hash"]) == ("T01", head_seq, head_hash)
    assert hq_journal(hq_engine, "T05")[0] == (1, first.hash)  # HQ holds the link
    assert {s.receipt_number for s in synced} <= set(_lane_sales(new_machine, "T01"))
    assert audit(new_machine).ok

    store = TestStore(new_machine)
    try:
        assert store.terminal.terminal_id == "T05"
        ensure_shift(store)
        assert store.sell([(store.item_in("footwear"), 1)]).receipt_number == "S01-T05-000001"
    finally:
        store.close()
    # the old chain is closed: nothing can push as T01 any more
    with hq_engine.connect() as conn:
        live = conn.execute(
            select(hs.tokens.c.token_hash).where(hs.tokens.c.terminal_id == "T01", hs.tokens.c.revoked_at.is_(None))
        ).all()
    assert live == []


def test_a_wrong_or_used_code_is_refused_and_leaves_nothing(
    make_lane, hq: RunningHq, hq_engine: Engine, new_machine: Path
) -> None:
    make_lane("T01")
    with pytest.raises(HqRefused) as wrong:
        restore_from_hq(new_machine, hq.url, "AAAA-BBBB-CCCC")
    assert wrong.value.status == 401 and "not valid" in wrong.value.message
    _nothing_left(new_machine)
    enrol_code = access.new_enrol_code(hq_engine, "S01", "T01")  # an enrolment code is no restore code
    with pytest.raises(HqRefused):
        restore_from_hq(new_machine, hq.url, enrol_code)
    code = new_restore_code(hq_engine, "S01", "T01")
    restore_from_hq(new_machine, hq.url, code)
    again = new_machine.parent / "again"
    again.mkdir()
    with pytest.raises(HqRefused) as used:
        restore_from_hq(again, hq.url, code)
    assert used.value.status == 401
    _nothing_left(again)
    with pytest.raises(RestoreRefused, match="already holds a store"):  # never over a store
        restore_from_hq(new_machine, hq.url, new_restore_code(hq_engine, "S01", "T01"))


def test_hq_head_moving_during_the_restore_is_refused(
    make_lane, hq: RunningHq, hq_engine: Engine, new_machine: Path
) -> None:
    lane = make_lane("T01")
    lane.sell(SALES)
    lane.syncer.cycle()
    code = new_restore_code(hq_engine, "S01", "T01")

    def someone_still_pushes_as_t01(_seq: int) -> None:
        # Someone enrols the old terminal again meanwhile, and it pushes a sale.
        config = enrol(lane.store.db.write, hq.url, access.new_enrol_code(hq_engine, "S01", "T01"))
        lane.sell(SALES)
        client = config.client()
        try:
            Syncer(lane.store.db.write, lane.store.db.read, client, config).push_all()
        finally:
            client.close()

    with pytest.raises(RestoreRefused) as refused:
        restore_from_hq(new_machine, hq.url, code, page=10, after_page=someone_still_pushes_as_t01)
    assert "moved during the restore" in refused.value.message
    assert "still pushing as S01-T01" in refused.value.message
    _nothing_left(new_machine)


class _GoesAway(httpx.HTTPTransport):
    """HQ answers the first ``n`` requests, then cannot be reached (as when its network drops)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.n -= 1
        if self.n < 0:
            raise httpx.ConnectError("HQ went away", request=request)
        return super().handle_request(request)


def test_hq_away_before_or_during_the_restore_leaves_no_store(
    make_lane, hq: RunningHq, hq_engine: Engine, new_machine: Path
) -> None:
    lane = make_lane("T01")
    lane.syncer.cycle()
    code = new_restore_code(hq_engine, "S01", "T01")
    with pytest.raises(RestoreRefused) as before:
        restore_from_hq(new_machine, dead_url(), code)
    assert "cannot be reached" in before.value.message and "code is not spent" in before.value.message
    _nothing_left(new_machine)

    away = _GoesAway(2)  # the code is spent and the first page comes; then HQ is gone
    with pytest.raises(RestoreRefused) as during:
        restore_from_hq(new_machine, hq.url, code, page=5, transport=away)
    assert "could not be reached during the restore" in during.value.message
    assert "ask HQ for a new restore code" in during.value.hint
    _nothing_left(new_machine)


def test_a_page_that_does_not_chain_is_refused(make_lane, hq: RunningHq, hq_engine: Engine, new_machine: Path) -> None:
    lane = make_lane("T01")
    lane.sell(SALES)
    lane.syncer.cycle()
    with hq_engine.begin() as conn:  # HQ's copy damaged: one entry's body changed
        conn.execute(
            text("UPDATE journal SET at = '2001-01-01T09:00:00.000000Z' WHERE terminal_id = 'T01' AND seq = 7")
        )
    code = new_restore_code(hq_engine, "S01", "T01")
    with pytest.raises(RestoreRefused) as refused:
        restore_from_hq(new_machine, hq.url, code, page=5)
    assert "entry 7 of S01-T01's journal" in refused.value.message
    assert "does not continue the chain verified up to entry 5" in refused.value.message
    _nothing_left(new_machine)


def test_restore_codes_name_an_enrolled_terminal_and_an_unused_new_one(
    make_lane, hq_engine: Engine, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from hq.restore import RestoreError

    make_lane("T01")
    make_lane("T02", push=False)
    assert main(["hq", "restore-code", "--database-url", pg_url, "--store", "S01", "--terminal", "T09"]) == 1
    assert "HQ holds no journal of S01-T09: it never enrolled here." in capsys.readouterr().err
    with pytest.raises(RestoreError, match="already enrolled"):
        new_restore_code(hq_engine, "S01", "T01", "T02")


def test_the_desk_comes_back_with_its_words_and_other_lanes_go_on_feeding_it(
    make_lane, hq: RunningHq, hq_engine: Engine, new_machine: Path
) -> None:
    t1, t2 = make_lane("T01"), make_lane("T02")
    jane = new_customer(t1, "Jane Restored", "(217) 555-0177", "jane.r@example.org")
    t1.syncer.cycle()
    t2.syncer.cycle()  # T02 knows Jane now
    mine = complaint(t1, jane.id, "The kettle stops heating after a minute.")
    t1.syncer.cycle()
    theirs = complaint(t2, jane.id, "Called about the kettle from the other till.")
    t2.syncer.cycle()
    t1.syncer.cycle()  # T01 takes T02's complaint (DeskEventReceived on its own chain)
    change(t1, jane, phone="(217) 555-0178")
    t1.syncer.cycle()
    _destroy(t1)

    pages: list[int] = []
    report = restore_from_hq(
        new_machine, hq.url, new_restore_code(hq_engine, "S01", "T01"), page=4, after_page=pages.append
    )
    assert report.pushed and len(pages) > 5 and pages[-1] == report.restored_seq  # many pages, each chained on
    with raw(new_machine) as conn:
        name, phone = conn.execute("SELECT name, phone FROM customers WHERE id = ?", (jane.id,)).fetchone()
        city = conn.execute("SELECT city FROM customer_addresses WHERE customer_id = ?", (jane.id,)).fetchone()[0]
        words = dict(conn.execute("SELECT case_id, words FROM contacts WHERE customer_id = ?", (jane.id,)).fetchall())
    assert (name, phone, city) == ("Jane Restored", "+12175550178", "Riverton")
    assert words == {
        mine.id: "The kettle stops heating after a minute.",
        theirs.id: "Called about the kettle from the other till.",
    }
    assert audit(new_machine).ok

    # another lane's desk work after the restore comes through the desk feed as usual
    later = complaint(t2, jane.id, "Customer called again: any news?")
    t2.syncer.cycle()
    store = TestStore(new_machine)
    try:
        config = sync_config(store.db.read)
        assert config is not None
        client = config.client()
        try:
            status = Syncer(store.db.write, store.db.read, client, config).cycle()
        finally:
            client.close()
        assert status.online and not status.problem
    finally:
        store.close()
    with raw(new_machine) as conn:
        got = conn.execute("SELECT words FROM contacts WHERE case_id = ?", (later.id,)).fetchone()
    assert got == ("Customer called again: any news?",)
    assert audit(new_machine).ok


def test_the_command_says_what_went_wrong_in_one_line_and_spends_nothing_it_need_not(
    make_lane, hq: RunningHq, hq_engine: Engine, new_machine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_lane("T01")
    code = new_restore_code(hq_engine, "S01", "T01")
    base = ["restore", "--data-dir", str(new_machine), "--code", code, "--yes"]

    with pytest.raises(SystemExit) as usage:  # no source named: --from BACKUP or --from-hq URL
        main(base)
    assert usage.value.code == 2 and "--from-hq" in capsys.readouterr().err
    assert main([*base, "--from-hq", dead_url()]) == 1
    err = capsys.readouterr().err
    assert "cannot be reached" in err and "the code is not spent" in err and "Traceback" not in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "a shop"}', encoding="utf-8")
    assert main([*base, "--from-hq", hq.url, "--store-settings", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "cannot be used (it has no 'store' object)" in err and "Traceback" not in err
    assert main(base[:-1] + ["--from-hq", hq.url]) == 1  # no one to answer the question, and no --yes
    assert "add --yes" in capsys.readouterr().err
    _nothing_left(new_machine)

    good = tmp_path / "store.json"
    good.write_text(json.dumps({"store": {**STORE, "id": "S99", "name": "Harbor North"}, "terminal": {"id": "T77"}}))
    assert main([*base, "--from-hq", hq.url, "--store-settings", str(good)]) == 0  # the code was still good
    assert f"are from {good}" in capsys.readouterr().out
    db = open_database(new_machine, create=False)
    try:
        settings = read_settings(db.read)
    finally:
        db.dispose()
    assert (settings["store"]["id"], settings["store"]["name"], settings["terminal"]) == (
        "S01",
        "Harbor North",
        {"id": "T01"},
    )


def test_staff_added_at_the_lane_alone_come_back_without_a_pin(
    make_lane, hq: RunningHq, hq_engine: Engine, new_machine: Path
) -> None:
    lane = make_lane("T01")
    casey = add_user(
        lane.store.user("Jordan"),
        "Casey Newhire",
        Role.CASHIER,
        "5678",
        uow_factory=lane.store.uow,
        hasher=FAST_HASHER,
        badge_key=b"k" * 32,
        clock=lane.store.clock,
    )
    lane.store.users["Casey"] = casey
    sale = lane.store.sell([(lane.store.item_in("apparel"), 1)], cashier="Casey")
    lane.syncer.cycle()
    _destroy(lane)

    report = restore_from_hq(new_machine, hq.url, new_restore_code(hq_engine, "S01", "T01"))
    assert report.staff_without_pin == ("Casey Newhire",)
    assert "Casey Newhire. An administrator sets their PINs" in "\n".join(report.lines())
    with raw(new_machine) as conn:
        row = conn.execute("SELECT name, role, active, pin_hash FROM users WHERE id = ?", (casey.id,)).fetchone()
        cashier = conn.execute(
            "SELECT cashier_id FROM sales WHERE receipt_number = ?", (sale.receipt_number,)
        ).fetchone()
    assert row[:3] == ("Casey Newhire", "cashier", 1)
    assert not FAST_HASHER.matches(row[3], "5678")
    assert cashier == (casey.id,)
    assert audit(new_machine).ok


def test_the_arguments_join_a_restore_command_that_has_its_own_yes() -> None:
    import argparse

    from cli.restore_hq import add_from_hq_arguments

    restore = argparse.ArgumentParser(prog="counter restore")
    restore.add_argument("--from", dest="backup")
    restore.add_argument("--yes", action="store_true")
    add_from_hq_arguments(restore)  # no clash over --yes
    args = restore.parse_args(["--from-hq", "https://hq.example:8765", "--code", "AB12-CD34-EF56", "--yes"])
    assert (args.from_hq, args.code, args.yes, args.new_chain, args.backup) == (
        "https://hq.example:8765",
        "AB12-CD34-EF56",
        True,
        False,
        None,
    )


def test_an_hq_from_before_restores_is_named_and_the_code_is_not_spent(
    new_machine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An older HQ answers 404 to the restore: the person is told to upgrade HQ first."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class OlderHq(BaseHTTPRequestHandler):
        def _404(self) -> None:
            body = b'{"detail": "Not Found"}'
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _404  # noqa: N815 - http.server's names

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), OlderHq)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        args = ["restore", "--data-dir", str(new_machine), "--from-hq", url, "--code", "ABCD-EFGH-IJKL", "--yes"]
        assert main(args) == 1
    finally:
        server.shutdown()
    err = capsys.readouterr().err
    assert "does not offer restores (it answered 404: an older HQ)" in err and "upgrade HQ first" in err
    assert "Traceback" not in err and not (new_machine / DB_FILENAME).exists()
