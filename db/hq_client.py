"""The HTTP client of HQ's API (httpx). Thin: it turns HQ's answers into Python values
and every way of not getting an answer into one exception, ``UpstreamUnavailable``.

* no connection, a time-out, a 5xx: ``UpstreamUnavailable`` (try again later, calmly);
* a refusal (401, 403, 409, 413, 422, 429, 400): ``HqRefused`` with HQ's error code and message;
* HQ's TLS certificate not the one trusted (``db/hq_tls.py``): ``HqUntrusted`` (a refusal that
  needs a person, never "offline": nothing was sent).
* HQ serves no API version this lane speaks (426, counter/sync/api_version.py):
  ``HqApiMismatch``, with HQ's words (which side to upgrade). The client then answers every
  call itself with that refusal for ``API_RECHECK_SECONDS`` and asks HQ again after: the
  sync worker and the return screens do not knock on HQ at every cycle meanwhile.

Every call says which API versions this lane speaks and its Counter version; ``hq_api`` is
what HQ said it serves (None: an HQ from before the negotiation, which serves version 1).

Thread-safe as httpx.Client is: the sync worker and a return on the GUI thread may share it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

import httpx
import orjson

from counter.errors import CounterError
from counter.i18n import _
from counter.journal import JournalEntry, utc_stamp
from counter.sync.api_version import (
    API_HEADER,
    APP_HEADER,
    LANE_SPEAKS,
    REFUSED_ERROR,
    REFUSED_STATUS,
    SUPPORTED_HEADER,
    ApiRange,
)
from counter.sync.upstream import API, UpstreamUnavailable, certificate_fingerprint
from db.app_version import app_version
from db.hq_tls import HqTrust, cert_error, server_certificate


class HqRefused(CounterError):
    def __init__(self, status: int, error: str, message: str, data: dict[str, Any]) -> None:
        super().__init__(message, "")
        self.status = status
        self.error = error
        self.data = data


class HqUntrusted(HqRefused):
    """HQ's TLS certificate is not the one this terminal trusts: the connection was
    refused during the handshake, before the request (token, PIN) was sent."""


class HqApiMismatch(HqRefused):
    """HQ serves no API version this lane speaks: one side needs upgrading (words from HQ)."""


#: How long a client answers calls itself after HQ refused its API version.
API_RECHECK_SECONDS = 600.0


class HqClient:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        trust: HqTrust | None = None,
        api: ApiRange = LANE_SPEAKS,
        connect_timeout: float | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers |= {API_HEADER: str(api), APP_HEADER: app_version()}
        self.api = api
        #: the versions HQ said it serves at its last answer ("1-2"); None: it did not say
        self.hq_api: str | None = None
        self._mismatch: tuple[float, HqApiMismatch] | None = None
        self.base_url = base_url.rstrip("/")
        self.trust = trust
        self.timeout = timeout
        #: the key HQ signs approval answers with for this terminal: SHA-256 of its token
        #: (HQ keeps exactly that hash), see counter.trust.remote_approval.answer_mac
        self.answer_key = hashlib.sha256(token.strip().encode("utf-8")).digest() if token else None
        verify: Any = trust.context() if trust is not None else True
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=connect_timeout or timeout),
            transport=transport,
            verify=verify,
        )

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, *, loads: Callable[[bytes], Any] | None = None, **kwargs: Any) -> Any:
        self._refused_lately()
        try:
            response = self._http.request(method, API + path, **kwargs)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        return self._answer(response, loads)

    def _refused_lately(self) -> None:
        if self._mismatch is not None:
            until, refused = self._mismatch
            if time.monotonic() < until:  # a new exception each time: no traceback piling up on one
                raise HqApiMismatch(refused.status, refused.error, refused.message, refused.data)
            self._mismatch = None

    def _unreachable(self, exc: httpx.HTTPError) -> HqRefused | UpstreamUnavailable:
        bad_cert = cert_error(exc)
        if bad_cert is not None:
            return self._untrusted(bad_cert)
        return UpstreamUnavailable(
            _("HQ cannot be reached ({error}).").format(error=type(exc).__name__), _("Work goes on offline.")
        )

    def _answer(self, response: httpx.Response, loads: Callable[[bytes], Any] | None) -> Any:
        """HQ's answer as a value, or the exception it amounts to."""
        if response.status_code == 429:
            data = _json_or_empty(response)
            raise HqRefused(
                429,
                str(data.get("error", "too_many_failures")),
                str(data.get("message", _("HQ refused: too many failed attempts from this address; wait a minute."))),
                {**data, "retry_after": response.headers.get("retry-after", "")},
            )
        self.hq_api = response.headers.get(SUPPORTED_HEADER)
        if response.status_code == REFUSED_STATUS:
            raise self._api_refused(response)
        if response.status_code >= 500:
            raise UpstreamUnavailable(
                _("HQ answered {status}.").format(status=response.status_code), _("Work goes on offline.")
            )
        try:
            data = response.json() if loads is None else loads(response.content)
        except ValueError as exc:
            raise UpstreamUnavailable(
                _("HQ answered {status} without JSON.").format(status=response.status_code), ""
            ) from exc
        if response.status_code >= 400:
            if not isinstance(data, dict):
                data = {}
            raise HqRefused(
                response.status_code,
                str(data.get("error", "refused")),
                str(data.get("message", _("HQ refused ({status})").format(status=response.status_code))),
                data,
            )
        return data

    def _api_refused(self, response: httpx.Response) -> HqApiMismatch:
        data = _json_or_empty(response)
        message = str(data.get("message") or "") or (
            _(
                "HQ refused this lane's API version ({mine}); it serves {theirs}. "
                "Install the same Counter release on HQ and this lane."
            ).format(mine=self.api, theirs=self.hq_api or _("another"))
        )
        refused = HqApiMismatch(REFUSED_STATUS, REFUSED_ERROR, message, data)
        self._mismatch = (time.monotonic() + API_RECHECK_SECONDS, refused)
        return refused

    def _untrusted(self, exc: Exception) -> HqUntrusted:
        expected = (
            self.trust.describe() if self.trust is not None else _("a certificate signed by a CA this machine trusts")
        )
        try:
            seen = certificate_fingerprint(server_certificate(self.base_url, self.timeout))
            shown = _("HQ showed SHA-256 {fingerprint}").format(fingerprint=seen)
        except (OSError, ValueError):
            shown = _("HQ's certificate could not be read")
        reason = getattr(exc, "verify_message", "") or str(exc)
        return HqUntrusted(
            495,
            "untrusted_hq",
            _(
                "HQ's TLS certificate is not trusted ({reason}): this terminal expects {expected}; {shown}. "
                "Nothing was sent. If HQ's certificate was replaced on purpose, enrol this terminal again; "
                "otherwise someone may be in the way: call support."
            ).format(reason=reason, expected=expected, shown=shown),
            {},
        )

    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health"))

    def enrol(self, code: str) -> dict[str, Any]:
        return dict(self._call("POST", "/enrol", json={"code": code}))

    def restore(self, code: str, new_chain: bool) -> dict[str, Any]:
        """Spend a restore code (hq/restore.py): the new token and HQ's head of the old chain."""
        return dict(self._call("POST", "/restore", json={"code": code, "new_chain": new_chain}))

    def restore_journal(self, after: int, limit: int) -> dict[str, Any]:
        """One page of the chain this terminal is rebuilt from (pages are large: orjson)."""
        params = {"after": after, "limit": limit}
        return dict(self._call("GET", "/restore/journal", params=params, loads=orjson.loads))

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

    def push_texts(self, texts: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The typed text of desk entries about to be pushed (db/desk_feed.py)."""
        return dict(self._call("POST", "/desk/texts", json={"texts": list(texts)}))

    def lane_status(self, report: dict[str, Any]) -> dict[str, Any]:
        """This lane's state after a sync cycle (db/lane_report.py)."""
        return dict(self._call("POST", "/lane-status", json=report))

    def changes(self, after: int, limit: int) -> dict[str, Any]:
        """One page of downstream changes (pages are large: decoded with orjson)."""
        return dict(self._call("GET", "/changes", params={"after": after, "limit": limit}, loads=orjson.loads))

    def changes_stream(self, after: int, limit: int, *, read_timeout: float = 60.0) -> Iterator[dict[str, Any]]:
        """The changes above ``after`` as pages streamed from one snapshot (hq/catalog_stream.py),
        each page as ``changes`` answers, decoded as it arrives. HQ stopping or the network
        failing mid-stream: ``UpstreamUnavailable`` (the pages before it stand). An HQ without
        the stream (one of an earlier release) refuses it with 404 (``HqRefused``)."""
        self._refused_lately()
        timeout = httpx.Timeout(max(self.timeout, read_timeout), connect=self._http.timeout.connect)
        request = self._http.build_request(
            "GET", API + "/changes/stream", params={"after": after, "limit": limit}, timeout=timeout
        )
        try:
            response = self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        try:
            if response.status_code != 200:
                response.read()
                self._answer(response, orjson.loads)
                raise UpstreamUnavailable(_("HQ answered {status}.").format(status=response.status_code), "")
            self.hq_api = response.headers.get(SUPPORTED_HEADER)
            parts: list[bytes] = []
            for chunk in response.iter_bytes():
                while (end := chunk.find(b"\n")) >= 0:
                    parts.append(chunk[:end])
                    line, parts, chunk = b"".join(parts), [], chunk[end + 1 :]
                    if line:
                        yield dict(orjson.loads(line))
                parts.append(chunk)
            if b"".join(parts).strip():
                raise ValueError("the stream ends inside a line")
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        except ValueError as exc:  # a line cut or garbled
            raise UpstreamUnavailable(_("HQ answered {status} without JSON.").format(status=200), "") from exc
        finally:
            response.close()

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

    def upload_backup(self, name: str, manifest_header: str, content: Any) -> dict[str, Any]:
        """A backup of this lane's store (hq/backups.py): ``content`` the file, streamed;
        the manifest rides in a header. Sent with the client's own timeout per read/write."""
        headers = {"Content-Type": "application/octet-stream", "X-Counter-Manifest": manifest_header}
        return dict(self._call("PUT", f"/backups/{name}", content=content, headers=headers))

    def list_backups(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/backups")["backups"])

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


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
