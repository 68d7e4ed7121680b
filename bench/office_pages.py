"""The back office's page timings (issue #18: every page p95 <= 200 ms on an HQ holding
100 stores x 1 year of data).

A scratch HQ database at head with the demo reference data, then a chain's data written in
bulk by PostgreSQL (bench/office_data.py: ``--stores`` x ``--days``, ``--sales-per-day`` and
``--cases-per-day`` per store), HQ served by uvicorn (two workers) on a loopback port, three
logins (a warranty agent of S001, S001's store manager, an HQ staff member) signed in over
httpx, and each page fetched ``--runs`` times after ``--warmups``, one request at a time, each
checked for its status and content. Figures: p50 and p95 per page in ms, target 200.

    .venv/bin/python bench/office_pages.py                        # 100 stores x 365 days
    .venv/bin/python bench/office_pages.py --stores 100 --days 60 --keep
    .venv/bin/python bench/office_pages.py --db postgresql+psycopg://postgres@127.0.0.1:5432/counter_bench_x

``--keep`` leaves the database (its URL on stderr); ``--db`` times pages on such a one
again without generating (the logins are made once).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from hq_support import cpu_meter, emit, hq_database, hq_process, note, percentile  # noqa: E402
from office_data import Size, generate, proposed_indexes  # noqa: E402
from sqlalchemy import Engine, func, select, update  # noqa: E402

PASSWORD = "bench-office-password-1"
LOGINS = {  # login: (user, role, store, department)
    "bench.agent": ("u-cashier-2", "agent", "S001", "warranty"),
    "bench.manager": ("u-manager", "store_manager", "S001", None),
    "bench.hq": ("u-admin", "hq_staff", None, None),
    "bench.admin": ("u-supervisor", "admin", None, None),
}
AUDIT_ROWS = 100_000  # a busy chain's year of back-office actions, on the audit chain
TARGET_MS = 200.0


def make_logins(engine: Engine) -> None:
    from hq import schema as hs
    from hq.office import auth

    with engine.connect() as conn:
        have = {str(r[0]) for r in conn.execute(select(hs.office_logins.c.login))}
    for login, (user, role, store, department) in LOGINS.items():
        if login in have:
            continue
        auth.add_login(engine, login, user, role, store_id=store, department=department)
        with engine.begin() as conn:
            conn.execute(
                update(hs.office_logins)
                .where(hs.office_logins.c.login == login)
                .values(password_hash=auth.hash_password(PASSWORD), must_change=False)
            )


def audit_rows(engine: Engine, wanted: int = AUDIT_ROWS) -> None:
    """Fill the back office's audit chain up to ``wanted`` actions, chained as HQ chains them
    (hq/office/audit.py), in bulk."""
    from datetime import UTC, datetime, timedelta

    from hq import schema as hs
    from hq.office import audit_chain as audit

    a, h = hs.office_actions, hs.office_audit_head
    with engine.begin() as conn:
        have = int(conn.execute(select(func.count()).select_from(a)).scalar_one())
        if have >= wanted:
            return
        head = conn.execute(select(h.c.hash, h.c.rows).where(h.c.chain == audit.CHAIN).with_for_update()).first()
        prev = str(head.hash) if head is not None else "0" * 64
        start = time.perf_counter()
        at0 = datetime.now(UTC) - timedelta(days=365)
        rows = []
        for n in range(wanted - have):
            at = at0 + timedelta(seconds=n * 300)
            store = f"S{n % 100 + 1:03d}"
            values = {"login": "bench.manager", "user_id": "u-manager", "action": "approval_approve",
                      "store_id": store, "target": f"{store}:req-{n}", "detail": "ok"}  # fmt: skip
            digest = audit.row_hash(prev, at, values)
            rows.append({"at": at, "prev_hash": prev, "hash": digest, **values})
            prev = digest
        for i in range(0, len(rows), 5000):
            conn.execute(a.insert(), rows[i : i + 5000])
        if head is None:
            conn.execute(h.insert().values(chain=audit.CHAIN, hash=prev, rows=wanted))
        else:
            conn.execute(h.update().where(h.c.chain == audit.CHAIN).values(hash=prev, rows=wanted))
    note(f"audit chain: {wanted - have:,} actions added in {time.perf_counter() - start:.1f} s")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    if not found:
        raise SystemExit(f"no form token on the sign-in page: {html[:300]}")
    return found.group(1)


def sign_in(client: httpx.Client, login: str) -> float:
    """Sign ``client`` in; returns the POST's time in ms."""
    form = client.get("/office/sign-in")
    start = time.perf_counter()
    r = client.post("/office/sign-in", data={"login": login, "password": PASSWORD, "csrf": csrf_of(form.text)})
    took = (time.perf_counter() - start) * 1000
    if r.status_code != 303:
        raise SystemExit(f"{login} was not signed in: {r.status_code} {r.text[:300]}")
    return took


