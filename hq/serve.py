"""Running HQ: uvicorn in the foreground (``counter hq serve``), or in a thread of the
calling process (tests and benchmarks: a real server on a loopback port).

With a certificate and its key (``--certfile``/``--keyfile``) HQ serves TLS and prints
the certificate's SHA-256, which a terminal pins at enrolment (``db/hq_tls.py``). Without
them it serves plain http, and only on a loopback address unless ``--allow-plain-http``
is given (for a TLS-terminating proxy in front): terminal tokens and approvers' PINs must
not cross a network in clear.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from counter.errors import CounterError
from counter.sync.api_version import HQ_SERVES, ApiRange
from counter.sync.upstream import certificate_fingerprint, is_loopback_host
from hq.app import asgi
from hq.leader import Job, Leader
from hq.store import DEFAULT_URL, make_engine, migrate
from hq.web import ASGIApp

log = logging.getLogger("hq")
URL_ENV = "COUNTER_HQ_DATABASE_URL"
#: Lanes push every few seconds over one kept-alive connection each: uvicorn's default (5 s)
#: would close it between pushes, and a push racing the close fails (ReadError) and waits
#: for the retry. HTTP parsing is httptools and the loop uvloop when installed (pinned).
KEEP_ALIVE_SECONDS = 75


def app_from_env() -> ASGIApp:
    """uvicorn factory for several worker processes: ``uvicorn --factory hq.serve:app_from_env``."""
    _log_to_stderr()  # each worker's hq.* lines as the supervisor's
    return warm_app(os.environ.get(URL_ENV, DEFAULT_URL))


def warm_app(database_url: str, *, pool_size: int = 10, api: ApiRange | None = HQ_SERVES) -> ASGIApp:
    """The app over a new engine whose pool already holds the connections the push route
    uses at once (``fastpush.THREADS``): lanes reconnecting together after a restart
    otherwise wait while each process opens its connections one push at a time."""
    from hq.fastpush import THREADS

    engine = make_engine(database_url, pool_size=pool_size)
    opened = []
    try:
        for _ in range(min(THREADS, pool_size)):
            opened.append(engine.connect())
    except SQLAlchemyError as exc:  # PostgreSQL not up yet: serve anyway, connect on demand
        log.warning("HQ could not open its database connections at start (%s); it will on demand", exc)
    for conn in opened:
        conn.close()
    return asgi(engine, api=api)


def tls_fingerprint(certfile: str) -> str:
    """The SHA-256 fingerprint terminals pin (of the first certificate in ``certfile``),
    as db/hq_tls.py computes it: SHA-256 of the DER bytes, ``AB:CD:...``."""
    try:
        text = open(certfile, encoding="ascii").read()  # noqa: SIM115 - read once
        begin = text.index("-----BEGIN CERTIFICATE-----")
        end = text.index("-----END CERTIFICATE-----", begin) + len("-----END CERTIFICATE-----")
        return certificate_fingerprint(text[begin:end] + "\n")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CounterError(
            f"The certificate {certfile} cannot be read ({exc}).", "Give a PEM certificate file."
        ) from None


def check_transport(host: str, certfile: str | None, keyfile: str | None, allow_plain_http: bool = False) -> str | None:
    """The fingerprint to print (None for plain http); CounterError for a set-up that
    would send tokens and PINs in clear, or half a TLS set-up."""
    if bool(certfile) != bool(keyfile):
        raise CounterError("TLS needs both --certfile and --keyfile.", "Give the certificate and its private key.")
    if certfile:
        return tls_fingerprint(certfile)
    if not is_loopback_host(host) and not allow_plain_http:
        raise CounterError(
            f"HQ would serve plain http on {host}: terminal tokens and approvers' PINs "
            "would cross the network in clear.",
            "Give --certfile and --keyfile (see the README, 'HQ over TLS'), or --allow-plain-http behind a TLS proxy.",
        )
    return None


def serve(
    database_url: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    workers: int = 1,
    *,
    certfile: str | None = None,
    keyfile: str | None = None,
    allow_plain_http: bool = False,
    refresh_analysis: float = 60.0,
    escalate_every: float = 0.0,
) -> None:
    pin = check_transport(host, certfile, keyfile, allow_plain_http)
    engine = make_engine(database_url)
    migrate(engine)
    engine.dispose()
    _log_to_stderr()
    # The timed jobs run in one process of the deployment (the leader), not in each
    # worker nor in each `counter hq serve` of a chain's HQ (hq/leader.py): the leader
    # thread lives in this process, which with --workers N only supervises the workers.
    jobs = deployment_jobs(make_engine(database_url, pool_size=1), refresh_analysis, escalate_every)
    if jobs:
        Leader(database_url, jobs).start()
    scheme = "https" if certfile else "http"
    where = engine.url.render_as_string(hide_password=True)
    log.info("HQ serving on %s://%s:%d (database %s)", scheme, host, port, where)
    if pin is not None:
        print(f"HQ serves TLS; terminals enrol with --hq-fingerprint {pin}", flush=True)
    if workers > 1:
        os.environ[URL_ENV] = database_url
        uvicorn.run(
            "hq.serve:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )
    else:
        uvicorn.run(
            warm_app(database_url),
            host=host,
            port=port,
            log_level="info",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )


def deployment_jobs(engine: Engine, refresh_analysis: float, escalate_every: float) -> list[Job]:
    """The once-per-deployment jobs (each off at 0): the back office's analysis days made
    ahead of the pages, and the escalation of overdue referrals (else cron ``counter hq escalate``)."""
    jobs = []
    if refresh_analysis > 0:
        from hq.office.analysis_days import refresh

        def refresh_analysis_days() -> None:
            made = refresh(engine)
            if made:
                log.info("analysis: %d store days made", made)

        jobs.append(Job("analysis-refresh", refresh_analysis, refresh_analysis_days))
    if escalate_every > 0:
        from hq.escalation import escalate

        def escalate_overdue() -> None:
            run = escalate(engine)
            if run.escalated or run.settled:
                log.info("escalation: %d escalated, %d settled", len(run.escalated), run.settled)

        jobs.append(Job("escalate", escalate_every, escalate_overdue))
    return jobs


def _log_to_stderr() -> None:
    """HQ's own log lines (hq.*) to stderr beside uvicorn's, at ``COUNTER_HQ_LOG_LEVEL`` (INFO)."""
    root = logging.getLogger("hq")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(os.environ.get("COUNTER_HQ_LOG_LEVEL", "INFO").upper())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningHq:
    server: uvicorn.Server
    thread: threading.Thread
    port: int
    tls: bool = False

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def reset_limits(self) -> None:
        """Forget counted credential failures (tests: each starts with a clean slate)."""
        state = getattr(self.server.config.app, "state", None)
        if state is not None:
            state.failures.reset()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_in_thread(
    database_url: str,
    port: int | None = None,
    *,
    pool_size: int = 10,
    certfile: str | None = None,
    keyfile: str | None = None,
    api: ApiRange | None = HQ_SERVES,
) -> RunningHq:
    """Start a real uvicorn server on a loopback port in a daemon thread (TLS with
    ``certfile``/``keyfile``); returns once it accepts connections. ``api``: the API
    versions it serves (tests play an HQ of another release with it; None: one from
    before the negotiation)."""
    port = port or free_port()
    config = uvicorn.Config(
        warm_app(database_url, pool_size=pool_size, api=api),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"hq-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"HQ did not start on port {port}")
        time.sleep(0.02)
    return RunningHq(server, thread, port, tls=bool(certfile))
