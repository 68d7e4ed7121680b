"""A chain's worth of HQ data for the back office's page timings (bench/office_pages.py),
written in bulk by PostgreSQL itself (``INSERT ... SELECT generate_series``), a few stores
per statement so progress can be shown.

Per store: 3 lanes (T01..T03), ``customers`` customers, and per day ``sales`` sales of 2
lines and one card tender each (with their SaleCompleted journal entries), a return of one
line of about 1 sale in 30 (three days later, with its ReturnProcessed entry carrying the
reason, condition and disposition the analysis reads), 2 no-sale DrawerOpened and a
ShiftClosed per lane, and ``cases`` desk cases: one contact (every third linked to a
receipt), the case events, a referral to one of the four departments (open for the last
14 days, answered the week before, closed with its outcome note and a resolved event
before that). Ids are md5-derived UUIDs; stamps the tables' 'YYYY-MM-DDTHH:MM:SS.ffffffZ'.

Journal sequence numbers, per store and day d (unique per lane): sales d*1000+1..799,
returns +800..829, no-sales +830.., shift closes +840.., desk entries +850..999.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date

from hq_support import note
from sqlalchemy import Engine

TABLES = (
    "terminals", "customers", "sales", "sale_lines", "sale_tenders", "returns", "return_lines", "journal",
    "cases", "contacts", "contact_links", "case_events", "referrals", "referral_notes",
)  # fmt: skip


@dataclass(frozen=True)
class Size:
    stores: int = 100
    days: int = 365
    sales: int = 40  # per store and day
    cases: int = 3  # per store and day
    customers: int = 500  # per store

    def check(self) -> None:
        if not (1 <= self.sales <= 799 and 0 <= self.cases <= 37 and self.stores >= 1 and self.days >= 1):
            raise SystemExit("--sales-per-day is 1..799, --cases-per-day 0..37")


def store_code(n: int) -> str:
    return f"S{n:03d}"


# Shared fragments. :day0 is the first day (a date); st the store number, d the day, k the sale.
_STORE = "('S' || lpad(st::text, 3, '0'))"
_STAMP = 'to_char({ts}, \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')'

_SALES = f"""
WITH gen AS (
  SELECT st, d, k, {_STORE} AS store, 'T0' || (k % 3 + 1) AS term, d * 1000 + k + 1 AS seq,
         md5('sale' || st || '.' || d || '.' || k)::uuid::text AS id,
         CASE WHEN k % 2 = 0 THEN 'u-cashier-1' ELSE 'u-cashier-2' END AS cashier,
         (:day0 + d) + interval '15 hours' + k * (interval '11 hours' / :p) AS ts,
         (st * 7919 + d * 31 + k * 13) % :ni AS i1, (st * 7919 + d * 31 + k * 13 + 101) % :ni AS i2,
         1 + (k % 2) AS q1
  FROM generate_series(:s0, :s1) st, generate_series(0, :days - 1) d, generate_series(0, :p - 1) k
), priced AS (
  SELECT g.*, {_STAMP.format(ts="g.ts")} AS at, g.store || '-' || g.term || '-' || lpad(g.seq::text, 6, '0') AS receipt,
         a.id AS a_id, a.sku AS a_sku, a.name AS a_name, a.price_minor * g.q1 AS a_amt,
         round(a.price_minor * g.q1 * a.rate)::bigint AS a_tax, a.tax_code AS a_code, a.rate_text AS a_rate,
         b.id AS b_id, b.sku AS b_sku, b.name AS b_name, b.price_minor AS b_amt,
         round(b.price_minor * b.rate)::bigint AS b_tax, b.tax_code AS b_code, b.rate_text AS b_rate
  FROM gen g JOIN bench_items a ON a.n = g.i1 JOIN bench_items b ON b.n = g.i2
), bodied AS (
  SELECT p.*, a_amt + a_tax + b_amt + b_tax AS total,
         json_build_object(
           'sale_id', id, 'receipt_number', receipt, 'store', store, 'cashier', cashier, 'currency', 'USD',
           'prices_include_tax', false,
           'lines', json_build_array(
             json_build_object('line_id', md5(id || ':1')::uuid::text, 'item_id', a_id, 'sku', a_sku, 'name', a_name,
                               'qty', q1, 'unit_price', a_amt / q1, 'amount', a_amt, 'tax', a_tax,
                               'gross', a_amt + a_tax, 'tax_code', a_code, 'tax_rate', a_rate),
             json_build_object('line_id', md5(id || ':2')::uuid::text, 'item_id', b_id, 'sku', b_sku, 'name', b_name,
                               'qty', 1, 'unit_price', b_amt, 'amount', b_amt, 'tax', b_tax,
                               'gross', b_amt + b_tax, 'tax_code', b_code, 'tax_rate', b_rate)),
           'tenders', json_build_array(json_build_object('kind', 'card', 'amount', a_amt + a_tax + b_amt + b_tax,
                                                         'card_brand', 'Visa', 'card_last4', '4242')),
           'rounding', 0, 'total', a_amt + a_tax + b_amt + b_tax)::text AS body
  FROM priced p
), s AS (
  INSERT INTO sales (id, receipt_number, store_id, terminal_id, seq, cashier_id, completed_at, currency,
                     prices_include_tax, total_minor, rounding_minor, body)
  SELECT id, receipt, store, term, seq, cashier, at, 'USD', false, total, 0, body FROM bodied
), l AS (
  INSERT INTO sale_lines (id, sale_id, line_no, item_id, sku, name, quantity, unit_price_minor, line_discount_minor,
                          order_discount_minor, amount_minor, tax_minor, gross_minor, tax_code, tax_rate)
  SELECT md5(id || ':1')::uuid::text, id, 1, a_id, a_sku, a_name, q1, a_amt / q1, 0, 0, a_amt, a_tax, a_amt + a_tax,
         a_code, a_rate FROM bodied
  UNION ALL
  SELECT md5(id || ':2')::uuid::text, id, 2, b_id, b_sku, b_name, 1, b_amt, 0, 0, b_amt, b_tax, b_amt + b_tax,
         b_code, b_rate FROM bodied
), t AS (
  INSERT INTO sale_tenders (sale_id, seq, kind, amount_minor, tendered_minor, card_brand, card_last4, approval_code)
  SELECT id, 1, 'card', total, total, 'Visa', '4242', 'A1B2C3' FROM bodied
), j AS (
  INSERT INTO journal (store_id, terminal_id, seq, id, type, at, body, prev_hash, hash, received_at)
  SELECT store, term, seq, md5('e' || id)::uuid::text, 'SaleCompleted', at, body, md5('p' || id) || md5('q' || id),
         md5('h' || id) || md5('i' || id), now() FROM bodied
)
-- the returns: line 1 of about 1 sale in 30, three days later at the same lane
, r AS (
  SELECT b.*, md5('ret' || b.id)::uuid::text AS rid, (b.d + 3) * 1000 + 800 + b.k / 30 AS rseq,
         {_STAMP.format(ts="b.ts + interval '3 days'")} AS rat,
         (ARRAY['wrong_size', 'defective', 'changed_mind', 'not_as_described', 'unwanted_gift', 'other'])
           [1 + (b.st + b.d + b.k) % 6] AS reason,
         (ARRAY['new','opened','defective','damaged'])[1 + (b.d + b.k) % 4] AS cond
  FROM bodied b WHERE b.k % 30 = 7 AND b.d + 3 < :days
), rr AS (
  SELECT r.*, store || '-' || term || '-R' || lpad(rseq::text, 6, '0') AS rnumber,
         CASE cond WHEN 'new' THEN 'restock' WHEN 'opened' THEN 'open_box' WHEN 'defective' THEN 'return_to_vendor'
                   ELSE 'scrap' END AS disp,
         a_amt / q1 AS r_amt, round(a_amt / q1 * 0.0825)::bigint AS r_tax
  FROM r
), ri AS (
  INSERT INTO returns (id, return_number, store_id, terminal_id, seq, original_sale_id, original_receipt, completed_at,
                       refund_minor, reserved)
  SELECT rid, rnumber, store, term, rseq, id, receipt, rat, r_amt + r_tax, false FROM rr
), rl AS (
  INSERT INTO return_lines (return_id, line_no, sale_line_id, item_id, quantity, amount_minor, tax_minor, gross_minor,
                            fee_minor)
  SELECT rid, 1, md5(id || ':1')::uuid::text, a_id, 1, r_amt, r_tax, r_amt + r_tax, 0 FROM rr
)
INSERT INTO journal (store_id, terminal_id, seq, id, type, at, body, prev_hash, hash, received_at)
SELECT store, term, rseq, md5('e' || rid)::uuid::text, 'ReturnProcessed', rat,
       json_build_object(
         'return_id', rid, 'return_number', rnumber, 'request_id', rid, 'original_sale_id', id,
         'original_receipt', receipt, 'cashier', cashier, 'currency', 'USD', 'refund_total', r_amt + r_tax,
         'fee_total', 0, 'exchange_credit', 0,
         'lines', json_build_array(json_build_object(
           'sale_line_id', md5(id || ':1')::uuid::text, 'item_id', a_id, 'sku', a_sku, 'name', a_name, 'qty', 1,
           'amount', r_amt, 'tax', r_tax, 'gross', r_amt + r_tax, 'fee', 0, 'tax_code', a_code, 'tax_rate', a_rate,
           'reason', reason, 'condition', cond, 'disposition', disp)),
         'refunds', json_build_array(json_build_object('kind', 'card', 'amount', r_amt + r_tax, 'original_tender', 1))
       )::text,
       md5('p' || rid) || md5('q' || rid), md5('h' || rid) || md5('i' || rid), now()