def a_case(engine: Engine) -> tuple[str, str]:
    """An open warranty referral's case in S001 (what the agent opens from the queue)."""
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT case_id FROM referrals WHERE store_id = 'S001' AND department = 'warranty' AND status = 'open'"
            " ORDER BY referred_at DESC LIMIT 1"
        ).first()
    if row is None:
        raise SystemExit("no open warranty referral in S001: give more --days or --cases-per-day")
    return "S001", str(row[0])


SLOW_MS = 2000.0  # a page whose warm-ups take longer is fetched SLOW_RUNS times only
SLOW_RUNS = 10


def timed(fetch: Callable[[], httpx.Response], check: str, runs: int, warmups: int) -> list[float]:
    out: list[float] = []
    i = -1
    while (i := i + 1) < warmups + runs:
        start = time.perf_counter()
        r = fetch()
        took = (time.perf_counter() - start) * 1000
        if r.status_code != 200 or check not in r.text:
            raise SystemExit(f"{r.request.url}: {r.status_code}, {check!r} not in {r.text[:400]!r}")
        if i >= warmups:
            out.append(took)
        elif i == warmups - 1 and took > SLOW_MS and runs > SLOW_RUNS:
            note(f"  (a warm-up took {took:.0f} ms: {SLOW_RUNS} runs of this page, not {runs})")
            runs = SLOW_RUNS
    return out


def pages(engine: Engine) -> list[tuple[str, str, str, str]]:
    """(figure name, login, path, text the page must hold)."""
    store, case_id = a_case(engine)
    return [
        ("queue_agent", "bench.agent", "/office/queue", "Warranty and repair"),
        ("queue_hq_every_department", "bench.hq", "/office/queue", "Every department"),
        ("case_agent", "bench.agent", f"/office/cases/{store}/{case_id}", "Warranty and repair"),
        ("analysis_manager_30d", "bench.manager", "/office/analysis", "Returns by reason"),
        ("analysis_hq_every_store_30d", "bench.hq", "/office/analysis", "Returns by reason"),
        ("analysis_csv_manager_30d", "bench.manager", "/office/analysis.csv", "period_from"),
        ("catalog_search", "bench.hq", "/office/catalog?q=shirt", "T-Shirt"),
        ("policies", "bench.hq", "/office/policies", "Apparel"),
        ("item_hq", "bench.hq", "/office/catalog/items/item-000001", "Vendor"),
        ("approvals_manager", "bench.manager", "/office/approvals", "Approvals waiting"),
        ("approvals_hq_every_store", "bench.hq", "/office/approvals", "every store"),
        ("exceptions_hq_every_store", "bench.hq", "/office/exceptions", "Exceptions and alerts"),
        ("lanes_hq_every_store", "bench.hq", "/office/lanes", "S100"),
        ("people_admin", "bench.admin", "/office/people", "Staff"),
        ("logins_admin", "bench.admin", "/office/staff", "Staff logins"),
        ("audit_admin_newest", "bench.admin", "/office/audit", "Intact."),
        ("audit_admin_every_action", "bench.admin", "/office/audit?whole=1", "Every action was checked"),
    ]


