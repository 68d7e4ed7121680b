"""The HTTP client of HQ's API (httpx). Thin: it turns HQ's answers into Python values
and every way of not getting an answer into one exception, ``UpstreamUnavailable``.

* no connection, a time-out, a 5xx: ``UpstreamUnavailable`` (try again later, calmly);
* a refusal (401, 403, 409, 413, 422, 400): ``HqRefused`` with HQ's error code and message.

Thread-safe as httpx.Client is: the sync worker and a return on the GUI thread may share it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import httpx
import orjson

from counter.errors import CounterError
from counter.journal import JournalEntry, utc_stamp
from counter.upstream import API, UpstreamUnavailable


class HqRefused(CounterError):
    def __init__(self, status: int, error: str, message: str, data: dict[str, Any]) -> None:
        super().__init__(message, "")
        self.status = status
        self.error = error
        self.data = data


class HqClient:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, *, loads: Callable[[bytes], Any] | None = None, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, API + path, **kwargs)
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"HQ cannot be reached ({type(exc).__name__}).", "Work goes on offline.") from exc
        if response.status_code >= 500:
            raise UpstreamUnavailable(f"HQ answered {response.status_code}.", "Work goes on offline.")
        try:
            data = response.json() if loads is None else loads(response.content)
        except ValueError as exc:
            raise UpstreamUnavailable(f"HQ answered {response.status_code} without JSON.", "") from exc
        if response.status_code >= 400:
            if not isinstance(data, dict):
                data = {}
            raise HqRefused(
                response.status_code,
                str(data.get("error", "refused")),
                str(data.get("message", f"HQ refused ({response.status_code})")),
                data,
            )
        return data

    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health"))

    def enrol(self, code: str) -> dict[str, Any]:
        return dict(self._call("POST", "/enrol", json={"code": code}))

    def head(self) -> tuple[int, str]:
        data = self._call("GET", "/journal/head")
        return int(data["acked_seq"]), str(data["head_hash"])

    def push(self, store: str, terminal: str, entries: Sequence[JournalEntry], sent_at: datetime) -> dict[str, Any]:
        payload = {
            "store": store,
            "terminal": terminal,
            "sent_at": utc_stamp(sent_at),
            "entries": [
                {
                    "seq": e.seq,
                    "id": e.id,
                    "type": e.type,
                    "at": e.at,
                    "body": e.body,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in entries
            ],
        }
        # orjson: a batch is up to 500 bodies of text to escape (the stdlib takes ~3x as long).
        body = orjson.dumps(payload)
        return dict(self._call("POST", "/journal", content=body, headers={"Content-Type": "application/json"}))

    def changes(self, after: int, limit: int) -> dict[str, Any]:
        """One page of downstream changes (pages are large: decoded with orjson)."""
        return dict(self._call("GET", "/changes", params={"after": after, "limit": limit}, loads=orjson.loads))

    def lookup(self, receipt_number: str) -> dict[str, Any] | None:
        try:
            return dict(self._call("GET", f"/sales/{receipt_number}"))
        except HqRefused as exc:
            if exc.status == 404:
                return None
            raise

    def reserve(self, payload: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/reservations", json=payload))

    def release(self, return_id: str) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/reservations/{return_id}"))

    # remote approval (hq/approvals.py; db/remote_approvals.py wraps these)
    def ask_approval(self, payload: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/approvals", json=payload))

    def pending_approvals(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/approvals")["approvals"])

    def approval(self, approval_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/approvals/{approval_id}"))

    def answer_approval(self, approval_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", f"/approvals/{approval_id}/answer", json=payload))

    def cancel_approval(self, approval_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/approvals/{approval_id}/cancel"))
