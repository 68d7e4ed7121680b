"""The streamed pull (``GET /v1/changes/stream``): everything a lane may see above a cursor,
from one snapshot, as a stream of pages, for a lane's first load (a million items).

The answer is newline-delimited JSON: each line one page in the shape of a ``/v1/changes``
answer (``changes``, ``cursor``, ``more``, ``head``), the changes of every kind merged in
version order, so each line's ``cursor`` is a point a lane can stop at and resume from with
either endpoint. A page's head holds the parents its rows name that come later
(``hq.catalog.parents_ahead``), so each page applies whole. The last line says
``"more": false``; a stream that ends without it was cut (HQ stopped, the network failed)
and the lane resumes from the last page it applied.

One REPEATABLE READ READ ONLY transaction: writers are serialised and stamp versions in
commit order (hq/catalog.py), so the snapshot holds every version up to its newest, and a
later pull above the last cursor misses nothing. Each kind is read through a server-side
cursor (no million-row list in memory); pages are encoded with orjson as they fill.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Engine

from hq.catalog import KIND_ORDER, change_rows, kind_changes, newest_version, parents_ahead

STREAM_PAGE = 20_000  # changes per line (a lane applies one line per local transaction)
FETCH = 20_000  # rows per server-side cursor fetch


def stream_changes(
    engine: Engine, store_id: str, after: int, page: int = STREAM_PAGE, terminal: str | None = None
) -> Iterator[bytes]:
    """The lines of a streamed pull (see the module's words)."""
    with engine.connect() as conn:
        snap = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with snap.begin():
            streams = [
                change_rows(
                    kind,
                    snap.execution_options(yield_per=FETCH).execute(kind_changes(kind, store_id, after, terminal)),
                )
                for kind in KIND_ORDER
            ]
            head = newest_version(snap)  # for a lane's progress figure (an estimate, as for pages)
            cursor = after
            batch: list[dict[str, Any]] = []
            for version, kind, gone, data in heapq.merge(*streams, key=itemgetter(0)):
                batch.append({"kind": kind, "version": version, "deleted": gone, "data": data})
                if len(batch) >= page:
                    cursor = version
                    yield _line(parents_ahead(snap, store_id, batch, cursor, terminal) + batch, cursor, True, head)
                    batch = []
            if batch:
                cursor = batch[-1]["version"]
            yield _line(batch, cursor, False, cursor)  # the last page: nothing above it


def _line(changes: list[dict[str, Any]], cursor: int, more: bool, head: int) -> bytes:
    body = {"changes": changes, "cursor": cursor, "more": more, "head": max(head, cursor)}
    return orjson.dumps(body) + b"\n"
