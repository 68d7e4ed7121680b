"""HQ's side of the API version negotiation (counter/sync/api_version.py says the policy).

``ApiVersionGate`` is the outermost ASGI layer of the API as served (``hq.app.asgi``): every
answer to a ``/v1/`` call carries ``Counter-Api-Supported`` (the versions this HQ serves)
and, when the call is served, ``Counter-Api`` (the version agreed); a lane that speaks no
version HQ serves is answered ``426`` with words before anything else reads its request
(token, body). ``/v1/health`` answers every caller, so that any lane can see what HQ
serves. The back office's pages (outside ``/v1/``) are for browsers and pass untouched.
"""

from __future__ import annotations

import json
import logging
import re

from counter.sync.api_version import (
    API_HEADER,
    APP_HEADER,
    BEFORE_NEGOTIATION,
    REFUSED_ERROR,
    REFUSED_STATUS,
    SUPPORTED_HEADER,
    ApiRange,
    agree,
    refusal,
)
from hq.web import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("hq")

HEALTH = "/v1/health"
_API = API_HEADER.lower().encode("ascii")
_APP = APP_HEADER.lower().encode("ascii")
_SUPPORTED = SUPPORTED_HEADER.lower().encode("ascii")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


class ApiVersionGate:
    def __init__(self, app: ASGIApp, serves: ApiRange) -> None:
        self.app = app
        self.serves = serves
        self.state: object = None  # what serve.RunningHq reaches (set by hq.app.asgi)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        said = headers.get(_API)
        lane = BEFORE_NEGOTIATION if said is None else ApiRange.parse(said.decode("latin-1"))
        agreed = agree(lane, self.serves) if lane is not None else None
        if agreed is None and path != HEALTH:
            app = _UNPRINTABLE.sub("", headers.get(_APP, b"").decode("latin-1"))[:40]
            message = refusal(lane, self.serves, app)
            log.warning("refused %s %s: %d %s", scope.get("method"), path, REFUSED_STATUS, message)
            await self._refuse(send, message)
            return
        extra = [(_SUPPORTED, self.serves.header().encode("ascii"))]
        if agreed is not None:
            extra.append((_API, str(agreed).encode("ascii")))

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_version)

    async def _refuse(self, send: Send, message: str) -> None:
        body = json.dumps(
            {"error": REFUSED_ERROR, "message": message, "supported": self.serves.header()}, separators=(",", ":")
        ).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": REFUSED_STATUS,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode("ascii")),
                    (_SUPPORTED, self.serves.header().encode("ascii")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
