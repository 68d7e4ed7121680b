"""HQ's HTTP JSON API (FastAPI on uvicorn). The OpenAPI description is served at
``/openapi.json`` (and browsable at ``/docs``).

Every call but ``/v1/health`` and ``/v1/enrol`` carries ``Authorization: Bearer TOKEN``.
A terminal's token lets it push only its own journal and read only its own store's
downstream data, plus the chain-wide receipt look-up, reservations and no-receipt totals
that returns need.
Admin tokens read the alerts and the exception report, edit the desk's departments and
record the escalations of overdue referrals (hq/departments_api.py).

Refusals answer ``{"error": CODE, "message": TEXT}`` with a clear status (401 token,
403 someone else's lane, 409 conflict or gap, 413 too large, 422 malformed or broken
chain, 400 clock) and are logged; nothing of a refused request is stored.

Handlers are plain functions (FastAPI runs them on its worker threads); each opens its
own connection from the pool, so the process holds no state between requests.
"""

# No "from __future__ import annotations": FastAPI reads the handlers' annotations at run
# time, and they name dependencies defined inside create_app.

import json
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool

from counter.i18n import _
from counter.journal import JournalEntry
from counter.sync.api_version import HQ_SERVES, ApiRange
from counter.sync.upstream import MAX_BATCH, MAX_BODY_BYTES, MAX_CLOCK_SKEW_SECONDS, PULL_PAGE
from hq import (
    access,
    analysis_api,
    approvals,
    backups,
    catalog,
    catalog_stream,
    departments_api,
    desk_api,
    ingest,
    lane_status,
    ledger,
    no_receipt,
    people,
    restore,
    schema as s,
)
from hq.api_version import ApiVersionGate
from hq.fastpush import FastPush
from hq.language import Language
from hq.office import pages as office
from hq.office.routes import office_routers
from hq.ratelimit import FailureLimiter
from hq.store import utcnow
from hq.web import ASGIApp, Message, Receive, Refusal, Scope, Send

log = logging.getLogger("hq")

STAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"
HEX64 = r"^[0-9a-f]{64}$"
LANE = r"^[A-Za-z0-9_-]{1,16}$"


# ------------------------------------------------------------------------ wire models


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnrolRequest(Strict):
    code: str = Field(min_length=4, max_length=32)


class EnrolAnswer(Strict):
    store: str
    terminal: str
    token: str


class EntryIn(Strict):
    seq: int = Field(ge=1, le=2**62)
    id: str = Field(min_length=1, max_length=36)
    type: str = Field(min_length=1, max_length=48)
    at: str = Field(pattern=STAMP)
    body: str = Field(max_length=512 * 1024)
    prev_hash: str = Field(pattern=HEX64)
    hash: str = Field(pattern=HEX64)


class PushBatch(Strict):
    store: str = Field(pattern=LANE)
    terminal: str = Field(pattern=LANE)
    sent_at: datetime
    entries: list[EntryIn] = Field(min_length=1, max_length=MAX_BATCH)


class PushAck(Strict):
    acked_seq: int
    head_hash: str
    stored: int
    repeated: int


class Head(Strict):
    acked_seq: int
    head_hash: str


ID = r"^[^\x00-\x1f]{1,36}$"  # an id: 1..36 characters, no control characters


class ReserveLine(Strict):
    """A line to reserve: its quantity only. HQ computes the amounts (hq/ledger.py); a
    request that carries amounts is refused as malformed."""

    sale_line_id: str = Field(pattern=ID)
    quantity: int = Field(ge=1, le=100_000)


class ReserveRequest(Strict):
    return_id: str = Field(pattern=ID)
    sale_id: str = Field(pattern=ID)
    lines: list[ReserveLine] = Field(min_length=1, max_length=500)


# ------------------------------------------------------------------------- the app