FROM rr
"""

_CASH = f"""
INSERT INTO journal (store_id, terminal_id, seq, id, type, at, body, prev_hash, hash, received_at)
SELECT {_STORE}, 'T0' || t, d * 1000 + 830 + t, md5('dr' || st || '.' || d || '.' || t)::uuid::text, 'DrawerOpened',
       {_STAMP.format(ts="(:day0 + d) + interval '17 hours' + t * interval '1 hour'")},
       json_build_object('request_id', md5('dq' || st || '.' || d || '.' || t)::uuid::text, 'reason', 'no_sale',
                         'user', CASE WHEN t = 1 THEN 'u-cashier-1' ELSE 'u-cashier-2' END, 'reference', null,
                         'note', '', 'approved', false)::text,
       repeat('0', 64), repeat('1', 64), now()
FROM generate_series(:s0, :s1) st, generate_series(0, :days - 1) d, generate_series(1, 2) t
UNION ALL
SELECT {_STORE}, 'T0' || t, d * 1000 + 840 + t, md5('sc' || st || '.' || d || '.' || t)::uuid::text, 'ShiftClosed',
       {_STAMP.format(ts="(:day0 + d) + interval '26 hours' + t * interval '10 minutes'")},
       json_build_object('shift_id', md5('sh' || st || '.' || d || '.' || t)::uuid::text,
                         'user', CASE WHEN t = 2 THEN 'u-cashier-2' ELSE 'u-cashier-1' END,
                         'over_short', ((st * 37 + d * 11 + t * 5) % 9 - 5) * 25)::text,
       repeat('0', 64), repeat('1', 64), now()
