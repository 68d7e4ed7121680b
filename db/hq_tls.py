"""How a terminal knows it talks to its own HQ: TLS, with HQ's certificate pinned at
enrolment or checked against a CA file (docs/trust.md, "Secrets and transport").

* **Pinned** (a self-signed certificate, the usual set-up): at ``counter sync enrol`` the
  terminal fetches HQ's certificate, checks its SHA-256 against the fingerprint the person
  enrolling typed (``counter hq serve`` prints it), and keeps the certificate in the
  store's settings (it is public). Every connection then trusts that certificate and
  nothing else (``HqTrust.context``: it is the only trust anchor, so OpenSSL refuses any
  other during the handshake, before a byte of the request, token or PIN is sent). The
  host name is not checked: the certificate itself is the identity.
* **CA file** (``--ca-file``): HQ's certificate must chain to it and name HQ's host.
* Neither: ``https://`` is checked against the system's CAs; plain ``http://`` is only
  taken for a loopback address (tests, HQ on the same machine).

A certificate that does not verify is ``HqUntrusted`` (a refusal the status bar shows,
with both fingerprints), never "offline": a terminal that cannot trust HQ says so.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from counter.errors import CounterError
from counter.i18n import _
from counter.sync.upstream import certificate_fingerprint, is_loopback_host


class TlsSetupError(CounterError):
    """HQ's address or certificate cannot be used as given (at enrolment)."""


def normalise_fingerprint(text: str) -> str:
    raw = "".join(ch for ch in text.upper() if ch in "0123456789ABCDEF")
    if len(raw) != 64:
        raise TlsSetupError(
            _("That is not a SHA-256 fingerprint (64 hex digits)."),
            _("Copy it from the line `counter hq serve` printed, or from `counter hq fingerprint --certfile FILE`."),
        )
    return ":".join(raw[i : i + 2] for i in range(0, 64, 2))


def is_loopback(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


@dataclass(frozen=True)
class HqTrust:
    """What this terminal trusts as HQ: a pinned certificate, or a CA file."""

    cert_pem: str | None = None
    sha256: str | None = None
    ca_file: str | None = None

    def context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.cert_pem:
            ctx.load_verify_locations(cadata=self.cert_pem)
            ctx.check_hostname = False  # the pinned certificate is the identity, whatever its name
            ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # trust exactly this (leaf) certificate
        elif self.ca_file:
            try:
                ctx.load_verify_locations(cafile=self.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise TlsSetupError(
                    _("The CA file {path} cannot be read ({error}).").format(path=self.ca_file, error=exc),
                    _("Check the file."),
                ) from exc
        else:
            ctx.load_default_certs()
        return ctx

    def describe(self) -> str:
        if self.sha256:
            return _("the certificate pinned at enrolment (SHA-256 {fingerprint})").format(fingerprint=self.sha256)
        if self.ca_file:
            return _("a certificate signed by the CA in {path}").format(path=self.ca_file)
        return _("a certificate signed by a CA this machine trusts")

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in (("cert_pem", self.cert_pem), ("sha256", self.sha256), ("ca_file", self.ca_file)) if v}

    @classmethod
    def from_json(cls, raw: Any) -> HqTrust | None:
        if not isinstance(raw, dict) or not raw:
            return None
        return cls(raw.get("cert_pem"), raw.get("sha256"), raw.get("ca_file"))


def server_certificate(url: str, timeout: float = 5.0) -> str:
    """HQ's certificate as it presents it (not verified: the caller compares its fingerprint)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    return ssl.get_server_certificate((host, port), timeout=timeout)


def pin_at_enrolment(url: str, expected: str | None, ca_file: str | None, timeout: float = 5.0) -> HqTrust | None:
    """The trust to enrol with: None for a loopback ``http://`` HQ; a CA file as given; else
    HQ's certificate, fetched now and taken only if its SHA-256 is ``expected``."""
    scheme = urlsplit(url).scheme
    if scheme == "http":
        if is_loopback(url):
            return None
        raise TlsSetupError(
            _("{url} is plain http: the token and approvers' PINs would cross the network in clear.").format(url=url),
            _("Serve HQ with TLS (`counter hq serve --certfile … --keyfile …`) and enrol with https://."),
        )
    if scheme != "https":
        raise TlsSetupError(
            _("{url} is not an http(s) address.").format(url=url), _("Give HQ's address as https://host:port.")
        )
    if ca_file:
        trust = HqTrust(ca_file=ca_file)
        trust.context()  # a CA file that cannot be read is said now
        return trust
    if not expected:
        raise TlsSetupError(
            _("HQ's certificate fingerprint is needed to enrol over https without a CA file."),
            _("Add --hq-fingerprint with the SHA-256 `counter hq serve` printed (or give --ca-file)."),
        )
    wanted = normalise_fingerprint(expected)
    try:
        pem = server_certificate(url, timeout)
    except (OSError, ssl.SSLError) as exc:
        from counter.sync.upstream import UpstreamUnavailable

        raise UpstreamUnavailable(
            _("HQ cannot be reached at {url} ({error}).").format(url=url, error=type(exc).__name__),
            _("Check the address."),
        ) from exc
    seen = certificate_fingerprint(pem)
    if seen != wanted:
        raise TlsSetupError(
            _("HQ's certificate at {url} has the SHA-256 {seen}, not {wanted}; nothing was sent.").format(
                url=url, seen=seen, wanted=wanted
            ),
            _("Check the fingerprint with the person running HQ; a different one may mean someone is in the way."),
        )
    return HqTrust(cert_pem=pem, sha256=seen)


def cert_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate check that failed somewhere in ``exc``'s causes (httpx wraps it)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, ssl.SSLCertVerificationError):
            return cur
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return None