class BodyLimit:
    """Answers 413 to a request body above ``limit`` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.state: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(backups.PATH):
            # a lane's backup is streamed to disk under its own, larger cap (hq/backups.py)
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, send)
            return
        # Read the whole body first (it is at most ``limit`` bytes), so that an oversized
        # streamed body is refused here rather than half-parsed by the app.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await self._too_large(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        log.warning("refused %s %s: body over %d bytes", scope.get("method"), scope.get("path"), self.limit)
        response = JSONResponse(
            {
                "error": "too_large",
                "message": _("The request body is over {limit} bytes; send smaller batches.").format(limit=self.limit),
            },
            status_code=413,
        )
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def create_app(engine: Engine, *, api: ApiRange | None = HQ_SERVES) -> FastAPI:
    """The API. ``api``: the versions of the API this HQ serves, said by ``/v1/health``
    (None: as an HQ from before the negotiation, which says nothing; tests)."""
    app = FastAPI(
        title="Counter HQ",
        version="1",
        description="Upstream server of the Counter point of sale: enrolment, journal push, "
        "downstream changes, chain-wide receipt look-up and return reservations.",
    )

    # the language of the back office's pages and of the refusals a lane shows (hq/language.py)
    app.add_middleware(Language)

    @app.exception_handler(Refusal)
    async def _refused(request: Request, exc: Refusal) -> JSONResponse:
        log.warning("refused %s %s: %s %s", request.method, request.url.path, exc.status, exc.message)
        headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
        return JSONResponse(
            {"error": exc.error, "message": exc.message, **exc.extra}, status_code=exc.status, headers=headers
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # The last line of defence: a value the models let through that no column takes
        # (out of range, a NUL in text). A lane reads a 5xx as "HQ away" and retries forever.
        log.warning(
            "refused %s %s: 422 unstorable value (%s)", request.method, request.url.path, type(exc.orig).__name__
        )
        message = _("A value in this request is out of range or cannot be stored; nothing was stored. Correct it.")
        return JSONResponse({"error": "unstorable", "message": message}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"Malformed request: {where}: {first.get('msg', 'invalid')}"
        log.warning("refused %s %s: 422 %s", request.method, request.url.path, message)
        return JSONResponse({"error": "malformed", "message": message}, status_code=422)

    # Token check: a short in-process cache of token hash -> caller (access.TokenCache),
    # so that a busy lane's calls do not each cost a pooled connection and a query. A push
    # checks the token again inside its own transaction (no extra round trip), so a revoked
    # token never writes; reads may see a revocation up to TOKEN_CACHE_SECONDS late.
    tokens = access.TokenCache()
    app.state.tokens = tokens

    def look_up(token_hash: str) -> access.Caller:
        with engine.connect() as conn:
            return access.caller_of(conn, token_hash)

    # Wrong tokens and enrolment codes, per client address (hq/ratelimit.py): past the
    # limit an address gets 429 with Retry-After, and each burst raises one alert.
    failures = FailureLimiter()
    app.state.failures = failures

    def address_of(request: Request) -> str:
        return request.client.host if request.client is not None else "unknown"

    def refuse_if_limited(address: str) -> None:
        wait = failures.retry_after(address)
        if wait is not None:
            raise Refusal(
                429,
                "too_many_failures",
                _("Too many wrong tokens or enrolment codes from {address}; try again in {seconds} seconds.").format(
                    address=address, seconds=wait
                ),
                retry_after=wait,
            )

    def count_failure(address: str, what: str) -> None:
        if failures.failed(address):
            detail = f"{failures.limit} {what} from {address} within {failures.window:g} s; refused for a while"
            ingest.record_alert(engine, "auth_burst", None, None, None, detail)

    # The dependencies are coroutines: a cache hit costs no trip through the thread pool.
    async def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> access.Caller:
        address = address_of(request)
        refuse_if_limited(address)
        try:
            token_hash = access.bearer_hash(authorization)
            who = tokens.get(token_hash)
            if who is None:
                who = await run_in_threadpool(look_up, token_hash)
                tokens.put(token_hash, who)
            return who
        except access.AccessError as exc:
            if exc.status == 401 and not exc.revoked:  # a revoked lane retrying is not guessing
                await run_in_threadpool(count_failure, address, "wrong tokens")
            raise Refusal(exc.status, "unauthorized", exc.message) from exc

    def terminal(who: Annotated[access.Caller, Depends(caller)]) -> access.Caller:
        if who.kind != "terminal":
            raise Refusal(403, "forbidden", _("Only an enrolled terminal may do this."))
        return who

    async def lane(who: Annotated[access.Caller, Depends(caller)]) -> access.Caller:
        """``terminal`` for the hot paths (push, head, changes): no thread-pool trip."""
        return terminal(who)

    async def admin(who: Annotated[access.Caller, Depends(caller)]) -> access.Caller:
        if who.kind != "admin":
            raise Refusal(403, "forbidden", _("Only an admin token may do this (counter hq admin-token)."))
        return who

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        said = {"api": {"serves": api.header(), "version": api.high}} if api is not None else {}
        return {"ok": True, "time": utcnow().isoformat(), **said}

    @app.post("/v1/enrol", response_model=EnrolAnswer)
    def enrol(req: EnrolRequest, request: Request) -> EnrolAnswer:
        address = address_of(request)
        refuse_if_limited(address)
        try:
            store, term, token = access.enrol(engine, req.code)
        except access.AccessError as exc:
            count_failure(address, "wrong enrolment codes")
            raise Refusal(exc.status, "bad_code", exc.message) from exc
        log.info("enrolled %s-%s", store, term)
        return EnrolAnswer(store=store, terminal=term, token=token)

    @app.get("/v1/journal/head", response_model=Head)
    def head(who: Annotated[access.Caller, Depends(lane)]) -> Response:
        assert who.store_id and who.terminal_id
        with engine.connect() as conn:
            found = ingest.lane_head(conn, who.store_id, who.terminal_id)
        if found is None:
            raise Refusal(403, "not_enrolled", _("This terminal is not enrolled."))
        return _json({"acked_seq": found[0], "head_hash": found[1]})

    # The answer is built by hand (response_model stays for the OpenAPI description): a
    # Response is sent as is, without a second validation of what HQ itself just made.
    # The body (up to 500 entries) is parsed by orjson (_OrjsonRoute), then validated as usual.
    # As served (``asgi``), a well-formed push from a terminal whose token is known is taken
    # by the lean route in hq/fastpush.py before it reaches FastAPI; everything else (and
    # every malformed body) comes here, so these models decide every refusal of shape.
    def push(batch: PushBatch, who: Annotated[access.Caller, Depends(lane)]) -> Response:
        rows = [(e.seq, e.id, e.type, e.at, e.body, e.prev_hash, e.hash) for e in batch.entries]
        return _json(accept_push(engine, tokens, who, batch.store, batch.terminal, batch.sent_at, rows))

    app.router.add_api_route(
        "/v1/journal",
        push,
        methods=["POST"],
        response_model=PushAck,
        route_class_override=_OrjsonRoute,
        summary="Push a batch of the caller's journal entries",
        description="Entries must continue the lane's chain from HQ's head (or repeat entries HQ holds "
        "exactly). The answer is the new head. Served by a lean route (hq/fastpush.py) for well-formed "
        "batches; the same limits, refusals and answers either way.",
    )

    @app.get("/v1/changes")
    def changes(
        who: Annotated[access.Caller, Depends(lane)],
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=20_000)] = PULL_PAGE,
    ) -> Response:
        assert who.store_id
        with engine.connect() as conn:
            rows, cursor, more = catalog.changes(conn, who.store_id, after, limit, who.terminal_id)
            head = catalog.newest_version(conn) if more else cursor
        # Pages are large and plain (str, int, bool, None): encode them directly (orjson,
        # ~10x json.dumps) rather than through FastAPI's generic encoder. ``head`` (the newest
        # version HQ has given out) lets a lane show how far a long pull has come.
        body = {"changes": rows, "cursor": cursor, "more": more, "head": max(head, cursor)}
        return Response(orjson.dumps(body), media_type="application/json")

    @app.get("/v1/changes/stream")
    def changes_stream(
        who: Annotated[access.Caller, Depends(lane)],
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=50_000)] = catalog_stream.STREAM_PAGE,
    ) -> Response:
        """Everything above ``after`` from one snapshot, as lines of pages (hq/catalog_stream.py)."""
        assert who.store_id
        lines = catalog_stream.stream_changes(engine, who.store_id, after, limit, who.terminal_id)
        return StreamingResponse(lines, media_type="application/x-ndjson")

    @app.get("/v1/sales/{receipt_number}")
    def sale(receipt_number: str, who: Annotated[access.Caller, Depends(terminal)]) -> dict[str, Any]:
        if len(receipt_number) > 32:
            raise Refusal(422, "malformed", _("A receipt number has at most 32 characters."))
        if "\x00" in receipt_number:
            raise Refusal(422, "malformed", _("A receipt number holds no control characters."))
        try:
            with engine.connect() as conn:
                found = ledger.lookup(conn, receipt_number, who.store_id)
        except ledger.LedgerError as exc:
            raise Refusal(exc.status, exc.error, exc.message) from exc
        if found is None:
            raise Refusal(
                404,
                "unknown_sale",
                _("No sale in the chain has the receipt number {receipt}.").format(receipt=receipt_number),
            )
        return found

    @app.post("/v1/reservations")
    def reserve(req: ReserveRequest, who: Annotated[access.Caller, Depends(terminal)]) -> dict[str, Any]:
        assert who.store_id and who.terminal_id
        wanted = [ledger.WantedLine(ln.sale_line_id, ln.quantity) for ln in req.lines]
        try:
            with engine.begin() as conn:
                lines = ledger.reserve(conn, who.store_id, who.terminal_id, req.return_id, req.sale_id, wanted)
        except ledger.LedgerError as exc:
            if exc.error in {"another_store", "return_id_taken"}:  # no honest lane does this: alert
                detail = f"{who.name} tried to reserve return {req.return_id} of sale {req.sale_id}: {exc.english}"
                ingest.record_alert(engine, exc.error, who.store_id, who.terminal_id, None, detail)
            raise Refusal(exc.status, exc.error, exc.message) from exc
        return {"reserved": True, "return_id": req.return_id, "lines": lines}

    @app.delete("/v1/reservations/{return_id}")
    def release(return_id: str, who: Annotated[access.Caller, Depends(terminal)]) -> dict[str, Any]:
        assert who.store_id and who.terminal_id
        if len(return_id) > 36 or "\x00" in return_id:
            raise Refusal(422, "malformed", _("A return id has 1..36 characters and no control characters."))
        with engine.begin() as conn:
            n = ledger.release(conn, who.store_id, who.terminal_id, return_id)
            n += no_receipt.release(conn, who.store_id, who.terminal_id, return_id)  # a no-receipt hold
        return {"released": n}

    @app.get("/v1/alerts")
    def alerts(
        who: Annotated[access.Caller, Depends(admin)], limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> dict[str, Any]:
        return {"alerts": _rows(engine, s.alerts, limit)}

    @app.get("/v1/exceptions")
    def exceptions(
        who: Annotated[access.Caller, Depends(admin)], limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> dict[str, Any]:
        return {"exceptions": _rows(engine, s.exceptions, limit)}

    app.include_router(approvals.router(engine, terminal))
    app.include_router(people.router(engine, terminal))
    app.include_router(no_receipt.router(engine, terminal))  # a customer's no-receipt total in the chain
    app.include_router(desk_api.router(engine, terminal))  # the store's orders, accounts and cases
    app.include_router(departments_api.router(engine, caller, admin))  # departments, overdue referrals
    app.include_router(analysis_api.router(engine, caller))  # the returns and complaints analysis
    app.include_router(lane_status.router(engine, terminal))  # each lane's state after its sync (the lanes page)

    def gate(request: Request) -> str:
        address = address_of(request)
        refuse_if_limited(address)
        return address

    app.include_router(restore.router(engine, terminal, gate, count_failure))  # rebuild a dead lane (hq/restore.py)
    app.include_router(backups.router(engine, terminal))  # lanes' backups of their stores (docs/backup.md)
    office.mount(app, engine, *office_routers(engine))  # the back office on the web (hq/office/)
    return app


def accept_push(
    engine: Engine,
    tokens: access.TokenCache,
    who: access.Caller,
    store: str,
    terminal: str,
    sent_at: datetime,
    rows: Sequence[tuple[int, str, str, str, str, str, str]],
) -> dict[str, Any]:
    """A validated push (``rows``: seq, id, type, at, body, prev_hash, hash) from ``who``:
    the lane, clock and order checks, then ingest; the acknowledgement, or ``Refusal``.
    Shared by the FastAPI route and the lean one (hq/fastpush.py); runs on a worker thread."""
    assert who.store_id and who.terminal_id
    if (store, terminal) != (who.store_id, who.terminal_id):
        detail = f"{who.name} tried to push the journal of {store}-{terminal}"
        ingest.record_alert(engine, "forbidden", who.store_id, who.terminal_id, None, detail)
        raise Refusal(403, "forbidden", _("A terminal may push only its own journal."))
    if sent_at.tzinfo is None:  # subtracting it from HQ's aware clock would fail (a 500 before)
        raise Refusal(422, "malformed", _("Malformed request: body.sent_at: a time zone is required (send UTC)."))
    skew = ingest.clock_skew(sent_at, utcnow())
    if skew > MAX_CLOCK_SKEW_SECONDS:
        detail = f"terminal clock is {skew:.0f} s away from HQ's"
        ingest.record_alert(engine, "clock_skew", who.store_id, who.terminal_id, None, detail)
        raise Refusal(
            400,
            "clock_skew",
            _("This terminal's clock is {minutes} minutes away from HQ's; set the time right.").format(
                minutes=f"{skew / 60:.0f}"
            ),
            skew_seconds=round(skew),
        )
    entries = []
    first = rows[0][0]
    for n, (seq, id_, type_, at, body, prev_hash, hash_) in enumerate(rows):
        if seq != first + n:
            raise Refusal(422, "malformed", _("Entries of a batch must be in seq order, without gaps."))
        entries.append(JournalEntry(who.terminal_id, seq, id_, type_, at, body, prev_hash, hash_))
    try:
        result = ingest.ingest(engine, who.store_id, who.terminal_id, entries, token_hash=who.token_hash)
    except ingest.PushRefused as exc:
        if exc.status == 401:
            tokens.forget(who.token_hash)  # revoked meanwhile: this process stops taking it now
        raise Refusal(exc.status, exc.error, exc.message, **exc.extra) from exc
    return {
        "acked_seq": result.acked_seq,
        "head_hash": result.head_hash,
        "stored": result.stored,
        "repeated": result.repeated,
    }


class _OrjsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())  # JSONDecodeError is json's: a 422 as before
        return self._json


class _OrjsonRoute(APIRoute):
    """A route whose JSON body is parsed by orjson (FastAPI's documented custom-Request way)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(_OrjsonRequest(request.scope, request.receive))

        return route


def _json(data: dict[str, Any]) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), media_type="application/json")


def _rows(engine: Engine, table: Any, limit: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(table).order_by(table.c.id.desc()).limit(limit)).mappings()
        return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows]


def asgi(engine: Engine, *, api: ApiRange | None = HQ_SERVES) -> ASGIApp:
    """The app as uvicorn serves it: the API, with the lean push route ahead of it
    (hq/fastpush.py), behind the body-size limit, behind the API version gate
    (hq/api_version.py; ``api`` None: none, as an HQ from before the negotiation), each
    answering in the request's language (hq/language.py)."""
    app = create_app(engine, api=api)
    limited = BodyLimit(FastPush(app, engine, app.state.tokens), MAX_BODY_BYTES)
    outer: Any = limited if api is None else ApiVersionGate(limited, api)
    spoken = Language(outer)
    spoken.state = app.state  # what serve.RunningHq reaches (e.g. the failure limiter)
    return spoken