FROM generate_series(:s0, :s1) st, generate_series(0, :days - 1) d, generate_series(1, 3) t
"""

_DESK = f"""
WITH gen AS (
  SELECT st, d, c, {_STORE} AS store, 'T0' || (c % 3 + 1) AS term, d * 1000 + 850 + c * 4 AS seq0,
         md5('case' || st || '.' || d || '.' || c)::uuid::text AS id,
         md5('cust' || st || '.' || ((d * 7 + c * 13) % :ncust))::uuid::text AS customer,
         (:day0 + d) + interval '16 hours' + c * interval '40 minutes' AS ts,
         :days - 1 - d AS age,
         (ARRAY['warranty','billing','manager','online'])[1 + (st + d + c) % 4] AS dept,
         (ARRAY['Product quality','Billing error','Staff conduct','Delivery'])[1 + (d + c) % 4] AS category
  FROM generate_series(:s0, :s1) st, generate_series(0, :days - 1) d, generate_series(0, :c - 1) c
), g AS (
  SELECT gen.*, {_STAMP.format(ts="ts")} AS at, {_STAMP.format(ts="ts + interval '3 days'")} AS done_at,
         to_char(ts + interval '5 days', 'YYYY-MM-DD') AS due,
         CASE WHEN age < 14 THEN 'open' WHEN age < 21 THEN 'answered' ELSE 'closed' END AS rstatus,
         store || '-' || term || '-C' || lpad(seq0::text, 6, '0') AS number,
         md5('cont' || id)::uuid::text AS contact, md5('ref' || id)::uuid::text AS referral
  FROM gen
), ca AS (
  INSERT INTO cases (store_id, origin_terminal, origin_seq, id, number, customer_id, kind, category, subject, status,
                     opened_at, opened_by, updated_at, follow_up_on, follow_up_note, resolution)
  SELECT store, term, seq0, id, number, customer, 'complaint', category, null,
         CASE rstatus WHEN 'closed' THEN 'closed' ELSE 'referred' END, at, 'u-cashier-1',
         CASE rstatus WHEN 'closed' THEN done_at ELSE at END, null, null, null FROM g
), co AS (
  INSERT INTO contacts (store_id, origin_terminal, origin_seq, id, case_id, customer_id, kind, category, words,
                        actions, handled_by, at)
  SELECT store, term, seq0, contact, id, customer, 'complaint', category, null, null, 'u-cashier-1', at FROM g
), ev AS (
  INSERT INTO case_events (store_id, origin_terminal, origin_seq, n, case_id, at, user_id, event, status_from,
                           status_to, text)
  SELECT store, term, seq0, 1, id, at, 'u-cashier-1', 'opened', null, 'open', null FROM g
  UNION ALL
  SELECT store, term, seq0 + 1, 1, id, at, 'u-cashier-1', 'referred', 'open', 'referred', null FROM g
  UNION ALL
  SELECT store, term, seq0 + 3, 1, id, done_at, 'u-supervisor', 'resolved', 'referred', 'resolved', null
  FROM g WHERE rstatus = 'closed'
), rf AS (
  INSERT INTO referrals (store_id, origin_terminal, origin_seq, id, case_id, department, department_name, priority,
                         due_on, status, referred_at, referred_by, note, outcome, answered_at, told_at, told_how,
                         hq_due_on)
  SELECT store, term, seq0 + 1, referral, id, dept, dp.name,
         (ARRAY['low','normal','high','urgent'])[1 + (d + c + st) % 4], due, rstatus, at, 'u-cashier-1', null, null,
         CASE WHEN rstatus = 'open' THEN null ELSE done_at END, CASE WHEN rstatus = 'closed' THEN done_at END,
         CASE WHEN rstatus = 'closed' THEN 'phone' END, due
  FROM g JOIN departments dp ON dp.code = g.dept
), rn AS (
  INSERT INTO referral_notes (store_id, origin_terminal, origin_seq, n, referral_id, at, user_id, kind, text)
  SELECT store, term, seq0 + 2, 1, referral, done_at, 'u-supervisor', 'outcome', null FROM g WHERE rstatus <> 'open'
)
INSERT INTO contact_links (store_id, origin_terminal, origin_seq, contact_id, seq, kind, number)
SELECT store, term, seq0, contact, 1, 'sale',
       store || '-T0' || (c % 3 + 1) || '-' || lpad((d * 1000 + c + 1)::text, 6, '0')
