"""The lean route of ``POST /v1/journal``: a well-formed push, taken ahead of FastAPI.

A lane pushes every few seconds, and 200 lanes pushing at once made FastAPI's request
path (dependency injection, pydantic validation of every entry, response handling) about
half of HQ's CPU per push. This plain ASGI layer sits in front of the FastAPI app and
takes a push only when all of this holds, checked by hand:

* the body is JSON (``Content-Type`` absent or ``application/json``) of exactly the shape
  the terminal sends: ``store``/``terminal`` lane names, ``sent_at`` as a UTC stamp, and
  1..``MAX_BATCH`` entries with exactly the fields of ``hq.app.EntryIn``, each of the JSON
  type and within the length, pattern and range limits that model declares;
* the bearer token is a live terminal's (``TokenCache``, else one look-up).

Those checks are stricter than or equal to the pydantic models', never looser: whatever
they let through the models would take with the same values. Anything else (bad JSON,
a missing field, an extra one, a value pydantic would coerce, a bad token, an admin
token) is handed on to the FastAPI route unchanged, body and all, so the refusals of
shape and credentials, their status codes, messages and log lines are the models' own.
What follows validation (the lane's ownership, the clock, seq order, ingest, alerts) is
``hq.app.accept_push``, the same function the FastAPI route calls; its refusals are
answered and logged here exactly as the app's ``Refusal`` handler does.

The route stays in the OpenAPI description: it is the FastAPI route's (``/v1/journal``).
Nothing is kept between requests but the per-process token cache, so HQ stays stateless.
Runs on the event loop; the database work on the thread pool, as FastAPI runs handlers.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Any

import anyio
import anyio.to_thread
import orjson
from sqlalchemy import Engine

from counter.journal import JournalEntry
from counter.sync.upstream import MAX_BATCH, MAX_CLOCK_SKEW_SECONDS
from hq import access
from hq.ingest import PushRefused, clock_skew, ingest
from hq.store import utcnow
from hq.web import ASGIApp, Message, Receive, Refusal, Scope, Send

log = logging.getLogger("hq")

PATH = "/v1/journal"
#: Pushes in the database at once in one process (the others wait on the event loop, not
#: in threads): PostgreSQL does ~40 % of a push's work, so a few per process keep two cores
#: busy, while 40 threads (FastAPI's pool) mostly contended for the GIL and, past the
#: connection pool's 10, opened and closed overflow connections (120 per 1,000 pushes).
THREADS = 8
ENTRY_FIELDS = frozenset(("seq", "id", "type", "at", "body", "prev_hash", "hash"))
BATCH_FIELDS = frozenset(("store", "terminal", "sent_at", "entries"))
MAX_SEQ = 2**62
MAX_ID, MAX_TYPE, MAX_BODY_CHARS = 36, 48, 512 * 1024  # as EntryIn declares them

# Narrower than the models' patterns (ASCII digits only, no trailing newline): a value
# they miss goes to pydantic, which decides.
_lane = re.compile(r"[A-Za-z0-9_-]{1,16}").fullmatch
_stamp = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z").fullmatch
_hex64 = re.compile(r"[0-9a-f]{64}").fullmatch

Row = tuple[int, str, str, str, str, str, str]


def well_formed(data: Any) -> tuple[str, str, datetime, list[Row]] | None:
    """(store, terminal, sent_at, rows) when ``data`` is a push batch the models would take
    as is; None when it is anything else (the models then decide)."""
    if type(data) is not dict or data.keys() != BATCH_FIELDS:
        return None
    store, terminal, sent, items = data["store"], data["terminal"], data["sent_at"], data["entries"]
    if type(store) is not str or type(terminal) is not str or not _lane(store) or not _lane(terminal):
        return None
    if type(sent) is not str or not _stamp(sent):
        return None
    try:
        sent_at = datetime.fromisoformat(sent)
    except ValueError:  # a day or hour out of range: pydantic words the refusal
        return None
    if type(items) is not list or not 1 <= len(items) <= MAX_BATCH:
        return None
    rows: list[Row] = []
    for e in items:
        if type(e) is not dict or e.keys() != ENTRY_FIELDS:
            return None
        seq, id_, type_, at, body, prev_hash, hash_ = (
            e["seq"], e["id"], e["type"], e["at"], e["body"], e["prev_hash"], e["hash"],
        )  # fmt: skip
        if type(seq) is not int or not 1 <= seq <= MAX_SEQ:
            return None
        if type(id_) is not str or not 1 <= len(id_) <= MAX_ID:
            return None
        if type(type_) is not str or not 1 <= len(type_) <= MAX_TYPE:
            return None
        if type(at) is not str or not _stamp(at):
            return None
        if type(body) is not str or len(body) > MAX_BODY_CHARS:
            return None
        if type(prev_hash) is not str or type(hash_) is not str or not _hex64(prev_hash) or not _hex64(hash_):
            return None
        rows.append((seq, id_, type_, at, body, prev_hash, hash_))
    return store, terminal, sent_at, rows


class FastPush:
    """ASGI layer: well-formed pushes answered here, every other request passed to ``app``."""

    def __init__(self, app: ASGIApp, engine: Engine, tokens: access.TokenCache, *, threads: int = THREADS) -> None:
        self.app = app
        self.engine = engine
        self.tokens = tokens
        self.limiter = anyio.CapacityLimiter(threads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        handled = await self._push(scope, body, send)
        if not handled:
            await self.app(scope, _replay(body, receive), send)

    async def _push(self, scope: Scope, body: bytes, send: Send) -> bool:
        authorization = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                if value.split(b";", 1)[0].strip().lower() != b"application/json":
                    return False
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        if authorization is None or not authorization.startswith("Bearer "):
            return False
        try:
            parsed = well_formed(orjson.loads(body))
        except orjson.JSONDecodeError:
            return False
        if parsed is None:
            return False
        token_hash = access.bearer_hash(authorization)
        try:
            ack = await anyio.to_thread.run_sync(
                take, self.engine, self.tokens, token_hash, *parsed, limiter=self.limiter
            )
        except Refusal as exc:
            # As the app's Refusal handler: logged, and answered with error, message and extras.
            log.warning("refused %s %s: %s %s", scope["method"], scope["path"], exc.status, exc.message)
            answer = {"error": exc.error, "message": exc.message, **exc.extra}
            await _answer(send, exc.status, json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode())
            return True
        if ack is None:
            return False
        await _answer(send, 200, json.dumps(ack, separators=(",", ":")).encode())
        return True


def take(
    engine: Engine,
    tokens: access.TokenCache,
    token_hash: str,
    store: str,
    terminal: str,
    sent_at: datetime,
    rows: list[Row],
) -> dict[str, Any] | None:
    """Ingest a well-formed push whose token is checked in the query that locks the lane
    (``ingest.ingest`` with ``token_hash``: a live terminal token of this very lane); the
    acknowledgement, a ``Refusal`` of what only a lane's own token can meet (gap, broken
    chain, altered re-send: alerted as ever), or None to hand the request to the FastAPI
    route: a token that is not this lane's live one (nothing was stored or alerted; the
    route says unknown, revoked, admin or someone else's lane, and alerts the last), and
    a clock or seq order the route refuses once it knows who is asking. Worker thread."""
    if sent_at.tzinfo is None or clock_skew(sent_at, utcnow()) > MAX_CLOCK_SKEW_SECONDS:
        return None
    first = rows[0][0]
    entries = []
    for n, (seq, id_, type_, at, body, prev_hash, hash_) in enumerate(rows):
        if seq != first + n:
            return None
        entries.append(JournalEntry(terminal, seq, id_, type_, at, body, prev_hash, hash_))
    try:
        result = ingest(engine, store, terminal, entries, token_hash=token_hash)
    except PushRefused as exc:
        if exc.status in (401, 403):
            return None
        raise Refusal(exc.status, exc.error, exc.message, **exc.extra) from exc
    # The lane's token, proven live: its next calls (the pull of its cycle) skip the look-up.
    tokens.put(token_hash, access.Caller("terminal", store, terminal, f"{store}-{terminal}", token_hash))
    return {
        "acked_seq": result.acked_seq,
        "head_hash": result.head_hash,
        "stored": result.stored,
        "repeated": result.repeated,
    }


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
