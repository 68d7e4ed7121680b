"""First pull of a 1,000,000-item catalog into a new lane, while the lane keeps writing.

HQ holds the demo chain's reference data plus 1M items (made server-side with
generate_series, each with its own change version). A fresh store file pulls everything
through ``Syncer.pull_all``: a first load (db/sync.py, db/first_load.py), streamed from one
snapshot at HQ (``GET /v1/changes/stream``, hq/catalog_stream.py) in pages of 5,000, each
page one local transaction without the search index's triggers, the next page received
and decoded while one is written, and the items indexed for search at the end in chunks
(each its own transaction). The figure runs until search finds every item.
Meanwhile a thread commits a small write every 20 ms, as selling would; its worst and
p99 waits are reported too (selling must not block). Target: the pull under 15 s.
Floor: reading the same changes from HQ without writing them, as pages of 5,000 one after
the other (the paged protocol, ``floor``) and as the stream (``hq_catalog_stream_read_1m``).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hq_support import cpu_meter, emit, enrol_token, hq_database, hq_process, note, percentile  # noqa: E402

ITEMS = 1_000_000


def main() -> int:
    from sqlalchemy import text

    from db import schema as s
    from db.engine import open_database
    from db.hq_client import HqClient
    from db.sync import SyncConfig, Syncer

    with hq_database() as (url, engine), tempfile.TemporaryDirectory() as tmp:
        note(f"making {ITEMS:,} items at HQ ...")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO items (id, sku, barcode, name, category_id, price_minor, tax_code, active, "
                    "version, deleted) SELECT 'bench-' || g, 'BENCH-' || g, NULL, "
                    "'Bench item ' || g || ' ' || (ARRAY['red','blue','green','large','small'])[1 + g % 5], "
                    "(ARRAY['apparel','toys-games','garden','hardware'])[1 + g % 4], 100 + g % 5000, 'A', true, "
                    "nextval('change_seq'), false FROM generate_series(1, :n) AS g"
                ),
                {"n": ITEMS},
            )
            conn.execute(text("ANALYZE items"))
        token = enrol_token(engine, "T01")
        db = open_database(Path(tmp))
        with hq_process(url, workers=2) as base:
            client = HqClient(base, token, timeout=120)
            start = time.perf_counter()
            after, more = 0, True
            while more:
                page = client.changes(after, 5000)
                after, more = page["cursor"], page["more"]
            floor = time.perf_counter() - start
            start = time.perf_counter()
            streamed = sum(len(page["changes"]) for page in client.changes_stream(0, 20_000))
            stream_floor = time.perf_counter() - start
            assert streamed >= ITEMS, streamed

            syncer = Syncer(db.write, db.read, client, SyncConfig(base, token, "S01", "T01"))
            stop = threading.Event()
            waits: list[float] = []

            def selling() -> None:
                n = 0
                while not stop.is_set():
                    t0 = time.perf_counter()
                    with db.write.begin() as conn:
                        conn.execute(s.settings.delete().where(s.settings.c.key == "bench_tick"))
                        conn.execute(s.settings.insert().values(key="bench_tick", value=str(n)))
                    waits.append(time.perf_counter() - t0)
                    n += 1
                    time.sleep(0.02)

            seller = threading.Thread(target=selling)
            seller.start()
            note("pulling ...")
            with cpu_meter("hq_catalog_first_pull"):
                start = time.perf_counter()
                total = syncer.pull_all()
                took = time.perf_counter() - start
            stop.set()
            seller.join()
            client.close()
        with db.read.connect() as conn:
            local = conn.execute(text("SELECT count(*) FROM items")).scalar_one()
            found = conn.execute(text("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'bench*'")).scalar_one()
        db.dispose()
        assert local >= ITEMS and found == ITEMS, (local, found)
        note(f"{total:,} changes applied, {len(waits)} writes during the pull")
        emit("hq_catalog_first_pull_1m", took, "s", 15.0, floor)
        emit("hq_catalog_stream_read_1m", stream_floor, "s", None, None)
        emit("hq_catalog_pull_worst_write_wait", max(waits) * 1000, "ms", None, None)
        emit("hq_catalog_pull_p99_write_wait", percentile(waits, 99) * 1000, "ms", None, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