def measure(url: str, engine: Engine, runs: int, warmups: int, only: set[str]) -> None:
    make_logins(engine)
    audit_rows(engine)
    plan = pages(engine)
    with hq_process(url, workers=2) as base, cpu_meter("office_pages"):
        clients = {login: httpx.Client(base_url=base, timeout=120) for login in LOGINS}
        try:
            if not only or "sign_in" in only:
                took = []
                for _ in range(warmups + runs):  # a fresh browser each time: its own sign-in form
                    with httpx.Client(base_url=base, timeout=30) as c:
                        took.append(sign_in(c, "bench.agent"))
                report("sign_in_post", took[warmups:], password_check_ms(runs))
            for login, client in clients.items():
                sign_in(client, login)
            for name, login, path, check in plan:
                if only and name not in only:
                    continue
                client = clients[login]
                report(name, timed(lambda c=client, p=path: c.get(p), check, runs, warmups))  # type: ignore[misc]
        finally:
            for c in clients.values():
                c.close()


def password_check_ms(runs: int) -> float:
    """The floor of a sign-in: one argon2id check of a password (the library's defaults,
    hq/office/auth.py), in this process, median of ``runs``."""
    from hq.office import auth

    hashed = auth.hash_password(PASSWORD)
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        auth._verify(hashed, PASSWORD)
        took.append((time.perf_counter() - start) * 1000)
    return percentile(took, 50)