FROM g WHERE c % 3 = 0 AND c < :p
"""

_FIXED = f"""
INSERT INTO terminals (store_id, terminal_id, enrolled_at, head_seq, head_hash, last_push_at)
SELECT {_STORE}, 'T0' || t, now(), :days * 1000, repeat('0', 64), now()
FROM generate_series(:s0, :s1) st, generate_series(1, 3) t;
INSERT INTO stores (store_id, timezone) SELECT {_STORE}, 'America/Chicago' FROM generate_series(:s0, :s1) st;
INSERT INTO customers (id, store_id, origin_terminal, name, phone, email, loyalty_card, email_consent, address,
                       created_at, created_by, updated_at, version, deleted)
SELECT md5('cust' || st || '.' || n)::uuid::text, {_STORE}, 'T01', 'Customer ' || st || '-' || n,
       '555' || lpad((st * 1000 + n)::text, 7, '0'), null, null, false, null,
       '2025-01-01T00:00:00.000000Z', 'u-cashier-1', '2025-01-01T00:00:00.000000Z', nextval('change_seq'), false
FROM generate_series(:s0, :s1) st, generate_series(0, :ncust - 1) n;
"""


#: The indexes this benchmark finds the analysis and the queue want (not yet in an HQ
#: migration): ``--proposed-indexes`` makes them in the bench database, else they are dropped.
PROPOSED_INDEXES = {
    "bench_ix_sales_store_completed": "sales (store_id, completed_at)",
    "bench_ix_returns_store_completed": "returns (store_id, completed_at)",
    "bench_ix_journal_cash": "journal (store_id, at) WHERE type IN ('DrawerOpened', 'ShiftClosed')",
    "bench_ix_contacts_store_at": "contacts (store_id, at)",
    "bench_ix_cases_store_opened": "cases (store_id, opened_at)",
    "bench_ix_referrals_waiting": "referrals (store_id, department) WHERE status IN ('open', 'answered')",
}


def proposed_indexes(engine: Engine, wanted: bool) -> None:
    with engine.begin() as conn:
        for name, what in PROPOSED_INDEXES.items():
            conn.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {name} ON {what}" if wanted else f"DROP INDEX IF EXISTS {name}"
            )
        if wanted:
            conn.exec_driver_sql("ANALYZE sales, returns, journal, contacts, cases, referrals")
    note(("with" if wanted else "without") + " the proposed indexes")


def _sql(template: str, args: dict[str, object]) -> str:
    """The statement with its numbers (and the first day) written in, as literals: bound,
    PostgreSQL cannot tell generate_series(smallint, smallint) which one it is."""

    def literal(m: re.Match[str]) -> str:
        value = args[m.group(1)]
        return f"DATE '{value}'" if isinstance(value, date) else str(int(value))  # type: ignore[call-overload]

    return re.sub(r"(?<!:):(" + "|".join(args) + r")\b", literal, template).replace("%", "%%")


def generate(engine: Engine, size: Size, chunk: int = 5) -> dict[str, int]:
    """Write the chain's data; returns the row count of each table written."""
    size.check()
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE bench_items AS SELECT row_number() OVER (ORDER BY i.id) - 1 AS n, i.id, i.sku, i.name,"
            " i.price_minor, i.tax_code, t.rate::numeric AS rate, t.rate AS rate_text"
            " FROM items i JOIN tax_classes t ON t.code = i.tax_code"
        )
        conn.exec_driver_sql("CREATE UNIQUE INDEX ON bench_items (n)")
        ni = int(conn.exec_driver_sql("SELECT count(*) FROM bench_items").scalar_one())
        day0 = conn.exec_driver_sql(f"SELECT current_date - {size.days - 1}").scalar_one()
    for s0 in range(1, size.stores + 1, chunk):
        s1 = min(size.stores, s0 + chunk - 1)
        args = {
            "s0": s0, "s1": s1, "days": size.days, "p": size.sales, "c": size.cases, "ni": ni, "day0": day0,
            "ncust": size.customers,
        }  # fmt: skip
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            for stmt in _FIXED.strip().split(";"):
                if stmt.strip():
                    conn.exec_driver_sql(_sql(stmt, args))
            conn.exec_driver_sql(_sql(_SALES, args))
            conn.exec_driver_sql(_sql(_CASH, args))
            if size.cases:
                conn.exec_driver_sql(_sql(_DESK, args))
        note(f"  stores {store_code(s0)}..{store_code(s1)} written ({time.perf_counter() - start:.0f} s)")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_items")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")  # as after a bulk load
    with engine.connect() as conn:
        counts = {t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()) for t in TABLES}
    note(f"generated in {time.perf_counter() - start:.0f} s: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    return counts