def analysis_parts(engine: Engine, store: str | None) -> None:
    """Where the analysis page's time goes: its parts timed in this process (stderr)."""
    from datetime import UTC, datetime, timedelta

    from counter.desk.chain_analysis import analyse_chain
    from hq import analysis, departments
    from hq.office.cash_analysis import cash_analysis

    last = datetime.now(UTC).date()
    first = last - timedelta(days=29)
    took: dict[str, float] = {}

    @contextmanager
    def part(name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        took[name] = took.get(name, 0.0) + (time.perf_counter() - start) * 1000

    sold: list[Any] = []
    returned: list[Any] = []
    contacts: list[Any] = []
    cases: list[Any] = []
    with engine.connect() as conn:
        with part("items_staff"):
            cats, names = analysis.categories(conn), analysis.names_of(conn)
        with part("stores"):
            stores = [store] if store else analysis.stores_with_data(conn)
        for st in stores:
            with part("bounds"):
                lo, hi = analysis.bounds(conn, st, first, last)
                zone = departments.zone_of(conn, st)
            with part("sold"):
                sold += [row for *_, row in analysis.sold_rows(conn, [st], lo, hi, cats, names, zone)]
            with part("returns"):
                returned += [row for _, row in analysis.return_rows(conn, [st], lo, hi, cats, names, zone)]
            with part("complaints"):
                contacts += [row for *_, row in analysis.complaint_rows(conn, [st], lo, hi, zone)]
            with part("cases"):
                cases += [row for _, row in analysis.case_rows(conn, [st], lo, hi)]
    with part("aggregate"):
        analyse_chain(sold, returned, contacts, cases, first, last)
    with part("cash"):
        cash_analysis(engine, first, last, store)
    shown = ", ".join(f"{k} {v:.0f}" for k, v in took.items())
    note(f"  analysis parts, {store or 'every store'}, 30 days, ms: {shown} (sum {sum(took.values()):.0f});"
         f" {len(sold):,} sold lines, {len(returned):,} returned")  # fmt: skip


def kept_days(engine: Engine, days: int) -> None:
    """Make the kept analysis days as ``counter hq serve``'s refresher does (the last
    ``days`` of every store, and every store's), timed; the pages then read them."""
    from hq.office import analysis_days

    start = time.perf_counter()
    made = analysis_days.refresh(engine, keep_days=days)
    took = time.perf_counter() - start
    note(f"kept analysis days: {made:,} store days made in {took:.1f} s ({took / max(made, 1) * 1000:.1f} ms each)")
    emit("office_analysis_days_made", made, "store days")
    emit("office_analysis_days_refresh", took, "s")
    start = time.perf_counter()
    again = analysis_days.refresh(engine, keep_days=days)
    emit("office_analysis_days_refresh_nothing_stale", (time.perf_counter() - start) * 1000, "ms")
    note(f"  a refresh with nothing stale: {again} made in {(time.perf_counter() - start) * 1000:.0f} ms")
    # between two refreshes of a live chain: every store pushed today, so the page makes
    # today's day again for each store before it adds the days up (in-process, no HTTP)
    from datetime import UTC, datetime, timedelta

    from hq import analysis, analysis_dirty

    with engine.connect() as conn:
        stores = list(analysis.stores_with_data(conn))
    last = datetime.now(UTC).date()
    took_ms = []
    for _ in range(5):
        with engine.begin() as conn:
            for st in stores:
                analysis_dirty.mark(conn, st, [last])
        start = time.perf_counter()
        kept = analysis_days.read(engine, last - timedelta(days=29), last, None)
        took_ms.append((time.perf_counter() - start) * 1000)
    note(f"  every store, 30 days, after {len(stores)} stores pushed today: {kept.made} store days made, "
         f"p50 {percentile(took_ms, 50):.0f} ms, max {max(took_ms):.0f} ms")  # fmt: skip
    emit("office_analysis_every_store_after_pushes_p50", percentile(took_ms, 50), "ms")


def report(name: str, took: list[float], floor: float | None = None) -> None:
    p50, p95 = percentile(took, 50), percentile(took, 95)
    shown = f"  floor {floor:6.1f} ms" if floor is not None else ""
    note(f"  {name:32} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  max {max(took):8.1f} ms{shown}")
    emit(f"office_{name}_p50", p50, "ms", target=TARGET_MS, floor=floor)
    emit(f"office_{name}_p95", p95, "ms", target=TARGET_MS, floor=floor)


@contextmanager
def database(args: argparse.Namespace) -> Iterator[tuple[str, Engine]]:
    if args.db:
        from hq.store import make_engine, migrate

        engine = make_engine(args.db, pool_size=2)
        migrate(engine)  # a database kept by an older version: to this code's schema first
        try:
            yield args.db, engine
        finally:
            engine.dispose()
        return
    with hq_database(keep=args.keep) as (url, engine):
        size = Size(args.stores, args.days, args.sales_per_day, args.cases_per_day)
        note(f"generating {size.stores} stores x {size.days} days ...")
        counts = generate(engine, size)
        for table in ("sales", "sale_lines", "returns", "journal", "cases", "referrals"):
            emit(f"office_dataset_{table}", counts[table], "rows")
        yield url, engine


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--stores", type=int, default=100)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--sales-per-day", type=int, default=40, help="per store")
    ap.add_argument("--cases-per-day", type=int, default=3, help="per store")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmups", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the generated database")
    ap.add_argument("--db", default="", help="an HQ database this benchmark generated and kept: time its pages")
    ap.add_argument(
        "--proposed-indexes", action="store_true", help="make the indexes of office_data.PROPOSED_INDEXES first"
    )
    ap.add_argument("--parts", action="store_true", help="first time the analysis's parts in-process (stderr)")
    ap.add_argument("--refresh-days", type=int, default=35, help="days back the kept analysis is made before timing")
    ap.add_argument("--only", default="", help="comma-separated figure names (e.g. queue_agent,policies)")
    args = ap.parse_args()
    with database(args) as (url, engine):
        proposed_indexes(engine, args.proposed_indexes)
        if args.parts:
            for store in ("S001", "S001", None):  # the first warms the cache
                analysis_parts(engine, store)
        kept_days(engine, args.refresh_days)
        note(f"timing {args.runs} fetches per page after {args.warmups} warm-ups ...")
        measure(url, engine, args.runs, args.warmups, {x for x in args.only.split(",") if x})
    return 0


if __name__ == "__main__":
    sys.exit(main())
